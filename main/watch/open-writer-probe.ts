/**
 * "Does any process hold this file open for writing?" — asked before a stable file is
 * declared complete. Linux answers by scanning /proc/<pid>/fd symlinks and the access mode
 * in /proc/<pid>/fdinfo; other platforms get a probe that always says "no writer" and rely on
 * size/mtime stability alone. Processes whose /proc entries we may not read are invisible.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface OpenWriterProbe {
  /** The subset of `paths` (absolute) that some process has open for writing. */
  openForWriting(paths: readonly string[]): Promise<Set<string>>;
}

export const noOpenWriterProbe: OpenWriterProbe = {
  async openForWriting() {
    return new Set();
  },
};

export interface ProcFs {
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  readFile(path: string): Promise<string>;
}

const realProcFs: ProcFs = {
  readdir: (path) => readdir(path),
  readlink: (path) => readlink(path),
  readFile: (path) => readFile(path, 'utf8'),
};

const O_ACCMODE = 0o3;

export function createProcFdProbe(procFs: ProcFs = realProcFs, procRoot = '/proc'): OpenWriterProbe {
  return {
    async openForWriting(paths) {
      const wanted = new Set(paths.map((path) => resolve(path)));
      const found = new Set<string>();
      if (wanted.size === 0) return found;
      let pids: string[];
      try {
        pids = (await procFs.readdir(procRoot)).filter((name) => /^\d+$/.test(name));
      } catch {
        return found;
      }
      for (const pid of pids) {
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
          try {
            const info = await procFs.readFile(`${procRoot}/${pid}/fdinfo/${fd}`);
            const flags = /^flags:\s*([0-7]+)/m.exec(info);
            if (flags && (parseInt(flags[1], 8) & O_ACCMODE) !== 0) found.add(target);
          } catch {
            // The descriptor closed between readlink and fdinfo: not a writer any more.
          }
        }
        if (found.size === wanted.size) break;
      }
      return found;
    },
  };
}

export function defaultOpenWriterProbe(platform: NodeJS.Platform = process.platform): OpenWriterProbe {
  return platform === 'linux' ? createProcFdProbe() : noOpenWriterProbe;
}
