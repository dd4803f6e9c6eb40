/**
 * The upload engine's public types: its options, the item snapshot and status it reports, its
 * events and the `UploadEngine` interface. engine.ts re-exports all of them; other modules import
 * them from there.
 */
import type { FileHandle } from 'node:fs/promises';
import type { BackoffPolicy } from './backoff.ts';
import type { CircuitOptions, CircuitState } from './circuit-breaker.ts';
import type { FolderTargetOptions } from './folder-target.ts';
import type { UploadItem } from './item.ts';
import type { JournalOptions } from './journal.ts';
import type { S3TargetOptions } from './s3-target.ts';
import type { UploadTarget } from './target.ts';
import type { Clock, Timeouts } from '../common/time.ts';

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
  /** Bytes of checksum scratch buffers in use or kept for reuse (default DEFAULT_MEMORY_BUDGET); part bodies are streamed. */
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
  /**
   * Set while the disk holding the queue's journal is full: no upload step can be recorded, so the
   * queue waits (files being written are watched on, nothing is lost) and resumes by itself.
   */
  diskFull?: string;
}

export type UploadEvent =
  | { type: 'item'; item: ItemSnapshot }
  | { type: 'progress'; status: EngineStatus; active: ItemSnapshot[] }
  | { type: 'circuit'; state: CircuitState; message?: string }
  | { type: 'disk'; full: boolean; message?: string }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'idle' };

export interface ListFilter {
  state?: UploadItem['state'];
  /** Only the n items verified last, newest first. */
  newest?: number;
}

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
  /** Items in journal order; `newest`: only the n most recently verified, newest first (cheap at any queue size). */
  list(filter?: ListFilter): ItemSnapshot[];
  /** The items verified at or after `since` (ms), as read-only facts rather than snapshots (cheap at any queue size). */
  verifiedSince(since: number): Iterable<Readonly<Pick<UploadItem, 'state' | 'size' | 'verifiedAt'>>>;
  /** Whether the latest item of `path` (absolute) is verified with exactly this size and mtime. */
  verifiedAs(path: string, size: number, mtimeMs: number): boolean;
  subscribe(listener: (event: UploadEvent) => void): () => void;
  /** Resolves when nothing is queued or in flight (failed and growing items may remain). */
  drain(): Promise<void>;
  /** Deletes local files whose free-space delay has passed; returns how many. No-op when the option is off. */
  freeSpace(): Promise<number>;
  /** Interrupts transfers (they resume on the next start), flushes and closes the journal. */
  stop(): Promise<void>;
}

/** Checksum and re-check scratch buffers in use or pooled (256 KiB each, one per request checksumming at once). */
export const DEFAULT_MEMORY_BUDGET = 64 * 1024 * 1024;
