/**
 * The upload engine: a persistent, crash-safe queue that copies files to an S3 bucket or a local
 * archive folder, resumable, verified, exactly once.
 *
 * Contract (see docs in `createUploadEngine`):
 * - `add(path)` queues a finished file; `offer(path, size, final)` feeds a growing file part by part
 *   and completes it when `final` is true. Both persist before they resolve.
 * - Every state change is journaled (journal.ts) before the side effect that depends on it: a
 *   single-request upload records its CRC before it is sent, a multipart upload records its id as
 *   soon as it exists and each part after the target acknowledged it, a completion records the
 *   expected checksum before it is sent. After kill -9 the next `start()` resolves every in-doubt
 *   step by comparing the stored object's checksum (HeadObject) with the journaled one, resumes
 *   multipart uploads via ListParts, and aborts multipart uploads under the prefix that no journal
 *   item references.
 * - A file is `verified` only after the target reports the checksum computed locally.
 * - A key that holds different bytes is never overwritten (conditional writes plus an existence
 *   check); the file goes to the next key version instead (item.ts: `name.v2.tif`).
 * - Zero-byte files upload as empty objects (CRC32C `AAAAAA==`).
 */
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { BufferPool } from './buffer-pool.ts';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { compositeChecksum, crc32cBase64, fileRangeChecksum } from './checksum.ts';
import { CircuitBreaker, DEFAULT_CIRCUIT, type CircuitOptions, type CircuitState } from './circuit-breaker.ts';
import { classifyError, InterruptedError, UploadError, UploadOptionsError } from './errors.ts';
import { FolderTarget, type FolderTargetOptions } from './folder-target.ts';
import { itemKey, partList, type PartRecord, type UploadItem } from './item.ts';
import { UploadJournal, type ItemPatch, type JournalOptions } from './journal.ts';
import { bandedLayout, clippedRange, completePartCount, DEFAULT_MIN_PART_SIZE, MIN_PART_SIZE, partCount, uniformLayout, type PartLayout } from './part-layout.ts';
import { RateMeter } from './rate-meter.ts';
import { S3Target, type S3TargetOptions } from './s3-target.ts';
import { Semaphore } from './semaphore.ts';
import type { TransferIo, UploadTarget } from './target.ts';
import { TokenBucket } from './token-bucket.ts';
import { sleep, systemClock, systemTimers, type Clock, type Timeouts } from '../common/time.ts';

/** The file-system calls the engine makes on source files (injectable for tests). */
export interface UploadFs {
  open(path: string, flags: 'r'): Promise<FileHandle>;
  stat(path: string): Promise<{ size: number; mtimeMs: number; isFile(): boolean }>;
  unlink(path: string): Promise<void>;
}

export interface UploadEngineOptions {
  target: S3TargetOptions | FolderTargetOptions | { kind: 'custom'; target: UploadTarget };
  /** Directory for the journal (created if missing). One engine per directory. */
  stateDir: string;
  /** Keys are paths relative to this directory (default: the file name only). */
  baseDir?: string;
  /** Overrides the key of a path (without target prefix and version suffix). */
  keyFor?: (path: string) => string;
  concurrency?: { files?: number; requests?: number };
  /** Bytes per second across all transfers; 0 = unlimited (default). */
  bandwidthLimit?: number;
  /** Smallest multipart part size (default 8 MiB; at least 5 MiB). */
  minPartSize?: number;
  /** Bytes of part buffers in flight or kept for reuse (default DEFAULT_MEMORY_BUDGET). */
  memoryBudget?: number;
  backoff?: Partial<BackoffPolicy>;
  circuit?: Partial<CircuitOptions>;
  /** A request that moves no bytes for this long is aborted and retried (default 60 s). */
  idleTimeoutMs?: number;
  /** Opt-in: delete a local file this many days after it was verified. Off (undefined) by default. */
  freeSpaceAfterDays?: number;
  journal?: JournalOptions;
  clock?: Clock;
  timers?: Timeouts;
  random?: () => number;
  fs?: UploadFs;
}

export interface ItemSnapshot {
  id: string;
  path: string;
  key: string;
  version: number;
  state: UploadItem['state'];
  size: number;
  bytesDone: number;
  final: boolean;
  checksum?: string;
  verifiedAt?: number;
  localDeletedAt?: number;
  error?: { code: string; message: string };
}

export interface EngineStatus {
  counts: Record<UploadItem['state'], number>;
  /** Bytes still to send for queued/uploading/growing items. */
  bytesRemaining: number;
  /** Bytes sent since start (including retransmissions). */
  bytesSent: number;
  /** Moving average, bytes/s. */
  throughput: number;
  /** Seconds until the queue is empty at the current throughput, undefined when unknown. */
  etaSeconds?: number;
  paused: boolean;
  bandwidthLimit: number;
  circuit: { state: CircuitState; message?: string };
  target: string;
  /** Set when the start-up sweep of orphaned multipart uploads could not run. */
  sweepError?: string;
}

export type UploadEvent =
  | { type: 'item'; item: ItemSnapshot }
  | { type: 'progress'; status: EngineStatus; active: ItemSnapshot[] }
  | { type: 'circuit'; state: CircuitState; message?: string }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'idle' };

export interface UploadEngine {
  /** Opens the journal, recovers in-doubt items, aborts orphaned uploads and starts working. */
  start(): Promise<void>;
  /** Queues a finished file. Resolves once the item is durable. */
  add(path: string, options?: { key?: string }): Promise<ItemSnapshot>;
  /**
   * Feeds a growing file: parts below `sizeNow` are uploaded now; `final` completes it. With
   * `final`, `mtimeMs` says the caller stat'ed the file just now (size `sizeNow`): the engine
   * then does not stat it again (it does before reading any byte).
   */
  offer(path: string, sizeNow: number, final: boolean, options?: { key?: string; mtimeMs?: number }): Promise<ItemSnapshot>;
  retry(id: string): Promise<void>;
  retryAll(): Promise<number>;
  pause(): void;
  resume(): void;
  setBandwidthLimit(bytesPerSecond: number): void;
  setConcurrency(concurrency: { files?: number; requests?: number }): void;
  status(): EngineStatus;
  get(id: string): ItemSnapshot | undefined;
  list(filter?: { state?: UploadItem['state'] }): ItemSnapshot[];
  subscribe(listener: (event: UploadEvent) => void): () => void;
  /** Resolves when nothing is queued or in flight (failed and growing items may remain). */
  drain(): Promise<void>;
  /** Deletes local files whose free-space delay has passed; returns how many. No-op when the option is off. */
  freeSpace(): Promise<number>;
  /** Interrupts transfers (they resume on the next start), flushes and closes the journal. */
  stop(): Promise<void>;
}

/** Part buffers in flight or pooled: 8 parts of the default 8 MiB. */
export const DEFAULT_MEMORY_BUDGET = 64 * 1024 * 1024;

const STATES: UploadItem['state'][] = ['queued', 'growing', 'uploading', 'verified', 'failed'];
const DAY_MS = 86_400_000;
/** Concurrent re-checks of acknowledged parts at completion, and each one's read buffer. */
const RECHECK_WORKERS = 3;
const RECHECK_SCRATCH = 2 * 1024 * 1024;

/** Thrown inside a transfer to put the item back in the queue (its journal state already updated). */
class Requeue extends Error {}

function validate(o: UploadEngineOptions): void {
  if (!o || typeof o !== 'object') throw new UploadOptionsError('options', 'must be an object');
  if (typeof o.stateDir !== 'string' || o.stateDir === '') throw new UploadOptionsError('stateDir', 'must be a non-empty path');
  const t = o.target as { kind?: string; bucket?: unknown; client?: unknown; root?: unknown };
  if (!t || !['s3', 'folder', 'custom'].includes(t.kind ?? '')) throw new UploadOptionsError('target.kind', 'must be "s3" or "folder"');
  if (t.kind === 's3') {
    if (typeof t.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(t.bucket)) throw new UploadOptionsError('target.bucket', `"${String(t.bucket)}" is not a valid S3 bucket name`);
    if (!t.client) throw new UploadOptionsError('target.client', 'an S3Client is required');
  }
  if (t.kind === 'folder' && (typeof t.root !== 'string' || t.root === '')) throw new UploadOptionsError('target.root', 'must be a folder path');
  const positiveInt = (field: string, v: unknown) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) throw new UploadOptionsError(field, `must be a positive integer, got ${String(v)}`);
  };
  positiveInt('concurrency.files', o.concurrency?.files);
  positiveInt('concurrency.requests', o.concurrency?.requests);
  if (o.bandwidthLimit !== undefined && (!Number.isFinite(o.bandwidthLimit) || o.bandwidthLimit < 0)) throw new UploadOptionsError('bandwidthLimit', `must be ≥ 0 bytes/s, got ${o.bandwidthLimit}`);
  if (o.minPartSize !== undefined && (!Number.isInteger(o.minPartSize) || o.minPartSize < MIN_PART_SIZE)) throw new UploadOptionsError('minPartSize', `must be an integer ≥ ${MIN_PART_SIZE} (5 MiB), got ${o.minPartSize}`);
  if (o.freeSpaceAfterDays !== undefined && (!Number.isFinite(o.freeSpaceAfterDays) || o.freeSpaceAfterDays < 0)) throw new UploadOptionsError('freeSpaceAfterDays', `must be ≥ 0 days, got ${o.freeSpaceAfterDays}`);
  if (o.idleTimeoutMs !== undefined && (!Number.isFinite(o.idleTimeoutMs) || o.idleTimeoutMs <= 0)) throw new UploadOptionsError('idleTimeoutMs', `must be > 0, got ${o.idleTimeoutMs}`);
}

/** Creates an engine; call `start()` before use. Throws UploadOptionsError naming a bad field. */
export function createUploadEngine(options: UploadEngineOptions): UploadEngine {
  validate(options);
  return new Engine(options);
}

class Engine implements UploadEngine {
  readonly #o: UploadEngineOptions;
  readonly #target: UploadTarget;
  readonly #clock: Clock;
  readonly #timers: Timeouts;
  readonly #random: () => number;
  readonly #fs: UploadFs;
  readonly #backoff: BackoffPolicy;
  readonly #bucket: TokenBucket;
  readonly #requests: Semaphore;
  readonly #memory: BufferPool;
  readonly #breaker: CircuitBreaker;
  readonly #meter: RateMeter;
  readonly #minPart: number;
  readonly #idleMs: number;
  #fileSlots: number;
  #journal!: UploadJournal;
  #started = false;
  #stopping = false;
  #paused = false;
  #pauseCtl = new AbortController();
  readonly #listeners = new Set<(e: UploadEvent) => void>();
  /** Ready queue (insertion-ordered), urgent entries (closed growing files) first. */
  readonly #urgent = new Set<string>();
  readonly #ready = new Set<string>();
  readonly #active = new Map<string, Promise<void>>();
  readonly #rerun = new Set<string>();
  /** Active items to run again as urgent once their current run ends (never in `#urgent` while active). */
  readonly #rerunUrgent = new Set<string>();
  /** Latest item id per path. */
  readonly #byPath = new Map<string, string>();
  /** Bytes acknowledged (journaled parts) and in flight, per item; not persisted. */
  readonly #inflight = new Map<string, number>();
  /** Parts read after the file was final in this process (no re-check needed), per item. */
  readonly #fresh = new Map<string, Set<number>>();
  /** Uploads reconciled with ListParts in this process. */
  readonly #listed = new Set<string>();
  #bytesSent = 0;
  #drainWaiters: (() => void)[] = [];
  #progressTimer: unknown = undefined;
  #statusCache: { at: number; status: EngineStatus } | undefined;
  /** Why the start-up sweep of unfinished uploads could not run (it runs again next start). */
  #sweepError: UploadError | undefined;

  constructor(o: UploadEngineOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#timers = o.timers ?? systemTimers;
    this.#random = o.random ?? Math.random;
    this.#fs = o.fs ?? { open: (p, f) => nodeFs.open(p, f), stat: (p) => nodeFs.stat(p), unlink: (p) => nodeFs.unlink(p) };
    this.#backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
    this.#target = o.target.kind === 's3' ? new S3Target(o.target) : o.target.kind === 'folder' ? new FolderTarget(o.target) : o.target.target;
    this.#bucket = new TokenBucket({ bytesPerSecond: o.bandwidthLimit ?? 0, clock: this.#clock, timers: this.#timers });
    this.#fileSlots = o.concurrency?.files ?? 4;
    this.#requests = new Semaphore(o.concurrency?.requests ?? 8);
    this.#memory = new BufferPool(o.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
    this.#minPart = o.minPartSize ?? DEFAULT_MIN_PART_SIZE;
    this.#idleMs = o.idleTimeoutMs ?? 60_000;
    this.#meter = new RateMeter(this.#clock);
    this.#breaker = new CircuitBreaker({
      ...DEFAULT_CIRCUIT,
      ...o.circuit,
      timers: this.#timers,
      probe: () => this.#target.probe(AbortSignal.timeout(this.#idleMs)),
      onChange: (state, reason) => {
        this.#emit({ type: 'circuit', state, message: reason?.message });
        if (state === 'closed') this.#pump();
      },
    });
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.#started) return;
    this.#journal = await UploadJournal.open(this.#o.stateDir, this.#o.journal);
    this.#started = true;
    const referenced = new Set<string>();
    for (const item of this.#journal.items.values()) {
      const latest = this.#byPath.get(item.path);
      if (!latest || Number(latest) < Number(item.id)) this.#byPath.set(item.path, item.id);
      if (item.uploadId) referenced.add(item.uploadId);
      if (item.state === 'uploading') await this.#set(item, { state: item.final ? 'queued' : 'growing' });
      if (item.state === 'queued' || item.state === 'growing') this.#ready.add(item.id);
    }
    await this.#abortOrphans(referenced);
    if (this.#o.freeSpaceAfterDays !== undefined) void this.freeSpace().catch(() => {});
    this.#pump();
  }

  async stop(): Promise<void> {
    if (!this.#started || this.#stopping) return;
    this.#stopping = true;
    this.#pauseCtl.abort();
    this.#breaker.stop();
    await Promise.allSettled([...this.#active.values()]);
    if (this.#progressTimer !== undefined) this.#timers.clearTimeout(this.#progressTimer);
    await this.#journal.close();
  }

  async #abortOrphans(referenced: Set<string>): Promise<void> {
    // A few direct attempts, outside the circuit breaker: an unreachable target must not block
    // start(). Orphans only come from crashes, so a sweep skipped now happens at the next start.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const uploads = await this.#target.listUploads(AbortSignal.timeout(this.#idleMs));
        for (const u of uploads) {
          if (!referenced.has(u.uploadId)) await this.#target.abort(u.key, u.uploadId, AbortSignal.timeout(this.#idleMs));
        }
        return;
      } catch (err) {
        const e = classifyError(err, { op: 'ListMultipartUploads', where: this.#target.describe(''), bucket: this.#target.bucket });
        if (e.kind === 'permanent' || attempt === 2) {
          this.#sweepError = e;
          return;
        }
        await sleep(this.#timers, backoffDelay(attempt, this.#backoff, this.#random));
      }
    }
  }

  // ---------------------------------------------------------------- public API

  async add(path: string, options: { key?: string } = {}): Promise<ItemSnapshot> {
    this.#assertStarted();
    const abs = resolve(path);
    const st = await this.#statSource(abs);
    return this.#upsert(abs, st.size, st.mtimeMs, true, options.key);
  }

  async offer(path: string, sizeNow: number, final: boolean, options: { key?: string; mtimeMs?: number } = {}): Promise<ItemSnapshot> {
    this.#assertStarted();
    if (!Number.isSafeInteger(sizeNow) || sizeNow < 0) throw new UploadOptionsError('sizeNow', `must be a non-negative integer, got ${sizeNow}`);
    const abs = resolve(path);
    if (final) {
      const st = options.mtimeMs !== undefined ? { size: sizeNow, mtimeMs: options.mtimeMs } : await this.#statSource(abs);
      return this.#upsert(abs, st.size, st.mtimeMs, true, options.key, true);
    }
    return this.#upsert(abs, sizeNow, 0, false, options.key);
  }

  async retry(id: string): Promise<void> {
    this.#assertStarted();
    const item = this.#journal.items.get(id);
    if (!item) throw new UploadOptionsError('id', `no upload with id ${id}`);
    if (item.state !== 'failed') return;
    await this.#set(item, { state: item.final ? 'queued' : 'growing', error: null });
    this.#enqueue(item.id);
  }

  async retryAll(): Promise<number> {
    const failed = [...this.#journal.items.values()].filter((i) => i.state === 'failed');
    for (const item of failed) await this.retry(item.id);
    return failed.length;
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#pauseCtl.abort();
    this.#emit({ type: 'paused' });
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#pauseCtl = new AbortController();
    this.#emit({ type: 'resumed' });
    this.#pump();
  }

  setBandwidthLimit(bytesPerSecond: number): void {
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) throw new UploadOptionsError('bandwidthLimit', `must be ≥ 0 bytes/s, got ${bytesPerSecond}`);
    this.#bucket.setRate(bytesPerSecond);
  }

  setConcurrency(c: { files?: number; requests?: number }): void {
    if (c.files !== undefined) {
      if (!Number.isInteger(c.files) || c.files < 1) throw new UploadOptionsError('concurrency.files', `must be a positive integer, got ${c.files}`);
      this.#fileSlots = c.files;
    }
    if (c.requests !== undefined) {
      if (!Number.isInteger(c.requests) || c.requests < 1) throw new UploadOptionsError('concurrency.requests', `must be a positive integer, got ${c.requests}`);
      this.#requests.setCapacity(c.requests);
    }
    this.#pump();
  }

  status(): EngineStatus {
    const now = this.#clock.now();
    if (this.#statusCache && now - this.#statusCache.at < 200) return this.#statusCache.status;
    const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<UploadItem['state'], number>;
    let remaining = 0;
    for (const item of this.#journal?.items.values() ?? []) {
      counts[item.state]++;
      if (item.state === 'queued' || item.state === 'uploading' || item.state === 'growing') remaining += Math.max(0, item.size - this.#bytesDone(item));
    }
    const throughput = this.#meter.bytesPerSecond();
    const status: EngineStatus = {
      counts,
      bytesRemaining: remaining,
      bytesSent: this.#bytesSent,
      throughput,
      etaSeconds: throughput > 0 ? remaining / throughput : remaining === 0 ? 0 : undefined,
      paused: this.#paused,
      bandwidthLimit: this.#bucket.bytesPerSecond,
      circuit: { state: this.#breaker.state, message: this.#breaker.reason?.message },
      target: this.#target.describe(''),
      sweepError: this.#sweepError?.message,
    };
    this.#statusCache = { at: now, status };
    return status;
  }

  get(id: string): ItemSnapshot | undefined {
    const item = this.#journal?.items.get(id);
    return item && this.#snapshot(item);
  }

  list(filter: { state?: UploadItem['state'] } = {}): ItemSnapshot[] {
    const out: ItemSnapshot[] = [];
    for (const item of this.#journal?.items.values() ?? []) {
      if (!filter.state || item.state === filter.state) out.push(this.#snapshot(item));
    }
    return out;
  }

  subscribe(listener: (event: UploadEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  drain(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((r) => this.#drainWaiters.push(r));
  }

  async freeSpace(): Promise<number> {
    const days = this.#o.freeSpaceAfterDays;
    if (days === undefined) return 0;
    const now = this.#clock.now();
    let deleted = 0;
    for (const item of [...this.#journal.items.values()]) {
      if (item.state !== 'verified' || item.localDeletedAt || item.verifiedAt === undefined) continue;
      if (now - item.verifiedAt < days * DAY_MS) continue;
      if (this.#byPath.get(item.path) !== item.id) continue;
      try {
        const st = await this.#fs.stat(item.path);
        // only the exact bytes that were verified may be deleted
        if (st.size !== item.size || st.mtimeMs !== item.mtimeMs) continue;
        await this.#fs.unlink(item.path);
        await this.#set(item, { localDeletedAt: now });
        deleted++;
      } catch {
        // already gone or not deletable: keep the record as it is
      }
    }
    return deleted;
  }

  // ---------------------------------------------------------------- queue

  #assertStarted(): void {
    if (!this.#started) throw new UploadOptionsError('engine', 'call start() first');
    if (this.#stopping) throw new UploadOptionsError('engine', 'the engine is stopped');
  }

  async #statSource(path: string): Promise<{ size: number; mtimeMs: number }> {
    try {
      const st = await this.#fs.stat(path);
      if (!st.isFile()) throw new UploadError('NotAFile', 'permanent', `not a regular file: ${path}`);
      return st;
    } catch (err) {
      throw classifyError(err, { op: 'stat', where: path });
    }
  }

  #keyFor(path: string): string {
    if (this.#o.keyFor) return this.#o.keyFor(path);
    if (this.#o.baseDir) {
      const rel = relative(resolve(this.#o.baseDir), path);
      if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
    }
    return basename(path);
  }

  async #upsert(path: string, size: number, mtimeMs: number, final: boolean, key?: string, urgent = false): Promise<ItemSnapshot> {
    const latestId = this.#byPath.get(path);
    const latest = latestId ? this.#journal.items.get(latestId) : undefined;
    if (latest && latest.state !== 'verified') {
      // A late "still growing" report never reopens a file already offered as final.
      if (latest.final && !final) return this.#snapshot(latest);
      if (latest.size !== size || latest.mtimeMs !== mtimeMs || latest.final !== final) {
        const patch: ItemPatch = { size, mtimeMs, final };
        if (latest.state === 'growing' && final) patch.state = 'queued';
        if (latest.state === 'queued' && !final) patch.state = 'growing';
        await this.#set(latest, patch);
      }
      if (latest.state !== 'failed') this.#enqueue(latest.id, urgent);
      return this.#snapshot(latest);
    }
    // A verified file seen growing again at the same size has given no sign of change yet (a
    // watcher restart re-reports every file): wait for it to close; the final offer compares bytes.
    if (latest && !final && latest.size === size) return this.#snapshot(latest);
    if (latest && latest.size === size && final) {
      if (latest.mtimeMs === mtimeMs) return this.#snapshot(latest);
      // touched but not changed (same bytes): no new version
      if (await this.#sameContent(latest)) {
        await this.#set(latest, { mtimeMs });
        return this.#snapshot(latest);
      }
    }
    const baseKey = key ?? latest?.baseKey ?? this.#keyFor(path);
    const item: UploadItem = {
      id: this.#journal.newId(),
      path,
      baseKey,
      version: latest ? latest.version + 1 : 1,
      size,
      mtimeMs,
      final,
      state: final ? 'queued' : 'growing',
      addedAt: this.#clock.now(),
      parts: {},
    };
    await this.#journal.append({ op: 'put', item });
    this.#byPath.set(path, item.id);
    this.#emitItem(item);
    this.#enqueue(item.id, urgent);
    return this.#snapshot(item);
  }

  /** Whether the file still has the bytes of its verified upload (checksum recomputed with its layout). */
  async #sameContent(item: UploadItem): Promise<boolean> {
    if (!item.checksum) return false;
    let fh: FileHandle | undefined;
    try {
      fh = await this.#fs.open(item.path, 'r');
      const scratch = Buffer.allocUnsafe(4 * 1024 * 1024);
      if (item.checksum.includes('-') && item.layout) {
        const crcs: string[] = [];
        for (let n = 1; n <= partCount(item.layout, item.size); n++) {
          const r = clippedRange(item.layout, n, item.size);
          crcs.push((await fileRangeChecksum(fh, r.start, r.end, scratch)).crc);
        }
        return compositeChecksum(crcs) === item.checksum.split('-')[0] + '-' + crcs.length || compositeChecksum(crcs) === item.checksum;
      }
      return (await fileRangeChecksum(fh, 0, item.size, scratch)).crc === item.checksum;
    } catch {
      return false;
    } finally {
      await fh?.close();
    }
  }

  #enqueue(id: string, urgent = false): void {
    if (this.#active.has(id)) {
      // kept out of the ready sets: the pump would start a second, concurrent run of the item
      this.#rerun.add(id);
      if (urgent) this.#rerunUrgent.add(id);
      return;
    }
    if (urgent) {
      this.#ready.delete(id);
      this.#urgent.add(id);
    } else if (!this.#urgent.has(id)) {
      this.#ready.add(id);
    }
    this.#pump();
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

  #pump(): void {
    if (!this.#started || this.#stopping || this.#paused) return this.#checkIdle();
    while (this.#active.size < this.#fileSlots) {
      const id = this.#next();
      if (id === undefined) break;
      const item = this.#journal.items.get(id);
      if (this.#active.has(id)) {
        this.#rerun.add(id);
        continue;
      }
      if (!item || (item.state !== 'queued' && item.state !== 'growing')) continue;
      const run = this.#run(item).finally(() => {
        this.#active.delete(id);
        const urgent = this.#rerunUrgent.delete(id);
        if (this.#rerun.delete(id)) this.#enqueue(id, urgent);
        this.#pump();
      });
      this.#active.set(id, run);
    }
    this.#checkIdle();
  }

  #isIdle(): boolean {
    return this.#started && this.#active.size === 0 && (this.#paused || this.#stopping || (this.#urgent.size === 0 && this.#ready.size === 0));
  }

  #checkIdle(): void {
    if (!this.#isIdle()) return;
    // nothing in flight: pooled part buffers go back to the system
    this.#memory.trim();
    if (this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    this.#emitProgressNow();
    this.#emit({ type: 'idle' });
    for (const w of waiters) w();
  }

  // ---------------------------------------------------------------- events

  #emit(event: UploadEvent): void {
    for (const l of this.#listeners) {
      try { l(event); } catch { /* a listener's failure is its own */ }
    }
  }

  #emitItem(item: UploadItem): void {
    if (this.#listeners.size) this.#emit({ type: 'item', item: this.#snapshot(item) });
  }

  #scheduleProgress(): void {
    if (this.#progressTimer !== undefined || this.#listeners.size === 0) return;
    this.#progressTimer = this.#timers.setTimeout(() => {
      this.#progressTimer = undefined;
      this.#emitProgressNow();
    }, 250);
  }

  #emitProgressNow(): void {
    if (this.#listeners.size === 0 || !this.#journal) return;
    this.#statusCache = undefined;
    const active = [...this.#active.keys()].map((id) => this.#journal.items.get(id)).filter((i): i is UploadItem => !!i).map((i) => this.#snapshot(i));
    this.#emit({ type: 'progress', status: this.status(), active });
  }

  #bytesDone(item: UploadItem): number {
    if (item.state === 'verified') return item.size;
    let acked = 0;
    for (const p of Object.values(item.parts)) acked += p.end - p.start;
    return Math.min(item.size, acked + (this.#inflight.get(item.id) ?? 0));
  }

  #snapshot(item: UploadItem): ItemSnapshot {
    return {
      id: item.id,
      path: item.path,
      key: this.#target.describe(itemKey(item)),
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

  async #set(item: UploadItem, patch: ItemPatch): Promise<void> {
    const stateChanged = patch.state !== undefined && patch.state !== item.state;
    await this.#journal.append({ op: 'set', id: item.id, patch });
    if (stateChanged || patch.error !== undefined) this.#emitItem(item);
  }

  // ---------------------------------------------------------------- one item

  async #run(item: UploadItem): Promise<void> {
    const signal = this.#pauseCtl.signal;
    const wasGrowing = !item.final;
    try {
      if (item.final) await this.#set(item, { state: 'uploading' });
      await this.#transfer(item, signal);
    } catch (err) {
      this.#inflight.delete(item.id);
      if (err instanceof Requeue) {
        if (item.state === 'uploading') await this.#set(item, { state: 'queued' }).catch(() => {});
        this.#rerun.add(item.id);
        return;
      }
      if (err instanceof InterruptedError || signal.aborted) {
        if (item.state === 'uploading') await this.#set(item, { state: item.final ? 'queued' : 'growing' }).catch(() => {});
        if (!this.#stopping) this.#rerun.add(item.id);
        return;
      }
      const e = err instanceof UploadError ? err : classifyError(err, { op: 'upload', where: item.path, bucket: this.#target.bucket });
      if (e.code === 'FileDeleted' || e.code === 'FileTruncated' || e.code === 'FileChanged') await this.#discardUpload(item, signal);
      await this.#set(item, { state: 'failed', error: { code: e.code, message: e.message, at: this.#clock.now() } }).catch(() => {});
      return;
    }
    this.#inflight.delete(item.id);
    if (wasGrowing && item.state === 'growing') return;
    if (item.state === 'uploading') await this.#set(item, { state: item.final ? 'queued' : 'growing' });
  }

  /** Runs one target call with the retry policy, the circuit breaker and an idle watchdog. */
  async #op<T>(name: string, key: string, fn: (signal: AbortSignal, touch: () => void) => Promise<T>, outer: AbortSignal): Promise<T> {
    const where = key ? this.#target.describe(key) : this.#target.describe('');
    for (let attempt = 0; ; ) {
      await this.#breaker.waitUntilClosed(outer);
      const ctl = new AbortController();
      let timer: unknown;
      const touch = () => {
        if (timer !== undefined) this.#timers.clearTimeout(timer);
        timer = this.#timers.setTimeout(() => ctl.abort(), this.#idleMs);
      };
      touch();
      const onOuter = () => ctl.abort();
      outer.addEventListener('abort', onOuter, { once: true });
      try {
        const result = await fn(ctl.signal, touch);
        this.#breaker.recordSuccess();
        return result;
      } catch (err) {
        if (outer.aborted) throw new InterruptedError();
        const e = ctl.signal.aborted
          ? new UploadError('Timeout', 'network', `${name} made no progress for ${this.#idleMs} ms (${where})`, { cause: err })
          : classifyError(err, { op: name, where, bucket: this.#target.bucket });
        if (e.kind === 'permanent') throw e;
        if (e.kind === 'network' || e.kind === 'credentials') this.#breaker.recordFailure(e);
        if (this.#breaker.state === 'open') continue;
        attempt++;
        if (attempt >= this.#backoff.maxAttempts) throw new UploadError(e.code, e.kind, `gave up after ${attempt} attempts: ${e.message}`, { cause: err });
        await sleep(this.#timers, backoffDelay(attempt - 1, this.#backoff, this.#random), outer, () => new InterruptedError());
      } finally {
        if (timer !== undefined) this.#timers.clearTimeout(timer);
        outer.removeEventListener('abort', onOuter);
      }
    }
  }

  #io(item: UploadItem, signal: AbortSignal, touch: () => void, counter: { sent: number }): TransferIo {
    return {
      signal,
      throttle: (n) => this.#bucket.take(n, signal),
      onBytes: (n) => {
        touch();
        counter.sent += n;
        this.#bytesSent += n;
        this.#meter.record(n);
        this.#inflight.set(item.id, (this.#inflight.get(item.id) ?? 0) + n);
        this.#scheduleProgress();
      },
    };
  }

  /** Sends `body` as one request (part or single), with retries; in-flight bytes are undone on failure. */
  async #send<T>(item: UploadItem, name: string, key: string, signal: AbortSignal, fn: (io: TransferIo) => Promise<T>): Promise<T> {
    const release = await this.#requests.acquire(1, signal);
    try {
      return await this.#op(name, key, async (s, touch) => {
        const counter = { sent: 0 };
        try {
          return await fn(this.#io(item, s, touch, counter));
        } finally {
          this.#inflight.set(item.id, Math.max(0, (this.#inflight.get(item.id) ?? 0) - counter.sent));
        }
      }, signal);
    } finally {
      release();
    }
  }

  async #simple<T>(name: string, key: string, signal: AbortSignal, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
    const release = await this.#requests.acquire(1, signal);
    try {
      return await this.#op(name, key, (s) => fn(s), signal);
    } finally {
      release();
    }
  }

  async #markVerified(item: UploadItem, checksum: string): Promise<void> {
    await this.#set(item, { state: 'verified', checksum, verifiedAt: this.#clock.now(), uploadId: null, parts: {}, single: null, expected: null, error: null });
    this.#fresh.delete(item.id);
    this.#listed.delete(item.id);
    if (this.#o.freeSpaceAfterDays === 0) void this.freeSpace().catch(() => {});
  }

  /** The key holds bytes that are not this file's: move to the next version. */
  async #bumpVersion(item: UploadItem, signal: AbortSignal): Promise<never> {
    await this.#discardUpload(item, signal);
    await this.#set(item, { version: item.version + 1, single: null, expected: null });
    throw new Requeue();
  }

  /** Aborts the item's unfinished upload (if any) and forgets its parts. */
  async #discardUpload(item: UploadItem, signal: AbortSignal): Promise<void> {
    if (item.uploadId) {
      const key = itemKey(item);
      const id = item.uploadId;
      await this.#simple('AbortMultipartUpload', key, signal, (s) => this.#target.abort(key, id, s)).catch(() => {});
    }
    await this.#set(item, { uploadId: null, parts: {}, layout: null, expected: null, single: null });
    this.#fresh.delete(item.id);
    this.#listed.delete(item.id);
  }

  async #transfer(item: UploadItem, signal: AbortSignal): Promise<void> {
    // 1. Steps that may have happened before a crash or a lost response.
    if (item.expected || item.single) {
      const key = itemKey(item);
      const checksum = (item.expected ?? item.single!.crc);
      const v = await this.#simple('HeadObject', key, signal, (s) => this.#target.verify(key, { checksum, size: item.size, layout: item.layout }, s));
      if (v.state === 'match') {
        if (item.uploadId) {
          const id = item.uploadId;
          await this.#simple('AbortMultipartUpload', key, signal, (s) => this.#target.abort(key, id, s)).catch(() => {});
        }
        return this.#markVerified(item, v.checksum);
      }
      if (v.state === 'mismatch') return this.#bumpVersion(item, signal);
      await this.#set(item, { expected: null, single: null });
    }

    // 2. Is the file still what the item describes?
    let st: { size: number; mtimeMs: number };
    try {
      st = await this.#fs.stat(item.path);
    } catch (err) {
      throw classifyError(err, { op: 'stat', where: item.path });
    }
    const started = Object.keys(item.parts).length > 0 || item.uploadId !== undefined;
    if (st.size < item.size && started) throw new UploadError('FileTruncated', 'permanent', `file truncated during upload: ${item.path} was ${item.size} bytes, now ${st.size}`);
    if (item.final && (st.size !== item.size || st.mtimeMs !== item.mtimeMs)) {
      if (started) await this.#discardUpload(item, signal);
      await this.#set(item, { size: st.size, mtimeMs: st.mtimeMs });
    }

    // 3. One request, or parts.
    let fh: FileHandle;
    try {
      fh = await this.#fs.open(item.path, 'r');
    } catch (err) {
      throw classifyError(err, { op: 'open', where: item.path });
    }
    try {
      const single = this.#target.supportsSingle && item.final && !item.uploadId && item.size <= uniformLayout(item.size, this.#minPart).base;
      if (single) await this.#single(item, fh, signal);
      else await this.#multipart(item, fh, signal);
    } finally {
      await fh.close();
    }
  }

  /** Fills `buf` with the file's bytes from `start`. */
  async #readRange(item: UploadItem, fh: FileHandle, start: number, buf: Buffer): Promise<Buffer> {
    let pos = 0;
    while (pos < buf.length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, pos, buf.length - pos, start + pos));
      } catch (err) {
        throw classifyError(err, { op: 'read', where: item.path });
      }
      if (bytesRead === 0) throw new UploadError('FileTruncated', 'permanent', `file truncated during upload: ${item.path} ended at byte ${start + pos}, expected ${item.size} bytes`);
      pos += bytesRead;
    }
    return buf;
  }

  async #single(item: UploadItem, fh: FileHandle, signal: AbortSignal): Promise<void> {
    const key = itemKey(item);
    const mem = await this.#memory.acquire(item.size, signal);
    let reuse = false;
    try {
      const { size, mtimeMs } = item;
      const body = await this.#readRange(item, fh, 0, mem.buf);
      await this.#assertUnchanged(item, size, mtimeMs, signal);
      const crc = crc32cBase64(body);
      await this.#set(item, { single: { crc } });
      const outcome = await this.#send(item, 'PutObject', key, signal, (io) => this.#target.putSingle(key, body, crc, io));
      reuse = true;
      const v = await this.#simple('HeadObject', key, signal, (s) => this.#target.verify(key, { checksum: crc, size: item.size }, s));
      if (v.state === 'match') return this.#markVerified(item, v.checksum);
      if (outcome === 'exists' || v.state === 'mismatch') return this.#bumpVersion(item, signal);
      throw new UploadError('VerifyFailed', 'retryable', `object missing right after upload: ${this.#target.describe(key)}`);
    } finally {
      mem.release(reuse);
    }
  }

  /** Throws (and resets the upload) when the file changed since the item's size/mtime were recorded. */
  async #assertUnchanged(item: UploadItem, size: number, mtimeMs: number, signal: AbortSignal): Promise<void> {
    let st: { size: number; mtimeMs: number };
    try {
      st = await this.#fs.stat(item.path);
    } catch (err) {
      const e = classifyError(err, { op: 'stat', where: item.path });
      if (e.code === 'FileDeleted') throw new UploadError('FileDeleted', 'permanent', `file deleted during upload: ${item.path}`);
      throw e;
    }
    if (st.size < size) throw new UploadError('FileTruncated', 'permanent', `file truncated during upload: ${item.path} was ${size} bytes, now ${st.size}`);
    if (st.size !== size || st.mtimeMs !== mtimeMs) {
      // modified while being read: the bytes sent may be stale, start over with the new content
      await this.#discardUpload(item, signal);
      await this.#set(item, { size: st.size, mtimeMs: st.mtimeMs });
      throw new Requeue();
    }
  }

  async #multipart(item: UploadItem, fh: FileHandle, signal: AbortSignal): Promise<void> {
    // offer() may change size/final while this runs; work from the values at the start
    const { size, mtimeMs, final } = item;
    const layout: PartLayout = item.layout ?? (final ? uniformLayout(size, this.#minPart) : bandedLayout(this.#minPart));
    const available = final ? partCount(layout, size) : completePartCount(layout, size);
    if (!final && available === 0) return;
    let key = itemKey(item);
    if (!item.uploadId) {
      const taken = await this.#simple('HeadObject', key, signal, (s) => this.#target.exists(key, s));
      if (taken) return this.#bumpVersion(item, signal);
      let attempts = 0;
      const uploadId = await this.#simple('CreateMultipartUpload', key, signal, (s) => {
        attempts++;
        return this.#target.createUpload(key, s);
      });
      await this.#set(item, { uploadId, layout, parts: {} });
      // An earlier attempt may have created an upload whose response was lost: abort it now.
      if (attempts > 1) await this.#abortStrayUploads(key, signal);
      this.#listed.add(item.id);
      this.#fresh.set(item.id, new Set());
    } else if (!this.#listed.has(item.id)) {
      await this.#reconcile(item, layout, signal);
      if (!item.uploadId) throw new Requeue();
    }
    key = itemKey(item);
    const uploadId = item.uploadId!;
    const fresh = this.#fresh.get(item.id) ?? new Set<number>();
    this.#fresh.set(item.id, fresh);

    const sendPart = async (n: number): Promise<void> => {
      const { start, end } = clippedRange(layout, n, size);
      const mem = await this.#memory.acquire(end - start, signal);
      // a failed request may leave the buffer referenced by a socket being torn down: not reused
      let reuse = false;
      try {
        const body = await this.#readRange(item, fh, start, mem.buf);
        const crc = crc32cBase64(body);
        const { etag } = await this.#send(item, 'UploadPart', key, signal, (io) => this.#target.uploadPart(key, uploadId, { n, start }, body, crc, io));
        reuse = true;
        await this.#journal.append({ op: 'part', id: item.id, part: { n, start, end, crc, etag } });
        if (final) fresh.add(n);
      } finally {
        mem.release(reuse);
      }
    };
    /** Re-reads an acknowledged part (streaming CRC into `scratch`); true when its bytes changed. */
    const changed = async (p: PartRecord, scratch: Buffer): Promise<boolean> => {
      const { crc, short } = await fileRangeChecksum(fh, p.start, p.end, scratch);
      if (short) throw new UploadError('FileTruncated', 'permanent', `file truncated during upload: ${item.path} is shorter than ${p.end} bytes`);
      if (crc === p.crc) fresh.add(p.n);
      return crc !== p.crc;
    };

    const jobs: Promise<void>[] = [];
    const toCheck: PartRecord[] = [];
    for (let n = 1; n <= available; n++) {
      const p = item.parts[String(n)];
      const r = clippedRange(layout, n, size);
      if (!p || p.start !== r.start || p.end !== r.end) jobs.push(sendPart(n));
      else if (final && !fresh.has(n)) toCheck.push(p);
    }
    // Re-checks run beside the tail sends with a few workers, each holding one scratch buffer from
    // the memory budget, so memory stays bounded however many parts the file has and a changed
    // part's re-send starts while the remaining parts are still being checked.
    if (toCheck.length) {
      const scratchSize = Math.min(RECHECK_SCRATCH, Math.max(...toCheck.map((p) => p.end - p.start)));
      let next = 0;
      const worker = async (): Promise<void> => {
        const mem = await this.#memory.acquire(scratchSize, signal);
        const resends: Promise<void>[] = [];
        try {
          const scratch = mem.buf;
          while (next < toCheck.length) {
            const p = toCheck[next++];
            if (await changed(p, scratch)) resends.push(sendPart(p.n));
          }
        } finally {
          mem.release();
          await settleAll(resends);
        }
      };
      for (let i = 0; i < Math.min(RECHECK_WORKERS, toCheck.length); i++) jobs.push(worker());
    }
    await settleAll(jobs);
    if (!final) return;
    if (item.size !== size || item.final !== final) throw new Requeue();

    await this.#assertUnchanged(item, size, mtimeMs, signal);
    const parts = partList(item).filter((p) => p.n <= available);
    if (parts.length !== available) throw new Requeue();
    const expected = compositeChecksum(parts.map((p) => p.crc));
    await this.#set(item, { expected });
    const outcome = await this.#simple('CompleteMultipartUpload', key, signal, (s) => this.#target.complete(key, uploadId, parts, s));
    const v = await this.#simple('HeadObject', key, signal, (s) => this.#target.verify(key, { checksum: expected, size, layout }, s));
    if (v.state === 'match') return this.#markVerified(item, v.checksum);
    if (v.state === 'mismatch' || outcome === 'exists') return this.#bumpVersion(item, signal);
    // The upload vanished without producing the object: start over.
    await this.#discardUpload(item, signal);
    throw new Requeue();
  }

  /** Aborts unfinished uploads of `key` that no journal item references. */
  async #abortStrayUploads(key: string, signal: AbortSignal): Promise<void> {
    const uploads = await this.#simple('ListMultipartUploads', key, signal, (s) => this.#target.listUploads(s, key));
    const referenced = new Set<string>();
    for (const i of this.#journal.items.values()) if (i.uploadId) referenced.add(i.uploadId);
    for (const u of uploads) {
      if (u.key === key && !referenced.has(u.uploadId)) await this.#simple('AbortMultipartUpload', key, signal, (s) => this.#target.abort(key, u.uploadId, s));
    }
  }

  /** First contact with an upload from an earlier run: keep only parts the target still holds. */
  async #reconcile(item: UploadItem, layout: PartLayout, signal: AbortSignal): Promise<void> {
    const key = itemKey(item);
    const uploadId = item.uploadId!;
    const known = partList(item);
    const remote = await this.#simple('ListParts', key, signal, (s) => this.#target.listParts(key, uploadId, known, s));
    if (!remote) {
      await this.#set(item, { uploadId: null, parts: {}, layout: null });
      return;
    }
    const parts: Record<string, PartRecord> = {};
    for (const [n, rp] of remote) {
      const mine = item.parts[String(n)];
      if (mine && (!rp.crc || rp.crc === mine.crc)) parts[String(n)] = { ...mine, etag: rp.etag ?? mine.etag };
      else if (rp.crc && n <= 10_000) {
        // acknowledged by the target but not journaled before a crash; re-checked against the file before completion
        const { start, end } = clippedRange(layout, n, Math.max(item.size, clippedRange(layout, n, Number.MAX_SAFE_INTEGER).end));
        if (rp.size === end - start || (item.final && rp.size === clippedRange(layout, n, item.size).end - start)) parts[String(n)] = { n, start, end: start + rp.size, crc: rp.crc, etag: rp.etag };
      }
    }
    await this.#set(item, { parts, layout });
    this.#listed.add(item.id);
    this.#fresh.set(item.id, new Set());
  }
}

/** Awaits every promise; rethrows the first rejection after all have settled (no orphaned work). */
async function settleAll(jobs: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
