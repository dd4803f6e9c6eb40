/**
 * getRoiDetail on a real worker run (a synthetic two-plane movie): one ROI's F, Fneu, dF/F and
 * spikes are its rows of the .npy files, its score and worker label its iscell.npy row, its
 * features the scalars NumPy reads from its plane's stat.npy dict; the curated label follows
 * curateRois while the worker's stays; bad ROIs and a damaged stat.npy are refused clearly.
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKER_BINARY, workerMissing } from '../../support/cli.ts';
import { pythonModuleMissing, requires } from '../../support/requirements.ts';
import { createResultsApi } from '../../../main/app/results-api.ts';
import { createApiHandlers } from '../../../main/app/api-handlers.ts';
import type { AppServices } from '../../../main/app/contract.ts';
import { fsRangeReader, type JobsContext } from '../../../main/app/jobs-context.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { fsObjectStore } from '../../../main/jobs/object-store.ts';
import { parseNpy } from '../../../main/results/npy.ts';
import { RESULT_FILES, SUITE2P_PLANE_FILES, roiList, suite2pPlaneDir, type RoiRecord } from '../../../main/results/worker-contract.ts';
import { decodeRoiDetail, encodeRoiDetail } from '../../../preload/roi-detail-binary.ts';

const skip = requires(workerMissing(), pythonModuleMissing('numpy'));
const ID = 'j-20261207-120000-dddd';
const BROKEN = 'j-20261207-120000-eeee';

function worker(args: readonly string[]): void {
  const r = spawnSync(WORKER_BINARY, [...args, '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Each ROI's stat.npy scalars as NumPy reads them: {plane: [{name: value}]}. */
function numpyStats(results: string, planes: number): Record<string, Array<Record<string, number>>> {
  const code = `
import json, sys, numpy as np
out = {}
for p in range(int(sys.argv[2])):
    stat = np.load('%s/suite2p/plane%d/stat.npy' % (sys.argv[1], p), allow_pickle=True)
    out[p] = [{k: float(v) for k, v in s.items() if np.ndim(v) == 0 and not isinstance(v, (list, tuple))} for s in stat]
print(json.dumps(out))
`;
  const r = spawnSync('python3', ['-c', code, results, String(planes)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, Array<Record<string, number>>>;
}

describe('getRoiDetail on a real worker results folder', { skip }, () => {
  let root = '';
  let results = '';
  let rois: RoiRecord[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sc-roi-detail-'));
    const movie = join(root, 'movie.tif');
    worker(['synth', '--out', movie, '--frames', '120', '--planes', '2', '--width', '80', '--height', '64', '--cells', '12']);
    results = join(root, jobKeys(ID).results);
    worker(['analyze', '--input', movie, '--out', results, '--fs', '10']);
    rois = roiList(JSON.parse(await readFile(join(results, RESULT_FILES.rois), 'utf8')));
    await cp(results, join(root, jobKeys(BROKEN).results), { recursive: true });
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('traces, labels and features are the ROI rows of the files the worker wrote', async () => {
    const ctx = { key: 'local', store: fsObjectStore(root), readRange: fsRangeReader(root), ec2: false, demo: false } as unknown as JobsContext;
    const api = createResultsApi(async () => ctx);
    const inPlane1 = rois.filter((r) => r.plane === 1);
    assert.ok(inPlane1.length >= 2 && rois.some((r) => r.plane === 0), 'ROIs on both planes');
    const stats = numpyStats(results, 2);
    const arrays = Object.fromEntries(
      await Promise.all((['F', 'Fneu', 'dff', 'spks', 'iscell'] as const).map(async (k) => [k, parseNpy(await readFile(join(results, RESULT_FILES[k])))])),
    );
    for (const r of [rois[0], inPlane1[1]]) {
      const d = decodeRoiDetail(encodeRoiDetail(await api.detail(ID, r.id)));
      assert.equal(d.roi, r.id);
      assert.equal(d.plane, r.plane);
      for (const k of ['F', 'Fneu', 'dff', 'spks'] as const) {
        const [, t] = arrays[k].shape;
        assert.equal(d[k].length, t, `${k} has one value per frame`);
        assert.deepEqual([...d[k]], [...(arrays[k].data as Float32Array).subarray(r.id * t, (r.id + 1) * t)], `${k} is ROI ${r.id}'s row`);
      }
      const cell = arrays.iscell.data as Float64Array;
      assert.equal(d.workerIscell, cell[r.id * 2] === 1);
      assert.equal(d.iscell, r.iscell, 'no curation yet: the curated label is the worker’s');
      assert.ok(Math.abs(d.score! - cell[r.id * 2 + 1]) < 1e-6);
      const expected = stats[r.plane][rois.filter((x) => x.plane === r.plane).indexOf(r)];
      delete expected.iplane;
      const got = Object.fromEntries(d.features.map((f) => [f.name, f.value]));
      assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort());
      for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(got[k] - v) <= 1e-6 * Math.max(1, Math.abs(v)), `${k}: ${got[k]} vs NumPy's ${v}`);
      assert.equal(got.npix, r.pixels);
      assert.deepEqual(
        d.features.slice(0, 3).map((f) => f.name),
        ['npix', 'npix_norm', 'radius'],
      );
    }

    // Curated: the detail shows the new label, the worker's stays.
    const target = inPlane1[0];
    await api.curate(ID, [target.id], !target.iscell, 'ana');
    const after = await api.detail(ID, target.id);
    assert.deepEqual([after.iscell, after.workerIscell], [!target.iscell, target.iscell]);
    await api.undoCuration(ID, 'ana');
    assert.equal((await api.detail(ID, target.id)).iscell, target.iscell);
    // Curated elsewhere (another workstation's app on the same store): the next detail shows it.
    const elsewhere = createResultsApi(async () => ctx);
    await elsewhere.curate(ID, [target.id], !target.iscell, 'bo');
    assert.equal((await api.detail(ID, target.id)).iscell, !target.iscell);
    await elsewhere.undoCuration(ID, 'bo');

    await assert.rejects(api.detail(ID, rois.length), (e: Error & { code?: string }) => e.code === 'UNKNOWN_ROI' && /out of range/.test(e.message));
  });

  test('a damaged stat.npy is NO_RESULTS naming the problem; the contract refuses a bad request', async () => {
    const ctx = { key: 'local', store: fsObjectStore(root), readRange: fsRangeReader(root), ec2: false, demo: false } as unknown as JobsContext;
    const api = createResultsApi(async () => ctx);
    const stat = join(root, jobKeys(BROKEN).results, suite2pPlaneDir(0), SUITE2P_PLANE_FILES.stat);
    const bytes = await readFile(stat);
    await writeFile(stat, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await assert.rejects(api.detail(BROKEN, 0), (e: Error & { code?: string }) => e.code === 'NO_RESULTS' && /truncated/.test(e.message));

    const handlers = createApiHandlers({ getRoiDetail: (req: { id: string; roi: number }) => api.detail(req.id, req.roi) } as unknown as AppServices);
    const encoded = (await handlers.getRoiDetail({ id: ID, roi: 0 })) as Uint8Array;
    assert.equal(decodeRoiDetail(encoded).F.length, parseNpy(await readFile(join(results, RESULT_FILES.F))).shape[1]);
    for (const bad of [{ id: ID, roi: -1 }, { id: ID, roi: 1.5 }, { id: ID }, { id: 7, roi: 0 }])
      await assert.rejects(handlers.getRoiDetail(bad), (e: Error & { code?: string }) => typeof e.code === 'string' && e.code !== 'NO_RESULTS');
  });
});
