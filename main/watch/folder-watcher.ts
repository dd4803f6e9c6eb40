/**
 * Watches several acquisition folders recursively and reports, per file, `growing` while it
 * is written and `complete` once it is closed (see watch-types.ts for the event contract).
 *
 * Sources of truth, in order of latency:
 * 1. fs events (one watch per directory, directory-event-source.ts) in `events` mode: each
 *    event triggers a stat of that path;
 * 2. a pending-file check every `checkIntervalMs`: files unchanged for `stableMs` are re-stat'ed,
 *    and those still unchanged and not open for writing (probe) complete; where the probe can see
 *    a file's writers and saw its writer, the check runs every `closeCheckIntervalMs` and the file
 *    completes `closeGraceMs` after the writer closed it, without waiting for `stableMs`
 *    (writer-close.ts); a probe that fails or does not answer within `probeTimeoutMs` knows
 *    nothing (probe-guard.ts): the files it was asked about complete by `stableMs` alone, and the
 *    failure is one `error` event and a count in `status().writerProbe`;
 * 3. a full stat scan: at start (files already present are processed), every
 *    `reconcileIntervalMs` in `events` mode to catch dropped events, every `pollIntervalMs` in
 *    `polling` mode (network shares, no fs events at all).
 * A marker file completes every file below its folder at once; a file that appears by rename
 * (same device/inode as a temp or vanished file) completes at once.
 *
 * A folder created while the watcher runs is scanned at once and again at NEW_FOLDER_RESCANS_MS:
 * until the event source watches it, events inside it are lost. A file first seen there within
 * NEW_FOLDER_WINDOW_MS whose temporary name was never observed still counts as renamed when its
 * inode changed after its last write (ctime > mtime), it is not empty and no writer holds it open.
 * A rename within the same clock tick as the last write leaves ctime = mtime and falls back to
 * the stability check.
 *
 * If two roots nest, a file belongs to the deepest root containing it.
 *
 * With `deps.archived`, the immediate subfolders of a root that were archived and did not change
 * since are left unlisted and untracked (watcher-archived.ts): a restart over months of sessions
 * costs a stat of each such folder, not of each file. An fs event below one, or a recorded file
 * found changed by the background confirmation, brings it back to being watched file by file.
 *
 * Each root is checked every `folderCheckIntervalMs`, and at once when a scan cannot read it or a
 * file in it cannot be stat'ed (folder-health.ts). A root that is missing or unreadable is not
 * watched: its event source is closed and its tracked files are kept as last seen (a drive that
 * is unmounted has not deleted them), so no `removed` is sent for them and they do not complete.
 * When it is back, a new event source is opened and the root is scanned (`scan` reason `resume`):
 * files written while it was away are reported, unchanged ones stay silent. Every change of a
 * root's state is a `folder` event.
 *
 * The watcher is built from pieces, each with its contract in its header, given what they need
 * from here (watcher-context.ts): the per-file decisions (watcher-files.ts), the scans, new-folder
 * catch-up and markers (watcher-scans.ts), and the roots' health and event sources
 * (watcher-roots.ts). This file holds the options, the events, the per-path refresh that feeds
 * the pieces, the timers and the public API.
 */
import { relative, resolve, sep } from 'node:path';

import { directoryEventSource } from './directory-event-source.ts';
import type { FileObservation, TrackedFile } from './file-state.ts';
import { nodeFolderFs } from './folder-health.ts';
import { defaultOpenWriterProbe } from './open-writer-probe.ts';
import { createPathFilter, type PathFilter } from './patterns.ts';
import { ProbeGuard } from './probe-guard.ts';
import type { WatcherContext } from './watcher-context.ts';
import { WatchedFiles } from './watcher-files.ts';
import { RootMonitor } from './watcher-roots.ts';
import { FolderScans } from './watcher-scans.ts';
import { DormantFolders } from './watcher-archived.ts';
import {
  type WatchClock,
  type FileRef,
  type RootStatus,
  systemWatchClock,
  type WatchEventMap,
  type WatchEventName,
  type WatchFs,
  type WatchOptions,
  type WatchDeps,
  type WatchStatus,
} from './watch-types.ts';

export { NEW_FOLDER_RESCANS_MS, NEW_FOLDER_WINDOW_MS } from './watcher-scans.ts';

type Listener<K extends WatchEventName> = (event: WatchEventMap[K]) => void;

export class FolderWatcher {
  private readonly roots: string[];
  private readonly rootsByDepth: string[];
  private readonly mode: 'events' | 'polling';
  private readonly checkIntervalMs: number;
  private readonly closeCheckIntervalMs: number;
  private readonly scanIntervalMs: number;
  private readonly statConcurrency: number;
  private readonly folderCheckIntervalMs: number;
  private readonly filter: PathFilter;
  private readonly fs: WatchFs;
  private readonly clock: WatchClock;

  private readonly listeners = new Map<WatchEventName, Set<(event: never) => void>>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly watched: WatchedFiles;
  private readonly probe: ProbeGuard;
  private readonly scans: FolderScans;
  private readonly rootMonitor: RootMonitor;
  private readonly dormant: DormantFolders | undefined;

  private running = false;
  private checkTimer: unknown;
  private checkAt = Infinity;
  private scanTimer: unknown;
  private healthTimer: unknown;
  private checking: Promise<void> | undefined;

  constructor(options: WatchOptions, deps: WatchDeps = {}) {
    if (options.roots.length === 0) throw new Error('watch: at least one folder is required');
    this.roots = [...new Set(options.roots.map((root) => resolve(root)))];
    this.rootsByDepth = [...this.roots].sort((a, b) => b.length - a.length);
    this.mode = options.mode ?? 'events';
    const stableMs = options.stableMs ?? 5000;
    this.checkIntervalMs = options.checkIntervalMs ?? Math.max(50, Math.min(1000, Math.floor(stableMs / 2)));
    this.closeCheckIntervalMs = Math.min(this.checkIntervalMs, options.closeCheckIntervalMs ?? 100);
    this.scanIntervalMs = this.mode === 'polling' ? (options.pollIntervalMs ?? 5000) : (options.reconcileIntervalMs ?? 60_000);
    this.statConcurrency = options.statConcurrency ?? 16;
    this.folderCheckIntervalMs = options.folderCheckIntervalMs ?? 2000;
    this.filter = createPathFilter(options);
    this.fs = deps.fs ?? nodeFolderFs;
    this.clock = deps.clock ?? systemWatchClock;
    const context: WatcherContext = {
      roots: this.roots,
      clock: this.clock,
      fs: this.fs,
      filter: this.filter,
      running: () => this.running,
      emit: (name, event) => this.emit(name, event),
      refOf: (path) => this.refOf(path),
      available: (root) => this.available(root),
      refresh: (path) => this.refresh(path),
      checkRoot: (root) => this.rootMonitor.check(root),
      forEachLimited: (items, work) => this.forEachLimited(items, work),
      track: (work) => this.track(work),
    };
    this.probe = new ProbeGuard(deps.probe ?? defaultOpenWriterProbe(), this.clock, options.probeTimeoutMs ?? 10_000, (error) => this.emit('error', { error }));
    this.watched = new WatchedFiles({
      ...context,
      stableMs,
      closeGraceMs: options.closeGraceMs ?? 250,
      discoveryMs: this.checkIntervalMs,
      becamePending: () => this.checkSoon(),
      probe: this.probe,
      inNewFolder: (path, now) => this.scans.inNewFolder(path, now),
    });
    const archived = deps.archived;
    this.dormant = archived && new DormantFolders({ ...context, archived, scan: (dir) => this.scans.scanDirectory(dir, new Set()) });
    this.scans = new FolderScans({ ...context, files: this.watched, ...(this.dormant ? { dormant: this.dormant } : {}) });
    this.rootMonitor = new RootMonitor({
      ...context,
      mode: this.mode,
      eventSource: deps.eventSource ?? directoryEventSource,
      ignoreForEvents: (path, isDirectory) => this.ignoreForEvents(path, isDirectory),
      onSourceEvent: (name, path) => this.onSourceEvent(name, path),
      catchUp: (root) => this.scans.catchUp(root),
    });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends WatchEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => set.delete(listener as (event: never) => void);
  }

  /**
   * Starts watching; resolves after every root's state is known (a `folder` event each) and the
   * initial scan has observed every existing file of the roots that can be watched.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.checkFolders();
    await this.scans.scan('initial');
    this.armCheck();
    this.armScan();
    this.armFolderCheck();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.clock.clearTimeout(this.checkTimer);
    this.clock.clearTimeout(this.scanTimer);
    this.clock.clearTimeout(this.healthTimer);
    this.scans.stop();
    await this.rootMonitor.close();
    await Promise.allSettled([this.checking, this.scans.current, this.dormant?.current, ...this.inflight.values()]);
  }

  /** Whether `root` (a watched folder) is there and readable, as last checked. */
  available(root: string): boolean {
    return this.running && this.rootMonitor.get(resolve(root))?.state === 'watching';
  }

  /** Checks every watched folder now (also what the periodic timer does). */
  async checkFolders(): Promise<void> {
    await Promise.all(this.roots.map((root) => this.rootMonitor.check(root)));
    await this.rootMonitor.followed();
  }

  status(): WatchStatus {
    const rootStatus = (root: string): RootStatus => {
      const health = this.rootMonitor.get(root);
      if (!this.running || !health) return { root, state: 'stopped', reason: null, since: null, seen: 0, pending: 0, complete: 0 };
      return { root, state: health.state, reason: health.reason, since: health.since, seen: 0, pending: 0, complete: 0 };
    };
    const perRoot = new Map<string, RootStatus>(this.roots.map((root) => [root, rootStatus(root)]));
    for (const file of this.watched.values()) {
      const entry = perRoot.get(file.root);
      if (!entry) continue;
      entry.seen++;
      if (file.state === 'pending') entry.pending++;
      else entry.complete++;
    }
    const status: WatchStatus = { running: this.running, mode: this.mode, roots: [...perRoot.values()] };
    const lastScanAt = this.scans.lastScanAt;
    if (lastScanAt !== undefined) status.lastScanAt = lastScanAt;
    if (this.dormant) status.archived = this.dormant.status();
    const probeFailure = this.probe.failure();
    if (probeFailure) status.writerProbe = probeFailure;
    return status;
  }

  /** Snapshot of the tracked file at absolute `path`, if any. */
  file(path: string): TrackedFile | undefined {
    const file = this.watched.get(path) ?? this.watched.get(resolve(path));
    return file && { ...file };
  }

  /** Snapshot of tracked files, optionally only those under the absolute folder `dir`. */
  files(dir?: string): TrackedFile[] {
    const prefix = dir === undefined ? undefined : resolve(dir) + sep;
    const out: TrackedFile[] = [];
    for (const file of this.watched.values()) {
      if (prefix === undefined || file.path.startsWith(prefix)) out.push({ ...file });
    }
    return out;
  }

  /** Runs a full reconciliation scan now (also what the periodic timer does). */
  async reconcile(): Promise<void> {
    await this.scans.scan(this.mode === 'polling' ? 'poll' : 'reconcile');
  }

  /** Runs the pending-file check now (also what the periodic timer does). */
  async checkPending(): Promise<void> {
    if (this.checking) return this.checking;
    this.checking = this.runCheck().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  // ---- events --------------------------------------------------------------------------

  private emit<K extends WatchEventName>(name: K, event: WatchEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<K>)(event);
      } catch (error) {
        if (name !== 'error') this.emit('error', { error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
  }

  private onSourceEvent(name: string, path: string): void {
    if (!this.running) return;
    const absolute = resolve(path);
    const dormant = this.dormant?.holding(absolute);
    if (dormant !== undefined) return this.dormant!.wake(dormant);
    if (name === 'unlinkDir' && this.roots.includes(absolute)) this.track(this.rootMonitor.check(absolute));
    if (name === 'unlinkDir') {
      const prefix = absolute + sep;
      for (const file of this.watched.paths()) {
        if (file.startsWith(prefix)) this.track(this.refresh(file));
      }
    } else if (name === 'addDir') {
      this.scans.onNewFolder(absolute);
    } else {
      this.track(this.refresh(absolute));
    }
  }

  private ignoreForEvents(path: string, isDirectory: boolean | undefined): boolean {
    const ref = this.refOf(resolve(path));
    if (!ref) return false;
    if (ref.relativePath === '') return false;
    if (isDirectory === true) return this.filter.skipDirectory(ref.relativePath);
    if (isDirectory === false) return this.filter.classify(ref.relativePath) === 'ignored';
    return this.filter.skipDirectory(ref.relativePath) && this.filter.classify(ref.relativePath) === 'ignored';
  }

  // ---- per-path observation ------------------------------------------------------------

  /** Stats `path` and updates state; concurrent calls for one path coalesce into a re-run. */
  private refresh(path: string): Promise<void> {
    const running = this.inflight.get(path);
    if (running) {
      this.again.add(path);
      return running;
    }
    const work = (async () => {
      do {
        this.again.delete(path);
        await this.refreshOnce(path);
      } while (this.again.has(path) && this.running);
    })().finally(() => this.inflight.delete(path));
    this.inflight.set(path, work);
    return work;
  }

  private async refreshOnce(path: string): Promise<void> {
    const ref = this.refOf(path);
    if (!ref || !this.available(ref.root)) return;
    const kind = this.filter.classify(ref.relativePath);
    if (kind === 'ignored') return;
    let info;
    try {
      info = await this.fs.stat(path);
    } catch (error) {
      // A file that went with its folder (unmounted, renamed, closed to us) is kept as it was.
      await this.rootMonitor.check(ref.root);
      if (!this.available(ref.root)) return;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') this.watched.gone(path);
      else this.emit('error', { error: error as Error, path });
      return;
    }
    if (!info.isFile()) return;
    const observation: FileObservation = { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev };
    if (kind === 'marker') {
      if (this.watched.markerSeen(path)) await this.scans.closeFolder(ref.root, path);
    } else if (kind === 'shadow') {
      this.watched.shadowSeen(path, observation);
    } else {
      this.watched.apply(ref, observation, await this.watched.renamedUnseen(path, info));
    }
  }

  // ---- periodic work -------------------------------------------------------------------

  private async runCheck(): Promise<void> {
    const now = this.clock.now();
    this.scans.forgetOldFolders(now);
    await this.watched.completeClosed(now);
    await this.watched.completeStable(this.clock.now());
  }

  private armCheck(): void {
    if (!this.running) return;
    const delay = this.checkDelay();
    this.checkAt = this.clock.now() + delay;
    this.checkTimer = this.clock.setTimeout(() => {
      this.checkAt = Infinity;
      this.checkPending()
        .catch((error: unknown) => this.emit('error', { error: error as Error }))
        .finally(() => this.armCheck());
    }, delay);
  }

  /** Brings the next pending-file check forward to the short interval (a file became pending). */
  private checkSoon(): void {
    if (!this.running || this.checkAt === Infinity || this.checkAt <= this.clock.now() + this.closeCheckIntervalMs) return;
    this.clock.clearTimeout(this.checkTimer);
    this.armCheck();
  }

  /** The pending-file check's next delay: short while a writer's close is being watched for. */
  private checkDelay(): number {
    return this.watched.wantsCloseChecks() ? this.closeCheckIntervalMs : this.checkIntervalMs;
  }

  private armScan(): void {
    if (!this.running || this.scanIntervalMs <= 0) return;
    this.scanTimer = this.clock.setTimeout(() => {
      this.reconcile()
        .catch((error: unknown) => this.emit('error', { error: error as Error }))
        .finally(() => this.armScan());
    }, this.scanIntervalMs);
  }

  private armFolderCheck(): void {
    if (!this.running || this.folderCheckIntervalMs <= 0) return;
    this.healthTimer = this.clock.setTimeout(() => {
      this.checkFolders()
        .catch((error: unknown) => this.emit('error', { error: error as Error }))
        .finally(() => this.armFolderCheck());
    }, this.folderCheckIntervalMs);
  }

  // ---- helpers -------------------------------------------------------------------------

  private refOf(path: string): FileRef | undefined {
    for (const root of this.rootsByDepth) {
      if (path === root) return { root, path, relativePath: '' };
      if (path.startsWith(root + sep)) return { root, path, relativePath: relative(root, path).split(sep).join('/') };
    }
    return undefined;
  }

  private async forEachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const item = items[next++];
        try {
          await work(item);
        } catch (error) {
          this.emit('error', { error: error as Error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.statConcurrency, items.length) }, worker));
  }

  private track(work: Promise<void>): void {
    work.catch((error: unknown) => this.emit('error', { error: error as Error }));
  }

  /** Temp names seen (tests wait for a `.part` file to be seen before renaming it). */
  private get shadows(): ReadonlyMap<string, FileObservation> {
    return this.watched.shadows;
  }
}
