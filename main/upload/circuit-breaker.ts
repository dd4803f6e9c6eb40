/**
 * A circuit breaker that pauses the whole queue while the storage endpoint or the credentials are
 * down, and closes by itself.
 *
 * `failureThreshold` consecutive network/credential failures (with no success in between) open the
 * circuit. While open, `probe()` runs after `probeIntervalMs`, doubling up to `maxProbeIntervalMs`;
 * the first probe that succeeds closes the circuit and wakes every `waitUntilClosed()` caller.
 * Operations call `waitUntilClosed()` before each attempt, so nothing is sent while it is open.
 */
import { InterruptedError, type UploadError } from './errors.ts';
import { type Timeouts } from '../common/time.ts';

export type CircuitState = 'closed' | 'open';

export interface CircuitOptions {
  failureThreshold: number;
  probeIntervalMs: number;
  maxProbeIntervalMs: number;
}

export const DEFAULT_CIRCUIT: CircuitOptions = { failureThreshold: 3, probeIntervalMs: 1_000, maxProbeIntervalMs: 30_000 };

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #reason: UploadError | undefined;
  #interval: number;
  #timer: unknown = undefined;
  #waiters = new Set<() => void>();
  #stopped = false;
  readonly #options: CircuitOptions;
  readonly #timers: Timeouts;
  readonly #probe: () => Promise<void>;
  readonly #onChange: (state: CircuitState, reason: UploadError | undefined) => void;

  constructor(
    options: CircuitOptions & { timers: Timeouts; probe: () => Promise<void>; onChange?: (state: CircuitState, reason: UploadError | undefined) => void },
  ) {
    this.#options = { failureThreshold: options.failureThreshold, probeIntervalMs: options.probeIntervalMs, maxProbeIntervalMs: options.maxProbeIntervalMs };
    this.#timers = options.timers;
    this.#probe = options.probe;
    this.#onChange = options.onChange ?? (() => {});
    this.#interval = options.probeIntervalMs;
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** The failure that opened the circuit, while it is open. */
  get reason(): UploadError | undefined {
    return this.#reason;
  }

  recordSuccess(): void {
    this.#failures = 0;
  }

  recordFailure(error: UploadError): void {
    if (this.#state === 'open') return;
    this.#failures++;
    if (this.#failures >= this.#options.failureThreshold) this.#open(error);
  }

  /** Resolves at once when closed, otherwise when a probe succeeds. */
  waitUntilClosed(signal?: AbortSignal): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    return new Promise((resolve, reject) => {
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters.delete(wake);
        reject(new InterruptedError());
      };
      this.#waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Cancels probing; waiters stay pending until their signals abort. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #open(error: UploadError): void {
    this.#state = 'open';
    this.#reason = error;
    this.#interval = this.#options.probeIntervalMs;
    this.#onChange('open', error);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#probe().then(
        () => this.#close(),
        () => {
          this.#interval = Math.min(this.#options.maxProbeIntervalMs, this.#interval * 2);
          this.#schedule();
        },
      );
    }, this.#interval);
  }

  #close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#failures = 0;
    this.#reason = undefined;
    this.#onChange('closed', undefined);
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }
}
