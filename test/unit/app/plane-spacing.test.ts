// Issue #18 pt1: the Results view's plane spacing follows the recording's voxel size (summary.json
// input.voxel_size) when it states both the z step and the pixel width, and says it is assumed otherwise,
// with the files' disagreement when several input files state different sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toResultSummary } from '../../../main/app/results-mapping.ts';
import { MAX_VOXEL_DISAGREEMENT, voxelSizeOf } from '../../../main/results/worker-contract.ts';

const rois = [
  { id: 0, plane: 0, x: 10, y: 20, z: 0, pixels: 30, score: 0.9, iscell: true, cluster: 0 },
  { id: 1, plane: 1, x: 5, y: 6, z: 1, pixels: 30, score: 0.8, iscell: true, cluster: 1 },
];
const summaryOf = (input: unknown) => toResultSummary({ id: 'j-1', rois, traceLength: 10, images: [], summary: { input } });

test('plane spacing: z step over pixel width, in pixel units, when the metadata states both', () => {
  const s = summaryOf({ width: 100, height: 80, planes: 2, voxel_size: { x: 2.5, y: 2.5, z: 20, unit: 'µm' } });
  assert.equal(s.planeSpacing, 8);
  assert.equal(s.planeSpacingSource, 'metadata');
  assert.deepEqual(s.zStep, { value: 20, unit: 'µm' });
  // A merge of different inputs has no input of its own: the first shard's says.
  const merged = toResultSummary({
    id: 'j-2',
    rois,
    traceLength: null,
    images: [],
    summary: { input: null, shards: [{ summary: { input: { width: 100, height: 80, planes: 2, voxel_size: { x: 0.5, y: 0.5, z: 4, unit: 'µm' } } } }] },
  });
  assert.equal(merged.planeSpacing, 8);
  assert.equal(merged.planeSpacingSource, 'metadata');
});

test('plane spacing: assumed (a third of the field of view) when the metadata lacks the z step or the pixel width', () => {
  const heuristic = (100 * 0.35) / 1;
  for (const voxel of [{ x: null, y: null, z: null, unit: null }, { x: 2, y: 2, z: null, unit: 'µm' }, { x: null, y: null, z: 20, unit: 'µm' }, undefined]) {
    const s = summaryOf({ width: 100, height: 80, planes: 2, voxel_size: voxel });
    assert.equal(s.planeSpacing, heuristic, JSON.stringify(voxel));
    assert.equal(s.planeSpacingSource, 'assumed');
  }
  assert.deepEqual(summaryOf({ width: 100, height: 80, planes: 2, voxel_size: { x: null, y: null, z: 20, unit: 'µm' } }).zStep, { value: 20, unit: 'µm' });
  assert.equal(summaryOf({ width: 100, height: 80, planes: 2 }).zStep, null);
});

test('plane spacing: assumed, with the reason, when the input files state different voxel sizes', () => {
  const disagreement = 'a.tif and 1 more: x 2, y 2, z 10 µm; c.tif: x 2, y 2, z 15 µm';
  const s = summaryOf({ width: 100, height: 80, planes: 2, voxel_size: { x: null, y: null, z: null, unit: null, disagreement } });
  assert.equal(s.planeSpacingSource, 'assumed');
  assert.equal(s.planeSpacing, 100 * 0.35);
  assert.equal(s.zStep, null);
  assert.equal(s.voxelDisagreement, disagreement);
  // Sizes next to a disagreement are not read (the worker writes none), and older summaries have none.
  const both = summaryOf({ width: 100, height: 80, planes: 2, voxel_size: { x: 2, y: 2, z: 10, unit: 'µm', disagreement } });
  assert.equal(both.planeSpacingSource, 'assumed');
  assert.equal(both.voxelDisagreement, disagreement);
  assert.equal(summaryOf({ width: 100, height: 80, planes: 2, voxel_size: { x: 2, y: 2, z: 10, unit: 'µm' } }).voxelDisagreement, null);
  // A disagreement longer than the contract allows is cut, not dropped.
  const long = voxelSizeOf({ disagreement: 'f.tif: z 1 µm; '.repeat(400) }).disagreement ?? '';
  assert.equal(long.length, MAX_VOXEL_DISAGREEMENT);
  assert.ok(long.endsWith('…'));
});

test('voxel size: invalid parts read as unknown, and sizes without a unit say nothing', () => {
  assert.deepEqual(voxelSizeOf({ x: 1, y: -1, z: Number.NaN, unit: 'µm' }), { x: 1, y: null, z: null, unit: 'µm', disagreement: null });
  assert.deepEqual(voxelSizeOf({ x: '1', y: 0, z: 3, unit: 'µm' }), { x: null, y: null, z: 3, unit: 'µm', disagreement: null });
  // A blank or non-string disagreement says nothing.
  assert.deepEqual(voxelSizeOf({ x: 1, unit: 'µm', disagreement: ' ' }), { x: 1, y: null, z: null, unit: 'µm', disagreement: null });
  assert.deepEqual(voxelSizeOf({ z: 1, unit: 'µm', disagreement: 7 }), { x: null, y: null, z: 1, unit: 'µm', disagreement: null });
  const none = { x: null, y: null, z: null, unit: null, disagreement: null };
  for (const bad of [
    null,
    undefined,
    7,
    'µm',
    [1, 2, 3],
    { x: 1, y: 1, z: 1 },
    { x: 1, y: 1, z: 1, unit: '' },
    { x: 1, z: 1, unit: 'u'.repeat(33) },
    { x: 0, unit: 'µm' },
  ])
    assert.deepEqual(voxelSizeOf(bad), none, JSON.stringify(bad));
});
