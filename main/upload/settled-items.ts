/**
 * The compact store of settled upload items: verified items whose every field is one the history
 * needs (see `isSettled`), kept as columns of typed arrays instead of one object each.
 *
 * A queue left running for weeks holds mostly such items (1,000,000 files after a few weeks of
 * acquisition), and as objects they cost about 500 bytes each. Here an item is one row: numbers in
 * Float64/Uint32 columns, paths and keys split into an interned directory (with its trailing
 * separator) and a name whose UTF-8 bytes, like the checksum's, live in one shared byte heap, and
 * the part layout interned. Ids and paths are found through chained hash tables over the rows.
 *
 * Contract:
 * - `add(seq, item)` stores a settled item under its journal position `seq` (callers keep seqs
 *   unique); it returns false, storing nothing, when the item cannot be stored (`isSettled` false,
 *   or a name or checksum too long for its column).
 * - `get`/`materialize` build a fresh `UploadItem` equal (deepStrictEqual) to the one added, with
 *   the updates `setNumber` made; changing the returned object changes nothing here.
 * - Rows are never reused; `delete` leaves a dead row (still readable by `materialize`, so a walk
 *   that began before keeps its rows) and dead bytes, which `vacuumIfSparse` reclaims once they
 *   outnumber the live ones; it renumbers rows, so it runs only where no walk is under way.
 */
import type { UploadItem } from './item.ts';
import type { PartLayout } from './part-layout.ts';

/** Every field a settled item may have; any other keeps an item out of the store. */
const FIELDS = new Set([
  'id',
  'path',
  'baseKey',
  'version',
  'size',
  'mtimeMs',
  'final',
  'state',
  'addedAt',
  'layout',
  'parts',
  'checksum',
  'verifiedAt',
  'localDeletedAt',
]);

const LIVE = 1;
const FINAL = 2;
const HAS_CHECKSUM = 4;
const KEY_NAME_IS_PATH_NAME = 8;
const LATE = 16;
const MAX_NAME_BYTES = 0xffff;
const MAX_CHECKSUM_BYTES = 0xff;

const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const optionalFinite = (v: unknown) => v === undefined || finite(v);

/** Whether `item` is verified and holds only what the compact store keeps. */
export function isSettled(item: UploadItem): boolean {
  if (item.state !== 'verified') return false;
  for (const k of Object.keys(item)) if (!FIELDS.has(k)) return false;
  const { layout, parts } = item;
  return (
    typeof item.id === 'string' &&
    typeof item.path === 'string' &&
    typeof item.baseKey === 'string' &&
    Number.isInteger(item.version) &&
    item.version >= 0 &&
    item.version <= 0xffffffff &&
    finite(item.size) &&
    finite(item.mtimeMs) &&
    finite(item.addedAt) &&
    typeof item.final === 'boolean' &&
    typeof parts === 'object' &&
    parts !== null &&
    !Array.isArray(parts) &&
    Object.keys(parts).length === 0 &&
    (item.checksum === undefined || typeof item.checksum === 'string') &&
    optionalFinite(item.verifiedAt) &&
    optionalFinite(item.localDeletedAt) &&
    (layout === undefined ||
      (typeof layout === 'object' &&
        layout !== null &&
        (layout.kind === 'uniform' || layout.kind === 'banded') &&
        finite(layout.base) &&
        Object.keys(layout).length === 2))
  );
}

/** 32-bit FNV-1a over UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Hash of an id: of its number when it is canonical (`n`), else of its text. */
function hashId(id: string, n: number): number {
  if (Number.isNaN(n)) return hashString(id);
  const lo = n >>> 0;
  const hi = Math.floor(n / 0x100000000) >>> 0;
  return Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d) ^ (lo >>> 15), 0x2c1b3c6d) >>> 0;
}

/** The id as a number when it is one written canonically (`String(n) === id`), else NaN. */
function canonicalId(id: string): number {
  const n = Number(id);
  return Number.isSafeInteger(n) && n >= 0 && String(n) === id ? n : NaN;
}

/** Where a path or key splits: after its last separator. */
function splitAt(s: string): number {
  return Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1;
}

type NumberField = 'size' | 'mtimeMs' | 'addedAt' | 'verifiedAt' | 'localDeletedAt';

export class SettledItems {
  #rows = 0;
  #live = 0;
  #cap = 0;
  // columns, one entry per row
  #seq = new Float64Array(0);
  #idNum = new Float64Array(0);
  #dir = new Uint32Array(0);
  #nameOff = new Uint32Array(0);
  #nameLen = new Uint16Array(0);
  #keyDir = new Uint32Array(0);
  #keyOff = new Uint32Array(0);
  #keyLen = new Uint16Array(0);
  #sumOff = new Uint32Array(0);
  #sumLen = new Uint8Array(0);
  #layout = new Int32Array(0);
  #version = new Uint32Array(0);
  #flags = new Uint8Array(0);
  #idNext = new Int32Array(0);
  #pathHash = new Uint32Array(0);
  #pathNext = new Int32Array(0);
  readonly #numbers: Record<NumberField, Float64Array> = {
    size: new Float64Array(0),
    mtimeMs: new Float64Array(0),
    addedAt: new Float64Array(0),
    verifiedAt: new Float64Array(0),
    localDeletedAt: new Float64Array(0),
  };
  /** Ids that are not canonical numbers, by row. */
  readonly #oddIds = new Map<number, string>();
  /** Interned directories (with their trailing separator); index 0 is ''. */
  readonly #dirs: string[] = [''];
  readonly #dirIndex = new Map<string, number>([['', 0]]);
  readonly #lastDir = ['', ''];
  readonly #lastDirIndex = [0, 0];
  readonly #layouts: PartLayout[] = [];
  readonly #layoutIndex = new Map<string, number>();
  #heap = Buffer.alloc(0);
  #heapUsed = 0;
  // hash tables: head row + 1 per bucket (0 = empty), chained through #idNext / #pathNext
  #idBuckets = new Int32Array(0);
  #pathBuckets = new Int32Array(0);
  /** The greatest seq of a row added in order; rows added below it are `LATE`. */
  #maxSeq = -Infinity;
  /** The `LATE` rows (an item settled again after newer ones settled: a retried file), by ascending seq. */
  #late: number[] = [];

  get size(): number {
    return this.#live;
  }

  /** Stores a settled item at journal position `seq` (see the module contract). */
  add(seq: number, item: UploadItem): boolean {
    if (!isSettled(item)) return false;
    const cut = splitAt(item.path);
    const name = item.path.slice(cut);
    const keyCut = splitAt(item.baseKey);
    const keyName = item.baseKey.slice(keyCut);
    const sameName = keyName === name;
    const nameBytes = Buffer.byteLength(name);
    const keyBytes = sameName ? 0 : Buffer.byteLength(keyName);
    const sum = item.checksum;
    const sumBytes = sum === undefined ? 0 : Buffer.byteLength(sum);
    if (nameBytes > MAX_NAME_BYTES || keyBytes > MAX_NAME_BYTES || sumBytes > MAX_CHECKSUM_BYTES) return false;
    if (this.#rows === this.#cap) this.#grow(Math.max(1024, Math.ceil(this.#cap * 1.5)));
    const r = this.#rows++;
    this.#live++;
    if (this.#rows > this.#idBuckets.length) this.#rehash(this.#idBuckets.length * 2 || 2048);
    this.#seq[r] = seq;
    const idNum = canonicalId(item.id);
    this.#idNum[r] = idNum;
    if (Number.isNaN(idNum)) this.#oddIds.set(r, item.id);
    this.#dir[r] = this.#intern(item.path, cut, 0);
    this.#nameOff[r] = this.#store(name, nameBytes);
    this.#nameLen[r] = nameBytes;
    this.#keyDir[r] = this.#intern(item.baseKey, keyCut, 1);
    this.#keyOff[r] = sameName ? 0 : this.#store(keyName, keyBytes);
    this.#keyLen[r] = keyBytes;
    this.#sumOff[r] = sum === undefined ? 0 : this.#store(sum, sumBytes);
    this.#sumLen[r] = sumBytes;
    this.#layout[r] = item.layout ? this.#internLayout(item.layout) : -1;
    this.#version[r] = item.version;
    this.#flags[r] = LIVE | (item.final ? FINAL : 0) | (sum === undefined ? 0 : HAS_CHECKSUM) | (sameName ? KEY_NAME_IS_PATH_NAME : 0);
    if (seq > this.#maxSeq) this.#maxSeq = seq;
    else this.#insertLate(r, seq);
    this.#numbers.size[r] = item.size;
    this.#numbers.mtimeMs[r] = item.mtimeMs;
    this.#numbers.addedAt[r] = item.addedAt;
    this.#numbers.verifiedAt[r] = item.verifiedAt ?? NaN;
    this.#numbers.localDeletedAt[r] = item.localDeletedAt ?? NaN;
    this.#link(r, hashId(item.id, idNum), hashString(item.path));
    return true;
  }

  /** The row of `id`, or -1. */
  rowOf(id: string): number {
    if (this.#idBuckets.length === 0) return -1;
    const n = canonicalId(id);
    for (let r = this.#idBuckets[hashId(id, n) & (this.#idBuckets.length - 1)] - 1; r >= 0; r = this.#idNext[r]) {
      if (Number.isNaN(n) ? this.#oddIds.get(r) === id : this.#idNum[r] === n) return r;
    }
    return -1;
  }

  has(id: string): boolean {
    return this.rowOf(id) >= 0;
  }

  get(id: string): UploadItem | undefined {
    const r = this.rowOf(id);
    return r < 0 ? undefined : this.materialize(r);
  }

  /** A fresh item built from row `r` (live, or dead since a walk began). */
  materialize(r: number): UploadItem {
    const f = this.#flags[r];
    const name = this.#text(this.#nameOff[r], this.#nameLen[r]);
    const item: UploadItem = {
      id: this.idAt(r),
      path: this.#dirs[this.#dir[r]] + name,
      baseKey: this.#dirs[this.#keyDir[r]] + (f & KEY_NAME_IS_PATH_NAME ? name : this.#text(this.#keyOff[r], this.#keyLen[r])),
      version: this.#version[r],
      size: this.#numbers.size[r],
      mtimeMs: this.#numbers.mtimeMs[r],
      final: (f & FINAL) !== 0,
      state: 'verified',
      addedAt: this.#numbers.addedAt[r],
      parts: {},
    };
    if (this.#layout[r] >= 0) item.layout = { ...this.#layouts[this.#layout[r]] };
    if (f & HAS_CHECKSUM) item.checksum = this.#text(this.#sumOff[r], this.#sumLen[r]);
    const verifiedAt = this.#numbers.verifiedAt[r];
    if (!Number.isNaN(verifiedAt)) item.verifiedAt = verifiedAt;
    const deletedAt = this.#numbers.localDeletedAt[r];
    if (!Number.isNaN(deletedAt)) item.localDeletedAt = deletedAt;
    return item;
  }

  idAt(r: number): string {
    const n = this.#idNum[r];
    return Number.isNaN(n) ? this.#oddIds.get(r)! : String(n);
  }

  seqAt(r: number): number {
    return this.#seq[r];
  }

  /** A number field of row `r`; undefined where the item has none. */
  numberAt(r: number, field: NumberField): number | undefined {
    const v = this.#numbers[field][r];
    return Number.isNaN(v) ? undefined : v;
  }

  /** Sets (or, with undefined, removes) a number field of row `r` in place. */
  setNumber(r: number, field: NumberField, value: number | undefined): void {
    if ((field === 'size' || field === 'mtimeMs' || field === 'addedAt') && value === undefined) throw new Error(`${field} is required`);
    this.#numbers[field][r] = value ?? NaN;
  }

  delete(id: string): boolean {
    const r = this.rowOf(id);
    if (r < 0) return false;
    this.#unlink(r);
    this.#flags[r] &= ~LIVE;
    this.#live--;
    return true;
  }

  /** Vacuums when dead rows outnumber live ones (and there are more than a few). */
  vacuumIfSparse(): void {
    if (this.#rows - this.#live > Math.max(1024, this.#live)) this.vacuum();
  }

  /** Live rows in journal order (ascending seq): rows in row order, with the late rows merged in. */
  *orderedRows(): Generator<number> {
    const late = this.#late.filter((r) => this.#flags[r] & LIVE);
    const flags = this.#flags;
    const seq = this.#seq;
    let i = 0;
    for (let r = 0; r < this.#rows; r++) {
      if ((flags[r] & (LIVE | LATE)) !== LIVE) continue;
      for (; i < late.length && seq[late[i]] < seq[r]; i++) yield late[i];
      yield r;
    }
    for (; i < late.length; i++) yield late[i];
  }

  #insertLate(r: number, seq: number): void {
    this.#flags[r] |= LATE;
    let lo = 0;
    for (let hi = this.#late.length; lo < hi;) {
      const mid = (lo + hi) >> 1;
      if (this.#seq[this.#late[mid]] < seq) lo = mid + 1;
      else hi = mid;
    }
    this.#late.splice(lo, 0, r);
  }

  /** Rows whose path is `path` (any order). */
  rowsOfPath(path: string): number[] {
    const rows: number[] = [];
    if (this.#pathBuckets.length === 0) return rows;
    const cut = splitAt(path);
    const dir = this.#dirIndex.get(path.slice(0, cut));
    if (dir === undefined) return rows;
    const h = hashString(path);
    let name: string | undefined;
    for (let r = this.#pathBuckets[h & (this.#pathBuckets.length - 1)] - 1; r >= 0; r = this.#pathNext[r]) {
      if (this.#pathHash[r] !== h || this.#dir[r] !== dir) continue;
      name ??= path.slice(cut);
      if (this.#text(this.#nameOff[r], this.#nameLen[r]) === name) rows.push(r);
    }
    return rows;
  }

  /** Live rows, in row order (not journal order: see `orderedRows`). */
  *rows(): Generator<number> {
    for (let r = 0; r < this.#rows; r++) if (this.#flags[r] & LIVE) yield r;
  }

  /**
   * The `n` live rows with the greatest `verifiedAt` (rows without one count as oldest), greatest
   * first, equal times in journal order.
   */
  newestRows(n: number): number[] {
    const at = this.#numbers.verifiedAt;
    const seq = this.#seq;
    const t = (r: number) => (Number.isNaN(at[r]) ? -Infinity : at[r]);
    const before = (a: number, b: number) => t(a) > t(b) || (t(a) === t(b) && seq[a] < seq[b]);
    const picked: number[] = [];
    // from the last row back: rows are mostly added in order of time, so older ones are dropped at once
    for (let r = this.#rows - 1; r >= 0; r--) {
      if (!(this.#flags[r] & LIVE)) continue;
      if (picked.length >= n && !before(r, picked[picked.length - 1])) continue;
      let lo = 0;
      for (let hi = picked.length; lo < hi;) {
        const mid = (lo + hi) >> 1;
        if (before(picked[mid], r)) lo = mid + 1;
        else hi = mid;
      }
      picked.splice(lo, 0, r);
      if (picked.length > n) picked.pop();
    }
    return picked;
  }

  /** Releases spare capacity (after a bulk load). */
  trim(): void {
    this.#grow(Math.max(this.#rows, 1));
    if (this.#heap.length > this.#heapUsed) this.#heap = Buffer.from(this.#heap.subarray(0, this.#heapUsed));
  }

  /** Rebuilds the store from its live rows, dropping dead rows and dead bytes. */
  vacuum(): void {
    const rows = [...this.orderedRows()].map((r) => [this.#seq[r], this.materialize(r)] as const);
    const fresh = new SettledItems();
    for (const [seq, item] of rows) fresh.add(seq, item);
    fresh.trim();
    this.#adopt(fresh);
  }

  #adopt(o: SettledItems): void {
    this.#rows = o.#rows;
    this.#live = o.#live;
    this.#cap = o.#cap;
    this.#seq = o.#seq;
    this.#idNum = o.#idNum;
    this.#dir = o.#dir;
    this.#nameOff = o.#nameOff;
    this.#nameLen = o.#nameLen;
    this.#keyDir = o.#keyDir;
    this.#keyOff = o.#keyOff;
    this.#keyLen = o.#keyLen;
    this.#sumOff = o.#sumOff;
    this.#sumLen = o.#sumLen;
    this.#layout = o.#layout;
    this.#version = o.#version;
    this.#flags = o.#flags;
    this.#idNext = o.#idNext;
    this.#pathHash = o.#pathHash;
    this.#pathNext = o.#pathNext;
    Object.assign(this.#numbers, o.#numbers);
    this.#oddIds.clear();
    for (const [r, id] of o.#oddIds) this.#oddIds.set(r, id);
    this.#dirs.length = 0;
    this.#dirs.push(...o.#dirs);
    this.#dirIndex.clear();
    for (const [d, i] of o.#dirIndex) this.#dirIndex.set(d, i);
    this.#lastDir.fill('');
    this.#lastDirIndex.fill(0);
    this.#layouts.length = 0;
    this.#layouts.push(...o.#layouts);
    this.#layoutIndex.clear();
    for (const [l, i] of o.#layoutIndex) this.#layoutIndex.set(l, i);
    this.#heap = o.#heap;
    this.#heapUsed = o.#heapUsed;
    this.#idBuckets = o.#idBuckets;
    this.#pathBuckets = o.#pathBuckets;
    this.#maxSeq = o.#maxSeq;
    this.#late = o.#late;
  }

  #text(off: number, len: number): string {
    return this.#heap.toString('utf8', off, off + len);
  }

  /** Appends `text` (`bytes` long in UTF-8) to the byte heap; returns its offset. */
  #store(text: string, bytes: number): number {
    if (this.#heapUsed + bytes > this.#heap.length) {
      const next = Buffer.alloc(Math.max(64 * 1024, Math.ceil((this.#heapUsed + bytes) * 1.5)));
      this.#heap.copy(next, 0, 0, this.#heapUsed);
      this.#heap = next;
    }
    const off = this.#heapUsed;
    this.#heapUsed += this.#heap.write(text, off, 'utf8');
    return off;
  }

  /** The index of `s`'s first `cut` characters as an interned directory; `slot` 0 for paths, 1 for keys. */
  #intern(s: string, cut: number, slot: 0 | 1): number {
    // consecutive items mostly share a folder
    const last = this.#lastDir[slot];
    if (cut === last.length && s.startsWith(last)) return this.#lastDirIndex[slot];
    const dir = s.slice(0, cut);
    let i = this.#dirIndex.get(dir);
    if (i === undefined) {
      i = this.#dirs.push(dir) - 1;
      this.#dirIndex.set(dir, i);
    }
    this.#lastDir[slot] = dir;
    this.#lastDirIndex[slot] = i;
    return i;
  }

  #internLayout(layout: PartLayout): number {
    const k = `${layout.kind}:${layout.base}`;
    let i = this.#layoutIndex.get(k);
    if (i === undefined) {
      i = this.#layouts.push({ kind: layout.kind, base: layout.base }) - 1;
      this.#layoutIndex.set(k, i);
    }
    return i;
  }

  #link(r: number, idHash: number, pathHash: number): void {
    const ib = idHash & (this.#idBuckets.length - 1);
    this.#idNext[r] = this.#idBuckets[ib] - 1;
    this.#idBuckets[ib] = r + 1;
    this.#pathHash[r] = pathHash;
    const pb = pathHash & (this.#pathBuckets.length - 1);
    this.#pathNext[r] = this.#pathBuckets[pb] - 1;
    this.#pathBuckets[pb] = r + 1;
  }

  #unlink(r: number): void {
    const id = this.idAt(r);
    const unchain = (buckets: Int32Array, next: Int32Array, b: number) => {
      if (buckets[b] - 1 === r) {
        buckets[b] = next[r] + 1;
        return;
      }
      for (let p = buckets[b] - 1; p >= 0; p = next[p]) {
        if (next[p] === r) {
          next[p] = next[r];
          return;
        }
      }
    };
    unchain(this.#idBuckets, this.#idNext, hashId(id, this.#idNum[r]) & (this.#idBuckets.length - 1));
    unchain(this.#pathBuckets, this.#pathNext, this.#pathHash[r] & (this.#pathBuckets.length - 1));
  }

  #rehash(buckets: number): void {
    this.#idBuckets = new Int32Array(buckets);
    this.#pathBuckets = new Int32Array(buckets);
    for (let r = 0; r < this.#rows - 1; r++) if (this.#flags[r] & LIVE) this.#link(r, hashId(this.#oddIds.get(r) ?? '', this.#idNum[r]), this.#pathHash[r]);
  }

  #grow(cap: number): void {
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, Math.min(a.length, cap)));
      return b;
    };
    const u32 = (a: Uint32Array) => {
      const b = new Uint32Array(cap);
      b.set(a.subarray(0, Math.min(a.length, cap)));
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a.subarray(0, Math.min(a.length, cap)));
      return b;
    };
    const u16 = (a: Uint16Array) => {
      const b = new Uint16Array(cap);
      b.set(a.subarray(0, Math.min(a.length, cap)));
      return b;
    };
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(cap);
      b.set(a.subarray(0, Math.min(a.length, cap)));
      return b;
    };
    this.#seq = f64(this.#seq);
    this.#idNum = f64(this.#idNum);
    this.#dir = u32(this.#dir);
    this.#nameOff = u32(this.#nameOff);
    this.#nameLen = u16(this.#nameLen);
    this.#keyDir = u32(this.#keyDir);
    this.#keyOff = u32(this.#keyOff);
    this.#keyLen = u16(this.#keyLen);
    this.#sumOff = u32(this.#sumOff);
    this.#sumLen = u8(this.#sumLen);
    this.#layout = i32(this.#layout);
    this.#version = u32(this.#version);
    this.#flags = u8(this.#flags);
    this.#idNext = i32(this.#idNext);
    this.#pathHash = u32(this.#pathHash);
    this.#pathNext = i32(this.#pathNext);
    for (const k of Object.keys(this.#numbers) as NumberField[]) this.#numbers[k] = f64(this.#numbers[k]);
    this.#cap = cap;
  }
}
