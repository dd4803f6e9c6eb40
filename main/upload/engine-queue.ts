/**
 * The upload engine's scheduler: which items run, how many at once, and what a run's end means for
 * the item.
 *
 * Contract:
 * - Items wait in insertion order; urgent ones (a growing file just offered as final) go first.
 * - At most `fileSlots` items run at once, each at most once at a time: an item enqueued while it
 *   runs is nudged (engine-transfer.ts) and run again when its run ends (urgent if any of those
 *   enqueues was).
 * - Nothing runs before `open()`, while paused or once stopping. Pausing aborts the running
 *   transfers (they go back to waiting and run again on resume); `halt()` aborts them for good.
 * - A run that ends with Requeue runs again; one interrupted (pause, stop) goes back to queued or
 *   growing; any other error fails the item with its code and message (a file deleted, truncated or
 *   changed also loses its unfinished upload).
 * - Idle (nothing running, nothing waiting, or paused/stopping): pooled buffers are trimmed, and
 *   the `drain()` waiters resolve after a last progress event and an `idle` event.
 */
import type { BufferPool } from './buffer-pool.ts';
import { classifyError, InterruptedError, UploadError } from './errors.ts';
import type { UploadItem } from './item.ts';
import type { UploadTarget } from './target.ts';
import type { ItemStore } from './engine-items.ts';
import { Requeue, type Transfer } from './engine-transfer.ts';
import type { Clock } from '../common/time.ts';

export interface QueueDeps {
  items: Pick<ItemStore, 'get' | 'set' | 'clearBytes' | 'emit' | 'emitProgressNow'>;
  transfer: Pick<Transfer, 'transfer' | 'discardUpload' | 'nudge'>;
  memory: Pick<BufferPool, 'trim'>;
  target: Pick<UploadTarget, 'bucket'>;
  clock: Clock;
  fileSlots: number;
}

export class UploadQueue {
  readonly #d: QueueDeps;
  #fileSlots: number;
  #started = false;
  #stopping = false;
  #paused = false;
  #pauseCtl = new AbortController();
  /** Ready queue (insertion-ordered), urgent entries (closed growing files) first. */
  readonly #urgent = new Set<string>();
  readonly #ready = new Set<string>();
  readonly #active = new Map<string, Promise<void>>();
  readonly #rerun = new Set<string>();
  /** Active items to run again as urgent once their current run ends (never in `#urgent` while active). */
  readonly #rerunUrgent = new Set<string>();
  #drainWaiters: (() => void)[] = [];

  constructor(deps: QueueDeps) {
    this.#d = deps;
    this.#fileSlots = deps.fileSlots;
  }

  get started(): boolean {
    return this.#started;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  get paused(): boolean {
    return this.#paused;
  }

  activeIds(): Iterable<string> {
    return this.#active.keys();
  }

  /** The journal is open: items may run (from the next `pump`). */
  open(): void {
    this.#started = true;
  }

  /** Puts an item recovered from the journal in the ready queue, without starting anything. */
  restore(id: string): void {
    this.#ready.add(id);
  }

  /** Stops for good: aborts running transfers; `settled()` waits for them. */
  halt(): void {
    this.#stopping = true;
    this.#pauseCtl.abort();
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.#active.values()]);
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#pauseCtl.abort();
    this.#d.items.emit({ type: 'paused' });
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#pauseCtl = new AbortController();
    this.#d.items.emit({ type: 'resumed' });
    this.pump();
  }

  setFileSlots(files: number): void {
    this.#fileSlots = files;
  }

  drain(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((r) => this.#drainWaiters.push(r));
  }

  enqueue(id: string, urgent = false): void {
    if (this.#active.has(id)) {
      // kept out of the ready sets: the pump would start a second, concurrent run of the item;
      // the running transfer is told too (it sends a growing file's new parts while it runs)
      this.#rerun.add(id);
      if (urgent) this.#rerunUrgent.add(id);
      this.#d.transfer.nudge(id);
      return;
    }
    if (urgent) {
      this.#ready.delete(id);
      this.#urgent.add(id);
    } else if (!this.#urgent.has(id)) {
      this.#ready.add(id);
    }
    this.pump();
  }

  pump(): void {
    if (!this.#started || this.#stopping || this.#paused) return this.#checkIdle();
    while (this.#active.size < this.#fileSlots) {
      const id = this.#next();
      if (id === undefined) break;
      const item = this.#d.items.get(id);
      if (this.#active.has(id)) {
        this.#rerun.add(id);
        continue;
      }
      if (!item || (item.state !== 'queued' && item.state !== 'growing')) continue;
      const run = this.#run(item).finally(() => {
        this.#active.delete(id);
        const urgent = this.#rerunUrgent.delete(id);
        if (this.#rerun.delete(id)) this.enqueue(id, urgent);
        this.pump();
      });
      this.#active.set(id, run);
    }
    this.#checkIdle();
  }

  #next(): string | undefined {
    for (const set of [this.#urgent, this.#ready]) {
      for (const id of set) {
        set.delete(id);
        return id;
      }
    }
    return undefined;
  }

  #isIdle(): boolean {
    return this.#started && this.#active.size === 0 && (this.#paused || this.#stopping || (this.#urgent.size === 0 && this.#ready.size === 0));
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    // nothing in flight: pooled part buffers go back to the system
    this.#d.memory.trim();
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    this.#d.items.emitProgressNow();
    this.#d.items.emit({ type: 'idle' });
    for (const w of waiters) w();
  }

  async #run(item: UploadItem): Promise<void> {
    const { items, transfer } = this.#d;
    const signal = this.#pauseCtl.signal;
    const wasGrowing = !item.final;
    try {
      if (item.final) await items.set(item, { state: 'uploading' });
      await transfer.transfer(item, signal);
    } catch (err) {
      items.clearBytes(item.id);
      if (err instanceof Requeue) {
        if (item.state === 'uploading') await items.set(item, { state: 'queued' }).catch(() => {});
        this.#rerun.add(item.id);
        return;
      }
      if (err instanceof InterruptedError || signal.aborted) {
        if (item.state === 'uploading') await items.set(item, { state: item.final ? 'queued' : 'growing' }).catch(() => {});
        if (!this.#stopping) this.#rerun.add(item.id);
        return;
      }
      const e = err instanceof UploadError ? err : classifyError(err, { op: 'upload', where: item.path, bucket: this.#d.target.bucket });
      if (e.code === 'FileDeleted' || e.code === 'FileTruncated' || e.code === 'FileChanged') await transfer.discardUpload(item, signal);
      await items.set(item, { state: 'failed', error: { code: e.code, message: e.message, at: this.#d.clock.now() } }).catch(() => {});
      return;
    }
    items.clearBytes(item.id);
    if (wasGrowing && item.state === 'growing') return;
    if (item.state === 'uploading') await items.set(item, { state: item.final ? 'queued' : 'growing' });
  }
}
