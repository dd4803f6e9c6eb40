/**
 * Groups watched files into sessions and hands a manifest over when a session closes.
 *
 * Definition of a session (`layout`):
 * - `subfolder` (default): each immediate subfolder of a watched root is one session
 *   (root/2024-05-01_mouse3/**); files lying directly in the root form the root's own session.
 * - `root`: each watched root is one session.
 *
 * A session closes when (a) a marker file appears in its folder or above it (the watcher has
 * already completed every file below the marker), once all its files are complete, or (b) all
 * its files are complete and none has changed for `idleMs`. Closing builds the manifest and
 * passes it to `onManifest`. A file that changes after close reopens the session; it closes
 * again later with `generation` + 1. A session whose watched folder is missing or unreadable
 * does not close: its files cannot be read for the manifest until the folder is back.
 *
 * Cost: a session knows its files' paths from the watcher's events, so checking it costs its own
 * files, not every file watched (with a watcher that offers `file(path)`).
 */
import { basename, relative, sep } from 'node:path';

import type { TrackedFile } from '../watch/file-state.ts';
import { type WatchClock, systemWatchClock, type WatchEventMap, type WatchEventName } from '../watch/watch-types.ts';
import { buildManifest, type Manifest, type ManifestDeps, type ManifestInput } from './manifest.ts';

/** The slice of FolderWatcher a tracker needs. */
export interface WatcherLike {
  on<K extends WatchEventName>(name: K, listener: (event: WatchEventMap[K]) => void): () => void;
  files(dir?: string): TrackedFile[];
  /** The tracked file at an absolute path; when given, a session's files are looked up by path, not by scanning `files()`. */
  file?(path: string): TrackedFile | undefined;
  /** Whether a watched folder can be read now (default: always). */
  available?(root: string): boolean;
}

export interface SessionInfo {
  root: string;
  dir: string;
  relativePath: string;
  generation: number;
}

export interface SessionTrackerOptions {
  layout?: 'subfolder' | 'root';
  /** Quiet time after which a fully complete session closes without a marker (default 120000). */
  idleMs?: number;
  /** Period of the idle check (default min(1000, idleMs / 4)). */
  checkIntervalMs?: number;
  onManifest: (manifest: Manifest, session: SessionInfo) => Promise<void> | void;
  onError?: (error: Error, session: SessionInfo) => void;
  clock?: WatchClock;
  manifestDeps?: ManifestDeps;
  build?: (input: ManifestInput, deps?: ManifestDeps) => Promise<Manifest>;
}

interface SessionState extends SessionInfo {
  lastActivityAt: number;
  closed: boolean;
  closing: boolean;
  marker?: string;
  /** Paths of its files reported so far (growing or complete, not removed). */
  paths: Set<string>;
}

export class SessionTracker {
  private readonly watcher: WatcherLike;
  private readonly layout: 'subfolder' | 'root';
  private readonly idleMs: number;
  private readonly checkIntervalMs: number;
  private readonly clock: WatchClock;
  private readonly options: SessionTrackerOptions;
  private readonly sessions = new Map<string, SessionState>();
  private readonly unsubscribe: Array<() => void> = [];
  private timer: unknown;
  private running = false;
  private readonly closings = new Set<Promise<void>>();

  constructor(watcher: WatcherLike, options: SessionTrackerOptions) {
    this.watcher = watcher;
    this.options = options;
    this.layout = options.layout ?? 'subfolder';
    this.idleMs = options.idleMs ?? 120_000;
    this.checkIntervalMs = options.checkIntervalMs ?? Math.max(20, Math.min(1000, Math.floor(this.idleMs / 4)));
    this.clock = options.clock ?? systemWatchClock;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const touch = (event: { root: string; path: string }) => this.touch(event.root, event.path, true);
    this.unsubscribe.push(
      this.watcher.on('growing', touch),
      this.watcher.on('complete', touch),
      this.watcher.on('removed', (event) => this.touch(event.root, event.path, false)),
      this.watcher.on('marker', (event) => this.onMarker(event)),
    );
    for (const file of this.watcher.files()) this.sessionFor(file.root, this.sessionDirOf(file.root, file.path)).paths.add(file.path);
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    for (const off of this.unsubscribe.splice(0)) off();
    await Promise.allSettled([...this.closings]);
  }

  /** Sessions known so far. */
  list(): Array<SessionInfo & { closed: boolean }> {
    return [...this.sessions.values()].map(({ root, dir, relativePath, generation, closed }) => ({ root, dir, relativePath, generation, closed }));
  }

  /** The session folder that `path` (a file under `root`) belongs to. */
  sessionDirOf(root: string, path: string): string {
    if (this.layout === 'root') return root;
    // watcher paths are absolute and normalized: below `root` they start with it
    const rel = path.startsWith(root + sep) ? path.slice(root.length + 1) : relative(root, path);
    const cut = rel.indexOf(sep);
    return cut < 0 ? root : root + sep + rel.slice(0, cut);
  }

  private touch(root: string, path: string, present: boolean): void {
    const session = this.sessionFor(root, this.sessionDirOf(root, path));
    if (present) session.paths.add(path);
    else session.paths.delete(path);
    session.lastActivityAt = this.clock.now();
    if (session.closed) {
      session.closed = false;
      session.generation++;
      delete session.marker;
    }
  }

  private sessionFor(root: string, dir: string): SessionState {
    let session = this.sessions.get(dir);
    if (!session) {
      session = {
        root,
        dir,
        relativePath: relative(root, dir).split(sep).join('/'),
        generation: 1,
        lastActivityAt: this.clock.now(),
        closed: false,
        closing: false,
        paths: new Set(),
      };
      this.sessions.set(dir, session);
    }
    return session;
  }

  private onMarker(event: WatchEventMap['marker']): void {
    const markerDir = event.dir;
    const targets = [...this.sessions.values()].filter((session) => session.dir === markerDir || session.dir.startsWith(markerDir + sep));
    const own = this.sessionDirOf(event.root, event.path);
    if (!targets.some((session) => session.dir === own) && (own === markerDir || markerDir.startsWith(own + sep) || own.startsWith(markerDir + sep))) {
      targets.push(this.sessionFor(event.root, own));
    }
    for (const session of targets) {
      if (session.closed) continue;
      session.marker = basename(event.path);
      this.tryClose(session, this.clock.now());
    }
  }

  /** The session's files when every one is complete; undefined as soon as one is not. */
  private completeFilesOf(session: SessionState): TrackedFile[] | undefined {
    if (!this.watcher.file) {
      const files = this.watcher.files(session.dir).filter((file) => this.sessionDirOf(file.root, file.path) === session.dir);
      return files.every((file) => file.state === 'complete') ? files : undefined;
    }
    const files: TrackedFile[] = [];
    for (const path of session.paths) {
      const file = this.watcher.file(path);
      if (!file) continue;
      if (file.state !== 'complete') return undefined;
      files.push(file);
    }
    return files;
  }

  private tryClose(session: SessionState, now: number): void {
    if (session.closed || session.closing) return;
    if (this.watcher.available && !this.watcher.available(session.root)) return;
    const byMarker = session.marker !== undefined;
    if (!byMarker && now - session.lastActivityAt < this.idleMs) return;
    const files = this.completeFilesOf(session);
    if (files === undefined || files.length === 0) return;
    session.closing = true;
    const generation = session.generation;
    const input: ManifestInput = {
      root: session.root,
      dir: session.dir,
      files: files.map((file) => file.path),
      closedBy: byMarker ? 'marker' : 'idle',
      generation,
      observed: new Map(files.map((file) => [file.path, { size: file.size, mtimeMs: file.mtimeMs }])),
    };
    if (session.marker !== undefined) input.marker = session.marker;
    const build = this.options.build ?? buildManifest;
    const work = (async () => {
      try {
        const manifest = await build(input, this.options.manifestDeps);
        if (session.generation !== generation) return;
        session.closed = true;
        await this.options.onManifest(manifest, { root: session.root, dir: session.dir, relativePath: session.relativePath, generation });
      } catch (error) {
        this.options.onError?.(error as Error, { root: session.root, dir: session.dir, relativePath: session.relativePath, generation });
      } finally {
        session.closing = false;
      }
    })();
    this.closings.add(work);
    void work.finally(() => this.closings.delete(work));
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      const now = this.clock.now();
      for (const session of this.sessions.values()) this.tryClose(session, now);
      this.arm();
    }, this.checkIntervalMs);
  }
}
