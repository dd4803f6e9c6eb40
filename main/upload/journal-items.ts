/**
 * The upload journal's in-memory items: a Map-like index (get / set / delete / has / size / keys /
 * values, in journal order) over two stores — settled items (verified, with nothing in progress;
 * settled-items.ts keeps them as packed columns) and every other ("active") item as the object
 * the engine works on.
 *
 * Contract:
 * - Journal order is Map order: an item keeps its position when it is put again and moves to the
 *   end when deleted and put anew.
 * - An active item is the same object until it settles; `get` of a settled item builds a fresh
 *   copy each time (`patch` through the journal is how to change it, never the copy).
 * - An item settles as soon as a put or a patch leaves it settled (`isSettled`), and leaves the
 *   settled store (as a fresh object, then active) when a patch or a part makes it unsettled.
 * - `latestId(path)`: of the items with that path, the one with the greatest numeric id (ids the
 *   journal hands out grow); among equal or non-numeric ids, the last in journal order.
 * - A walk (keys, values, ...) lists the items there were when it began, in journal order; one
 *   changed while the walk is under way may show its earlier or its later state (compaction walks
 *   while appends continue: their records follow in the next journal and replay over it).
 * - The query methods (`latestVerifiedAs`, `verifiedFacts`, `newest`, `counts`) read the settled
 *   columns without building items.
 */
import type { PartRecord, UploadItem } from './item.ts';
import { isSettled, SettledItems } from './settled-items.ts';

/** A partial update; `null` removes a field. */
export type ItemPatch = { [K in keyof UploadItem]?: UploadItem[K] | null };

/** Applies `patch` to `item` in place (null removes a field; undefined leaves it). */
export function applyPatch(item: UploadItem, patch: ItemPatch): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete (item as unknown as Record<string, unknown>)[k];
    else (item as unknown as Record<string, unknown>)[k] = v;
  }
}

const NUMBER_FIELDS = new Set(['size', 'mtimeMs', 'addedAt', 'verifiedAt', 'localDeletedAt']);

/** A verified item's facts for the history (rates, free space). */
export interface VerifiedFacts {
  id: string;
  size: number;
  verifiedAt: number | undefined;
  localDeletedAt: number | undefined;
}

/** Numeric order of ids (non-numeric ids first), then journal order. */
function later(idA: string, seqA: number, idB: string, seqB: number): boolean {
  const a = Number(idA);
  const b = Number(idB);
  const na = Number.isNaN(a) ? -Infinity : a;
  const nb = Number.isNaN(b) ? -Infinity : b;
  return na !== nb ? na > nb : seqA > seqB;
}

export class JournalItems {
  readonly #active = new Map<string, UploadItem>();
  readonly #activeSeq = new Map<string, number>();
  /** Active item ids by path. */
  readonly #activeByPath = new Map<string, Set<string>>();
  readonly #settled = new SettledItems();
  #nextSeq = 0;

  get size(): number {
    return this.#active.size + this.#settled.size;
  }

  /** How many items are settled (all of them verified). */
  get settledCount(): number {
    return this.#settled.size;
  }

  has(id: string): boolean {
    return this.#active.has(id) || this.#settled.has(id);
  }

  get(id: string): UploadItem | undefined {
    return this.#active.get(id) ?? this.#settled.get(id);
  }

  /** Whether `item` is the active object stored here (not a copy of a settled item). */
  holds(item: UploadItem): boolean {
    return this.#active.get(item.id) === item;
  }

  /** Puts `item` under `id` (Map semantics: an existing id keeps its position). */
  set(id: string, item: UploadItem): this {
    let seq = this.#activeSeq.get(id);
    if (seq !== undefined) this.#removeActive(id);
    else {
      const r = this.#settled.rowOf(id);
      if (r >= 0) {
        seq = this.#settled.seqAt(r);
        this.#settled.delete(id);
      }
    }
    this.#place(id, seq ?? this.#nextSeq++, item);
    return this;
  }

  delete(id: string): boolean {
    if (this.#activeSeq.has(id)) {
      this.#removeActive(id);
      return true;
    }
    return this.#settled.delete(id);
  }

  /** Applies a journaled patch to item `id` (nothing when there is none). */
  patch(id: string, patch: ItemPatch): void {
    const active = this.#active.get(id);
    if (active) {
      const moves = patch.path !== undefined && patch.path !== active.path;
      if (moves) this.#unindexPath(active.path, id);
      applyPatch(active, patch);
      if (moves) this.#indexPath(active.path, id);
      if (isSettled(active)) this.#settle(id, active);
      return;
    }
    const r = this.#settled.rowOf(id);
    if (r < 0) return;
    const keys = Object.keys(patch).filter((k) => patch[k as keyof ItemPatch] !== undefined);
    const inPlace = keys.every((k) => {
      const v = patch[k as keyof ItemPatch];
      return NUMBER_FIELDS.has(k) && ((typeof v === 'number' && Number.isFinite(v)) || (v === null && (k === 'verifiedAt' || k === 'localDeletedAt')));
    });
    if (inPlace) {
      for (const k of keys) this.#settled.setNumber(r, k as 'size', (patch[k as keyof ItemPatch] as number | null) ?? undefined);
      return;
    }
    const item = this.#settled.materialize(r);
    const seq = this.#settled.seqAt(r);
    this.#settled.delete(id);
    applyPatch(item, patch);
    this.#place(id, seq, item);
  }

  /** Records an acknowledged part of item `id` (a settled item becomes active again). */
  addPart(id: string, part: PartRecord): void {
    let item = this.#active.get(id);
    if (!item) {
      const r = this.#settled.rowOf(id);
      if (r < 0) return;
      item = this.#settled.materialize(r);
      const seq = this.#settled.seqAt(r);
      this.#settled.delete(id);
      this.#putActive(id, seq, item);
    }
    item.parts[String(part.n)] = part;
  }

  keys(): IterableIterator<string> {
    return this.#ordered(
      (item) => item.id,
      (r) => this.#settled.idAt(r),
    );
  }

  values(): IterableIterator<UploadItem> {
    return this.#ordered(
      (item) => item,
      (r) => this.#settled.materialize(r),
    );
  }

  [Symbol.iterator](): IterableIterator<[string, UploadItem]> {
    return this.#ordered(
      (item): [string, UploadItem] => [item.id, item],
      (r): [string, UploadItem] => [this.#settled.idAt(r), this.#settled.materialize(r)],
    );
  }

  /** The items that are not settled (queued, running, failed, ...), in journal order. */
  unsettled(): UploadItem[] {
    return [...this.#active.values()].sort((a, b) => this.#activeSeq.get(a.id)! - this.#activeSeq.get(b.id)!);
  }

  /** Releases spare capacity (after loading). */
  trim(): void {
    this.#settled.trim();
  }

  /** Reclaims the space of items that left the settled store; only where no walk is under way. */
  vacuum(): void {
    this.#settled.vacuumIfSparse();
  }

  /** The id of the latest item of `path` (see the module contract). */
  latestId(path: string): string | undefined {
    const best = this.#latest(path);
    return best && (best.item?.id ?? this.#settled.idAt(best.row));
  }

  /** Whether the latest item of `path` is verified with exactly this size and mtime. */
  latestVerifiedAs(path: string, size: number, mtimeMs: number): boolean {
    const best = this.#latest(path);
    if (!best) return false;
    if (best.item) return best.item.state === 'verified' && best.item.size === size && best.item.mtimeMs === mtimeMs;
    return this.#settled.numberAt(best.row, 'size') === size && this.#settled.numberAt(best.row, 'mtimeMs') === mtimeMs;
  }

  #latest(path: string): { id: string; seq: number; item?: UploadItem; row: number } | undefined {
    let best: { id: string; seq: number; item?: UploadItem; row: number } | undefined;
    const ids = this.#activeByPath.get(path);
    if (ids) {
      for (const id of ids) {
        const seq = this.#activeSeq.get(id)!;
        if (!best || later(id, seq, best.id, best.seq)) best = { id, seq, item: this.#active.get(id)!, row: -1 };
      }
    }
    for (const row of this.#settled.rowsOfPath(path)) {
      const id = this.#settled.idAt(row);
      const seq = this.#settled.seqAt(row);
      if (!best || later(id, seq, best.id, best.seq)) best = { id, seq, row };
    }
    return best;
  }

  /** Facts of every verified item, in journal order. */
  *verifiedFacts(): Generator<VerifiedFacts> {
    const s = this.#settled;
    yield* this.#ordered(
      (item): VerifiedFacts | undefined =>
        item.state === 'verified' ? { id: item.id, size: item.size, verifiedAt: item.verifiedAt, localDeletedAt: item.localDeletedAt } : undefined,
      (r): VerifiedFacts => ({
        id: s.idAt(r),
        size: s.numberAt(r, 'size')!,
        verifiedAt: s.numberAt(r, 'verifiedAt'),
        localDeletedAt: s.numberAt(r, 'localDeletedAt'),
      }),
      true,
    ) as Generator<VerifiedFacts>;
  }

  /**
   * The `n` items verified last, newest first (items without a verification time count as oldest;
   * equal times keep journal order); only items in `state` when given.
   */
  newest(n: number, state?: UploadItem['state']): UploadItem[] {
    if (n <= 0) return [];
    const s = this.#settled;
    const refs: { at: number; seq: number; item?: UploadItem; row?: number }[] = [];
    for (const item of this.#active.values())
      if (!state || item.state === state) refs.push({ at: item.verifiedAt ?? -Infinity, seq: this.#activeSeq.get(item.id)!, item });
    if (!state || state === 'verified')
      for (const row of s.newestRows(n)) refs.push({ at: s.numberAt(row, 'verifiedAt') ?? -Infinity, seq: s.seqAt(row), row });
    refs.sort((a, b) => (a.at !== b.at ? (a.at > b.at ? -1 : 1) : a.seq - b.seq));
    return refs.slice(0, n).map((r) => r.item ?? s.materialize(r.row!));
  }

  /** How many items are in each state, and the bytes of the queued, growing and uploading ones. */
  counts(): { counts: Record<UploadItem['state'], number>; active: UploadItem[] } {
    const counts: Record<UploadItem['state'], number> = { queued: 0, growing: 0, uploading: 0, verified: this.#settled.size, failed: 0 };
    for (const item of this.#active.values()) counts[item.state]++;
    return { counts, active: [...this.#active.values()] };
  }

  /**
   * Walks every item in journal order, mapping active items with `a` and settled rows with `s`;
   * with `skipUndefined`, results that are undefined are left out.
   */
  *#ordered<T>(a: (item: UploadItem) => T, s: (row: number) => T, skipUndefined = false): Generator<T> {
    const active = this.unsettled();
    const seqs = active.map((item) => this.#activeSeq.get(item.id)!);
    const rows = Uint32Array.from(this.#settled.orderedRows());
    let i = 0;
    for (const r of rows) {
      const seq = this.#settled.seqAt(r);
      for (; i < active.length && seqs[i] < seq; i++) {
        const v = a(active[i]);
        if (!skipUndefined || v !== undefined) yield v;
      }
      const v = s(r);
      if (!skipUndefined || v !== undefined) yield v;
    }
    for (; i < active.length; i++) {
      const v = a(active[i]);
      if (!skipUndefined || v !== undefined) yield v;
    }
  }

  #place(id: string, seq: number, item: UploadItem): void {
    if (!this.#settled.add(seq, item)) this.#putActive(id, seq, item);
  }

  #settle(id: string, item: UploadItem): void {
    const seq = this.#activeSeq.get(id)!;
    this.#removeActive(id);
    if (!this.#settled.add(seq, item)) this.#putActive(id, seq, item);
  }

  #putActive(id: string, seq: number, item: UploadItem): void {
    this.#active.set(id, item);
    this.#activeSeq.set(id, seq);
    this.#indexPath(item.path, id);
  }

  #removeActive(id: string): void {
    const item = this.#active.get(id)!;
    this.#active.delete(id);
    this.#activeSeq.delete(id);
    this.#unindexPath(item.path, id);
  }

  #indexPath(path: string, id: string): void {
    let ids = this.#activeByPath.get(path);
    if (!ids) this.#activeByPath.set(path, (ids = new Set()));
    ids.add(id);
  }

  #unindexPath(path: string, id: string): void {
    const ids = this.#activeByPath.get(path);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.#activeByPath.delete(path);
  }
}
