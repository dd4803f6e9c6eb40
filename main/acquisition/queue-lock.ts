/**
 * One process owns the upload queue at a time. The journal is not safe for two writers (and
 * opening it repairs a torn tail), so `watch`, `upload`, `serve` and the app take this lock
 * first. A lock whose process is gone is stale and taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

export class QueueBusyError extends Error {
  readonly code = 'QUEUE_BUSY';
  readonly pid: number;
  constructor(pid: number, dir: string) {
    super(`another scopecloud process (pid ${pid}) is using the upload queue in ${dir}; stop it or use \`scopecloud status\``);
    this.name = 'QueueBusyError';
    this.pid = pid;
  }
}

export interface QueueLock {
  release(): Promise<void>;
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid holding the lock in `dir`, or null when free or stale. */
export async function lockHolder(dir: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(join(dir, 'owner.lock'), 'utf8')).trim());
    return isAlive(pid) && pid !== process.pid ? pid : null;
  } catch {
    return null;
  }
}

export async function acquireQueueLock(dir: string, pid = process.pid): Promise<QueueLock> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'owner.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(pid));
      await fh.sync();
      await fh.close();
      return {
        async release() {
          try {
            if ((await readFile(file, 'utf8')).trim() === String(pid)) await unlink(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = await lockHolder(dir);
      if (holder !== null) throw new QueueBusyError(holder, dir);
      await unlink(file).catch(() => {});
    }
  }
  throw new Error(`could not take the queue lock in ${dir}`);
}
