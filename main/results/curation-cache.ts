/**
 * The pulled copy of a job's `curation.json` (in the results cache, pull.ts) and the store version
 * it was copied from, kept in `.scopecloud-curation.json` beside it with the copy's sha256. The copy
 * is current when the store still has that version (one HEAD) and the file still has that hash;
 * otherwise the store's document replaces it. A version marker written before a crash, or by a
 * slower of two writers, never makes an older copy pass for current: its hash would not match.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '../jobs/object-store.ts';
import { CURATION_FILE, loadCurationVersioned, serializeCuration, type StoredCuration } from './curation.ts';

export const CURATION_VERSION_FILE = '.scopecloud-curation.json';

interface VersionMarker {
  version: string;
  sha256: string;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

let tmpCounter = 0;
async function replaceFile(path: string, body: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${++tmpCounter}.partial`;
  await writeFile(tmp, body);
  await rename(tmp, path);
}

/** The store version the cached curation.json in `dir` was copied from; null when unknown or stale. */
export async function cachedCurationVersion(dir: string): Promise<string | null> {
  try {
    const marker = JSON.parse(await readFile(join(dir, CURATION_VERSION_FILE), 'utf8')) as Partial<VersionMarker>;
    if (typeof marker.version !== 'string' || typeof marker.sha256 !== 'string') return null;
    return sha256(await readFile(join(dir, CURATION_FILE))) === marker.sha256 ? marker.version : null;
  } catch {
    return null;
  }
}

/** Writes the store's document into `dir` with its version (nothing when the store has none). */
export async function writeCachedCuration(dir: string, stored: StoredCuration): Promise<void> {
  if (stored.version === null) return;
  const body = serializeCuration(stored.doc);
  await replaceFile(join(dir, CURATION_FILE), body);
  await replaceFile(join(dir, CURATION_VERSION_FILE), JSON.stringify({ version: stored.version, sha256: sha256(body) } satisfies VersionMarker) + '\n');
}

/**
 * Brings the cached curation.json in `dir` up to the store's `key`: one HEAD when it is current,
 * else one GET and a write. Returns the store's version (null: the store has none, the cache is
 * left alone) and whether the copy changed. Throws CurationError('BAD_CURATION') for an invalid
 * stored document, leaving the cached copy as it was.
 */
export async function refreshCachedCuration(store: ObjectStore, key: string, dir: string): Promise<{ version: string | null; changed: boolean }> {
  const version = await store.version(key);
  if (version === null || version === (await cachedCurationVersion(dir))) return { version, changed: false };
  const stored = await loadCurationVersioned(store, key);
  await writeCachedCuration(dir, stored);
  return { version: stored.version, changed: stored.version !== null };
}
