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
 *   multipart uploads via ListParts, and aborts the multipart uploads this queue started that no
 *   journal item references; other writers' unfinished uploads under the prefix (other rigs,
 *   analysis instances) are left alone (engine-recovery.ts says how its own are told apart).
 * - The queue has an id, 16 hex digits kept in `<stateDir>/queue-id`, one per state dir (per rig).
 * - A file is `verified` only after the target reports the checksum computed locally.
 * - A key that holds different bytes is never overwritten (conditional writes plus an existence
 *   check); the file goes to the next key version instead (item.ts: `name.v2.tif`).
 * - Zero-byte files upload as empty objects (CRC32C `AAAAAA==`).
 *
 * The engine is built from pieces, each with its contract in its header:
 * - engine-types.ts: the public types (re-exported here);
 * - engine-items.ts: the journal's items, their snapshots, events, bytes in flight and status;
 * - engine-requests.ts: target calls with request slots, retries, circuit breaker, idle watchdog
 *   and bandwidth limit;
 * - engine-intake.ts: add / offer / retry, the path → item and key-version decision;
 * - engine-queue.ts: the scheduler (concurrency, urgency, pause/resume, drain) and how a run's end
 *   changes its item;
 * - engine-transfer.ts: one file's transfer (single request or multipart, checksums, completion,
 *   verification);
 * - engine-recovery.ts: crash recovery (journal replay, orphan sweep, in-doubt steps, ListParts);
 * - engine-free-space.ts: the opt-in deletion of verified local files.
 * This file validates the options, builds the pieces and wires them together.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { BufferPool } from './buffer-pool.ts';
import { CircuitBreaker, DEFAULT_CIRCUIT } from './circuit-breaker.ts';
import { UploadOptionsError, type UploadError } from './errors.ts';
import { FolderTarget } from './folder-target.ts';
import type { UploadItem } from './item.ts';
import { UploadJournal } from './journal.ts';
import { DEFAULT_MIN_PART_SIZE, MIN_PART_SIZE } from './part-layout.ts';
import { S3Target } from './s3-target.ts';
import { Semaphore } from './semaphore.ts';
import type { UploadTarget } from './target.ts';
import { TokenBucket } from './token-bucket.ts';
import { freeVerifiedFiles } from './engine-free-space.ts';
import { Intake } from './engine-intake.ts';
import { ItemStore } from './engine-items.ts';
import { UploadQueue } from './engine-queue.ts';
import { Recovery } from './engine-recovery.ts';
import { RequestRunner } from './engine-requests.ts';
import { Transfer } from './engine-transfer.ts';
import {
  DEFAULT_MEMORY_BUDGET,
  type EngineStatus,
  type ItemSnapshot,
  type ListFilter,
  type UploadEngine,
  type UploadEngineOptions,
  type UploadEvent,
  type UploadFs,
} from './engine-types.ts';
import { systemClock, systemTimers, type Clock } from '../common/time.ts';

export { DEFAULT_MEMORY_BUDGET } from './engine-types.ts';
export type { EngineStatus, ItemSnapshot, UploadEngine, UploadEngineOptions, UploadEvent, UploadFs } from './engine-types.ts';

function validate(o: UploadEngineOptions): void {
  if (!o || typeof o !== 'object') throw new UploadOptionsError('options', 'must be an object');
  if (typeof o.stateDir !== 'string' || o.stateDir === '') throw new UploadOptionsError('stateDir', 'must be a non-empty path');
  const t = o.target as { kind?: string; bucket?: unknown; client?: unknown; root?: unknown };
  if (!t || !['s3', 'folder', 'custom'].includes(t.kind ?? '')) throw new UploadOptionsError('target.kind', 'must be "s3" or "folder"');
  if (t.kind === 's3') {
    if (typeof t.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(t.bucket))
      throw new UploadOptionsError('target.bucket', `"${String(t.bucket)}" is not a valid S3 bucket name`);
    if (!t.client) throw new UploadOptionsError('target.client', 'an S3Client is required');
  }
  if (t.kind === 'folder' && (typeof t.root !== 'string' || t.root === '')) throw new UploadOptionsError('target.root', 'must be a folder path');
  const positiveInt = (field: string, v: unknown) => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) throw new UploadOptionsError(field, `must be a positive integer, got ${String(v)}`);
  };
  positiveInt('concurrency.files', o.concurrency?.files);
  positiveInt('concurrency.requests', o.concurrency?.requests);
  if (o.bandwidthLimit !== undefined && (!Number.isFinite(o.bandwidthLimit) || o.bandwidthLimit < 0))
    throw new UploadOptionsError('bandwidthLimit', `must be ≥ 0 bytes/s, got ${o.bandwidthLimit}`);
  if (o.minPartSize !== undefined && (!Number.isInteger(o.minPartSize) || o.minPartSize < MIN_PART_SIZE))
    throw new UploadOptionsError('minPartSize', `must be an integer ≥ ${MIN_PART_SIZE} (5 MiB), got ${o.minPartSize}`);
  if (o.freeSpaceAfterDays !== undefined && (!Number.isFinite(o.freeSpaceAfterDays) || o.freeSpaceAfterDays < 0))
    throw new UploadOptionsError('freeSpaceAfterDays', `must be ≥ 0 days, got ${o.freeSpaceAfterDays}`);
  if (o.idleTimeoutMs !== undefined && (!Number.isFinite(o.idleTimeoutMs) || o.idleTimeoutMs <= 0))
    throw new UploadOptionsError('idleTimeoutMs', `must be > 0, got ${o.idleTimeoutMs}`);
}

/** The state dir's queue id, created on first use (written whole: temp file, fsync, rename). */
async function readQueueId(stateDir: string): Promise<string> {
  const file = join(stateDir, 'queue-id');
  const known = await nodeFs.readFile(file, 'utf8').then(
    (t) => t.trim(),
    () => '',
  );
  if (/^[0-9a-f]{16}$/.test(known)) return known;
  const id = randomBytes(8).toString('hex');
  const tmp = `${file}.tmp`;
  const fh = await nodeFs.open(tmp, 'w');
  try {
    await fh.writeFile(`${id}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await nodeFs.rename(tmp, file);
  return id;
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
  readonly #fs: UploadFs;
  readonly #bucket: TokenBucket;
  readonly #requestSlots: Semaphore;
  readonly #breaker: CircuitBreaker;
  readonly #items: ItemStore;
  readonly #recovery: Recovery;
  readonly #queue: UploadQueue;
  readonly #intake: Intake;
  /** Why the start-up sweep of unfinished uploads could not run (it runs again next start). */
  #sweepError: UploadError | undefined;
  /** Why the queue waits: the disk holding its journal is full (cleared once a write succeeds). */
  #diskFull: string | undefined;
  #queueId: string | undefined;

  constructor(o: UploadEngineOptions) {
    this.#o = o;
    const clock = (this.#clock = o.clock ?? systemClock);
    const timers = o.timers ?? systemTimers;
    const random = o.random ?? Math.random;
    const fs: UploadFs = (this.#fs = o.fs ?? { open: (p, f) => nodeFs.open(p, f), stat: (p) => nodeFs.stat(p), unlink: (p) => nodeFs.unlink(p) });
    const backoff: BackoffPolicy = { ...DEFAULT_BACKOFF, ...o.backoff };
    const target: UploadTarget = (this.#target =
      o.target.kind === 's3' ? new S3Target(o.target) : o.target.kind === 'folder' ? new FolderTarget(o.target) : o.target.target);
    const bucket = (this.#bucket = new TokenBucket({ bytesPerSecond: o.bandwidthLimit ?? 0, clock, timers }));
    const slots = (this.#requestSlots = new Semaphore(o.concurrency?.requests ?? 8));
    const memory = new BufferPool(o.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
    const idleMs = o.idleTimeoutMs ?? 60_000;
    const items = (this.#items = new ItemStore({
      target,
      clock,
      timers,
      activeIds: () => this.#queue.activeIds(),
      facts: () => ({
        paused: this.#queue.paused,
        bandwidthLimit: this.#bucket.bytesPerSecond,
        circuit: { state: this.#breaker.state, message: this.#breaker.reason?.message },
        target: this.#target.describe(''),
        sweepError: this.#sweepError?.message,
        ...(this.#diskFull ? { diskFull: this.#diskFull } : {}),
      }),
    }));
    const breaker = (this.#breaker = new CircuitBreaker({
      ...DEFAULT_CIRCUIT,
      ...o.circuit,
      timers,
      probe: () => target.probe(AbortSignal.timeout(idleMs)),
      onChange: (state, reason) => {
        items.emit({ type: 'circuit', state, message: reason?.message });
        if (state === 'closed') this.#queue.pump();
      },
    }));
    const requests = new RequestRunner({ target, timers, random, backoff, idleMs, breaker, slots, bucket, items });
    const queueId = () => this.#queueId;
    const recovery = (this.#recovery = new Recovery({ target, items, requests, timers, random, backoff, idleMs, queueId }));
    const transfer = new Transfer({
      target,
      fs,
      clock,
      memory,
      minPart: o.minPartSize ?? DEFAULT_MIN_PART_SIZE,
      spread: () => slots.capacity,
      items,
      requests,
      recovery,
      queueId,
      onVerified: () => {
        if (this.#o.freeSpaceAfterDays === 0) void this.freeSpace().catch(() => {});
      },
    });
    const queue = (this.#queue = new UploadQueue({ items, transfer, memory, target, clock, fileSlots: o.concurrency?.files ?? 4 }));
    this.#intake = new Intake({ options: o, fs, clock, items, queue });
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.#queue.started) return;
    const journal = this.#o.journal;
    this.#items.open(
      await UploadJournal.open(this.#o.stateDir, {
        ...journal,
        onDiskFull: (full, error) => {
          this.#diskFull = full ? (error?.message ?? 'disk full') : undefined;
          this.#items.emit({ type: 'disk', full, ...(full && error ? { message: error.message } : {}) });
          journal?.onDiskFull?.(full, error);
        },
      }),
    );
    this.#queueId = await readQueueId(this.#o.stateDir);
    this.#queue.open();
    await this.#recovery.replay((id) => this.#queue.restore(id));
    this.#sweepError = await this.#recovery.sweepOrphans();
    if (this.#o.freeSpaceAfterDays !== undefined) void this.freeSpace().catch(() => {});
    this.#queue.pump();
  }

  async stop(): Promise<void> {
    if (!this.#queue.started || this.#queue.stopping) return;
    this.#queue.halt();
    this.#breaker.stop();
    await this.#queue.settled();
    this.#items.stop();
    await this.#items.journal.close();
  }

  // ---------------------------------------------------------------- public API

  async add(path: string, options: { key?: string } = {}): Promise<ItemSnapshot> {
    this.#assertStarted();
    return this.#intake.add(path, options);
  }

  async offer(path: string, sizeNow: number, final: boolean, options: { key?: string; mtimeMs?: number } = {}): Promise<ItemSnapshot> {
    this.#assertStarted();
    return this.#intake.offer(path, sizeNow, final, options);
  }

  async retry(id: string): Promise<void> {
    this.#assertStarted();
    return this.#intake.retry(id);
  }

  async retryAll(): Promise<number> {
    const failed = this.#items.unsettled().filter((i) => i.state === 'failed');
    for (const item of failed) await this.retry(item.id);
    return failed.length;
  }

  pause(): void {
    this.#queue.pause();
  }

  resume(): void {
    this.#queue.resume();
  }

  setBandwidthLimit(bytesPerSecond: number): void {
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) throw new UploadOptionsError('bandwidthLimit', `must be ≥ 0 bytes/s, got ${bytesPerSecond}`);
    this.#bucket.setRate(bytesPerSecond);
  }

  setConcurrency(c: { files?: number; requests?: number }): void {
    if (c.files !== undefined) {
      if (!Number.isInteger(c.files) || c.files < 1) throw new UploadOptionsError('concurrency.files', `must be a positive integer, got ${c.files}`);
      this.#queue.setFileSlots(c.files);
    }
    if (c.requests !== undefined) {
      if (!Number.isInteger(c.requests) || c.requests < 1)
        throw new UploadOptionsError('concurrency.requests', `must be a positive integer, got ${c.requests}`);
      this.#requestSlots.setCapacity(c.requests);
    }
    this.#queue.pump();
  }

  status(): EngineStatus {
    return this.#items.status();
  }

  get(id: string): ItemSnapshot | undefined {
    const item = this.#items.get(id);
    return item && this.#items.snapshot(item);
  }

  list(filter: ListFilter = {}): ItemSnapshot[] {
    const { state, newest } = filter;
    if (newest !== undefined) return this.#items.newest(newest, state).map((item) => this.#items.snapshot(item));
    const picked: ItemSnapshot[] = [];
    for (const item of state === undefined || state === 'verified' ? this.#items.items() : this.#items.unsettled())
      if (!state || item.state === state) picked.push(this.#items.snapshot(item));
    return picked;
  }

  *verifiedSince(since: number): Iterable<Readonly<Pick<UploadItem, 'state' | 'size' | 'verifiedAt'>>> {
    for (const f of this.#items.verifiedFacts())
      if (f.verifiedAt !== undefined && f.verifiedAt >= since) yield { state: 'verified', size: f.size, verifiedAt: f.verifiedAt };
  }

  verifiedAs(path: string, size: number, mtimeMs: number): boolean {
    return this.#items.latestVerifiedAs(path, size, mtimeMs);
  }

  subscribe(listener: (event: UploadEvent) => void): () => void {
    return this.#items.subscribe(listener);
  }

  drain(): Promise<void> {
    return this.#queue.drain();
  }

  async freeSpace(): Promise<number> {
    const days = this.#o.freeSpaceAfterDays;
    if (days === undefined) return 0;
    return freeVerifiedFiles({ fs: this.#fs, clock: this.#clock, items: this.#items }, days);
  }

  #assertStarted(): void {
    if (!this.#queue.started) throw new UploadOptionsError('engine', 'call start() first');
    if (this.#queue.stopping) throw new UploadOptionsError('engine', 'the engine is stopped');
  }
}
