/**
 * Whether a watched folder can be watched right now, with the reason in words for the person at
 * the microscope. Used by the watcher (every few seconds per folder), by `scopecloud config set
 * watch.folders`, by `scopecloud status` when nothing is watching, and by the app's "Watch folder".
 *
 * - `missing`: nothing is there (the drive is unmounted, or the folder was renamed or deleted), a
 *   file is there instead, the file system does not answer (EIO, ESTALE, ENOTCONN, ...), or the
 *   drive that was mounted on the folder is gone (its device became its parent's again, which only
 *   a folder first seen as a mount point can tell: an empty mount point otherwise looks like an
 *   empty folder).
 * - `unreadable`: this process may not reach or list it. Checked by opening it with the process's
 *   own rights, so root (who may read anything) never sees it.
 */
import { opendir, readdir, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import type { WatchFs } from './watch-types.ts';

export type FolderCheckState = 'ok' | 'missing' | 'unreadable';

export interface FolderCheck {
  state: FolderCheckState;
  /** Why it cannot be watched; null when ok. */
  reason: string | null;
  /** On another device than its parent (a mount point); undefined when the parent cannot be read. */
  mountPoint?: boolean;
}

export const NOT_THERE = 'the folder is not there (was the drive unmounted, or the folder renamed or deleted?)';
export const UNMOUNTED = 'the drive or network share mounted on this folder was unmounted (only the empty mount point is left)';

/** Opens the folder and reads its first entries, with this process's rights. */
async function listOnce(path: string): Promise<void> {
  const dir = await opendir(path, { bufferSize: 1 });
  try {
    await dir.read();
  } finally {
    await dir.close();
  }
}

export const nodeFolderFs: WatchFs = {
  stat: (path) => stat(path),
  readdir: (path, options) => readdir(path, options),
  list: listOnce,
};

let who: string | undefined;
/** "user nobody (uid 65534)", or "this user" where there are no uids. */
export function processUser(): string {
  if (who !== undefined) return who;
  const uid = process.getuid?.();
  if (uid === undefined) return (who = 'this user');
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // a uid without a passwd entry (containers)
  }
  return (who = name ? `user ${name} (uid ${uid})` : `uid ${uid}`);
}

function reasonOf(error: unknown, step: 'reach' | 'read'): FolderCheck {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'missing', reason: NOT_THERE };
  if (code === 'EACCES' || code === 'EPERM') {
    return {
      state: 'unreadable',
      reason:
        step === 'read'
          ? `permission denied: ScopeCloud runs as ${processUser()}, who may not read this folder (give that user read access)`
          : `permission denied: ScopeCloud runs as ${processUser()}, who may not open a folder on the way to this one`,
    };
  }
  return { state: 'missing', reason: `the drive or network share does not answer (${code ?? (error as Error).message}): is it still connected?` };
}

/**
 * Checks `path` now. `wasMountPoint`: an earlier check found it to be a mount point, so finding it
 * on its parent's device means the drive was unmounted.
 */
export async function checkFolder(path: string, fs: WatchFs = nodeFolderFs, wasMountPoint = false): Promise<FolderCheck> {
  let st;
  try {
    st = await fs.stat(path);
  } catch (error) {
    return reasonOf(error, 'reach');
  }
  if (!st.isDirectory()) return { state: 'missing', reason: 'there is a file at this path, not a folder' };
  let mountPoint: boolean | undefined;
  const parent = dirname(path);
  if (parent !== path) {
    try {
      mountPoint = (await fs.stat(parent)).dev !== st.dev;
    } catch {
      // the parent cannot be read: whether this is a mount point stays unknown
    }
  }
  if (wasMountPoint && mountPoint === false) return { state: 'missing', reason: UNMOUNTED, mountPoint };
  try {
    if (fs.list) await fs.list(path);
    else await fs.readdir(path, { withFileTypes: true });
  } catch (error) {
    return { ...reasonOf(error, 'read'), ...(mountPoint !== undefined ? { mountPoint } : {}) };
  }
  return { state: 'ok', reason: null, ...(mountPoint !== undefined ? { mountPoint } : {}) };
}

/** One line for a folder that cannot be watched: "missing: the folder is not there: ...". */
export function describeFolderProblem(check: { state: string; reason: string | null }): string {
  const what = check.state === 'unreadable' ? 'not readable' : check.state;
  return check.reason ? `${what}: ${check.reason}` : what;
}
