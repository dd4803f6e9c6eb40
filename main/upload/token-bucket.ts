/**
 * A token bucket limiting bytes per second across every stream that shares it.
 *
 * `take(n)` resolves when `n` bytes may be sent. Waiters are served first-in first-out, so
 * concurrent streams share the rate fairly. A rate of 0 means unlimited. `setRate()` applies at
 * once, also to callers already waiting. Burst capacity is a quarter second of traffic (at least
 * 64 KiB), so a limit holds over any window longer than that.
 */
import { InterruptedError } from './errors.ts';
import { type Clock, type Timeouts } from '../common/time.ts';

interface Waiter {
  n: number;
  resolve: () => void;
  reject: (e: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class TokenBucket {
  #rate: number;
  #tokens = 0;
  #last: number;
  #queue: Waiter[] = [];
  #timer: unknown = undefined;
  readonly #clock: Clock;
  readonly #timers: Timeouts;

  constructor(options: { bytesPerSecond: number; clock: Clock; timers: Timeouts }) {
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#rate = Math.max(0, options.bytesPerSecond);
    this.#last = this.#clock.now();
    this.#tokens = this.#burst();
  }

  get bytesPerSecond(): number {
    return this.#rate;
  }

  setRate(bytesPerSecond: number): void {
    this.#refill();
    this.#rate = Math.max(0, bytesPerSecond);
    this.#tokens = Math.min(this.#tokens, this.#burst());
    this.#reschedule();
  }

  take(n: number, signal?: AbortSignal): Promise<void> {
    if (this.#rate === 0 && this.#queue.length === 0) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { n, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(new InterruptedError());
          this.#reschedule();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  #burst(): number {
    return Math.max(64 * 1024, this.#rate / 4);
  }

  #refill(): void {
    const now = this.#clock.now();
    if (this.#rate > 0) this.#tokens = Math.min(this.#burst(), this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }

  #reschedule(): void {
    if (this.#timer !== undefined) {
      this.#timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#pump();
  }

  #pump(): void {
    if (this.#timer !== undefined) return;
    this.#refill();
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      if (this.#rate > 0) {
        // A request larger than the burst is admitted once the bucket is full and leaves a debt.
        const need = Math.min(head.n, this.#burst());
        if (this.#tokens < need) {
          const waitMs = Math.ceil(((need - this.#tokens) / this.#rate) * 1000);
          this.#timer = this.#timers.setTimeout(() => {
            this.#timer = undefined;
            this.#pump();
          }, waitMs);
          return;
        }
        this.#tokens -= head.n;
      }
      this.#queue.shift();
      if (head.onAbort) head.signal?.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
  }
}
