/**
 * The first-run check of a local archive folder: an absolute path that exists or can be
 * created, that is a folder, and that this user can write (a probe file is written and removed).
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { FieldProblem } from '../../preload/api.ts';

export async function checkLocalArchive(archiveDir: string): Promise<{ ok: boolean; problems: FieldProblem[] }> {
  const dir = archiveDir.trim();
  const bad = (message: string) => ({ ok: false, problems: [{ field: 'archiveDir', message }] });
  if (!dir) return bad('give the folder the archive goes into, for example /srv/archive');
  if (!isAbsolute(dir)) return bad(`must be an absolute path, for example /srv/archive (got "${dir}")`);
  try {
    const st = await stat(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (st && !st.isDirectory()) return bad(`${dir} exists but is a file, not a folder`);
    if (!st) await mkdir(dir, { recursive: true });
    const probe = join(dir, `.scopecloud-write-test-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe, { force: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'EACCES' || err.code === 'EPERM'
        ? 'you are not allowed to write there'
        : err.code === 'EROFS'
          ? 'it is on a read-only file system'
          : err.code === 'ENOSPC'
            ? 'the disk is full'
            : err.message.split('\n')[0];
    return bad(`cannot write to ${dir}: ${why}`);
  }
  return { ok: true, problems: [] };
}
