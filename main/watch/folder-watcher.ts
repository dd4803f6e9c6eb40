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
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';

import { directoryEventSource } from './directory-event-source.ts';
import { isStable, observe, type FileObservation, type TrackedFile } from './file-state.ts';
import { defaultOpenWriterProbe, type OpenWriterProbe } from './open-writer-probe.ts';
import { createPathFilter, type PathFilter } from './patterns.ts';
import {
  type Clock,
  type CompleteReason,
  type EventSource,
  type EventSourceFactory,
  type FileRef,
  type RootStatus,
  systemClock,
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

const nodeFs: WatchFs = {
  stat: (path) => stat(path),
  readdir: (path, options) => readdir(path, options),
};

interface Vanished extends FileObservation {
  at: number;
  /** A temp/shadow name: its last seen size may predate the final writes. */
  shadow: boolean;
}

type Listener<K extends WatchEventName> = (event: WatchEventMap[K]) => void;

export class FolderWatcher {
  private readonly roots: string[];
  private readonly rootsByDepth: string[];
  private readonly mode: 'events' | 'polling';
  private readonly stableMs: number;
  private readonly checkIntervalMs: number;
  private readonly scanIntervalMs: number;
  private readonly statConcurrency: number;
  private readonly filter: PathFilter;
  private readonly fs: WatchFs;
  private readonly clock: Clock;
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

  private source: EventSource | undefined;
  private running = false;
  private checkTimer: unknown;
  private scanTimer: unknown;
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
    this.filter = createPathFilter(options);
    this.fs = deps.fs ?? nodeFs;
    this.clock = deps.clock ?? systemClock;
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

  /** Starts watching; resolves after the initial scan has observed every existing file. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.mode === 'events') {
      this.source = this.eventSourceFactory(this.roots, (path, isDirectory) => this.ignoreForEvents(path, isDirectory), {
        event: (name, path) => this.onSourceEvent(name, path),
        error: (error) => this.emit('error', { error }),
      });
      await this.source.ready;
    }
    await this.scan('initial');
    this.armCheck();
    this.armScan();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.clock.clearTimeout(this.checkTimer);
    this.clock.clearTimeout(this.scanTimer);
    for (const timer of this.rescanTimers) this.clock.clearTimeout(timer);
    this.rescanTimers.clear();
    const source = this.source;
    this.source = undefined;
    await source?.close();
    await Promise.allSettled([this.checking, this.scanning, ...this.inflight.values()]);
  }

  status(): WatchStatus {
    const perRoot = new Map<string, RootStatus>(this.roots.map((root) => [root, { root, seen: 0, pending: 0, complete: 0 }]));
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
    if (!ref) return;
    const kind = this.filter.classify(ref.relativePath);
    if (kind === 'ignored') return;
    let info;
    try {
      info = await this.fs.stat(path);
    } catch (error) {
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
    const due = [...this.tracked.values()].filter((file) => isStable(file, now, this.stableMs));
    if (due.length === 0) return;
    await this.forEachLimited(due, (file) => this.refresh(file.path));
    const afterStat = this.clock.now();
    const candidates = due.filter((file) => this.tracked.get(file.path) === file && isStable(file, afterStat, this.stableMs));
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
      if (this.tracked.get(file.path) === file && isStable(file, this.clock.now(), this.stableMs)) this.complete(file, 'stable');
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

  private async scan(reason: WatchEventMap['scan']['reason']): Promise<void> {
    if (this.scanning) return this.scanning;
    this.scanning = (async () => {
      const started = this.clock.now();
      const seen = new Set<string>();
      for (const root of this.roots) await this.scanDirectory(root, seen, true);
      const missing = [...this.tracked.keys(), ...this.shadows.keys(), ...this.markers].filter((path) => !seen.has(path));
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
        if (isRoot && current === dir) this.emit('error', { error: new Error(`cannot read watched folder ${dir}: ${(error as Error).message}`), path: dir });
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
