import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toAnalysis, stepFraction } from '../../../main/app/analyses-mapping.ts';
import { imageList, toResultSummary, toRoiArrays } from '../../../main/app/results-mapping.ts';
import { roiList } from '../../../main/results/worker-contract.ts';
import { readLayout, readRow } from '../../../main/app/npy-rows.ts';
import { formatNpy } from '../../../main/results/npy.ts';
import type { JobView, ShardView } from '../../../main/jobs/job-types.ts';

const shard = (over: Partial<ShardView>): ShardView => ({ index: 0, label: 's', state: 'running', attempt: 1, percent: null, heartbeatAgeSeconds: 0, ...over });
const view = (over: Partial<JobView>): JobView => ({
  id: 'j-20250314-120000-abcd',
  name: 'mouse7',
  where: 'local',
  state: 'running',
  step: null,
  percent: null,
  createdAt: 1000,
  updatedAt: 5000,
  shards: [],
  sources: ['/data/mouse7'],
  ...over,
});

test("job states and worker progress become the card's status and steps", () => {
  const running = toAnalysis(view({ shards: [shard({ progress: { step: 'extract', done: 25, total: 100 } }), shard({ index: 1, state: 'done' })] }));
  assert.equal(running.status, 'running');
  assert.deepEqual(
    running.steps.map((s) => s.done),
    [100, 100, 62.5, 50, 50, 50],
    'shard 0 is a quarter into extract, shard 1 is done',
  );
  assert.equal(running.finishedAt, null);
  assert.equal(toAnalysis(view({ state: 'provisioning' })).status, 'running');
  assert.equal(toAnalysis(view({ state: 'queued' })).status, 'queued');
  const done = toAnalysis(view({ state: 'done' }));
  assert.deepEqual([done.status, done.finishedAt, done.steps.every((s) => s.done === 100)], ['done', 5000, true]);
  const failed = toAnalysis(view({ state: 'failed', failure: { code: 'worker-crashed', message: 'the worker failed (exit code 3): bad TIFF' } }));
  assert.deepEqual([failed.status, failed.error], ['failed', 'the worker failed (exit code 3): bad TIFF']);
  const refused = toAnalysis(view({ state: 'failed', failure: { code: 'input-error', message: 'not a TIFF file: /data/notes.tif' } }));
  assert.equal(refused.error, 'Input error: not a TIFF file: /data/notes.tif', 'input the worker refused is named once, in its words');
  assert.equal(toAnalysis(view({ state: 'cancelled', failure: { code: 'cancelled', message: 'cancelled by the user' } })).error, null);
  assert.equal(stepFraction(shard({ state: 'booting' }), 'register'), 0);
});

test("ROIs from the worker's or a merged rois.json; unassigned cluster is 255", () => {
  const doc = {
    schema: 1,
    rois: [
      { id: 0, plane: 1, x: 10, y: 20, pixels: 80, cluster: 2 },
      { id: 1, plane: 0, x: 5, y: 6, pixels: 30, cluster: null },
    ],
  };
  const rois = roiList(doc);
  assert.equal(roiList(rois).length, 2, 'a plain array is the merged layout');
  assert.deepEqual(roiList({ nothing: true }), []);
  const a = toRoiArrays(rois, 2);
  assert.deepEqual([...a.centroids], [10, 20, 1, 5, 6, 0]);
  assert.deepEqual([...a.sizes], [80, 30]);
  assert.deepEqual([...a.clusters], [2, 255]);
  const s = toResultSummary({
    id: 'j-1',
    rois,
    traceLength: 300,
    images: [],
    summary: { input: { width: 96, height: 64, planes: 2, frames: 300 }, parameters: { fs: 15, k: 3 }, counts: { clusters: 3 } },
  });
  assert.deepEqual([s.roiCount, s.planes, s.width, s.height, s.traceLength, s.fs, s.clusters], [2, 2, 96, 64, 300, 15, 3]);
  assert.ok(s.planeSpacing > 1, 'planes are spread through the view');
  const merged = toResultSummary({
    id: 'j-2',
    rois,
    traceLength: null,
    images: [],
    summary: { merged: true, params: { fs: 30 }, shardSummaries: [{ input: { width: 50, height: 40, frames: 10 } }] },
  });
  assert.deepEqual([merged.width, merged.fs, merged.traceLength, merged.clusters, merged.planes], [50, 30, 10, 3, 2]);
  // scopecloud-worker merge of two sessions: no shared input, each shard's summary under shards
  const byWorker = toResultSummary({
    id: 'j-3',
    rois,
    traceLength: null,
    images: [],
    summary: {
      input: null,
      parameters: { fs: 7, k: 3, step: 'merge' },
      counts: { clusters: 3, cells: 5 },
      shards: [
        { summary: { input: { width: 60, height: 30, planes: 2, frames: 90 } } },
        { summary: { input: { width: 60, height: 30, planes: 2, frames: 80 } } },
      ],
    },
  });
  assert.deepEqual([byWorker.width, byWorker.height, byWorker.fs, byWorker.traceLength, byWorker.clusters, byWorker.planes], [60, 30, 7, 90, 3, 2]);
});

test('images: 8-bit projections of the first plane, means of the others, the GIFs and the covariance', () => {
  const proj = ['mean', 'max', 'std'].flatMap((kind) =>
    [0, 1].flatMap((plane) => [
      { file: `plane${plane}_${kind}.png`, plane, kind, bits: 16 },
      { file: `plane${plane}_${kind}_8bit.png`, plane, kind, bits: 8 },
      { file: `plane${plane}_${kind}.gif`, plane, kind, bits: 8 },
    ]),
  );
  const list = imageList(proj, 'projections/', true, 2);
  assert.deepEqual(
    list.map((i) => i.name),
    ['plane0-mean', 'plane1-mean', 'plane0-max', 'plane0-std', 'plane0-max-over-time', 'plane0-std-over-time', 'covariance'],
  );
  const first = [1, 0].map((plane) => ({ file: `first_frame_plane${plane}.png`, plane, kind: 'first', bits: 8 }));
  const withFirst = imageList([...proj, ...first], 'projections/', true, 2);
  assert.deepEqual(
    withFirst.slice(0, 2).map((i) => [i.name, i.file, i.label]),
    [
      ['plane0-first-frame', 'projections/first_frame_plane0.png', 'First raw frame, plane 1'],
      ['plane0-mean', 'projections/plane0_mean_8bit.png', 'Mean projection, plane 1'],
    ],
  );
  assert.equal(withFirst.length, list.length + 1, "only the first plane's first frame is shown");
  assert.deepEqual(
    list.map((i) => i.name),
    ['plane0-mean', 'plane1-mean', 'plane0-max', 'plane0-std', 'plane0-max-over-time', 'plane0-std-over-time', 'covariance'],
  );
  assert.deepEqual(
    list.map((i) => i.file),
    [
      'projections/plane0_mean_8bit.png',
      'projections/plane1_mean_8bit.png',
      'projections/plane0_max_8bit.png',
      'projections/plane0_std_8bit.png',
      'projections/plane0_max.gif',
      'projections/plane0_std.gif',
      'covariance.png',
    ],
  );
  assert.equal(list[1].label, 'Mean projection, plane 2');
  assert.equal(list[4].mime, 'image/gif');
  assert.equal(list[5].label, 'Std over time, plane 1');
});

test('one dF/F row is read by range, in any numeric dtype', async () => {
  const rows = 3,
    frames = 5;
  const f64 = new Float64Array(rows * frames).map((_, i) => i / 2);
  const stores: Record<string, Buffer> = {
    'dff.npy': formatNpy({ dtype: '<f8', shape: [rows, frames], data: f64 }),
    'f4.npy': formatNpy({ dtype: '<f4', shape: [rows, frames], data: new Float32Array(rows * frames).map((_, i) => -i) }),
  };
  const reads: Array<[number, number]> = [];
  const read = async (key: string, start: number, length: number) => {
    reads.push([start, length]);
    const b = stores[key];
    return b ? b.subarray(start, start + length) : null;
  };
  const layout = (await readLayout(read, 'dff.npy'))!;
  assert.deepEqual(layout.shape, [3, 5]);
  reads.length = 0;
  assert.deepEqual([...(await readRow(read, 'dff.npy', layout, 2))], [5, 5.5, 6, 6.5, 7]);
  assert.deepEqual(reads, [[layout.dataOffset + 2 * 5 * 8, 40]], "only the row's bytes are read");
  const l4 = (await readLayout(read, 'f4.npy'))!;
  assert.deepEqual([...(await readRow(read, 'f4.npy', l4, 1))], [-5, -6, -7, -8, -9]);
  await assert.rejects(readRow(read, 'f4.npy', l4, 3), /row 3 is outside 0-2/);
  assert.equal(await readLayout(read, 'missing.npy'), null);
});
