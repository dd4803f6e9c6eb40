/**
 * Which files a process read, told by their access times: `forgetReads` sets each file's atime to
 * 2001 without touching its mtime (`touch -a`, so size/mtime-based change detection sees nothing),
 * and `readSince` lists the files whose atime moved past that since. Under Linux's default
 * `relatime` any read of at least one byte moves an atime older than the mtime; `noatime` mounts
 * do not, which `atimeMissing(dir)` finds out by reading a probe file there.
 */
import { execFile } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Missing } from './requirements.ts';

const run = promisify(execFile);
const FORGOTTEN_S = 1_000_000_000;

export async function forgetReads(paths: readonly string[]): Promise<void> {
  if (paths.length > 0) await run('touch', ['-a', '-d', `@${FORGOTTEN_S}`, ...paths]);
}

/** The subset of `paths` read since `forgetReads(paths)`. */
export async function readSince(paths: readonly string[]): Promise<string[]> {
  const read: string[] = [];
  for (const path of paths) if ((await stat(path)).atimeMs > FORGOTTEN_S * 1000 + 1000) read.push(path);
  return read;
}

/** Why reads in `dir` cannot be told from atimes (a noatime mount, no `touch`), or false. */
export async function atimeMissing(dir: string): Promise<Missing> {
  const probe = join(dir, `.atime-probe-${process.pid}`);
  try {
    await writeFile(probe, 'x');
    await forgetReads([probe]);
    if ((await readSince([probe])).length !== 0) return `touch -a did not set the access time in ${dir}`;
    await readFile(probe);
    return (await readSince([probe])).length === 1 ? false : `${dir} is mounted without access-time updates (noatime): reads cannot be counted there`;
  } catch (error) {
    return `cannot count reads in ${dir} by access time: ${(error as Error).message}`;
  } finally {
    await rm(probe, { force: true });
  }
}
