/**
 * Which session folders are archived: every file in them uploaded and verified as it is now. The
 * watcher leaves such folders unlisted and untracked at start-up while none of their folders
 * changed (watch/watcher-archived.ts), so a restart does not grow with the archive.
 *
 * Contract:
 * - `consider(dir, files)` when a session folder (an immediate subfolder of a watched root) closed
 *   with a manifest of `files`: once the latest upload of each of them is verified with the size
 *   and mtime the manifest names (now, or as `verified` reports them), the folder is walked, each
 *   folder in it stat'ed before it is listed. It is archived, with its folders' mtimes, only if the
 *   included files found are exactly the manifest's and no temp name is among them; a folder that
 *   changed within MIN_AGE_MS is walked again that much later (a coarse mtime could hide a change
 *   made within the same tick). Anything else records nothing: the next start scans the folder as
 *   before and it is considered again. A change after the walk moves a folder's mtime (an entry
 *   added, removed or renamed) or a file's size or mtime (written in place); the watcher checks both.
 * - `forget(dir)`: the folder is not archived any more.
 * - `files(dir)`: the files of the session's last manifest (session/manifest-history.ts).
 * - Kept in one file, a JSON line per change (archived, forgotten), each appended and fdatasync'ed
 *   before the next; read whole at `open` up to the first torn or unreadable line, and rewritten
 *   compact there (temp file, fsync, rename) when it holds a torn tail or many stale lines. Lost
 *   lines cost a scan at the next start, never a file: only an entry wrongly kept could, and an
 *   entry is written only after the walk above.
 */
import * as nodeFs from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ManifestFile } from '../session/manifest.ts';
import type { ArchivedFile, ArchivedFolder, ArchivedFolders } from '../watch/watch-types.ts';
import type { PathFilter } from '../watch/patterns.ts';
import { backgroundTimers, systemClock, type Clock, type Timeouts } from '../common/time.ts';
import { fsyncDir } from '../common/fsync-dir.ts';

/** How long a folder must have been left unchanged before it is archived. */
export const MIN_AGE_MS = 2000;

export interface ArchiveFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  open(path: string, flags: 'a' | 'w'): Promise<Pick<nodeFs.FileHandle, 'write' | 'datasync' | 'sync' | 'close'>>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<{ mtimeMs: number; isDirectory(): boolean }>;
  readdir(path: string, options: { withFileTypes: true }): Promise<Array<{ name: string; isFile(): boolean; isDirectory(): boolean }>>;
}

const realFs: ArchiveFs = {
  readFile: (path, encoding) => nodeFs.readFile(path, encoding),
  open: (path, flags) => nodeFs.open(path, flags),
  rename: (from, to) => nodeFs.rename(from, to),
  stat: (path) => nodeFs.stat(path),
  readdir: (path, options) => nodeFs.readdir(path, options),
};

export interface ArchivedSessionsOptions {
  /** The file holding the records. */
  path: string;
  /** The watched folders, absolute. */
  roots: readonly string[];
  /** Which files a session holds (watch/patterns.ts, with the watcher's settings). */
  filter: Pick<PathFilter, 'classify' | 'skipDirectory'>;
  /** The session's last manifest (session/manifest-history.ts). */
  last(sessionDir: string): Promise<{ files: readonly ManifestFile[] } | undefined>;
  /** Whether the latest upload of an absolute path is verified with that size and mtime (UploadEngine.verifiedAs). */
  verifiedAs(path: string, size: number, mtimeMs: number): boolean;
  fs?: ArchiveFs;
  clock?: Clock;
  timers?: Timeouts;
  onError?: (error: Error) => void;
}

type Line = { dir: string; dirs: Record<string, number>; files: number } | { dir: string; forget: true };

function isLine(v: unknown): v is Line {
  const l = v as Record<string, unknown> | null;
  if (typeof l !== 'object' || l === null || typeof l.dir !== 'string') return false;
  if (l.forget === true) return true;
  return typeof l.files === 'number' && typeof l.dirs === 'object' && l.dirs !== null && Object.values(l.dirs).every((m) => typeof m === 'number');
}

interface Waiting {
  files: readonly ManifestFile[];
  /** Absolute paths not verified yet, with the size and mtime they must be verified with. */
  left: Map<string, ManifestFile>;
}

export class ArchivedSessions implements ArchivedFolders {
  readonly #o: ArchivedSessionsOptions;
  readonly #fs: ArchiveFs;
  readonly #clock: Clock;
  readonly #timers: Timeouts;
  readonly #entries = new Map<string, ArchivedFolder>();
  readonly #waiting = new Map<string, Waiting>();
  readonly #timersSet = new Set<unknown>();
  readonly #walks = new Set<Promise<void>>();
  #fh: Awaited<ReturnType<ArchiveFs['open']>> | undefined;
  #writes: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(options: ArchivedSessionsOptions) {
    this.#o = options;
    this.#fs = options.fs ?? realFs;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? backgroundTimers;
  }

  static async open(options: ArchivedSessionsOptions): Promise<ArchivedSessions> {
    const s = new ArchivedSessions(options);
    await s.#load();
    return s;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(dir: string): ArchivedFolder | undefined {
    return this.#entries.get(dir);
  }

  async files(dir: string): Promise<readonly ArchivedFile[] | undefined> {
    return (await this.#o.last(dir))?.files;
  }

  forget(dir: string): void {
    if (!this.#entries.delete(dir)) return;
    this.#append({ dir, forget: true });
  }

  consider(dir: string, files: readonly ManifestFile[]): void {
    if (this.#closed || !this.#o.roots.includes(dirname(dir))) return;
    const left = new Map<string, ManifestFile>();
    for (const file of files) {
      const path = join(dir, ...file.path.split('/'));
      if (!this.#o.verifiedAs(path, file.size, file.mtimeMs)) left.set(path, file);
    }
    this.#waiting.set(dir, { files, left });
    if (left.size === 0) this.#settle(dir);
  }

  /** The upload of `path` (absolute) was just verified. */
  verified(path: string): void {
    const dir = this.#sessionOf(path);
    const waiting = dir === undefined ? undefined : this.#waiting.get(dir);
    const file = waiting?.left.get(path);
    if (!waiting || !file || !this.#o.verifiedAs(path, file.size, file.mtimeMs)) return;
    waiting.left.delete(path);
    if (waiting.left.size === 0) this.#settle(dir!);
  }

  /** Resolves once the walks and writes under way are done (later walks, after MIN_AGE_MS, are not waited for). */
  async idle(): Promise<void> {
    while (this.#walks.size > 0) await Promise.allSettled([...this.#walks]);
    await this.#writes;
  }

  /** Waits for the walks and writes under way, then closes the file. */
  async close(): Promise<void> {
    for (const timer of this.#timersSet) this.#timers.clearTimeout(timer);
    this.#timersSet.clear();
    this.#waiting.clear();
    await this.idle();
    this.#closed = true;
    await this.#fh?.close();
    this.#fh = undefined;
  }

  #sessionOf(path: string): string | undefined {
    for (const root of this.#o.roots) {
      if (!path.startsWith(root + sep)) continue;
      const cut = path.indexOf(sep, root.length + 1);
      if (cut > 0) return path.slice(0, cut);
    }
    return undefined;
  }

  #settle(dir: string): void {
    const waiting = this.#waiting.get(dir);
    if (!waiting || this.#closed) return;
    this.#waiting.delete(dir);
    const walk = (async () => {
      const found = await this.#walk(dir, waiting.files);
      if (this.#closed) return;
      if (found === 'fresh') {
        this.#waiting.set(dir, waiting);
        const timer = this.#timers.setTimeout(() => {
          this.#timersSet.delete(timer);
          if (this.#waiting.get(dir) === waiting) this.#settle(dir);
        }, MIN_AGE_MS);
        this.#timersSet.add(timer);
        return;
      }
      if (!found || this.#waiting.has(dir)) return;
      this.#entries.set(dir, found);
      this.#append({ dir, dirs: found.dirs, files: found.files });
    })().catch((error: unknown) => this.#o.onError?.(error as Error));
    this.#walks.add(walk);
    void walk.finally(() => this.#walks.delete(walk));
  }

  /** The folder as it is now when it holds exactly `files` (see the header); 'fresh' when a folder in it changed too recently. */
  async #walk(dir: string, files: readonly ManifestFile[]): Promise<ArchivedFolder | 'fresh' | undefined> {
    const root = dirname(dir);
    const expected = new Set(files.map((file) => file.path));
    const dirs: Record<string, number> = {};
    const now = this.#clock.now();
    let found = 0;
    const stack = [dir];
    try {
      while (stack.length > 0) {
        const current = stack.pop() as string;
        const st = await this.#fs.stat(current);
        if (!st.isDirectory()) return undefined;
        if (now - st.mtimeMs < MIN_AGE_MS) return 'fresh';
        dirs[current] = st.mtimeMs;
        for (const entry of await this.#fs.readdir(current, { withFileTypes: true })) {
          const path = join(current, entry.name);
          const rel = relative(root, path).split(sep).join('/');
          if (entry.isDirectory()) {
            if (!this.#o.filter.skipDirectory(rel)) stack.push(path);
            continue;
          }
          if (!entry.isFile()) continue;
          const kind = this.#o.filter.classify(rel);
          if (kind === 'shadow') return undefined;
          if (kind !== 'included') continue;
          if (!expected.has(relative(dir, path).split(sep).join('/'))) return undefined;
          found++;
        }
      }
    } catch {
      return undefined;
    }
    return found === expected.size ? { dirs, files: found } : undefined;
  }

  #append(line: Line): void {
    if (this.#closed || !this.#fh) return;
    const fh = this.#fh;
    const text = `${JSON.stringify(line)}\n`;
    this.#writes = this.#writes
      .then(async () => {
        await fh.write(text);
        await fh.datasync();
      })
      .catch((error: unknown) => this.#o.onError?.(new Error(`cannot record archived sessions in ${this.#o.path}: ${(error as Error).message}`)));
  }

  async #load(): Promise<void> {
    let text = '';
    try {
      text = await this.#fs.readFile(this.#o.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    let lines = 0;
    let torn = false;
    for (const raw of text.split('\n')) {
      if (raw === '') continue;
      let line: unknown;
      try {
        line = JSON.parse(raw);
      } catch {
        line = undefined;
      }
      if (!isLine(line)) {
        torn = true;
        break;
      }
      lines++;
      if ('forget' in line) this.#entries.delete(line.dir);
      else this.#entries.set(line.dir, { dirs: line.dirs, files: line.files });
    }
    if (torn || (text !== '' && !text.endsWith('\n')) || lines > 2 * this.#entries.size + 64) await this.#rewrite();
    this.#fh = await this.#fs.open(this.#o.path, 'a');
  }

  async #rewrite(): Promise<void> {
    const tmp = `${this.#o.path}.tmp`;
    const fh = await this.#fs.open(tmp, 'w');
    try {
      const out: string[] = [];
      for (const [dir, folder] of this.#entries) out.push(`${JSON.stringify({ dir, dirs: folder.dirs, files: folder.files })}\n`);
      await fh.write(out.join(''));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.#fs.rename(tmp, this.#o.path);
    fsyncDir(dirname(this.#o.path));
  }
}
