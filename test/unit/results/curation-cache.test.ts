/**
 * The pulled copy of curation.json and the store version it came from: a current copy costs one
 * version check, a copy changed by hand or a store changed elsewhere is replaced, and an invalid
 * stored document leaves the copy as it was.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fsObjectStore, type ObjectStore } from '../../../main/jobs/object-store.ts';
import { CURATION_FILE, CurationError, curationRecords, saveCuration } from '../../../main/results/curation.ts';
import { cachedCurationVersion, refreshCachedCuration } from '../../../main/results/curation-cache.ts';

test('refreshCachedCuration: one version check when current, a fresh copy when not', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-curation-cache-'));
  try {
    const inner = fsObjectStore(join(root, 'store'));
    const reads: string[] = [];
    const store: ObjectStore = {
      ...inner,
      get: (k) => (reads.push('get'), inner.get(k)),
      getVersioned: (k) => (reads.push('get'), inner.getVersioned(k)),
      version: (k) => (reads.push('head'), inner.version(k)),
    };
    const cache = join(root, 'cache');
    await fsObjectStore(cache).put('x', ''); // the pulled folder exists
    const key = `jobs/j1/results/${CURATION_FILE}`;

    assert.deepEqual(await refreshCachedCuration(store, key, cache), { version: null, changed: false }, 'no curation in the store: nothing cached');
    await assert.rejects(readFile(join(cache, CURATION_FILE)));

    const by = { who: 'ana', when: new Date(1000), source: 'app' as const };
    await saveCuration(inner, key, curationRecords(3, [1], true, by));
    const v1 = await inner.version(key);
    assert.deepEqual(await refreshCachedCuration(store, key, cache), { version: v1, changed: true });
    assert.equal(await readFile(join(cache, CURATION_FILE), 'utf8'), (await inner.get(key))!.toString());
    assert.equal(await cachedCurationVersion(cache), v1);

    reads.length = 0;
    assert.deepEqual(await refreshCachedCuration(store, key, cache), { version: v1, changed: false });
    assert.deepEqual(reads, ['head'], 'a current copy costs one version check');

    // The copy edited by hand no longer passes for the store's version.
    await writeFile(join(cache, CURATION_FILE), '{"schema":1,"records":[]}\n');
    assert.equal(await cachedCurationVersion(cache), null);
    assert.equal((await refreshCachedCuration(store, key, cache)).changed, true);
    assert.equal(await readFile(join(cache, CURATION_FILE), 'utf8'), (await inner.get(key))!.toString());

    // Curated elsewhere: the next refresh brings it.
    await saveCuration(inner, key, curationRecords(3, [2], false, { ...by, who: 'bo' }));
    assert.equal((await refreshCachedCuration(store, key, cache)).changed, true);
    assert.equal(await cachedCurationVersion(cache), await inner.version(key));

    // An invalid stored document is an error and the copy stays.
    const kept = await readFile(join(cache, CURATION_FILE), 'utf8');
    await inner.put(key, 'not json');
    await assert.rejects(refreshCachedCuration(store, key, cache), (e: unknown) => e instanceof CurationError && e.code === 'BAD_CURATION');
    assert.equal(await readFile(join(cache, CURATION_FILE), 'utf8'), kept);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
