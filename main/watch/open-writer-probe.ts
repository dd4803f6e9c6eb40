/**
 * "Does any process hold this file open for writing?" — asked before a stable file is
 * declared complete, and while a file grows so that its writer's close can be seen. Linux answers
 * by scanning /proc/<pid>/fd symlinks and the access mode in /proc/<pid>/fdinfo; other platforms
 * get a probe that always says "no writer" and rely on size/mtime stability alone. Processes whose
 * /proc entries we may not read are invisible.
 *
 * A probe that cannot answer throws (or rejects): the watcher reads that as "unknown", never as
 * "no writer" (probe-guard.ts).
 *
 * Contract of `createProcFdProbe`:
 * - /proc is read with synchronous calls (procfs answers from memory, without disk I/O), in slices
 *   of about SLICE_MS between which the scan yields to the event loop: asynchronous calls would
 *   each wait for a libuv thread, and an upload reading its files keeps those busy, so a scan of
 *   a few thousand descriptors took seconds.
 *
 * - `openForWriting` never reports a file without a writer found in /proc during that call. It
 *   remembers where it last found each file's writer (pid and descriptor) and checks there first;
 *   a file not held there any more is looked for in a full scan, so "no writer" always comes from a
 *   full scan. It throws when /proc itself cannot be listed or is not a procfs, and when a descriptor that names a
 *   wanted file has access flags that cannot be read for a reason other than its closing.
 * - `writersVisible` is true for a file on a local file system (/proc/self/mountinfo, the longest
 *   mount point containing it, a type in LOCAL_FILE_SYSTEMS). On a network share (nfs, cifs, fuse,
 *   ...) or an unknown type, writers on other machines are invisible, and the answer is false. It
 *   throws when mountinfo cannot be read.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { resolve, sep } from 'node:path';

export interface OpenWriterProbe {
  /** The subset of `paths` (absolute) that some process has open for writing. */
  openForWriting(paths: readonly string[]): Promise<Set<string>>;
  /**
   * The subset of `paths` whose every writer `openForWriting` would see, so that its answer
   * turning from "open" to "not open" means the writer closed the file. Absent: none.
   */
  writersVisible?(paths: readonly string[]): Promise<Set<string>>;
}

export const noOpenWriterProbe: OpenWriterProbe = {
  async openForWriting() {
    return new Set();
  },
};

/** Reads of /proc; the real one is synchronous (see `createProcFdProbe`), fakes may be async. */
export interface ProcFs {
  readdir(path: string): string[] | Promise<string[]>;
  readlink(path: string): string | Promise<string>;
  readFile(path: string): string | Promise<string>;
}

const realProcFs: ProcFs = {
  readdir: (path) => readdirSync(path),
  readlink: (path) => readlinkSync(path),
  readFile: (path) => readFileSync(path, 'utf8'),
};

/** A scan yields to the event loop after this much work in one go. */
const SLICE_MS = 4;

const O_ACCMODE = 0o3;

/** File system types whose writers are all processes of this machine. */
export const LOCAL_FILE_SYSTEMS: ReadonlySet<string> = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'bcachefs',
  'f2fs',
  'zfs',
  'jfs',
  'reiserfs',
  'nilfs2',
  'tmpfs',
  'ramfs',
  'overlay',
  'vfat',
  'exfat',
  'ntfs3',
  'hfsplus',
]);

/** Beyond this many remembered writer locations the memory is dropped (it is only a shortcut). */
const MAX_KNOWN = 4096;

export function createProcFdProbe(procFs: ProcFs = realProcFs, procRoot = '/proc'): OpenWriterProbe {
  const known = new Map<string, { pid: string; fd: string }>();

  const writing = async (pid: string, fd: string): Promise<boolean> => {
    try {
      const info = await procFs.readFile(`${procRoot}/${pid}/fdinfo/${fd}`);
      const flags = /^flags:\s*([0-7]+)/m.exec(info);
      return flags !== null && (parseInt(flags[1], 8) & O_ACCMODE) !== 0;
    } catch (error) {
      // The descriptor closed (or its process ended) between readlink and fdinfo: not a writer any more.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw new Error(`cannot read ${procRoot}/${pid}/fdinfo/${fd} (${errorCode(error)})`);
    }
  };

  const heldAt = async (path: string, at: { pid: string; fd: string }): Promise<boolean> => {
    try {
      if ((await procFs.readlink(`${procRoot}/${at.pid}/fd/${at.fd}`)) !== path) return false;
    } catch {
      return false;
    }
    return writing(at.pid, at.fd);
  };

  return {
    async openForWriting(paths) {
      const wanted = new Set(paths.map((path) => resolve(path)));
      const found = new Set<string>();
      if (wanted.size === 0) return found;
      for (const path of wanted) {
        const at = known.get(path);
        if (at === undefined) continue;
        if (await heldAt(path, at)) found.add(path);
        else known.delete(path);
      }
      if (found.size === wanted.size) return found;
      let names: string[];
      try {
        names = await procFs.readdir(procRoot);
      } catch (error) {
        throw new Error(`cannot list ${procRoot} (${errorCode(error)})`);
      }
      // An empty folder (no procfs mounted there) would list no process, which is not "no writer".
      if (!names.includes('self')) throw new Error(`${procRoot} is not a proc file system (it has no "self")`);
      const pids = names.filter((name) => /^\d+$/.test(name));
      let sliceStart = performance.now();
      for (const pid of pids) {
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
        let fds: string[];
        try {
          fds = await procFs.readdir(`${procRoot}/${pid}/fd`);
        } catch {
          continue;
        }
        for (const fd of fds) {
          let target: string;
          try {
            target = await procFs.readlink(`${procRoot}/${pid}/fd/${fd}`);
          } catch {
            continue;
          }
          if (!wanted.has(target) || found.has(target)) continue;
          if (await writing(pid, fd)) {
            found.add(target);
            if (known.size >= MAX_KNOWN) known.clear();
            known.set(target, { pid, fd });
          }
        }
        if (found.size === wanted.size) break;
      }
      return found;
    },

    async writersVisible(paths) {
      const visible = new Set<string>();
      let mounts: Array<{ point: string; type: string }>;
      try {
        mounts = parseMountInfo(await procFs.readFile(`${procRoot}/self/mountinfo`));
      } catch (error) {
        throw new Error(`cannot read ${procRoot}/self/mountinfo (${errorCode(error)})`);
      }
      for (const path of paths) {
        const absolute = resolve(path);
        let best: { point: string; type: string } | undefined;
        for (const mount of mounts) {
          const inside = mount.point === sep || absolute === mount.point || absolute.startsWith(mount.point + sep);
          if (inside && (best === undefined || mount.point.length >= best.point.length)) best = mount;
        }
        if (best !== undefined && LOCAL_FILE_SYSTEMS.has(best.type)) visible.add(path);
      }
      return visible;
    },
  };
}

/** An fs error's code (EACCES, ENOENT, ...), else its message: the path is said beside it. */
function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
}

/** Mount points and file system types of /proc/<pid>/mountinfo (proc(5)); later lines mount over earlier ones. */
export function parseMountInfo(text: string): Array<{ point: string; type: string }> {
  const mounts: Array<{ point: string; type: string }> = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (fields.length < 5 || dash < 0 || dash + 1 >= fields.length) continue;
    const point = fields[4].replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    mounts.push({ point, type: fields[dash + 1] });
  }
  return mounts;
}

export function defaultOpenWriterProbe(platform: NodeJS.Platform = process.platform): OpenWriterProbe {
  return platform === 'linux' ? createProcFdProbe() : noOpenWriterProbe;
}
