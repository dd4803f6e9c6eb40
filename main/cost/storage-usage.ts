/**
 * What the lab stores, per storage class, for the storage bill: the bytes under the destination's
 * key prefix (S3) or in the local archive folder.
 *
 * Contracts:
 * - S3: one paged ListObjectsV2 under `<prefix>/` (every page, 1000 keys each), summing `Size` by
 *   `StorageClass` (absent means STANDARD). It is exact for a prefix; S3's daily BucketSizeBytes
 *   metric in CloudWatch counts the whole bucket, so it is not used for the bill.
 * - The answer is cached in the injected store with the time it was taken: `read()` answers from
 *   the cache while it is younger than `maxAgeMs` (default 6 h) and lists only when it is older or
 *   missing; `read({ refresh: true })` lists now. Nothing here lists on a timer.
 * - A listing that fails is an error naming the location and the permission it needs (or the
 *   cause), never zero bytes; the last good answer, if any, is kept and returned beside it. The
 *   failure is remembered too: a plain `read()` within `retryAfterMs` (default 10 min) answers it
 *   again without listing, so a view that re-reads does not retry a refused listing each time.
 * - Local archive: the bytes of the files under the folder, counted as STANDARD-equivalent; there
 *   is no S3 bill for them.
 * - The same listing also keeps the bytes per folder (the key's directory below the prefix) and
 *   the keys of the records that say whose a folder is (session manifests, job records; see
 *   storage-attribution.ts), so the bill can be split per person without listing again.
 */
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { awsFailure, isCredentialFailure } from '../common/aws-errors.ts';
import { type Clock } from '../common/time.ts';
import type { KeyValueStore } from './cache-store.ts';
import { FolderTally, isOwnerRecord, type FolderBytes, type OwnerRecordKey } from './storage-attribution.ts';

export interface StorageClassBytes {
  /** S3's name for the class (STANDARD, STANDARD_IA, ...); STANDARD for a local archive. */
  storageClass: string;
  bytes: number;
  objects: number;
}

export interface StorageUsage {
  kind: 's3' | 'local';
  /** `s3://bucket/prefix/` or the archive folder. */
  location: string;
  /** How the bytes were counted. */
  method: 'list-objects-v2' | 'local-disk';
  /** Epoch ms of the listing. */
  listedAt: number;
  /** Largest first. */
  byClass: StorageClassBytes[];
  totalBytes: number;
  totalObjects: number;
  /** Bytes per folder below the prefix; absent in a listing cached before it was kept. */
  byFolder?: FolderBytes[];
  /** Session manifests and job records below the prefix (keys relative to it). */
  ownerRecords?: OwnerRecordKey[];
}

export interface StorageUsageAnswer {
  /** The listing (fresh or cached); null when there has never been a good one. */
  usage: StorageUsage | null;
  fromCache: boolean;
  /** Why the listing asked for failed; `usage` is then the last good one (or null). */
  error: string | null;
}

export interface StorageUsageReader {
  read(options?: { refresh?: boolean }): Promise<StorageUsageAnswer>;
  /** The cached listing, without listing. */
  peek(): StorageUsage | null;
}

export type StorageTarget =
  /** `pageSize`: keys per ListObjectsV2 page (default S3's 1000). */
  { kind: 's3'; s3: Pick<S3Client, 'send'>; bucket: string; prefix: string; pageSize?: number } | { kind: 'local'; dir: string };

export const STORAGE_USAGE_MAX_AGE_MS = 6 * 3_600_000;
export const STORAGE_RETRY_AFTER_MS = 10 * 60_000;

export class StorageListingError extends Error {
  readonly code = 'STORAGE_LISTING';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageListingError';
  }
}

function locationOf(t: StorageTarget): string {
  return t.kind === 's3' ? `s3://${t.bucket}/${keyPrefix(t.prefix)}` : t.dir;
}

/** `raw/` for `raw`, `raw/`, `/raw/`; '' for the whole bucket. */
function keyPrefix(prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/` : '';
}

/** Bytes and objects per class from listed objects; a missing class is STANDARD. Pure. */
export function sumByClass(objects: Iterable<{ Size?: number; StorageClass?: string }>): StorageClassBytes[] {
  const by = new Map<string, StorageClassBytes>();
  for (const o of objects) {
    const cls = o.StorageClass || 'STANDARD';
    const entry = by.get(cls) ?? { storageClass: cls, bytes: 0, objects: 0 };
    entry.bytes += o.Size ?? 0;
    entry.objects += 1;
    by.set(cls, entry);
  }
  return [...by.values()].sort((a, b) => b.bytes - a.bytes || a.storageClass.localeCompare(b.storageClass));
}

interface Listed {
  byClass: StorageClassBytes[];
  folders: FolderTally;
}

async function listS3(t: Extract<StorageTarget, { kind: 's3' }>): Promise<Listed> {
  const by = new Map<string, StorageClassBytes>();
  const folders = new FolderTally();
  const base = keyPrefix(t.prefix);
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await t.s3.send(
        new ListObjectsV2Command({ Bucket: t.bucket, Prefix: keyPrefix(t.prefix) || undefined, ContinuationToken: token, MaxKeys: t.pageSize }),
      );
    } catch (e) {
      throw listingError(e, locationOf(t));
    }
    for (const o of page.Contents ?? []) {
      if (o.Key?.startsWith(base)) folders.add(o.Key.slice(base.length), o.StorageClass || 'STANDARD', o.Size ?? 0, o.ETag ?? '');
    }
    for (const c of sumByClass(page.Contents ?? [])) {
      const entry = by.get(c.storageClass) ?? { storageClass: c.storageClass, bytes: 0, objects: 0 };
      entry.bytes += c.bytes;
      entry.objects += c.objects;
      by.set(c.storageClass, entry);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { byClass: [...by.values()].sort((a, b) => b.bytes - a.bytes || a.storageClass.localeCompare(b.storageClass)), folders };
}

function listingError(e: unknown, location: string): StorageListingError {
  const name = (e as { name?: string })?.name ?? 'Error';
  const kind = awsFailure(e);
  const why =
    kind === 'access-denied'
      ? `your AWS identity may not list it (${name}; it needs s3:ListBucket on the bucket)`
      : isCredentialFailure(kind)
        ? `AWS credentials are missing, invalid or expired (${name})`
        : `${name}: ${((e as Error)?.message ?? String(e)).split('\n')[0]}`;
  return new StorageListingError(`Could not list ${location}: ${why}. The storage bill is unknown (not zero).`, { cause: e });
}

async function walkLocal(dir: string): Promise<Listed> {
  let bytes = 0;
  let objects = 0;
  const folders = new FolderTally();
  const visit = async (d: string, rel: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      const key = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path, key);
      else if (entry.isFile()) {
        const st = await stat(path);
        bytes += st.size;
        objects += 1;
        folders.add(key, 'STANDARD', st.size, isOwnerRecord(key) ? `${st.size}-${st.mtimeMs}` : '');
      }
    }
  };
  try {
    await visit(dir, '');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && dir) return { byClass: [], folders };
    throw new StorageListingError(`Could not read the archive folder ${dir}: ${(e as Error).message}`, { cause: e });
  }
  return { byClass: objects ? [{ storageClass: 'STANDARD', bytes, objects }] : [], folders };
}

function cacheKey(t: StorageTarget): string {
  return `storage/usage/${locationOf(t)}`;
}

export function createStorageUsageReader(deps: {
  target: StorageTarget;
  store: KeyValueStore;
  clock: Clock;
  maxAgeMs?: number;
  retryAfterMs?: number;
}): StorageUsageReader {
  const maxAge = deps.maxAgeMs ?? STORAGE_USAGE_MAX_AGE_MS;
  const retryAfter = deps.retryAfterMs ?? STORAGE_RETRY_AFTER_MS;
  const key = cacheKey(deps.target);
  const failureKey = `${key}#failure`;
  const peek = (): StorageUsage | null => {
    const u = deps.store.get(key) as StorageUsage | undefined;
    return u && Array.isArray(u.byClass) && typeof u.listedAt === 'number' ? u : null;
  };
  return {
    peek,
    async read(options = {}) {
      const cached = peek();
      if (cached && !options.refresh && deps.clock.now() - cached.listedAt < maxAge) return { usage: cached, fromCache: true, error: null };
      const failed = deps.store.get(failureKey) as { at: number; message: string } | undefined;
      if (failed && !options.refresh && deps.clock.now() - failed.at < retryAfter) return { usage: cached, fromCache: cached !== null, error: failed.message };
      const t = deps.target;
      let listed: Listed;
      try {
        listed = t.kind === 's3' ? await listS3(t) : await walkLocal(t.dir);
      } catch (e) {
        const message = e instanceof StorageListingError ? e.message : `Could not list ${locationOf(t)}: ${(e as Error).message}`;
        deps.store.set(failureKey, { at: deps.clock.now(), message });
        return { usage: cached, fromCache: cached !== null, error: message };
      }
      const byClass = listed.byClass;
      const usage: StorageUsage = {
        kind: t.kind,
        location: locationOf(t),
        method: t.kind === 's3' ? 'list-objects-v2' : 'local-disk',
        listedAt: deps.clock.now(),
        byClass,
        totalBytes: byClass.reduce((n, c) => n + c.bytes, 0),
        totalObjects: byClass.reduce((n, c) => n + c.objects, 0),
        byFolder: listed.folders.folders(),
        ownerRecords: listed.folders.records(),
      };
      deps.store.set(key, usage);
      deps.store.set(failureKey, null);
      return { usage, fromCache: false, error: null };
    },
  };
}
