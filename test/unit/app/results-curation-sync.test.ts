/**
 * The Results view and list follow curation.json as the store has it: a curation written by
 * another workstation shows on the next open of the ROI arrays (one version check when nothing
 * changed, the arrays re-labelled when it did), and the Results list's cell count is the curated
 * one, marked curated, read again only when curation.json's version changes (and, within the
 * count's lifetime, not checked at all unless this app curated it).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createResultsApi } from '../../../main/app/results-api.ts';
import { fsRangeReader, type JobsContext } from '../../../main/app/jobs-context.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { fsObjectStore, type ObjectStore } from '../../../main/jobs/object-store.ts';
import { CURATION_FILE, curationRecords, saveCuration } from '../../../main/results/curation.ts';
import type { Analysis } from '../../../preload/api.ts';
import { FakeTime } from '../../support/fake-timers.ts';

/** A folder store counting reads by kind and key. */
function countingStore(root: string) {
  const inner = fsObjectStore(root);
  const reads: string[] = [];
  const store: ObjectStore = {
    ...inner,
    get: (k) => (reads.push(`get ${k}`), inner.get(k)),
    getVersioned: (k) => (reads.push(`get ${k}`), inner.getVersioned(k)),
    version: (k) => (reads.push(`head ${k}`), inner.version(k)),
  };
  return { store, reads };
}

const rois = (n: number, cells: (i: number) => boolean) =>
  JSON.stringify({
    schema: 1,
    rois: Array.from({ length: n }, (_, i) => ({ id: i, plane: 0, x: 1, y: 2, z: 0, pixels: 3, score: 0.5, iscell: cells(i), cluster: 0 })),
  });

const analysis = (id: string): Analysis => ({ id, name: id, source: 's1', status: 'done', startedAt: 1, finishedAt: 2, demo: false }) as unknown as Analysis;

test('a curation written elsewhere shows on the next open; an unchanged one costs one version check', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-curation-sync-'));
  try {
    const { store, reads } = countingStore(root);
    const other = fsObjectStore(root); // another workstation writing the same store
    const ctx = { key: 'local', store, readRange: fsRangeReader(root), ec2: false, demo: false } as unknown as JobsContext;
    const id = 'j-20261207-130000-aaaa';
    const key = jobKeys(id).results + CURATION_FILE;
    await store.put(
      jobKeys(id).results + 'rois.json',
      rois(4, (i) => i < 2),
    );
    const api = createResultsApi(async () => ctx);

    assert.deepEqual([...(await api.rois(id)).iscell!], [1, 1, 0, 0]);
    reads.length = 0;
    assert.deepEqual([...(await api.rois(id)).iscell!], [1, 1, 0, 0]);
    assert.deepEqual(reads, [`head ${key}`], 'reopening unchanged results checks the version only');

    await saveCuration(other, key, curationRecords(4, [0, 3], false, { who: 'bo', when: new Date(1000), source: 'cli' }));
    reads.length = 0;
    assert.deepEqual([...(await api.rois(id)).iscell!], [0, 1, 0, 0], "the other workstation's curation");
    assert.deepEqual(reads, [`head ${key}`, `get ${key}`], 'only curation.json is read again, not the results');
    reads.length = 0;
    await api.rois(id);
    assert.deepEqual(reads, [`head ${key}`]);

    // A bad curation.json written elsewhere is an error on the next open, not a silent old view.
    await other.put(key, '{"schema":1,"records":[{"roi":0}]}');
    await assert.rejects(api.rois(id), (e: Error & { code?: string }) => e.code === 'NO_RESULTS' && /curation\.json/.test(e.message));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the Results list shows the curated cell count, marked curated, recomputed only when curation.json changes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-curation-list-'));
  try {
    const time = new FakeTime();
    const { store, reads } = countingStore(root);
    const ctx = { key: 'local', store, readRange: fsRangeReader(root), ec2: false, demo: false } as unknown as JobsContext;
    const [a, b] = ['j-20261207-130000-aaaa', 'j-20261207-130000-bbbb'];
    for (const id of [a, b]) {
      await store.put(
        jobKeys(id).results + 'rois.json',
        rois(5, (i) => i < 3),
      );
      await store.put(jobKeys(id).results + 'summary.json', JSON.stringify({ counts: { cells: 3 } }));
    }
    const api = createResultsApi(async () => ctx, { clock: time, countLifetimeMs: 60_000 });
    const list = async () => Object.fromEntries((await api.list([analysis(a), analysis(b)])).map((r) => [r.id, [r.cells, r.curated]]));

    assert.deepEqual(await list(), { [a]: [3, false], [b]: [3, false] }, "no curation: the worker's count");
    await api.curate(a, [0, 1], false, 'ana');
    reads.length = 0;
    assert.deepEqual(await list(), { [a]: [1, true], [b]: [3, false] }, "the app's own curation shows at once");
    assert.ok(!reads.includes(`head ${jobKeys(b).results}${CURATION_FILE}`), 'the other result is still counted as it was');
    reads.length = 0;
    assert.deepEqual(await list(), { [a]: [1, true], [b]: [3, false] });
    assert.equal(reads.length, 0, `a listing within the lifetime reads nothing (read: ${reads.join(', ')})`);
    await time.advance(60_000);
    assert.deepEqual(await list(), { [a]: [1, true], [b]: [3, false] });
    assert.deepEqual(
      reads.sort(),
      [`head ${jobKeys(a).results}${CURATION_FILE}`, `head ${jobKeys(b).results}${CURATION_FILE}`],
      'after the lifetime, a listing with nothing changed checks versions only',
    );

    await api.curate(a, [4], true, 'ana');
    reads.length = 0;
    assert.deepEqual(await list(), { [a]: [2, true], [b]: [3, false] });
    assert.ok(!reads.includes(`get ${jobKeys(a).results}rois.json`), "the worker's labels are read once per analysis");
    assert.ok(reads.includes(`get ${jobKeys(a).results}${CURATION_FILE}`));

    // Undone back to the worker's labels: still counted from the curation, still marked.
    await api.undoCuration(a, 'ana');
    await api.undoCuration(a, 'ana');
    assert.deepEqual(await list(), { [a]: [3, true], [b]: [3, false] });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("a curation written elsewhere shows in the list after the count's lifetime, or at once after an open that saw it", async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-curation-list-'));
  try {
    const time = new FakeTime();
    const { store } = countingStore(root);
    const other = fsObjectStore(root);
    const ctx = { key: 'local', store, readRange: fsRangeReader(root), ec2: false, demo: false } as unknown as JobsContext;
    const id = 'j-20261207-130000-cccc';
    const key = jobKeys(id).results + CURATION_FILE;
    await store.put(
      jobKeys(id).results + 'rois.json',
      rois(4, (i) => i < 2),
    );
    await store.put(jobKeys(id).results + 'summary.json', JSON.stringify({ counts: { cells: 2 } }));
    const api = createResultsApi(async () => ctx, { clock: time, countLifetimeMs: 30_000 });
    const listed = async () => (await api.list([analysis(id)])).map((r) => [r.cells, r.curated])[0];

    assert.deepEqual(await listed(), [2, false]);
    await saveCuration(other, key, curationRecords(4, [2, 3], true, { who: 'bo', when: new Date(1000), source: 'cli' }));
    await time.advance(29_999);
    assert.deepEqual(await listed(), [2, false], 'within the lifetime: the count as it was');
    await time.advance(1);
    assert.deepEqual(await listed(), [4, true], 'after it: the curation made elsewhere');

    await saveCuration(other, key, curationRecords(4, [0], false, { who: 'bo', when: new Date(2000), source: 'cli' }));
    assert.deepEqual(await listed(), [4, true]);
    assert.deepEqual([...(await api.rois(id)).iscell!], [0, 1, 1, 1], 'the open sees the new version');
    assert.deepEqual(await listed(), [3, true], 'and the list follows it without waiting');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
