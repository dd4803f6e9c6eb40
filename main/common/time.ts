/**
 * Time as an injected capability: every service that reads the clock or schedules work takes
 * these, so tests drive it with a fake clock instead of waiting. A service asks for the part it
 * uses (`Timeouts` or `Intervals`); `Timers` is both.
 */

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** One-shot timers. */
export interface Timeouts {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Repeating timers. */
export interface Intervals {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface Timers extends Timeouts, Intervals {}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export const systemClock: Clock = { now: () => Date.now() };

/** Real timers that keep the process alive while they are pending (transfers, retries). */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/** Real timers that do not keep the process alive: background refreshes, polls, guardrails. */
export const backgroundTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref?.();
    return t;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/**
 * Resolves after `ms`; as soon as `signal` aborts, rejects with `interrupted()` (default: the
 * signal's reason, an AbortError unless the caller gave one).
 */
export function sleep(timers: Timeouts, ms: number, signal?: AbortSignal, interrupted: () => unknown = () => signal?.reason): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(interrupted());
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(interrupted());
    };
    const handle = timers.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
