/**
 * The Results view's ROI arrays carry the curated iscell: the worker's label unless curation.json
 * beside the results changed it; the binary encoding keeps it, and a bad curation.json is an error.
 * A curation that loses every race to another writer is refused as CURATION_CONFLICT.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createResultsApi } from '../../../main/app/results-api.ts';
import { fsRangeReader, type JobsContext } from '../../../main/app/jobs-context.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { fsObjectStore } from '../../../main/jobs/object-store.ts';
import { CURATION_FILE, curationRecords, saveCuration } from '../../../main/results/curation.ts';
import { decodeRoiArrays, encodeRoiArrays, RoiFormatError } from '../../../preload/roi-binary.ts';

test('rois(id) carries the curated iscell, and it survives the binary encoding', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-results-curation-'));
  try {
    const store = fsObjectStore(root);
    const ctx = { key: 'local', store, readRange: fsRangeReader(root), ec2: false, demo: false } as unknown as JobsContext;
    const ids = ['j-20261207-120000-aaaa', 'j-20261207-120000-bbbb', 'j-20261207-120000-cccc'];
    const rois = JSON.stringify({
      schema: 1,
      rois: [0, 1, 2].map((i) => ({ id: i, plane: 0, x: 1, y: 2, z: 0, pixels: 3, score: 0.5, iscell: i !== 1, cluster: 0 })),
    });
    for (const id of ids) await store.put(jobKeys(id).results + 'rois.json', rois);
    await saveCuration(store, jobKeys(ids[1]).results + CURATION_FILE, curationRecords(3, [0, 1], false, { who: 'ana', when: new Date(1000), source: 'app' }));
    await saveCuration(store, jobKeys(ids[1]).results + CURATION_FILE, curationRecords(3, [1], true, { who: 'bo', when: new Date(2000), source: 'app' }));
    await store.put(jobKeys(ids[2]).results + CURATION_FILE, '{"schema":1,"records":[{"roi":0}]}');

    const api = createResultsApi(async () => ctx);
    assert.deepEqual([...(await api.rois(ids[0])).iscell!], [1, 0, 1], "no curation: the worker's labels");
    const curated = await api.rois(ids[1]);
    assert.deepEqual([...curated.iscell!], [0, 1, 1]);
    assert.deepEqual([...decodeRoiArrays(encodeRoiArrays(curated)).iscell!], [0, 1, 1]);
    await assert.rejects(api.rois(ids[2]), (e: Error & { code?: string }) => e.code === 'NO_RESULTS' && /curation\.json/.test(e.message));

    // Curating through the API: the next read shows it (the cached arrays are dropped), undo restores.
    assert.deepEqual(await api.curate(ids[0], [0], false, 'ana'), { records: 1, cells: 1, changed: 1 });
    assert.deepEqual([...(await api.rois(ids[0])).iscell!], [0, 0, 1]);
    assert.deepEqual(await api.undoCuration(ids[0], 'ana'), { records: 2, cells: 2, changed: 0 });
    assert.deepEqual([...(await api.rois(ids[0])).iscell!], [1, 0, 1]);
    await assert.rejects(api.curate(ids[0], [3], true, 'ana'), (e: Error & { code?: string }) => e.code === 'UNKNOWN_ROI' && /ROI 3/.test(e.message));
    await assert.rejects(api.undoCuration(ids[0], 'ana'), (e: Error & { code?: string }) => e.code === 'INVALID_INPUT');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('ROI arrays without iscell keep the old layout; unknown flags are refused', () => {
  const base = { count: 2, planes: 1, centroids: new Float32Array(6), sizes: new Float32Array(2), clusters: new Uint8Array(2), scores: new Uint8Array(2) };
  const plain = encodeRoiArrays(base);
  assert.equal(plain.length, 16 + 2 * 18);
  assert.equal(decodeRoiArrays(plain).iscell, undefined);
  const withCells = encodeRoiArrays({ ...base, iscell: new Uint8Array([1, 0]) });
  assert.equal(withCells.length, plain.length + 2);
  assert.throws(() => decodeRoiArrays(withCells.subarray(0, plain.length)), RoiFormatError);
  const odd = plain.slice();
  odd[12] = 2;
  assert.throws(
    () => decodeRoiArrays(odd),
    (e: unknown) => e instanceof RoiFormatError && /unknown flags/.test(e.message),
  );
});

test('a curation that keeps losing the race to another writer is CURATION_CONFLICT, nothing recorded', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-results-conflict-'));
  // Another live process holds curation.json's write lock for the whole test (as a second app or
  // the CLI does while it writes), so every conditional write of this one loses.
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  try {
    const store = fsObjectStore(root);
    const ctx = { key: 'local', store, readRange: fsRangeReader(root), ec2: false, demo: false } as unknown as JobsContext;
    const id = 'j-20261207-120000-dddd';
    const rois = { schema: 1, rois: [0, 1].map((i) => ({ id: i, plane: 0, x: 1, y: 2, z: 0, pixels: 3, score: 0.5, iscell: true, cluster: 0 })) };
    await store.put(jobKeys(id).results + 'rois.json', JSON.stringify(rois));
    const api = createResultsApi(async () => ctx);
    assert.deepEqual(await api.curate(id, [0], false, 'ana'), { records: 1, cells: 1, changed: 1 });
    const curation = join(root, jobKeys(id).results, CURATION_FILE);
    const before = await readFile(curation, 'utf8');
    await writeFile(`${curation}.lock.tmp`, String(holder.pid));
    await assert.rejects(
      api.curate(id, [1], false, 'bo'),
      (e: Error & { code?: string }) => e.code === 'CURATION_CONFLICT' && /nothing was recorded/.test(e.message),
    );
    await assert.rejects(api.undoCuration(id, 'ana'), (e: Error & { code?: string }) => e.code === 'CURATION_CONFLICT');
    assert.equal(await readFile(curation, 'utf8'), before, 'nothing was written');
    assert.deepEqual([...(await api.rois(id)).iscell!], [0, 1], 'the labels are as before');
  } finally {
    holder.kill();
    await rm(root, { recursive: true, force: true });
  }
});
