/**
 * The opt-in free-space rule of the upload engine: a local file is deleted `days` days after its
 * upload was verified, and only when it is still exactly the verified bytes' file (same size and
 * mtime) and the latest item of its path. The deletion is journaled (`localDeletedAt`); a file
 * already gone or not deletable keeps its record as it is.
 */
import type { ItemStore } from './engine-items.ts';
import type { UploadFs } from './engine-types.ts';
import type { Clock } from '../common/time.ts';

const DAY_MS = 86_400_000;

export interface FreeSpaceDeps {
  fs: UploadFs;
  clock: Clock;
  items: Pick<ItemStore, 'verifiedFacts' | 'get' | 'latestId' | 'set'>;
}

/** Deletes the local files whose delay has passed; returns how many. */
export async function freeVerifiedFiles(deps: FreeSpaceDeps, days: number): Promise<number> {
  const now = deps.clock.now();
  let deleted = 0;
  const due: string[] = [];
  for (const f of deps.items.verifiedFacts()) if (!f.localDeletedAt && f.verifiedAt !== undefined && now - f.verifiedAt >= days * DAY_MS) due.push(f.id);
  for (const id of due) {
    const item = deps.items.get(id);
    if (!item || item.state !== 'verified' || item.localDeletedAt) continue;
    if (deps.items.latestId(item.path) !== item.id) continue;
    try {
      const st = await deps.fs.stat(item.path);
      // only the exact bytes that were verified may be deleted
      if (st.size !== item.size || st.mtimeMs !== item.mtimeMs) continue;
      await deps.fs.unlink(item.path);
      await deps.items.set(item, { localDeletedAt: now });
      deleted++;
    } catch {
      // already gone or not deletable: keep the record as it is
    }
  }
  return deleted;
}
