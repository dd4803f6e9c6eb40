/**
 * The instance poller: lists instances on an injected timer and reports each list that differs
 * from the previous one (ids, states, types).
 *
 * Contracts:
 * - The delay after a poll is `fastMs` while any instance is pending/stopping/shutting-down,
 *   `slowMs` otherwise; after a failed poll it doubles from `fastMs` up to `maxErrorMs`
 *   (errors never stop the poller; each one is reported through `onError`).
 * - `onChange` gets the full list whenever its fingerprint changed, the first poll included.
 * - `poke()` polls now and restarts the schedule (after a user action); polls never overlap.
 * - `stop()` cancels the pending timer; a poll in flight finishes but schedules nothing.
 */
import { listFingerprint } from './poll.ts';
import { isTransitional, type InstanceInfo } from '../aws/ec2-instance.ts';
import { type Timeouts } from '../common/time.ts';

export interface InstancePollerOptions {
  list: () => Promise<InstanceInfo[]>;
  timers: Timeouts;
  onChange: (instances: InstanceInfo[], previous: InstanceInfo[] | null) => void;
  onError?: (error: unknown, retryInMs: number) => void;
  fastMs?: number;
  slowMs?: number;
  maxErrorMs?: number;
}

export interface InstancePoller {
  start(): void;
  stop(): void;
  /** Poll as soon as the current poll (if any) is done. */
  poke(): Promise<void>;
  /** The last list seen; null before the first successful poll. */
  latest(): InstanceInfo[] | null;
  /** The delay chosen after the last poll (for tests and diagnostics). */
  lastDelayMs(): number | null;
}

export const POLLER_FAST_MS = 2_000;
export const POLLER_SLOW_MS = 60_000;
export const POLLER_MAX_ERROR_MS = 300_000;

export function createInstancePoller(o: InstancePollerOptions): InstancePoller {
  const fastMs = o.fastMs ?? POLLER_FAST_MS;
  const slowMs = o.slowMs ?? POLLER_SLOW_MS;
  const maxErrorMs = o.maxErrorMs ?? POLLER_MAX_ERROR_MS;
  let running = false;
  let handle: unknown = null;
  let inFlight: Promise<void> | null = null;
  let last: InstanceInfo[] | null = null;
  let lastPrint: string | null = null;
  let errorDelay = 0;
  let delay: number | null = null;

  const schedule = (ms: number) => {
    if (!running) return;
    if (handle !== null) o.timers.clearTimeout(handle);
    delay = ms;
    handle = o.timers.setTimeout(() => {
      handle = null;
      void poll();
    }, ms);
  };

  const pollOnce = async (): Promise<void> => {
    let next: number;
    try {
      const list = await o.list();
      errorDelay = 0;
      const print = listFingerprint(list);
      const previous = last;
      last = list;
      if (print !== lastPrint) {
        lastPrint = print;
        try {
          o.onChange(list, previous);
        } catch {
          // a failing listener must not stop polling
        }
      }
      next = list.some((i) => isTransitional(i.state)) ? fastMs : slowMs;
    } catch (e) {
      errorDelay = errorDelay === 0 ? fastMs : Math.min(maxErrorMs, errorDelay * 2);
      next = errorDelay;
      o.onError?.(e, next);
    }
    schedule(next);
  };

  const poll = (): Promise<void> => {
    inFlight ??= pollOnce().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  return {
    start() {
      if (running) return;
      running = true;
      void poll();
    },
    stop() {
      running = false;
      if (handle !== null) o.timers.clearTimeout(handle);
      handle = null;
    },
    async poke() {
      if (inFlight) await inFlight;
      if (handle !== null) o.timers.clearTimeout(handle);
      handle = null;
      await poll();
    },
    latest: () => last,
    lastDelayMs: () => delay,
  };
}
