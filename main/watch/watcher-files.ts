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
 *   they are. A file whose probe failed (now or since it became pending) completes by the window
 *   alone, as with no probe at all.
 * - `completeClosed(now)` probes the pending files whose writers the probe can see, and completes
 *   those whose writer it saw close, per writer-close.ts (`closed`): no writer for `closeGraceMs`,
 *   and size and mtime unchanged that long, by stats before and after the final probe. A failed
 *   probe (an error or no answer in time, probe-guard.ts) completes nothing and marks every file
 *   it was asked about `probeFailed`: their writers are unknown, so they wait for the window.
 * - `gone` forgets a file whose root is still there (`removed`), keeping its inode for a while
 *   (10 s or two `stableMs`) so a rename can be recognised.
 * - Marker paths and temp names are only remembered here; what a marker does is in watcher-scans.ts.
 */
import { isStable, observe, type FileObservation, type TrackedFile } from './file-state.ts';
import type { ProbeGuard } from './probe-guard.ts';
import { closedFor, forgetWriter, newWriterWatch, recordProbe, wantsCloseChecks, wantsProbe, type WriterWatch } from './writer-close.ts';
import type { WatcherContext } from './watcher-context.ts';
import type { CompleteReason, FileRef } from './watch-types.ts';

interface Vanished extends FileObservation {
  at: number;
  /** A temp/shadow name: its last seen size may predate the final writes. */
  shadow: boolean;
}

export interface WatchedFilesDeps extends Pick<WatcherContext, 'clock' | 'emit' | 'available' | 'refresh' | 'forEachLimited'> {
  stableMs: number;
  /** How long a file whose writer was seen to close must stay closed and unchanged (writer-close.ts). */
  closeGraceMs: number;
  /** How often a pending file whose writer was not seen (yet) is probed again. */
  discoveryMs: number;
  /** A file became pending (new, or changed after it completed): its writer is to be looked for soon. */
  becamePending(): void;
  probe: ProbeGuard;
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
  private readonly writers = new WeakMap<TrackedFile, WriterWatch>();

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
    if (result.kind === 'new' || result.reopened) this.d.becamePending();
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
    forgetWriter(this.writerOf(file));
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
    const open = await this.d.probe.openForWriting([path]);
    return open !== undefined && !open.has(path);
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
    const asked = candidates.filter((file) => !this.writerOf(file).probeFailed);
    const open = asked.length === 0 ? new Set<string>() : await this.d.probe.openForWriting(asked.map((file) => file.path));
    for (const file of candidates) {
      if (open?.has(file.path)) continue;
      if (this.tracked.get(file.path) === file && isStable(file, this.d.clock.now(), this.d.stableMs) && this.d.available(file.root))
        this.complete(file, 'stable');
    }
  }

  private writerOf(file: TrackedFile): WriterWatch {
    let watch = this.writers.get(file);
    if (watch === undefined) this.writers.set(file, (watch = newWriterWatch()));
    return watch;
  }

  /** Whether some pending file wants the close checks at their short interval. */
  wantsCloseChecks(): boolean {
    for (const file of this.tracked.values()) {
      if (file.state === 'pending' && this.d.available(file.root) && wantsCloseChecks(this.writerOf(file), file)) return true;
    }
    return false;
  }

  /** The close check (see the header and writer-close.ts). */
  async completeClosed(now: number): Promise<void> {
    const pending = [...this.tracked.values()].filter((file) => file.state === 'pending' && this.d.available(file.root));
    const unasked = pending.filter((file) => this.writerOf(file).visible === undefined);
    if (unasked.length > 0) {
      const visible = await this.d.probe.writersVisible(unasked.map((file) => file.path));
      for (const file of unasked) {
        const watch = this.writerOf(file);
        watch.visible = visible?.has(file.path) === true;
        if (visible === undefined) watch.probeFailed = true;
      }
    }
    const probed = pending.filter((file) => wantsProbe(this.writerOf(file), file, now, this.d.discoveryMs, this.d.closeGraceMs));
    if (probed.length === 0) return;
    const due = probed.filter((file) => closedFor(this.writerOf(file), file, now, this.d.closeGraceMs));
    await this.d.forEachLimited(due, (file) => this.d.refresh(file.path));
    const changedAt = new Map(due.map((file) => [file, file.changedAt]));
    const open = await this.d.probe.openForWriting(probed.map((file) => file.path));
    if (open === undefined) {
      for (const file of probed) this.writerOf(file).probeFailed = true;
      return;
    }
    const answeredAt = this.d.clock.now();
    const closed: TrackedFile[] = [];
    for (const file of probed) {
      if (this.tracked.get(file.path) !== file || file.state !== 'pending') continue;
      const watch = this.writerOf(file);
      recordProbe(watch, open.has(file.path), answeredAt);
      if (changedAt.has(file) && !open.has(file.path)) closed.push(file);
    }
    if (closed.length === 0) return;
    await this.d.forEachLimited(closed, (file) => this.d.refresh(file.path));
    const at = this.d.clock.now();
    for (const file of closed) {
      const unchanged = file.changedAt === changedAt.get(file);
      if (this.tracked.get(file.path) === file && unchanged && closedFor(this.writerOf(file), file, at, this.d.closeGraceMs) && this.d.available(file.root))
        this.complete(file, 'closed');
    }
  }
}

function inodeKey(observation: FileObservation): string {
  return `${observation.dev}:${observation.ino}`;
}
