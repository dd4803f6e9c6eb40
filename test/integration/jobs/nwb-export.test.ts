/**
 * NWB export read back by independent readers: h5py (the HDF5 C library through Python) checks the
 * raw layout and values; pynwb, when installed, opens it as NWB and checks the schema objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportNwb } from '../../../main/results/nwb-export.ts';
import { formatNpy } from '../../../main/results/npy.ts';
import { pythonModuleMissing, requires } from '../../support/requirements.ts';

const skipH5py = requires(pythonModuleMissing('h5py'));
const skipPynwb = requires(pythonModuleMissing('pynwb'));

function python(code: string): unknown {
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout);
}

/** A results folder like the worker's: 5 ROIs over 2 planes, 40 frames, values derived from (roi, t). */
async function fakeResults(dir: string) {
  const n = 5;
  const t = 40;
  const F = new Float32Array(n * t);
  const dff = new Float32Array(n * t);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < t; i++) {
      F[r * t + i] = 100 + r * 10 + Math.sin(i / (r + 1));
      dff[r * t + i] = (F[r * t + i] - 100) / 100;
    }
  await writeFile(join(dir, 'F.npy'), formatNpy({ dtype: '<f4', shape: [n, t], data: F }));
  await writeFile(join(dir, 'dff.npy'), formatNpy({ dtype: '<f4', shape: [n, t], data: dff }));
  const planes = [0, 0, 1, 0, 1];
  // The worker calls ROIs 0, 2 and 3 cells; a curation turns 2 into a non-cell and 4 into a cell.
  await writeFile(join(dir, 'rois.json'), JSON.stringify(planes.map((plane, id) => ({ id, plane, iscell: id === 0 || id === 2 || id === 3 }))));
  const when = (s: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, s)).toISOString();
  await writeFile(
    join(dir, 'curation.json'),
    JSON.stringify({
      schema: 1,
      records: [
        { roi: 4, iscell: true, source: 'app', who: 'ana', when: when(2) },
        { roi: 2, iscell: true, source: 'app', who: 'ana', when: when(1) },
        { roi: 2, iscell: false, source: 'cli', who: 'bo', when: when(3) },
      ],
    }),
  );
  await writeFile(
    join(dir, 'regions.json'),
    JSON.stringify(planes.map((plane, id) => ({ id, plane, coordinates: Array.from({ length: id + 2 }, (_, k) => [10 + id, 20 + k]) }))),
  );
  await writeFile(join(dir, 'summary.json'), JSON.stringify({ fs: 7.5 }));
  return { n, t, F, planes };
}

test('NWB export is valid HDF5 with the NWB ophys layout (read back with h5py)', { skip: skipH5py }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sc-nwb-'));
  try {
    const { t, F } = await fakeResults(dir);
    const out = join(dir, 'out.nwb');
    const r = await exportNwb({ resultsDir: dir, outFile: out, jobId: 'j-test' });
    assert.deepEqual([r.rois, r.frames, r.planes, r.rateHz], [5, 40, 2, 7.5]);
    const got = python(`
import h5py, json
f = h5py.File(${JSON.stringify(out)}, 'r')
o = f['processing/ophys']
ps = o['ImageSegmentation/PlaneSegmentation1']
rrs = o['Fluorescence/RoiResponseSeries1']
table = f[rrs['rois'].attrs['table']]
print(json.dumps({
  'type': f.attrs['neurodata_type'], 'version': f.attrs['nwb_version'],
  'ids0': o['ImageSegmentation/PlaneSegmentation0/id'][()].tolist(),
  'ids1': ps['id'][()].tolist(),
  'mask_len': int(ps['pixel_mask'].shape[0]), 'index1': ps['pixel_mask_index'][()].tolist(),
  'mask_x': ps['pixel_mask']['x'][:3].tolist(), 'mask_y': ps['pixel_mask']['y'][:3].tolist(),
  'shape': list(rrs['data'].shape), 'col0': rrs['data'][:, 0].tolist(),
  'table': table.name, 'rate': float(rrs['starting_time'].attrs['rate']),
  'plane_link': ps.get('imaging_plane', getlink=True).path, 'dff_shape': list(o['DfOverF/RoiResponseSeries0/data'].shape),
  'colnames': [str(c) for c in ps.attrs['colnames']],
  'iscell1': ps['iscell'][()].tolist(), 'worker1': ps['iscell_worker'][()].tolist(),
  'iscell0': o['ImageSegmentation/PlaneSegmentation0/iscell'][()].tolist(),
}))`) as Record<string, unknown>;
    assert.equal(got.type, 'NWBFile');
    assert.equal(got.version, '2.7.0');
    assert.deepEqual(got.ids0, [0, 1, 3]);
    assert.deepEqual(got.ids1, [2, 4]);
    // ROI 2 has 4 pixels, ROI 4 has 6: the index holds cumulative ends.
    assert.deepEqual(got.index1, [4, 10]);
    assert.equal(got.mask_len, 10);
    assert.deepEqual(got.mask_x, [20, 21, 22]);
    assert.deepEqual(got.mask_y, [12, 12, 12]);
    assert.deepEqual(got.shape, [t, 2]);
    // Column 0 of plane 1's series is ROI 2's trace over time.
    (got.col0 as number[]).forEach((v, i) => assert.ok(Math.abs(v - F[2 * t + i]) < 1e-4));
    assert.equal(got.table, '/processing/ophys/ImageSegmentation/PlaneSegmentation1');
    assert.equal(got.rate, 7.5);
    assert.equal(got.plane_link, '/general/optophysiology/ImagingPlane1');
    assert.deepEqual(got.dff_shape, [t, 3]);
    assert.deepEqual(got.colnames, ['pixel_mask', 'iscell', 'iscell_worker']);
    // Plane 1 holds ROIs 2 and 4: curated 2 -> not a cell (bo's later record wins), 4 -> cell.
    assert.deepEqual(got.iscell1, [0, 1]);
    assert.deepEqual(got.worker1, [1, 0]);
    assert.deepEqual(got.iscell0, [1, 0, 1]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('pynwb opens the export as NWB with ROI tables and series', { skip: skipPynwb }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sc-nwb-'));
  try {
    await fakeResults(dir);
    const out = join(dir, 'out.nwb');
    await exportNwb({ resultsDir: dir, outFile: out, jobId: 'j-test', rateHz: 30 });
    const got = python(`
import json, warnings
warnings.simplefilter('ignore')
from pynwb import NWBHDF5IO
with NWBHDF5IO(${JSON.stringify(out)}, 'r') as io:
    nwb = io.read()
    o = nwb.processing['ophys']
    ps = o['ImageSegmentation']['PlaneSegmentation0']
    s = o['DfOverF']['RoiResponseSeries0']
    ps1 = o['ImageSegmentation']['PlaneSegmentation1']
    print(json.dumps({'identifier': nwb.identifier, 'rois': len(ps), 'pixels0': len(ps['pixel_mask'][0]),
      'iscell1': [int(v) for v in ps1['iscell'][:]], 'worker1': [int(v) for v in ps1['iscell_worker'][:]],
      'rate': float(s.rate), 'shape': list(s.data.shape), 'table': s.rois.table.name, 'plane': ps.imaging_plane.name}))`) as Record<string, unknown>;
    assert.deepEqual(got, {
      identifier: 'scopecloud-j-test',
      rois: 3,
      iscell1: [0, 1],
      worker1: [1, 0],
      pixels0: 2,
      rate: 30,
      shape: [40, 3],
      table: 'PlaneSegmentation0',
      plane: 'ImagingPlane0',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
