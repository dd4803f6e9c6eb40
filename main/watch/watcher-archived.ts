/**
 * The folder watcher's archived session folders: folders whose files were all uploaded and
 * verified as they are now (acquisition/archived-sessions.ts decides which), which a restart need
 * not list nor stat file by file.
 *
 * Contract:
 * - `skip(dir)`, asked by a scan for each immediate subfolder of a root: true when `dir` is
 *   archived and every folder in it still has the mtime it had when archived (a file added,
 *   removed or renamed anywhere in it changes one); the folder is then dormant: its files are not
 *   tracked and get no events. Otherwise it is forgotten as archived and the scan lists it. Only
 *   the initial scan puts folders to sleep: a folder whose files are tracked stays tracked.
 * - `confirm(again)` (after scans, in the background): each dormant folder not yet confirmed (with
 *   `again`: every dormant folder) has its recorded files stat'ed; one missing or with another size or mtime (written
 *   in place while nothing watched) wakes the folder. No file's bytes are read.
 * - `wake(dir)`: the folder is forgotten as archived and scanned like a new one: its files are
 *   tracked again, its marker closes it again (the session's manifest then names what changed).
 *   Any fs event below a dormant folder wakes it.
 */
import { sep } from 'node:path';
import type { WatcherContext } from './watcher-context.ts';
import type { ArchivedFolder, ArchivedFolders } from './watch-types.ts';

export interface ArchivedDeps extends Pick<WatcherContext, 'roots' | 'fs' | 'running' | 'forEachLimited' | 'track'> {
  archived: ArchivedFolders;
  /** Observes every file below `dir` (watcher-scans.ts). */
  scan(dir: string): Promise<void>;
}

export class DormantFolders {
  private readonly d: ArchivedDeps;
  private readonly dormant = new Map<string, ArchivedFolder>();
  private readonly unconfirmed = new Set<string>();
  private confirming: Promise<void> | undefined;
  /** The initial scan is over (confirm() follows it): no folder falls asleep any more. */
  private awake = false;

  constructor(deps: ArchivedDeps) {
    this.d = deps;
  }

  /** The confirmation under way, if any. */
  get current(): Promise<void> | undefined {
    return this.confirming;
  }

  status(): { folders: number; files: number; unconfirmed: number } {
    let files = 0;
    for (const folder of this.dormant.values()) files += folder.files;
    return { folders: this.dormant.size, files, unconfirmed: this.unconfirmed.size };
  }

  /** Whether a scan may leave `dir` (an immediate subfolder of a root) unlisted; see the header. */
  async skip(dir: string): Promise<boolean> {
    const folder = this.dormant.get(dir) ?? (this.awake ? undefined : this.d.archived.get(dir));
    if (!folder) return false;
    for (const [path, mtimeMs] of Object.entries(folder.dirs)) {
      let same = false;
      try {
        const st = await this.d.fs.stat(path);
        same = st.isDirectory() && st.mtimeMs === mtimeMs;
      } catch {
        // gone or unreadable: listed, so the scan says what became of it
      }
      if (!same) {
        this.release(dir);
        return false;
      }
    }
    if (!this.dormant.has(dir)) {
      this.dormant.set(dir, folder);
      this.unconfirmed.add(dir);
    }
    return true;
  }

  /** The dormant folder holding `path` (or being it), if any. */
  holding(path: string): string | undefined {
    if (this.dormant.size === 0) return undefined;
    for (const root of this.d.roots) {
      if (!path.startsWith(root + sep)) continue;
      const cut = path.indexOf(sep, root.length + 1);
      const dir = cut < 0 ? path : path.slice(0, cut);
      if (this.dormant.has(dir)) return dir;
    }
    return undefined;
  }

  wake(dir: string): void {
    if (!this.dormant.has(dir)) return;
    this.release(dir);
    this.d.track(this.d.scan(dir));
  }

  /** Starts confirming the dormant folders not confirmed yet, or with `again` all (see the header); one run at a time. */
  confirm(again = false): Promise<void> {
    this.awake = true;
    if (again) for (const dir of this.dormant.keys()) this.unconfirmed.add(dir);
    if (this.confirming) return this.confirming;
    this.confirming = (async () => {
      while (this.d.running()) {
        const next = this.unconfirmed.values().next();
        if (next.done) return;
        const dir = next.value;
        if (await this.unchanged(dir)) this.unconfirmed.delete(dir);
        else this.wake(dir);
      }
    })().finally(() => {
      this.confirming = undefined;
    });
    return this.confirming;
  }

  private async unchanged(dir: string): Promise<boolean> {
    const files = await this.d.archived.files(dir);
    if (!files) return false;
    let same = true;
    await this.d.forEachLimited(files, async (file) => {
      if (!same) return;
      try {
        const st = await this.d.fs.stat(dir + sep + file.path.split('/').join(sep));
        if (!st.isFile() || st.size !== file.size || st.mtimeMs !== file.mtimeMs) same = false;
      } catch {
        same = false;
      }
    });
    return same;
  }

  private release(dir: string): void {
    this.dormant.delete(dir);
    this.unconfirmed.delete(dir);
    this.d.archived.forget(dir);
  }
}
