/**
 * Watches several acquisition folders recursively and reports, per file, `growing` while it
 * is written and `complete` once it is closed (see watch-types.ts for the event contract).
 *
 * Sources of truth, in order of latency:
 * 1. fs events (one watch per directory, directory-event-source.ts) in `events` mode: each
 *    event triggers a stat of that path;
 * 2. a pending-file check every `checkIntervalMs`: files unchanged for `stableMs` are re-stat'ed,
 *    and those still unchanged and not open for writing (probe) complete;
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
 * Each root is checked every `folderCheckIntervalMs`, and at once when a scan cannot read it or a
 * file in it cannot be stat'ed (folder-health.ts). A root that is missing or unreadable is not
 * watched: its event source is closed and its tracked files are kept as last seen (a drive that
 * is unmounted has not deleted them), so no `removed` is sent for them and they do not complete.
 * When it is back, a new event source is opened and the root is scanned (`scan` reason `resume`):
 * files written while it was away are reported, unchanged ones stay silent. Every change of a
 * root's state is a `folder` event.
 */
import { dirname, relative, resolve, sep } from 'node:path';

import { directoryEventSource } from './directory-event-source.ts';
import { isStable, observe, type FileObservation, type TrackedFile } from './file-state.ts';
import { checkFolder, nodeFolderFs } from './folder-health.ts';
import { defaultOpenWriterProbe, type OpenWriterProbe } from './open-writer-probe.ts';
import { createPathFilter, type PathFilter } from './patterns.ts';
import {
  type WatchClock,
  type CompleteReason,
  type EventSource,
  type EventSourceFactory,
  type FileRef,
  type FolderState,
  type RootStatus,
  systemWatchClock,
  type WatchEventMap,
  type WatchEventName,
  type WatchFs,
  type WatchOptions,
  type WatchDeps,
  type WatchStatus,
} from './watch-types.ts';

/** Catch-up scans of a new folder after the immediate one, ms after it appeared. */
export const NEW_FOLDER_RESCANS_MS: readonly number[] = [50, 250, 1000, 3000];
/** How long after a folder appeared a first sighting may be judged by ctime (above). */
export const NEW_FOLDER_WINDOW_MS = 10_000;

interface Vanished extends FileObservation {
  at: number;
  /** A temp/shadow name: its last seen size may predate the final writes. */
  shadow: boolean;
}

type Listener<K extends WatchEventName> = (event: WatchEventMap[K]) => void;

interface RootHealth {
  state: Exclude<FolderState, 'stopped'>;
  reason: string | null;
  since: number;
  /** The last check that could read the root found it to be a mount point. */
  mountPoint: boolean;
}

export class FolderWatcher {
  private readonly roots: string[];
  private readonly rootsByDepth: string[];
  private readonly mode: 'events' | 'polling';
  private readonly stableMs: number;
  private readonly checkIntervalMs: number;
  private readonly scanIntervalMs: number;
  private readonly statConcurrency: number;
  private readonly folderCheckIntervalMs: number;
  private readonly filter: PathFilter;
  private readonly fs: WatchFs;
  private readonly clock: WatchClock;
  private readonly probe: OpenWriterProbe;
  private readonly eventSourceFactory: EventSourceFactory;

  private readonly listeners = new Map<WatchEventName, Set<(event: never) => void>>();
  private readonly tracked = new Map<string, TrackedFile>();
  private readonly shadows = new Map<string, FileObservation>();
  private readonly shadowByInode = new Map<string, string>();
  private readonly vanished = new Map<string, Vanished>();
  private readonly markers = new Set<string>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Folders created while running, by path: when they appeared. */
  private readonly newFolders = new Map<string, number>();
  private readonly rescanTimers = new Set<unknown>();
  private readonly health = new Map<string, RootHealth>();
  private readonly rootChecks = new Map<string, Promise<void>>();
  /** Catch-up scans and `folder` events after a root's state changed. */
  private readonly transitions = new Set<Promise<void>>();
  private readonly sources = new Map<string, EventSource>();

  private running = false;
  private checkTimer: unknown;
  private scanTimer: unknown;
  private healthTimer: unknown;
  private checking: Promise<void> | undefined;
  private scanning: Promise<void> | undefined;
  private lastScanAt: number | undefined;

  constructor(options: WatchOptions, deps: WatchDeps = {}) {
    if (options.roots.length === 0) throw new Error('watch: at least one folder is required');
    this.roots = [...new Set(options.roots.map((root) => resolve(root)))];
    this.rootsByDepth = [...this.roots].sort((a, b) => b.length - a.length);
    this.mode = options.mode ?? 'events';
    this.stableMs = options.stableMs ?? 5000;
    this.checkIntervalMs = options.checkIntervalMs ?? Math.max(50, Math.min(1000, Math.floor(this.stableMs / 2)));
    this.scanIntervalMs = this.mode === 'polling' ? (options.pollIntervalMs ?? 5000) : (options.reconcileIntervalMs ?? 60_000);
    this.statConcurrency = options.statConcurrency ?? 16;
    this.folderCheckIntervalMs = options.folderCheckIntervalMs ?? 2000;
    this.filter = createPathFilter(options);
    this.fs = deps.fs ?? nodeFolderFs;
    this.clock = deps.clock ?? systemWatchClock;
    this.probe = deps.probe ?? defaultOpenWriterProbe();
    this.eventSourceFactory = deps.eventSource ?? directoryEventSource;
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
    await this.scan('initial');
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
    for (const timer of this.rescanTimers) this.clock.clearTimeout(timer);
    this.rescanTimers.clear();
    await Promise.allSettled([...this.rootChecks.values(), ...this.transitions]);
    const sources = [...this.sources.values()];
    this.sources.clear();
    await Promise.allSettled(sources.map((source) => source.close()));
    await Promise.allSettled([this.checking, this.scanning, ...this.inflight.values()]);
  }

  /** Whether `root` (a watched folder) is there and readable, as last checked. */
  available(root: string): boolean {
    return this.running && this.health.get(resolve(root))?.state === 'watching';
  }

  /** Checks every watched folder now (also what the periodic timer does). */
  async checkFolders(): Promise<void> {
    await Promise.all(this.roots.map((root) => this.checkRoot(root)));
    await Promise.allSettled([...this.transitions]);
  }

  status(): WatchStatus {
    const rootStatus = (root: string): RootStatus => {
      const health = this.health.get(root);
      if (!this.running || !health) return { root, state: 'stopped', reason: null, since: null, seen: 0, pending: 0, complete: 0 };
      return { root, state: health.state, reason: health.reason, since: health.since, seen: 0, pending: 0, complete: 0 };
    };
    const perRoot = new Map<string, RootStatus>(this.roots.map((root) => [root, rootStatus(root)]));
    for (const file of this.tracked.values()) {
      const entry = perRoot.get(file.root);
      if (!entry) continue;
      entry.seen++;
      if (file.state === 'pending') entry.pending++;
      else entry.complete++;
    }
    const status: WatchStatus = { running: this.running, mode: this.mode, roots: [...perRoot.values()] };
    if (this.lastScanAt !== undefined) status.lastScanAt = this.lastScanAt;
    return status;
  }

  /** Snapshot of the tracked file at absolute `path`, if any. */
  file(path: string): TrackedFile | undefined {
    const file = this.tracked.get(path) ?? this.tracked.get(resolve(path));
    return file && { ...file };
  }

  /** Snapshot of tracked files, optionally only those under the absolute folder `dir`. */
  files(dir?: string): TrackedFile[] {
    const prefix = dir === undefined ? undefined : resolve(dir) + sep;
    const out: TrackedFile[] = [];
    for (const file of this.tracked.values()) {
      if (prefix === undefined || file.path.startsWith(prefix)) out.push({ ...file });
    }
    return out;
  }

  /** Runs a full reconciliation scan now (also what the periodic timer does). */
  async reconcile(): Promise<void> {
    await this.scan(this.mode === 'polling' ? 'poll' : 'reconcile');
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
    if (name === 'unlinkDir' && this.roots.includes(absolute)) this.track(this.checkRoot(absolute));
    if (name === 'unlinkDir') {
      const prefix = absolute + sep;
      for (const file of [...this.tracked.keys(), ...this.shadows.keys(), ...this.markers]) {
        if (file.startsWith(prefix)) this.track(this.refresh(file));
      }
    } else if (name === 'addDir') {
      this.onNewFolder(absolute);
    } else {
      this.track(this.refresh(absolute));
    }
  }

  private onNewFolder(dir: string): void {
    if (this.newFolders.has(dir)) return;
    const parent = dirname(dir);
    const appeared = this.clock.now();
    this.newFolders.set(dir, appeared);
    // a parent already on its catch-up schedule scans this folder too
    if (this.newFolders.has(parent) && appeared - (this.newFolders.get(parent) as number) < NEW_FOLDER_RESCANS_MS[NEW_FOLDER_RESCANS_MS.length - 1]) return;
    this.track(this.scanDirectory(dir, new Set()));
    for (const delay of NEW_FOLDER_RESCANS_MS) {
      const timer = this.clock.setTimeout(() => {
        this.rescanTimers.delete(timer);
        if (this.running) this.track(this.scanDirectory(dir, new Set()));
      }, delay);
      this.rescanTimers.add(timer);
    }
  }

  private inNewFolder(path: string, now: number): boolean {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      const appeared = this.newFolders.get(dir);
      if (appeared !== undefined && now - appeared <= NEW_FOLDER_WINDOW_MS) return true;
      if (dirname(dir) === dir || this.roots.includes(dir)) return false;
    }
  }

  /** A first sighting in a new folder of a file renamed after its last write (see the header). */
  private async renamedUnseen(path: string, info: { size: number; mtimeMs: number; ctimeMs?: number }): Promise<boolean> {
    if (this.tracked.has(path) || info.size === 0 || info.ctimeMs === undefined || !(info.ctimeMs > info.mtimeMs)) return false;
    if (!this.inNewFolder(path, this.clock.now())) return false;
    try {
      return !(await this.probe.openForWriting([path])).has(path);
    } catch (error) {
      this.emit('error', { error: error as Error, path });
      return false;
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
      await this.checkRoot(ref.root);
      if (!this.available(ref.root)) return;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') this.gone(path);
      else this.emit('error', { error: error as Error, path });
      return;
    }
    if (!info.isFile()) return;
    const observation: FileObservation = { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev };
    if (kind === 'marker') {
      if (!this.markers.has(path)) {
        this.markers.add(path);
        await this.closeFolder(ref.root, path);
      }
    } else if (kind === 'shadow') {
      const previous = this.shadows.get(path);
      if (previous) this.shadowByInode.delete(inodeKey(previous));
      this.shadows.set(path, observation);
      this.shadowByInode.set(inodeKey(observation), path);
    } else {
      this.apply(ref, observation, await this.renamedUnseen(path, info));
    }
  }

  private apply(ref: FileRef, observation: FileObservation, renamed = false): void {
    const now = this.clock.now();
    const result = observe(this.tracked.get(ref.path), ref, observation, now);
    if (result.kind === 'unchanged') return;
    const file = result.file;
    if (result.kind === 'new') {
      this.tracked.set(file.path, file);
      if (this.cameByRename(file) || renamed) {
        this.complete(file, 'rename');
        return;
      }
    }
    this.emit('growing', { root: file.root, path: file.path, relativePath: file.relativePath, size: file.size, mtimeMs: file.mtimeMs });
  }

  /** A new file is a rename when its inode belongs to a live or just-vanished temp file, or to a just-vanished tracked file with identical size and mtime. */
  private cameByRename(file: TrackedFile): boolean {
    const key = inodeKey(file);
    if (file.ino === 0) return false;
    const shadowPath = this.shadowByInode.get(key);
    if (shadowPath !== undefined && shadowPath !== file.path) {
      this.dropShadow(shadowPath);
      return true;
    }
    const vanished = this.vanished.get(key);
    if (vanished && (vanished.shadow || (vanished.size === file.size && vanished.mtimeMs === file.mtimeMs))) {
      this.vanished.delete(key);
      return true;
    }
    return false;
  }

  private complete(file: TrackedFile, reason: CompleteReason): void {
    file.state = 'complete';
    this.emit('complete', { root: file.root, path: file.path, relativePath: file.relativePath, size: file.size, mtimeMs: file.mtimeMs, reason });
  }

  private gone(path: string): void {
    const now = this.clock.now();
    const file = this.tracked.get(path);
    if (file) {
      this.tracked.delete(path);
      this.vanished.set(inodeKey(file), { size: file.size, mtimeMs: file.mtimeMs, ino: file.ino, dev: file.dev, at: now, shadow: false });
      this.emit('removed', { root: file.root, path: file.path, relativePath: file.relativePath });
    }
    const shadow = this.shadows.get(path);
    if (shadow) {
      this.dropShadow(path);
      this.vanished.set(inodeKey(shadow), { ...shadow, at: now, shadow: true });
    }
    this.markers.delete(path);
  }

  private dropShadow(path: string): void {
    const shadow = this.shadows.get(path);
    if (!shadow) return;
    this.shadows.delete(path);
    if (this.shadowByInode.get(inodeKey(shadow)) === path) this.shadowByInode.delete(inodeKey(shadow));
  }

  /** Marker semantics: observe everything under the marker's folder, then complete it all. */
  private async closeFolder(root: string, markerPath: string): Promise<void> {
    const dir = dirname(markerPath);
    const seen = new Set<string>();
    await this.scanDirectory(dir, seen, false, false);
    // the files found there, not every file tracked: a marker costs its own folder's files
    const pending = [...seen].map((path) => this.tracked.get(path)).filter((file): file is TrackedFile => file?.state === 'pending');
    await this.forEachLimited(pending, (file) => this.refresh(file.path));
    for (const file of pending) {
      const current = this.tracked.get(file.path);
      if (current && current.state === 'pending') this.complete(current, 'marker');
    }
    this.emit('marker', { root, path: markerPath, dir });
  }

  // ---- periodic work -------------------------------------------------------------------

  private async runCheck(): Promise<void> {
    const now = this.clock.now();
    for (const [key, entry] of this.vanished) {
      if (now - entry.at > Math.max(10_000, 2 * this.stableMs)) this.vanished.delete(key);
    }
    for (const [dir, appeared] of this.newFolders) {
      if (now - appeared > NEW_FOLDER_WINDOW_MS) this.newFolders.delete(dir);
    }
    const due = [...this.tracked.values()].filter((file) => isStable(file, now, this.stableMs) && this.available(file.root));
    if (due.length === 0) return;
    await this.forEachLimited(due, (file) => this.refresh(file.path));
    const afterStat = this.clock.now();
    const candidates = due.filter((file) => this.tracked.get(file.path) === file && isStable(file, afterStat, this.stableMs) && this.available(file.root));
    if (candidates.length === 0) return;
    let open: Set<string>;
    try {
      open = await this.probe.openForWriting(candidates.map((file) => file.path));
    } catch (error) {
      this.emit('error', { error: error as Error });
      open = new Set();
    }
    for (const file of candidates) {
      if (open.has(file.path)) continue;
      if (this.tracked.get(file.path) === file && isStable(file, this.clock.now(), this.stableMs) && this.available(file.root)) this.complete(file, 'stable');
    }
  }

  private armCheck(): void {
    if (!this.running) return;
    this.checkTimer = this.clock.setTimeout(() => {
      this.checkPending()
        .catch((error: unknown) => this.emit('error', { error: error as Error }))
        .finally(() => this.armCheck());
    }, this.checkIntervalMs);
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

  /** Checks one root (calls for a root coalesce while one runs) and follows a change of its state. */
  private checkRoot(root: string): Promise<void> {
    const running = this.rootChecks.get(root);
    if (running) return running;
    const work = this.updateRoot(root).finally(() => this.rootChecks.delete(root));
    this.rootChecks.set(root, work);
    return work;
  }

  private async updateRoot(root: string): Promise<void> {
    const previous = this.health.get(root);
    const found = await checkFolder(root, this.fs, previous?.mountPoint === true);
    if (!this.running) return;
    const state = found.state === 'ok' ? 'watching' : found.state;
    const mountPoint = found.state === 'ok' ? found.mountPoint === true : previous?.mountPoint === true;
    if (previous && previous.state === state && previous.reason === found.reason) {
      previous.mountPoint = mountPoint;
      if (state === 'watching') await this.openSource(root); // again, if it failed to open
      return;
    }
    const next: RootHealth = { state, reason: found.reason, since: previous?.state === state ? previous.since : this.clock.now(), mountPoint };
    this.health.set(root, next);
    if (state === 'watching') await this.openSource(root);
    else await this.closeSource(root);
    // Outside this check: the catch-up's own stat failures check the root again.
    const after = (async () => {
      if (state === 'watching' && previous && previous.state !== 'watching') await this.catchUp(root);
      if (this.running && this.health.get(root) === next) {
        this.emit('folder', { root, state, reason: next.reason, since: next.since, previous: previous?.state ?? null });
      }
    })().catch((error: unknown) => this.emit('error', { error: error as Error, path: root }));
    this.transitions.add(after);
    void after.finally(() => this.transitions.delete(after));
  }

  private async openSource(root: string): Promise<void> {
    if (this.mode !== 'events' || this.sources.has(root)) return;
    const source = this.eventSourceFactory([root], (path, isDirectory) => this.ignoreForEvents(path, isDirectory), {
      event: (name, path) => this.onSourceEvent(name, path),
      error: (error) => this.emit('error', { error }),
    });
    this.sources.set(root, source);
    try {
      await source.ready;
    } catch (error) {
      // scans still find its files; the next folder check tries again
      this.emit('error', { error: error as Error, path: root });
      this.sources.delete(root);
      await source.close().catch(() => undefined);
    }
  }

  private async closeSource(root: string): Promise<void> {
    const source = this.sources.get(root);
    if (!source) return;
    this.sources.delete(root);
    await source.close();
  }

  /** A root that came back: observe what is in it now, and what left it meanwhile. */
  private async catchUp(root: string): Promise<void> {
    const started = this.clock.now();
    const seen = new Set<string>();
    await this.scanDirectory(root, seen, true);
    if (!this.available(root)) return;
    const missing = [...this.tracked.keys(), ...this.shadows.keys(), ...this.markers].filter((path) => !seen.has(path) && this.refOf(path)?.root === root);
    await this.forEachLimited(missing, (path) => this.refresh(path));
    this.emit('scan', { reason: 'resume', files: seen.size, durationMs: this.clock.now() - started });
  }

  private async scan(reason: WatchEventMap['scan']['reason']): Promise<void> {
    if (this.scanning) return this.scanning;
    this.scanning = (async () => {
      const started = this.clock.now();
      const seen = new Set<string>();
      for (const root of this.roots) if (this.available(root)) await this.scanDirectory(root, seen, true);
      const missing = [...this.tracked.keys(), ...this.shadows.keys(), ...this.markers]
        .filter((path) => !seen.has(path) && this.available(this.refOf(path)?.root ?? ''));
      await this.forEachLimited(missing, (path) => this.refresh(path));
      this.lastScanAt = this.clock.now();
      this.emit('scan', { reason, files: seen.size, durationMs: this.lastScanAt - started });
    })().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  /** Observes every relevant file below `dir`, adding their paths to `seen`. */
  private async scanDirectory(dir: string, seen: Set<string>, isRoot = false, includeMarkers = true): Promise<void> {
    const stack = [dir];
    const files: string[] = [];
    while (stack.length > 0 && this.running) {
      const current = stack.pop() as string;
      let entries;
      try {
        entries = await this.fs.readdir(current, { withFileTypes: true });
      } catch (error) {
        if (isRoot && current === dir) {
          // Most often the folder just went away: that is its state, not an error.
          await this.checkRoot(dir);
          if (this.available(dir)) this.emit('error', { error: new Error(`cannot read watched folder ${dir}: ${(error as Error).message}`), path: dir });
        }
        continue;
      }
      for (const entry of entries) {
        const path = current + sep + entry.name;
        const ref = this.refOf(path);
        if (!ref) continue;
        if (entry.isDirectory()) {
          if (!this.filter.skipDirectory(ref.relativePath)) stack.push(path);
        } else if (entry.isFile() && this.filter.classify(ref.relativePath) !== 'ignored') {
          files.push(path);
        }
      }
    }
    for (const path of files) seen.add(path);
    // Markers last, so the files they close have been observed.
    const isMarker = (path: string): boolean => this.filter.classify(this.refOf(path)?.relativePath ?? '') === 'marker';
    await this.forEachLimited(files.filter((path) => !isMarker(path)), (path) => this.refresh(path));
    if (includeMarkers) await this.forEachLimited(files.filter(isMarker), (path) => this.refresh(path));
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
}

function inodeKey(observation: FileObservation): string {
  return `${observation.dev}:${observation.ino}`;
}
