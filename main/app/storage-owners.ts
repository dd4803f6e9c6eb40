/**
 * Who owns each folder of the storage listing: reads the owner records the listing found (session
 * manifests' `recordedBy.owner`, job records' `owner`; cost/storage-attribution.ts) and keeps what
 * each named in the cache, keyed by the record's key and ETag. A record is read once per version:
 * a cached listing, and a new listing of unchanged records, read nothing. At most `concurrency`
 * reads at a time.
 *
 * Never throws: a record that cannot be read or parsed names no one (its bytes stay unattributed)
 * and `error` says how many and why (the first reason); such records are read again at the next
 * listing, not at every read.
 */
import type { KeyValueStore } from '../cost/cache-store.ts';
import { folderOwners, recordFolder, type OwnerRecordKey } from '../cost/storage-attribution.ts';
import type { Manifest } from '../session/manifest.ts';
import type { JobManifest } from '../jobs/job-types.ts';

export interface FolderOwnersAnswer {
  /** Folder (relative to the prefix) → owner name. */
  owners: Map<string, string>;
  /**
   * Session folders (below the prefix) whose manifests were all read and name no one: the
   * sessions a person can be assigned to (cost/session-assignments.ts).
   */
  unnamedSessions: string[];
  /** Records read now (0 when every one was cached). */
  read: number;
  error: string | null;
}

interface CachedRecord {
  etag: string;
  owner: string | null;
  /** The listing (its `listedAt`) a failed read belongs to: read again with a newer listing. */
  failedFor?: number;
  failure?: string;
}

const OWNER = /^[^\u0000-\u001f]{1,64}$/;

/** The owner a record names, or null. `text` is the record's JSON. */
export function ownerOfRecord(key: string, text: string): string | null {
  const kind = recordFolder(key)?.kind;
  const doc = JSON.parse(text) as Partial<Manifest> & Partial<JobManifest>;
  const owner = kind === 'job' ? doc.owner : kind === 'manifest' ? doc.recordedBy?.owner : undefined;
  return typeof owner === 'string' && OWNER.test(owner.trim()) ? owner.trim() : null;
}

export async function resolveFolderOwners(deps: {
  records: readonly OwnerRecordKey[];
  /** The listing these records come from. */
  listedAt: number;
  /** The record's text (GetObject under the prefix, or the archive file). */
  read: (key: string) => Promise<string>;
  store: KeyValueStore;
  /** Cache key; one per destination. */
  cacheKey: string;
  concurrency?: number;
}): Promise<FolderOwnersAnswer> {
  const stored = deps.store.get(deps.cacheKey) as Record<string, CachedRecord> | undefined;
  const cache: Record<string, CachedRecord> = stored && typeof stored === 'object' ? stored : {};
  const next: Record<string, CachedRecord> = {};
  const todo: OwnerRecordKey[] = [];
  for (const r of deps.records) {
    const c = cache[r.key];
    if (c && c.etag === r.etag && (c.failedFor === undefined || c.failedFor >= deps.listedAt)) next[r.key] = c;
    else todo.push(r);
  }
  const work = [...todo];
  const worker = async () => {
    for (let r = work.shift(); r; r = work.shift()) {
      try {
        next[r.key] = { etag: r.etag, owner: ownerOfRecord(r.key, await deps.read(r.key)) };
      } catch (e) {
        const failure = `${r.key}: ${(e as { name?: string }).name ?? 'Error'} (${((e as Error).message ?? String(e)).split('\n')[0]})`;
        next[r.key] = { etag: r.etag, owner: null, failedFor: deps.listedAt, failure };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency ?? 4, todo.length)) }, worker));
  if (todo.length || Object.keys(cache).length !== Object.keys(next).length) deps.store.set(deps.cacheKey, next);
  const named = new Map(Object.entries(next).map(([key, c]) => [key, c.owner]));
  const failures = Object.values(next)
    .map((c) => c.failure)
    .filter((f): f is string => f !== undefined)
    .sort();
  const failed = failures.length;
  const owners = folderOwners(named);
  const unnamed = new Set<string>();
  const unread = new Set<string>();
  for (const [key, c] of Object.entries(next)) {
    const r = recordFolder(key);
    if (r?.kind !== 'manifest' || r.folder === '') continue;
    if (c.failure !== undefined) unread.add(r.folder);
    else if (!owners.has(r.folder)) unnamed.add(r.folder);
  }
  return {
    owners,
    unnamedSessions: [...unnamed].filter((f) => !unread.has(f)).sort(),
    read: todo.length,
    error: failed
      ? `${failed} owner record${failed === 1 ? '' : 's'} could not be read, so ${failed === 1 ? 'its' : 'their'} bytes are unattributed: ${failures[0]}`
      : null,
  };
}
