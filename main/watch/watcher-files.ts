/**
 * The folder watcher's per-file decisions: which files it tracks, and when one is `growing`,
 * `complete` or `removed` (see folder-watcher.ts for the rules in full).
 *
 * Contract:
 * - `apply` takes each stat of a data file: a new file that took the inode of a temp (shadow) name,
 *   live or just vanished, or of a just-vanished tracked file with the same size and mtime, or that
 *   `renamedUnseen` judged renamed, completes at once (`rename`); any other new or changed file is
 *   `growing`.
 * - `completeStable(now)` completes files unchanged for `stableMs`, still unchanged after a fresh
 *   stat, and not open for writing (`stable`); files of a root that is not available are left as
 *   they are.
 * - `gone` forgets a file whose root is still there (`removed`), keeping its inode for a while
 *   (10 s or two `stableMs`) so a rename can be recognised.
 * - Marker paths and temp names are only remembered here; what a marker does is in watcher-scans.ts.
 */
import { isStable, observe, type FileObservation, type TrackedFile } from './file-state.ts';
import type { OpenWriterProbe } from './open-writer-probe.ts';
import type { WatcherContext } from './watcher-context.ts';
import type { CompleteReason, FileRef } from './watch-types.ts';

interface Vanished extends FileObservation {
  at: number;
  /** A temp/shadow name: its last seen size may predate the final writes. */
  shadow: boolean;
}

export interface WatchedFilesDeps extends Pick<WatcherContext, 'clock' | 'emit' | 'available' | 'refresh' | 'forEachLimited'> {
  stableMs: number;
  probe: OpenWriterProbe;
  /** Whether `path` is in a folder that appeared while running, recently enough to judge by ctime. */
  inNewFolder(path: string, now: number): boolean;
}

export class WatchedFiles {
  private readonly d: WatchedFilesDeps;
  private readonly tracked = new Map<string, TrackedFile>();
  /** Temp names (`*.part`, ...) seen, by path. */
  readonly shadows = new Map<string, FileObservation>();
  private readonly shadowByInode = new Map<string, string>();
  private readonly vanished = new Map<string, Vanished>();
  private readonly markers = new Set<string>();

  constructor(deps: WatchedFilesDeps) {
    this.d = deps;
  }

  get(path: string): TrackedFile | undefined {
    return this.tracked.get(path);
  }

  values(): IterableIterator<TrackedFile> {
    return this.tracked.values();
  }

  /** Every path known here: tracked files, temp names and markers. */
  paths(): string[] {
    return [...this.tracked.keys(), ...this.shadows.keys(), ...this.markers];
  }

  /** Remembers a marker; false when it was already known (it closes its folder once). */
  markerSeen(path: string): boolean {
    if (this.markers.has(path)) return false;
    this.markers.add(path);
    return true;
  }

  shadowSeen(path: string, observation: FileObservation): void {
    const previous = this.shadows.get(path);
    if (previous) this.shadowByInode.delete(inodeKey(previous));
    this.shadows.set(path, observation);
    this.shadowByInode.set(inodeKey(observation), path);
  }

  /** A stat of a file (not a marker or temp name) that `refresh` made; `renamed` per `renamedUnseen`. */
  apply(ref: FileRef, observation: FileObservation, renamed = false): void {
    const now = this.d.clock.now();
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
    this.d.emit('growing', { root: file.root, path: file.path, relativePath: file.relativePath, size: file.size, mtimeMs: file.mtimeMs });
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

  complete(file: TrackedFile, reason: CompleteReason): void {
    file.state = 'complete';
    this.d.emit('complete', { root: file.root, path: file.path, relativePath: file.relativePath, size: file.size, mtimeMs: file.mtimeMs, reason });
  }

  /** `path` is no longer there (its root is). */
  gone(path: string): void {
    const now = this.d.clock.now();
    const file = this.tracked.get(path);
    if (file) {
      this.tracked.delete(path);
      this.vanished.set(inodeKey(file), { size: file.size, mtimeMs: file.mtimeMs, ino: file.ino, dev: file.dev, at: now, shadow: false });
      this.d.emit('removed', { root: file.root, path: file.path, relativePath: file.relativePath });
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

  /** A first sighting in a new folder of a file renamed after its last write (see the header). */
  async renamedUnseen(path: string, info: { size: number; mtimeMs: number; ctimeMs?: number }): Promise<boolean> {
    if (this.tracked.has(path) || info.size === 0 || info.ctimeMs === undefined || !(info.ctimeMs > info.mtimeMs)) return false;
    if (!this.d.inNewFolder(path, this.d.clock.now())) return false;
    try {
      return !(await this.d.probe.openForWriting([path])).has(path);
    } catch (error) {
      this.d.emit('error', { error: error as Error, path });
      return false;
    }
  }

  /** The periodic check: completes the tracked files that stayed unchanged for `stableMs` and that no writer holds open. */
  async completeStable(now: number): Promise<void> {
    for (const [key, entry] of this.vanished) {
      if (now - entry.at > Math.max(10_000, 2 * this.d.stableMs)) this.vanished.delete(key);
    }
    const due = [...this.tracked.values()].filter((file) => isStable(file, now, this.d.stableMs) && this.d.available(file.root));
    if (due.length === 0) return;
    await this.d.forEachLimited(due, (file) => this.d.refresh(file.path));
    const afterStat = this.d.clock.now();
    const candidates = due.filter((file) => this.tracked.get(file.path) === file && isStable(file, afterStat, this.d.stableMs) && this.d.available(file.root));
    if (candidates.length === 0) return;
    let open: Set<string>;
    try {
      open = await this.d.probe.openForWriting(candidates.map((file) => file.path));
    } catch (error) {
      this.d.emit('error', { error: error as Error });
      open = new Set();
    }
    for (const file of candidates) {
      if (open.has(file.path)) continue;
      if (this.tracked.get(file.path) === file && isStable(file, this.d.clock.now(), this.d.stableMs) && this.d.available(file.root))
        this.complete(file, 'stable');
    }
  }
}

function inodeKey(observation: FileObservation): string {
  return `${observation.dev}:${observation.ino}`;
}
