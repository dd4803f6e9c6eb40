/**
 * How the upload engine calls its target: every call takes a request slot, waits while the circuit
 * breaker is open, is aborted when it moves no bytes for `idleMs`, and is retried with backoff.
 *
 * Contract:
 * - `simple` runs a call that sends no body; `send` one that sends an item's bytes: its bytes go
 *   through the bandwidth limit and are counted as in flight for the item, and uncounted again
 *   when the request ends (the caller journals what was acknowledged).
 * - Aborting `outer` (pause, stop) ends the call with InterruptedError, whatever it was doing.
 * - `simple`'s `idleMs` option lengthens the watchdog for one call (never shortens it): S3 may take
 *   minutes to answer CompleteMultipartUpload for a large object, and a retry while the first is
 *   still assembling can be refused (versitygw answers 500).
 * - A permanent error is thrown at once; network and credential errors feed the breaker and, while
 *   it is open, do not count as attempts; after `backoff.maxAttempts` attempts the last error is
 *   thrown as an UploadError saying so.
 */
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import { classifyError, InterruptedError, UploadError } from './errors.ts';
import type { UploadItem } from './item.ts';
import type { Semaphore } from './semaphore.ts';
import type { TransferIo, UploadTarget } from './target.ts';
import type { TokenBucket } from './token-bucket.ts';
import type { ItemStore } from './engine-items.ts';
import { sleep, type Timeouts } from '../common/time.ts';

export interface RequestRunnerDeps {
  target: Pick<UploadTarget, 'describe' | 'bucket'>;
  timers: Timeouts;
  random: () => number;
  backoff: BackoffPolicy;
  idleMs: number;
  breaker: CircuitBreaker;
  /** Requests in flight across all files. */
  slots: Semaphore;
  /** The bandwidth limit. */
  bucket: TokenBucket;
  items: Pick<ItemStore, 'recordBytes' | 'settleBytes'>;
}

export class RequestRunner {
  readonly #d: RequestRunnerDeps;

  constructor(deps: RequestRunnerDeps) {
    this.#d = deps;
  }

  /** Sends `body` as one request (part or single), with retries; in-flight bytes are undone on failure. */
  async send<T>(item: UploadItem, name: string, key: string, signal: AbortSignal, fn: (io: TransferIo) => Promise<T>): Promise<T> {
    const release = await this.#d.slots.acquire(1, signal);
    try {
      return await this.#op(
        name,
        key,
        async (s, touch) => {
          const counter = { sent: 0 };
          try {
            return await fn(this.#io(item, s, touch, counter));
          } finally {
            this.#d.items.settleBytes(item.id, counter.sent);
          }
        },
        signal,
      );
    } finally {
      release();
    }
  }

  async simple<T>(name: string, key: string, signal: AbortSignal, fn: (s: AbortSignal) => Promise<T>, options: { idleMs?: number } = {}): Promise<T> {
    const release = await this.#d.slots.acquire(1, signal);
    try {
      return await this.#op(name, key, (s) => fn(s), signal, Math.max(this.#d.idleMs, options.idleMs ?? 0));
    } finally {
      release();
    }
  }

  /** Runs one target call with the retry policy, the circuit breaker and an idle watchdog. */
  async #op<T>(name: string, key: string, fn: (signal: AbortSignal, touch: () => void) => Promise<T>, outer: AbortSignal, idleMs = this.#d.idleMs): Promise<T> {
    const { target, timers, breaker, backoff } = this.#d;
    const where = key ? target.describe(key) : target.describe('');
    for (let attempt = 0; ;) {
      await breaker.waitUntilClosed(outer);
      const ctl = new AbortController();
      let timer: unknown;
      const touch = () => {
        if (timer !== undefined) timers.clearTimeout(timer);
        timer = timers.setTimeout(() => ctl.abort(), idleMs);
      };
      touch();
      const onOuter = () => ctl.abort();
      outer.addEventListener('abort', onOuter, { once: true });
      try {
        const result = await fn(ctl.signal, touch);
        breaker.recordSuccess();
        return result;
      } catch (err) {
        if (outer.aborted) throw new InterruptedError();
        const e = ctl.signal.aborted
          ? new UploadError('Timeout', 'network', `${name} made no progress for ${idleMs} ms (${where})`, { cause: err })
          : classifyError(err, { op: name, where, bucket: target.bucket });
        if (e.kind === 'permanent') throw e;
        if (e.kind === 'network' || e.kind === 'credentials') breaker.recordFailure(e);
        if (breaker.state === 'open') continue;
        attempt++;
        if (attempt >= backoff.maxAttempts) throw new UploadError(e.code, e.kind, `gave up after ${attempt} attempts: ${e.message}`, { cause: err });
        await sleep(timers, backoffDelay(attempt - 1, backoff, this.#d.random), outer, () => new InterruptedError());
      } finally {
        if (timer !== undefined) timers.clearTimeout(timer);
        outer.removeEventListener('abort', onOuter);
      }
    }
  }

  #io(item: UploadItem, signal: AbortSignal, touch: () => void, counter: { sent: number }): TransferIo {
    return {
      signal,
      throttle: (n) => this.#d.bucket.take(n, signal),
      onBytes: (n) => {
        touch();
        counter.sent += n;
        this.#d.items.recordBytes(item.id, n);
      },
    };
  }
}
