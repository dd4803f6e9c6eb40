/**
 * Checksum scratch buffers recycled within a memory budget, so peak RSS stays flat instead of growing by the
 * garbage a multi-GB upload leaves for the collector (externally allocated Buffers are reclaimed
 * only when V8 next decides to collect, which can be tens of MB late).
 *
 * Contract:
 * - `acquire(size)` waits until the buffer's capacity fits the budget, then lends a Buffer of exactly
 *   `size` bytes (a view of a pooled block whose capacity is `size` rounded up to a size class).
 * - Bytes in use plus bytes kept free never exceed the budget (except one block larger than the
 *   whole budget, admitted alone). Free blocks of other classes are dropped to make room.
 * - `release(reuse)` returns the block; pass `reuse: false` when something may still read it (a
 *   request that failed mid-flight), and the block is left to the garbage collector instead.
 * - `trim()` drops every free block (call when the queue goes idle).
 */
import { Semaphore } from './semaphore.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface PooledBuffer {
  /** Exactly the requested size. */
  readonly buf: Buffer;
  release(reuse?: boolean): void;
}

/** Capacity class of a request: powers of two up to 1 MiB, then whole MiB. */
export function sizeClass(size: number): number {
  if (size <= 64 * KiB) return 64 * KiB;
  if (size <= MiB) return 2 ** Math.ceil(Math.log2(size));
  return Math.ceil(size / MiB) * MiB;
}

export class BufferPool {
  readonly #budget: Semaphore;
  readonly #free = new Map<number, Buffer[]>();
  #freeBytes = 0;
  #inUseBytes = 0;
  #allocated = 0;

  constructor(budgetBytes: number) {
    this.#budget = new Semaphore(budgetBytes);
  }

  get budget(): number {
    return this.#budget.capacity;
  }

  /** Bytes lent out and bytes kept for reuse. */
  stats(): { inUse: number; free: number; allocations: number } {
    return { inUse: this.#inUseBytes, free: this.#freeBytes, allocations: this.#allocated };
  }

  async acquire(size: number, signal?: AbortSignal): Promise<PooledBuffer> {
    const cap = sizeClass(Math.max(1, size));
    const releaseBudget = await this.#budget.acquire(cap, signal);
    this.#inUseBytes += cap;
    const block = this.#take(cap);
    let done = false;
    return {
      buf: block.subarray(0, size),
      release: (reuse = true) => {
        if (done) return;
        done = true;
        this.#inUseBytes -= cap;
        if (reuse && this.#inUseBytes + this.#freeBytes + cap <= this.#budget.capacity) {
          const list = this.#free.get(cap) ?? [];
          list.push(block);
          this.#free.set(cap, list);
          this.#freeBytes += cap;
        }
        releaseBudget();
      },
    };
  }

  trim(): void {
    this.#free.clear();
    this.#freeBytes = 0;
  }

  #take(cap: number): Buffer {
    const list = this.#free.get(cap);
    const reused = list?.pop();
    if (reused) {
      this.#freeBytes -= cap;
      return reused;
    }
    // make room: in-use plus free blocks stay within the budget
    for (const [c, blocks] of this.#free) {
      while (blocks.length && this.#inUseBytes + this.#freeBytes > this.#budget.capacity) {
        blocks.pop();
        this.#freeBytes -= c;
      }
      if (blocks.length === 0) this.#free.delete(c);
    }
    this.#allocated++;
    return Buffer.allocUnsafeSlow(cap);
  }
}
