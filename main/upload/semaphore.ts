/**
 * A counting semaphore with weights (request slots, memory budget in bytes). A request heavier than
 * the whole capacity is admitted alone, so a huge part never deadlocks.
 */
import { InterruptedError } from './errors.ts';

interface Waiter {
  weight: number;
  resolve: () => void;
  reject: (e: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class Semaphore {
  #capacity: number;
  #used = 0;
  #queue: Waiter[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get capacity(): number {
    return this.#capacity;
  }

  get inUse(): number {
    return this.#used;
  }

  setCapacity(capacity: number): void {
    this.#capacity = capacity;
    this.#pump();
  }

  acquire(weight = 1, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.#used -= weight;
        this.#pump();
      };
      const waiter: Waiter = { weight, resolve: () => resolve(release), reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(new InterruptedError());
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      const fits = this.#used + head.weight <= this.#capacity || this.#used === 0;
      if (!fits) return;
      this.#queue.shift();
      this.#used += head.weight;
      if (head.onAbort) head.signal?.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
  }
}
