/**
 * The upload engine's items as the rest of the engine sees them: the open journal, the one way an
 * item's state is changed (`set`: journaled first, then announced), item snapshots, the bytes each
 * item has in flight, and the events and status built from them.
 *
 * Contract:
 * - `open(journal)` is called once by `start()`; before that `items()` is empty, `get` finds
 *   nothing and `journal` must not be used.
 * - `set` resolves once the patch is durable; it emits an `item` event when the state changed or an
 *   error was set or cleared. A settled item's object from `get` is a copy (journal-items.ts): the
 *   durable patch is applied to that copy too, so the caller's object stays in step.
 * - `items()` builds every settled item (all of the history); `unsettled()` and the queries below
 *   read the settled ones without building them.
 * - Progress events are throttled to one per 250 ms and only built while someone listens; `status()`
 *   is cached for 200 ms, and `emitProgressNow` always builds a fresh one.
 * - A listener that throws does not stop the others, nor the engine.
 */
import { itemKey, type UploadItem } from './item.ts';
import { applyPatch, type VerifiedFacts } from './journal-items.ts';
import type { ItemPatch, UploadJournal } from './journal.ts';
import { RateMeter } from './rate-meter.ts';
import type { UploadTarget } from './target.ts';
import type { EngineStatus, ItemSnapshot, UploadEvent } from './engine-types.ts';
import type { Clock, Timeouts } from '../common/time.ts';

const STATES: UploadItem['state'][] = ['queued', 'growing', 'uploading', 'verified', 'failed'];

/** The parts of a status that other pieces of the engine own (queue, bandwidth, breaker, sweep). */
export type StatusFacts = Pick<EngineStatus, 'paused' | 'bandwidthLimit' | 'circuit' | 'target' | 'sweepError' | 'diskFull'>;

export interface ItemStoreDeps {
  target: Pick<UploadTarget, 'describe'>;
  clock: Clock;
  timers: Timeouts;
  /** Ids of the items running now (progress events list them). */
  activeIds(): Iterable<string>;
  facts(): StatusFacts;
}

export class ItemStore {
  readonly #d: ItemStoreDeps;
  #journal: UploadJournal | undefined;
  readonly #listeners = new Set<(e: UploadEvent) => void>();
  /** Bytes in flight (sent, not yet acknowledged by a journaled part), per item; not persisted. */
  readonly #inflight = new Map<string, number>();
  readonly #meter: RateMeter;
  #bytesSent = 0;
  #progressTimer: unknown = undefined;
  #statusCache: { at: number; status: EngineStatus } | undefined;

  constructor(deps: ItemStoreDeps) {
    this.#d = deps;
    this.#meter = new RateMeter(deps.clock);
  }

  open(journal: UploadJournal): void {
    this.#journal = journal;
  }

  /** The open journal (only after `open`). */
  get journal(): UploadJournal {
    return this.#journal!;
  }

  items(): Iterable<UploadItem> {
    return this.#journal?.items.values() ?? [];
  }

  /** The items that are not settled (queued, running, failed, ...), in journal order. */
  unsettled(): UploadItem[] {
    return this.#journal?.items.unsettled() ?? [];
  }

  get(id: string): UploadItem | undefined {
    return this.#journal?.items.get(id);
  }

  /** The id of the latest item of `path` (journal-items.ts). */
  latestId(path: string): string | undefined {
    return this.#journal?.items.latestId(path);
  }

  /** Whether the latest item of `path` is verified with exactly this size and mtime. */
  latestVerifiedAs(path: string, size: number, mtimeMs: number): boolean {
    return this.#journal?.items.latestVerifiedAs(path, size, mtimeMs) ?? false;
  }

  /** Facts of every verified item, in journal order. */
  verifiedFacts(): Iterable<VerifiedFacts> {
    return this.#journal?.items.verifiedFacts() ?? [];
  }

  /** The `n` items verified last, newest first (only items in `state` when given). */
  newest(n: number, state?: UploadItem['state']): UploadItem[] {
    return this.#journal?.items.newest(n, state) ?? [];
  }

  async set(item: UploadItem, patch: ItemPatch): Promise<void> {
    const stateChanged = patch.state !== undefined && patch.state !== item.state;
    const copy = !this.#journal!.items.holds(item);
    await this.#journal!.append({ op: 'set', id: item.id, patch });
    if (copy) applyPatch(item, patch);
    if (stateChanged || patch.error !== undefined) this.emitItem(item);
  }

  // ---------------------------------------------------------------- bytes

  /** `n` more bytes of `id` left this process. */
  recordBytes(id: string, n: number): void {
    this.#bytesSent += n;
    this.#meter.record(n);
    this.#inflight.set(id, (this.#inflight.get(id) ?? 0) + n);
    this.scheduleProgress();
  }

  /** A request that sent `n` bytes of `id` ended: they are acknowledged (journaled) or lost. */
  settleBytes(id: string, n: number): void {
    this.#inflight.set(id, Math.max(0, (this.#inflight.get(id) ?? 0) - n));
  }

  /** The item's run ended: nothing of it is in flight. */
  clearBytes(id: string): void {
    this.#inflight.delete(id);
  }

  #bytesDone(item: UploadItem): number {
    if (item.state === 'verified') return item.size;
    let acked = 0;
    for (const p of Object.values(item.parts)) acked += p.end - p.start;
    return Math.min(item.size, acked + (this.#inflight.get(item.id) ?? 0));
  }

  // ---------------------------------------------------------------- snapshots and status

  snapshot(item: UploadItem): ItemSnapshot {
    return {
      id: item.id,
      path: item.path,
      key: this.#d.target.describe(itemKey(item)),
      version: item.version,
      state: item.state,
      size: item.size,
      bytesDone: this.#bytesDone(item),
      final: item.final,
      checksum: item.checksum,
      verifiedAt: item.verifiedAt,
      localDeletedAt: item.localDeletedAt,
      error: item.error && { code: item.error.code, message: item.error.message },
    };
  }

  status(): EngineStatus {
    const now = this.#d.clock.now();
    if (this.#statusCache && now - this.#statusCache.at < 200) return this.#statusCache.status;
    const { counts, active } = this.#journal?.items.counts() ?? {
      counts: Object.fromEntries(STATES.map((s) => [s, 0])) as Record<UploadItem['state'], number>,
      active: [],
    };
    let remaining = 0;
    for (const item of active) {
      if (item.state === 'queued' || item.state === 'uploading' || item.state === 'growing') remaining += Math.max(0, item.size - this.#bytesDone(item));
    }
    const throughput = this.#meter.bytesPerSecond();
    const status: EngineStatus = {
      counts,
      bytesRemaining: remaining,
      bytesSent: this.#bytesSent,
      throughput,
      etaSeconds: throughput > 0 ? remaining / throughput : remaining === 0 ? 0 : undefined,
      ...this.#d.facts(),
    };
    this.#statusCache = { at: now, status };
    return status;
  }

  // ---------------------------------------------------------------- events

  subscribe(listener: (event: UploadEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: UploadEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  emitItem(item: UploadItem): void {
    if (this.#listeners.size) this.emit({ type: 'item', item: this.snapshot(item) });
  }

  scheduleProgress(): void {
    if (this.#progressTimer !== undefined || this.#listeners.size === 0) return;
    this.#progressTimer = this.#d.timers.setTimeout(() => {
      this.#progressTimer = undefined;
      this.emitProgressNow();
    }, 250);
  }

  emitProgressNow(): void {
    if (this.#listeners.size === 0 || !this.#journal) return;
    this.#statusCache = undefined;
    const active = [...this.#d.activeIds()]
      .map((id) => this.#journal!.items.get(id))
      .filter((i): i is UploadItem => !!i)
      .map((i) => this.snapshot(i));
    this.emit({ type: 'progress', status: this.status(), active });
  }

  /** Cancels a scheduled progress event (the engine is stopping). */
  stop(): void {
    if (this.#progressTimer !== undefined) this.#d.timers.clearTimeout(this.#progressTimer);
  }
}
