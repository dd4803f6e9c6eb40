/**
 * A crash-safe, append-only journal of queue state with an in-memory index.
 *
 * Files in `dir`: `snapshot.<gen>.jsonl` (complete state at generation `gen`, written to a temp file,
 * fsynced and renamed into place, so it exists only when whole) and `journal.<gen>.jsonl` (records
 * appended since). Each record is one JSON line; `append()` applies it to the in-memory `items` map at
 * once and resolves after the line is written and fdatasync'ed (records arriving while a write is in
 * flight share the next write: group commit). The cost of an update is one line, independent of how
 * many items the queue holds.
 *
 * Recovery (`open`): load the newest snapshot, replay its journal, stop at the first incomplete or
 * unparseable line (a torn write at a crash) and truncate the file there. Both are read 4 MiB at a
 * time, so opening holds the items and one chunk, not the files' text. Records are idempotent
 * (put / set / part / del), so a record that is both in a snapshot and replayed after it is harmless.
 *
 * The in-memory index is journal-items.ts: verified items with nothing in progress are kept packed
 * (settled-items.ts) and built as objects only when asked for; the files hold whole items as before.
 *
 * Compaction: when the journal holds more than max(`compactMinRecords`, 2 × items) records, the state
 * is written as snapshot gen+1 and a fresh journal gen+1 is started; older files are deleted. The
 * amortised cost per update stays O(1).
 */
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PartRecord, UploadItem } from './item.ts';
import { JournalItems, type ItemPatch } from './journal-items.ts';
import { fsyncDir } from '../common/fsync-dir.ts';

export type JournalRecord =
  { op: 'put'; item: UploadItem } | { op: 'set'; id: string; patch: ItemPatch } | { op: 'part'; id: string; part: PartRecord } | { op: 'del'; id: string };

export type { ItemPatch } from './journal-items.ts';

/** An append waiting for its record to be durable. */
interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class JournalError extends Error {
  readonly code = 'JournalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalError';
  }
}

export interface JournalOptions {
  compactMinRecords?: number;
  /** fdatasync each write (default true; tests of pure logic may turn it off). */
  durable?: boolean;
  /** While the disk is full, how often to try again (default 5 s). */
  diskFullRetryMs?: number;
  /** The disk holding the journal filled up (`full`), or a write succeeded again after that. */
  onDiskFull?: (full: boolean, error: Error | null) => void;
}

/** A write that failed because the disk (or the user's quota) is full: it can succeed later. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function applyRecord(items: JournalItems, rec: JournalRecord): void {
  switch (rec.op) {
    case 'put':
      items.set(rec.item.id, rec.item);
      return;
    case 'set':
      items.patch(rec.id, rec.patch);
      return;
    case 'part':
      items.addPart(rec.id, rec.part);
      return;
    case 'del':
      items.delete(rec.id);
      return;
  }
}

/**
 * Parses complete lines; returns records and the byte length of the valid prefix. The file is
 * decoded once and split as a string (decoding each line apart costs about four times as much at
 * 100,000 lines); a file with invalid UTF-8 is parsed line by line so byte offsets stay exact.
 */
function parseLines(bytes: Buffer): { records: JournalRecord[]; validBytes: number; torn: boolean } {
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD')) return parseLineBytes(bytes);
  const records: JournalRecord[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) return { records, validBytes: Buffer.byteLength(text.slice(0, pos)), torn: true };
    try {
      records.push(JSON.parse(text.slice(pos, nl)) as JournalRecord);
    } catch {
      return { records, validBytes: Buffer.byteLength(text.slice(0, pos)), torn: true };
    }
    pos = nl + 1;
  }
  return { records, validBytes: bytes.length, torn: false };
}

function parseLineBytes(text: Buffer): { records: JournalRecord[]; validBytes: number; torn: boolean } {
  const records: JournalRecord[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf(10, pos);
    if (nl < 0) return { records, validBytes: pos, torn: true };
    try {
      records.push(JSON.parse(text.subarray(pos, nl).toString('utf8')) as JournalRecord);
    } catch {
      return { records, validBytes: pos, torn: true };
    }
    pos = nl + 1;
  }
  return { records, validBytes: pos, torn: false };
}

/** Bytes read at a time when replaying a file: the peak memory of a replay, whatever the queue's size. */
const REPLAY_CHUNK = 4 * 1024 * 1024;

/**
 * Applies every complete, parseable line of `path` in order, reading it a chunk at a time;
 * returns how many, the valid prefix's length and whether an incomplete or unparseable line
 * follows it (replay stops there). Undefined when the file does not exist.
 */
async function replayFile(path: string, apply: (r: JournalRecord) => void): Promise<{ records: number; validBytes: number; torn: boolean } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const chunk = Buffer.allocUnsafe(REPLAY_CHUNK);
    let carry = Buffer.alloc(0);
    let validBytes = 0;
    let records = 0;
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const end = data.lastIndexOf(10) + 1;
      const parsed = parseLines(data.subarray(0, end));
      for (const r of parsed.records) apply(r);
      records += parsed.records.length;
      if (parsed.torn) return { records, validBytes: validBytes + parsed.validBytes, torn: true };
      validBytes += end;
      carry = Buffer.from(data.subarray(end));
    }
    return { records, validBytes, torn: carry.length > 0 };
  } finally {
    await fh.close();
  }
}

export class UploadJournal {
  readonly items = new JournalItems();
  readonly dir: string;
  /** Whether the last open found and discarded a torn tail. */
  recoveredTornTail = false;
  #gen = 0;
  #fh: FileHandle | undefined;
  #records = 0;
  #pending: string[] = [];
  #waiters: Waiter[] = [];
  #writing: Promise<void> | undefined;
  #failed: Error | undefined;
  #closed = false;
  /** Set while appends wait for disk space; cleared by close() to stop waiting. */
  #diskFull: Error | undefined;
  #closing = false;
  readonly #diskFullRetryMs: number;
  readonly #onDiskFull: JournalOptions['onDiskFull'];
  readonly #compactMin: number;
  readonly #durable: boolean;
  #nextId = 1;

  private constructor(dir: string, options: JournalOptions) {
    this.dir = dir;
    this.#compactMin = options.compactMinRecords ?? 20_000;
    this.#durable = options.durable ?? true;
    this.#diskFullRetryMs = options.diskFullRetryMs ?? 5000;
    this.#onDiskFull = options.onDiskFull;
  }

  /** The disk-full error appends are waiting out, if any. */
  get diskFull(): Error | undefined {
    return this.#diskFull;
  }

  static async open(dir: string, options: JournalOptions = {}): Promise<UploadJournal> {
    const j = new UploadJournal(dir, options);
    await mkdir(dir, { recursive: true });
    await j.#load();
    return j;
  }

  /** A fresh item id, unique within this journal. */
  newId(): string {
    return String(this.#nextId++);
  }

  get recordCount(): number {
    return this.#records;
  }

  append(rec: JournalRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new JournalError('journal is closed'));
    if (this.#failed) return Promise.reject(this.#failed);
    applyRecord(this.items, rec);
    if (rec.op === 'put') this.#bumpId(rec.item.id);
    this.#pending.push(`${JSON.stringify(rec)}\n`);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (!this.#writing) this.#writing = this.#drain();
    });
  }

  /** Resolves when every record appended so far is durable. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async compact(): Promise<void> {
    await this.flush();
    this.#writing = this.#compact();
    try {
      await this.#writing;
    } finally {
      this.#writing = undefined;
    }
    if (this.#pending.length > 0 && !this.#writing) this.#writing = this.#drain();
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.flush();
    this.#closed = true;
    await this.#fh?.close();
    this.#fh = undefined;
  }

  #bumpId(id: string): void {
    const n = Number(id);
    if (Number.isInteger(n) && n >= this.#nextId) this.#nextId = n + 1;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const lines = this.#pending;
        const waiters = this.#waiters;
        this.#pending = [];
        this.#waiters = [];
        try {
          const fh = this.#fh!;
          await fh.write(lines.join(''));
          if (this.#durable) await fh.datasync();
          this.#records += lines.length;
          for (const w of waiters) w.resolve();
        } catch (err) {
          if (isDiskFull(err) && (await this.#waitForSpace(lines, waiters, err as Error))) continue;
          this.#failed = new JournalError(`cannot write the upload journal in ${this.dir}: ${(err as Error).message}`, { cause: err });
          for (const w of [...waiters, ...this.#waiters]) w.reject(this.#failed);
          this.#waiters = [];
          this.#pending = [];
          return;
        }
        if (this.#records > Math.max(this.#compactMin, 2 * this.items.size)) await this.#compact();
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /**
   * A write failed for want of space. The records are applied in memory already, but the journal
   * file may now end in a torn line, so nothing more is appended to it: every `retry` ms a fresh
   * snapshot of the whole state is tried (compaction, which also starts a new journal file), and
   * once one is written every waiting append resolves. Returns false when the journal is being
   * closed (the waiting appends then fail; what was durable before stays so).
   */
  async #waitForSpace(lines: string[], waiters: Waiter[], err: Error): Promise<boolean> {
    this.#pending = [...lines, ...this.#pending];
    this.#waiters = [...waiters, ...this.#waiters];
    let need = 0;
    for (const item of this.items.values()) need += Buffer.byteLength(JSON.stringify({ op: 'put', item })) + 1;
    const mb = Math.max(1, Math.ceil(need / 1e6));
    this.#diskFull = new JournalError(
      `the disk holding the upload journal (${this.dir}) is full: it needs about ${mb} MB free to record the queue again (${(err as NodeJS.ErrnoException).code ?? err.message})`,
      { cause: err },
    );
    this.#onDiskFull?.(true, this.#diskFull);
    for (;;) {
      if (this.#closing) return false;
      await new Promise((r) => setTimeout(r, this.#diskFullRetryMs));
      if (this.#closing) return false;
      try {
        await this.#compact();
      } catch (e) {
        if (isDiskFull(e)) continue;
        throw e;
      }
      const done = this.#waiters;
      this.#pending = [];
      this.#waiters = [];
      this.#diskFull = undefined;
      for (const w of done) w.resolve();
      this.#onDiskFull?.(false, null);
      return true;
    }
  }

  async #compact(): Promise<void> {
    const next = this.#gen + 1;
    const tmp = join(this.dir, `snapshot.${next}.jsonl.tmp`);
    this.items.vacuum();
    const fh = await open(tmp, 'w');
    try {
      let batch: string[] = [];
      for (const item of this.items.values()) {
        batch.push(`${JSON.stringify({ op: 'put', item })}\n`);
        if (batch.length >= 1000) {
          await fh.write(batch.join(''));
          batch = [];
        }
      }
      if (batch.length) await fh.write(batch.join(''));
      await fh.sync();
    } catch (e) {
      // a half-written snapshot is useless, and on a full disk its bytes are what is missing
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    } finally {
      await fh.close().catch(() => undefined);
    }
    await rename(tmp, join(this.dir, `snapshot.${next}.jsonl`));
    const journal = await open(join(this.dir, `journal.${next}.jsonl`), 'a');
    fsyncDir(this.dir);
    const old = this.#fh;
    const oldGen = this.#gen;
    this.#fh = journal;
    this.#gen = next;
    this.#records = 0;
    await old?.close();
    await rm(join(this.dir, `journal.${oldGen}.jsonl`), { force: true });
    await rm(join(this.dir, `snapshot.${oldGen}.jsonl`), { force: true });
  }

  async #load(): Promise<void> {
    const names = await readdir(this.dir);
    let gen = 0;
    for (const name of names) {
      const m = /^snapshot\.(\d+)\.jsonl$/.exec(name);
      if (m) gen = Math.max(gen, Number(m[1]));
    }
    if (gen > 0) {
      const snapshotPath = join(this.dir, `snapshot.${gen}.jsonl`);
      const snapshot = await replayFile(snapshotPath, (r) => this.#replay(r));
      if (!snapshot) throw new JournalError(`upload journal snapshot ${snapshotPath} is missing`);
      if (snapshot.torn) throw new JournalError(`upload journal snapshot ${snapshotPath} is corrupt`);
    }
    const journalPath = join(this.dir, `journal.${gen}.jsonl`);
    const { records, validBytes, torn } = (await replayFile(journalPath, (r) => this.#replay(r))) ?? { records: 0, validBytes: 0, torn: false };
    this.items.trim();
    this.#records = records;
    this.recoveredTornTail = torn;
    this.#gen = gen;
    this.#fh = await open(journalPath, 'a');
    if (torn) {
      await this.#fh.truncate(validBytes);
      await this.#fh.sync();
    }
    for (const name of names) {
      const m = /^(snapshot|journal)\.(\d+)\.jsonl(\.tmp)?$/.exec(name);
      if (m && (Number(m[2]) < gen || m[3])) await rm(join(this.dir, name), { force: true });
    }
  }

  #replay(r: JournalRecord): void {
    applyRecord(this.items, r);
    if (r.op === 'put') this.#bumpId(r.item.id);
  }
}
