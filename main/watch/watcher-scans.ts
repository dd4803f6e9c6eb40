/**
 * The folder watcher's scans: what it finds by listing folders rather than from fs events.
 *
 * Contract:
 * - `scan(reason)`: every available root is listed, every relevant file found is refreshed (data
 *   files first, markers last so the files they close have been observed), and every known path
 *   not found is refreshed too (it may be gone); then a `scan` event. Concurrent calls share one
 *   scan.
 * - `catchUp(root)`: the same for one root that came back (`scan` reason `resume`).
 * - `closeFolder(root, marker)`: a marker completes every pending file found below its folder
 *   (its own folder's files, not every file tracked), then a `marker` event.
 * - `onNewFolder(dir)`: a folder created while running is scanned at once and again at each of
 *   NEW_FOLDER_RESCANS_MS (until the event source watches it, events inside it are lost), unless a
 *   parent on its own catch-up schedule covers it; `inNewFolder` says whether a path is in such a
 *   folder within NEW_FOLDER_WINDOW_MS.
 * - A root that cannot be listed is checked (watcher-roots.ts): gone is a state, not an error.
 * - A listing leaves out the immediate subfolders of a root that are archived and unchanged
 *   (watcher-archived.ts); after a scan they are confirmed in the background (after the initial
 *   scan, those not confirmed yet; after a later scan or a catch-up, all again: no fs event tells
 *   of a file written in place while nothing watched, or on a share polled without events).
 */
import { dirname, sep } from 'node:path';
import type { WatchedFiles } from './watcher-files.ts';
import type { WatcherContext } from './watcher-context.ts';
import type { TrackedFile } from './file-state.ts';
import type { WatchEventMap } from './watch-types.ts';
import type { DormantFolders } from './watcher-archived.ts';

/** Catch-up scans of a new folder after the immediate one, ms after it appeared. */
export const NEW_FOLDER_RESCANS_MS: readonly number[] = [50, 250, 1000, 3000];
/** How long after a folder appeared a first sighting may be judged by ctime (above). */
export const NEW_FOLDER_WINDOW_MS = 10_000;

export interface FolderScansDeps extends WatcherContext {
  files: Pick<WatchedFiles, 'paths' | 'get' | 'complete'>;
  dormant?: Pick<DormantFolders, 'skip' | 'confirm'>;
}

export class FolderScans {
  private readonly d: FolderScansDeps;
  /** Folders created while running, by path: when they appeared. */
  private readonly newFolders = new Map<string, number>();
  private readonly rescanTimers = new Set<unknown>();
  private scanning: Promise<void> | undefined;
  private lastScan: number | undefined;

  constructor(deps: FolderScansDeps) {
    this.d = deps;
  }

  /** The full scan under way, if any. */
  get current(): Promise<void> | undefined {
    return this.scanning;
  }

  /** When the last full scan ended. */
  get lastScanAt(): number | undefined {
    return this.lastScan;
  }

  /** Cancels the catch-up scans of new folders (stop). */
  stop(): void {
    for (const timer of this.rescanTimers) this.d.clock.clearTimeout(timer);
    this.rescanTimers.clear();
  }

  /** Forgets new folders whose window has passed (the periodic check). */
  forgetOldFolders(now: number): void {
    for (const [dir, appeared] of this.newFolders) {
      if (now - appeared > NEW_FOLDER_WINDOW_MS) this.newFolders.delete(dir);
    }
  }

  /** A folder appeared while running: scan it now and on the catch-up schedule. */
  onNewFolder(dir: string): void {
    if (this.newFolders.has(dir)) return;
    const parent = dirname(dir);
    const appeared = this.d.clock.now();
    this.newFolders.set(dir, appeared);
    // a parent already on its catch-up schedule scans this folder too
    if (this.newFolders.has(parent) && appeared - (this.newFolders.get(parent) as number) < NEW_FOLDER_RESCANS_MS[NEW_FOLDER_RESCANS_MS.length - 1]) return;
    this.d.track(this.scanDirectory(dir, new Set()));
    for (const delay of NEW_FOLDER_RESCANS_MS) {
      const timer = this.d.clock.setTimeout(() => {
        this.rescanTimers.delete(timer);
        if (this.d.running()) this.d.track(this.scanDirectory(dir, new Set()));
      }, delay);
      this.rescanTimers.add(timer);
    }
  }

  inNewFolder(path: string, now: number): boolean {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      const appeared = this.newFolders.get(dir);
      if (appeared !== undefined && now - appeared <= NEW_FOLDER_WINDOW_MS) return true;
      if (dirname(dir) === dir || this.d.roots.includes(dir)) return false;
    }
  }

  /** Marker semantics: observe everything under the marker's folder, then complete it all. */
  async closeFolder(root: string, markerPath: string): Promise<void> {
    const dir = dirname(markerPath);
    const seen = new Set<string>();
    await this.scanDirectory(dir, seen, false, false);
    // the files found there, not every file tracked: a marker costs its own folder's files
    const pending = [...seen].map((path) => this.d.files.get(path)).filter((file): file is TrackedFile => file?.state === 'pending');
    await this.d.forEachLimited(pending, (file) => this.d.refresh(file.path));
    for (const file of pending) {
      const current = this.d.files.get(file.path);
      if (current && current.state === 'pending') this.d.files.complete(current, 'marker');
    }
    this.d.emit('marker', { root, path: markerPath, dir });
  }

  /** A root that came back: observe what is in it now, and what left it meanwhile. */
  async catchUp(root: string): Promise<void> {
    const started = this.d.clock.now();
    const seen = new Set<string>();
    await this.scanDirectory(root, seen, true);
    if (!this.d.available(root)) return;
    const missing = this.d.files.paths().filter((path) => !seen.has(path) && this.d.refOf(path)?.root === root);
    await this.d.forEachLimited(missing, (path) => this.d.refresh(path));
    this.d.emit('scan', { reason: 'resume', files: seen.size, durationMs: this.d.clock.now() - started });
    if (this.d.dormant) this.d.track(this.d.dormant.confirm(true));
  }

  async scan(reason: WatchEventMap['scan']['reason']): Promise<void> {
    if (this.scanning) return this.scanning;
    this.scanning = (async () => {
      const started = this.d.clock.now();
      const seen = new Set<string>();
      for (const root of this.d.roots) if (this.d.available(root)) await this.scanDirectory(root, seen, true);
      const missing = this.d.files.paths().filter((path) => !seen.has(path) && this.d.available(this.d.refOf(path)?.root ?? ''));
      await this.d.forEachLimited(missing, (path) => this.d.refresh(path));
      this.lastScan = this.d.clock.now();
      this.d.emit('scan', { reason, files: seen.size, durationMs: this.lastScan - started });
      if (this.d.dormant) this.d.track(this.d.dormant.confirm(reason !== 'initial'));
    })().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  /** Observes every relevant file below `dir`, adding their paths to `seen`. */
  async scanDirectory(dir: string, seen: Set<string>, isRoot = false, includeMarkers = true): Promise<void> {
    const stack = [dir];
    const files: string[] = [];
    while (stack.length > 0 && this.d.running()) {
      const current = stack.pop() as string;
      let entries;
      try {
        entries = await this.d.fs.readdir(current, { withFileTypes: true });
      } catch (error) {
        if (isRoot && current === dir) {
          // Most often the folder just went away: that is its state, not an error.
          await this.d.checkRoot(dir);
          if (this.d.available(dir)) this.d.emit('error', { error: new Error(`cannot read watched folder ${dir}: ${(error as Error).message}`), path: dir });
        }
        continue;
      }
      const sessionFolders: string[] = [];
      const atRoot = this.d.dormant !== undefined && this.d.roots.includes(current);
      for (const entry of entries) {
        const path = current + sep + entry.name;
        const ref = this.d.refOf(path);
        if (!ref) continue;
        if (entry.isDirectory()) {
          if (this.d.filter.skipDirectory(ref.relativePath)) continue;
          if (atRoot) sessionFolders.push(path);
          else stack.push(path);
        } else if (entry.isFile() && this.d.filter.classify(ref.relativePath) !== 'ignored') {
          files.push(path);
        }
      }
      const dormant = this.d.dormant;
      if (dormant) {
        await this.d.forEachLimited(sessionFolders, async (path) => {
          if (!(await dormant.skip(path))) stack.push(path);
        });
      }
    }
    for (const path of files) seen.add(path);
    // Markers last, so the files they close have been observed.
    const isMarker = (path: string): boolean => this.d.filter.classify(this.d.refOf(path)?.relativePath ?? '') === 'marker';
    await this.d.forEachLimited(
      files.filter((path) => !isMarker(path)),
      (path) => this.d.refresh(path),
    );
    if (includeMarkers) await this.d.forEachLimited(files.filter(isMarker), (path) => this.d.refresh(path));
  }
}
