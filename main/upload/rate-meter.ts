import { type Clock } from '../common/time.ts';
/**
 * Throughput as a moving average over the last `windowMs` (bytes/s), from byte counts recorded as
 * request bodies stream. Buckets of `windowMs / 20` keep the cost per record O(1).
 */

export class RateMeter {
  readonly #clock: Clock;
  readonly #bucketMs: number;
  readonly #buckets: number[];
  #head = 0;
  #headStart: number;
  readonly #started: number;

  constructor(clock: Clock, windowMs = 5_000) {
    this.#clock = clock;
    this.#bucketMs = windowMs / 20;
    this.#buckets = new Array(20).fill(0);
    this.#started = clock.now();
    this.#headStart = Math.floor(this.#started / this.#bucketMs) * this.#bucketMs;
  }

  record(bytes: number): void {
    this.#advance();
    this.#buckets[this.#head] += bytes;
  }

  /** Bytes per second over the window (or since creation, when younger than the window). */
  bytesPerSecond(): number {
    this.#advance();
    const total = this.#buckets.reduce((a, b) => a + b, 0);
    const windowMs = this.#bucketMs * this.#buckets.length;
    const spanMs = Math.min(windowMs, Math.max(this.#bucketMs, this.#clock.now() - this.#started));
    return (total / spanMs) * 1000;
  }

  #advance(): void {
    const now = this.#clock.now();
    let steps = Math.floor((now - this.#headStart) / this.#bucketMs);
    if (steps <= 0) return;
    if (steps > this.#buckets.length) steps = this.#buckets.length;
    for (let i = 0; i < steps; i++) {
      this.#head = (this.#head + 1) % this.#buckets.length;
      this.#buckets[this.#head] = 0;
    }
    this.#headStart = Math.floor(now / this.#bucketMs) * this.#bucketMs;
  }
}
