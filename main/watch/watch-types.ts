/** Contracts of the folder watcher: its injected dependencies, options and events. */
import type { OpenWriterProbe } from './open-writer-probe.ts';
import type { ProbeFailure } from './probe-guard.ts';
import { systemClock, systemTimers, type Clock, type Timeouts } from '../common/time.ts';

/** The watcher's and session tracker's time: a clock and one-shot timers (common/time.ts). */
export type WatchClock = Clock & Timeouts;

export const systemWatchClock: WatchClock = { now: () => systemClock.now(), setTimeout: systemTimers.setTimeout, clearTimeout: systemTimers.clearTimeout };

export interface StatLike {
  size: number;
  mtimeMs: number;
  /** Inode change time; when it is later than mtime, metadata changed after the last write (a rename, for one). */
  ctimeMs?: number;
  ino: number;
  dev: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

export interface DirentLike {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** The file-system calls the watcher makes; node:fs/promises satisfies it. */
export interface WatchFs {
  stat(path: string): Promise<StatLike>;
  readdir(path: string, options: { withFileTypes: true }): Promise<DirentLike[]>;
  /** Opens a folder and reads its first entries (a cheap readability check); readdir when absent. */
  list?(path: string): Promise<void>;
}

export type SourceEventName = 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';

/** A push source of file-system events (chokidar by default). */
export interface EventSource {
  /** Resolves once the source is watching every root. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface EventSourceHandlers {
  event(name: SourceEventName, path: string): void;
  error(error: Error): void;
}

/**
 * Builds an event source over `roots`. `ignore(path, isDirectory)` is true for paths the
 * watcher never wants events for; `isDirectory` is undefined when the type is not yet known.
 */
export type EventSourceFactory = (
  roots: readonly string[],
  ignore: (path: string, isDirectory: boolean | undefined) => boolean,
  handlers: EventSourceHandlers,
) => EventSource;

export interface WatchOptions {
  /** Absolute folders to watch recursively. */
  roots: readonly string[];
  include?: readonly string[];
  exclude?: readonly string[];
  markerNames?: readonly string[];
  /** `events` (default): fs events plus periodic reconciliation; `polling`: stat scans only (network shares). */
  mode?: 'events' | 'polling';
  /** Size and mtime must be unchanged this long before a file can complete (default 5000). */
  stableMs?: number;
  /** How often pending files are re-examined (default min(1000, stableMs / 2)). */
  checkIntervalMs?: number;
  /** How often pending files whose writer the probe saw are re-examined (default 100, at most checkIntervalMs). */
  closeCheckIntervalMs?: number;
  /** How long a file whose writer was seen to close must stay closed and unchanged to complete (default 250). */
  closeGraceMs?: number;
  /** An open-writer probe call not answered by then has failed: its files complete by `stableMs` alone (default 10000). */
  probeTimeoutMs?: number;
  /** Full reconciliation scan period in `events` mode (default 60000; 0 disables). */
  reconcileIntervalMs?: number;
  /** Scan period in `polling` mode (default 5000). */
  pollIntervalMs?: number;
  /** Parallel stat calls during scans (default 16). */
  statConcurrency?: number;
  /** How often each watched folder is checked for being there and readable (default 2000; 0 disables). */
  folderCheckIntervalMs?: number;
}

/** A session folder (an immediate subfolder of a watched root) whose files were all archived as they are now. */
export interface ArchivedFolder {
  /** Every folder in it, itself included, absolute, with the mtimeMs it had when it was archived. */
  dirs: Readonly<Record<string, number>>;
  /** How many files it holds. */
  files: number;
}

/** An archived file as recorded: posix path relative to its session folder, size and mtime. */
export interface ArchivedFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/**
 * What the watcher is told about archived session folders (watcher-archived.ts says what it does
 * with them; acquisition/archived-sessions.ts keeps them).
 */
export interface ArchivedFolders {
  get(dir: string): ArchivedFolder | undefined;
  /** Its files as archived; undefined when that is no longer known (the folder is then scanned). */
  files(dir: string): Promise<readonly ArchivedFile[] | undefined>;
  /** Something in `dir` changed, or may have: it is not archived any more (until it is archived again). */
  forget(dir: string): void;
}

export interface WatchDeps {
  fs?: WatchFs;
  clock?: WatchClock;
  probe?: OpenWriterProbe;
  eventSource?: EventSourceFactory;
  /** Archived session folders: scans leave them unlisted while they are unchanged. */
  archived?: ArchivedFolders;
}

export interface FileRef {
  root: string;
  /** Absolute path. */
  path: string;
  /** Posix path relative to `root`. */
  relativePath: string;
}

/** `closed`: its writer was seen to close it (writer-close.ts); `stable`: unchanged for the stability window. */
export type CompleteReason = 'stable' | 'closed' | 'marker' | 'rename';

/**
 * A watched folder's state: `watching`; `missing` (not there: unmounted, renamed, deleted, not
 * answering); `unreadable` (permission); `stopped` (the watcher is not running).
 */
export type FolderState = 'watching' | 'missing' | 'unreadable' | 'stopped';

export interface WatchEventMap {
  /** A pending file has (at least) `size` bytes; bytes may still change. Sent on first sight and on every size change. */
  growing: FileRef & { size: number; mtimeMs: number };
  /** The file is closed: no further writes expected. Sent again if the file later changes and settles. */
  complete: FileRef & { size: number; mtimeMs: number; reason: CompleteReason };
  /** A tracked file disappeared. */
  removed: FileRef;
  /** A marker file appeared; every file under `dir` has been completed. */
  marker: { root: string; path: string; dir: string };
  /** A reconciliation or polling scan finished; `resume`: the catch-up of one folder that came back. */
  scan: { reason: 'initial' | 'reconcile' | 'poll' | 'marker' | 'resume'; files: number; durationMs: number };
  /**
   * A watched folder's state was first found (`previous` null) or changed. While a folder is
   * missing or unreadable its files are kept as last seen (nothing is reported removed); when it
   * is back, the files written meanwhile have been reported before `watching` is sent.
   */
  folder: { root: string; state: Exclude<FolderState, 'stopped'>; reason: string | null; since: number; previous: FolderState | null };
  error: { error: Error; path?: string };
}

export type WatchEventName = keyof WatchEventMap;

export interface RootStatus {
  root: string;
  state: FolderState;
  /** Why it is not watched, in plain words; null while watching. */
  reason: string | null;
  /** Since when (clock ms) it is in this state; null when stopped. */
  since: number | null;
  seen: number;
  pending: number;
  complete: number;
}

export interface WatchStatus {
  running: boolean;
  mode: 'events' | 'polling';
  roots: RootStatus[];
  lastScanAt?: number;
  /**
   * Archived session folders left unlisted (their files are not among `seen`), how many files they
   * hold, and how many of them have not yet been confirmed unchanged file by file since start.
   */
  archived?: { folders: number; files: number; unconfirmed: number };
  /**
   * Present once the open-writer probe has failed (an error, or no answer in time): the files it
   * could not check complete only after the stability window (probe-guard.ts).
   */
  writerProbe?: ProbeFailure;
}
