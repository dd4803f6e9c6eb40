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
  items: Pick<ItemStore, 'journal' | 'set'>;
  /** Latest item id per path. */
  byPath: ReadonlyMap<string, string>;
}

/** Deletes the local files whose delay has passed; returns how many. */
export async function freeVerifiedFiles(deps: FreeSpaceDeps, days: number): Promise<number> {
  const now = deps.clock.now();
  let deleted = 0;
  for (const item of [...deps.items.journal.items.values()]) {
    if (item.state !== 'verified' || item.localDeletedAt || item.verifiedAt === undefined) continue;
    if (now - item.verifiedAt < days * DAY_MS) continue;
    if (deps.byPath.get(item.path) !== item.id) continue;
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
