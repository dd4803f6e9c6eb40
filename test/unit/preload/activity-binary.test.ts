import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActivityFormatError, binActivity, decodeActivity, encodeActivity } from '../../../preload/activity-binary.ts';
import { clusterOrder, rasterRows } from '../../../renderer/viewer/activity-raster.ts';
import { RoiScene } from '../../../renderer/viewer/roi-scene.ts';

test('binning averages frames per bin and quantises between 0 and the high percentile', () => {
  // ROI 0 is silent, ROI 1 fires in the second half only.
  const rows = [new Float32Array(8), Float32Array.from([0, 0, 0, 0, 2, 2, 2, 2])];
  const a = binActivity(2, 8, 4, (i) => rows[i]);
  assert.equal(a.bins, 4);
  assert.equal(a.lo, 0);
  assert.deepEqual(Array.from(a.values.subarray(0, 4)), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(a.values.subarray(4, 8)), [0, 0, 255, 255]);
  assert.equal(binActivity(1, 3, 10, () => [1, 2, 3]).bins, 3, 'never more bins than frames');
});

test('activity round-trips through its binary layout and rejects damage', () => {
  const a = binActivity(3, 10, 5, (i) => Array.from({ length: 10 }, (_, t) => Math.sin(t + i)));
  const back = decodeActivity(encodeActivity(a));
  assert.deepEqual([back.count, back.bins, back.frames], [3, 5, 10]);
  assert.deepEqual(Array.from(back.values), Array.from(a.values));
  assert.ok(Math.abs(back.hi - a.hi) < 1e-6);
  const bytes = encodeActivity(a);
  assert.throws(() => decodeActivity(bytes.subarray(0, bytes.length - 1)), ActivityFormatError);
  const bad = bytes.slice();
  bad[0] ^= 1;
  assert.throws(() => decodeActivity(bad), ActivityFormatError);
});

test('raster rows follow cluster order, unassigned last, one sampled ROI per row', () => {
  const clusters = Uint8Array.from([2, 255, 0, 2, 0, 1]);
  assert.deepEqual(Array.from(clusterOrder(clusters, 6)), [2, 4, 5, 0, 3, 1]);
  const values = new Uint8Array(6 * 2);
  for (let i = 0; i < 6; i++) values.set([i * 10, i * 10 + 1], i * 2);
  const a = { count: 6, bins: 2, frames: 2, lo: 0, hi: 1, values };
  const all = rasterRows(a, clusterOrder(clusters, 6), clusters, 100);
  assert.equal(all.rows, 6);
  assert.deepEqual(Array.from(all.cluster), [0, 0, 1, 2, 2, 255]);
  assert.deepEqual(Array.from(all.values.subarray(0, 2)), [20, 21]);
  const three = rasterRows(a, clusterOrder(clusters, 6), clusters, 3);
  assert.equal(three.rows, 3);
  assert.deepEqual(Array.from(three.cluster), [0, 2, 255], 'the middle ROI of each third');
});

test('the lit mesh shapes colour ROIs by activity at a frame, rewriting only instance colours', () => {
  // (the impostor plays on the GPU instead: test/unit/renderer/slice-layer.test.ts)
  const scene = new RoiScene(4, 'octahedron');
  const rois = { count: 2, planes: 1, centroids: Float32Array.from([1, 1, 0, 5, 5, 0]), sizes: Float32Array.from([10, 10]), clusters: Uint8Array.from([0, 1]) };
  scene.setData(rois, { planeSpacing: 1, width: 10, height: 10 });
  const matrix = Float32Array.from(scene.mesh.instanceMatrix.array as Float32Array);
  scene.setActivity({ count: 2, bins: 2, values: Uint8Array.from([0, 255, 255, 0]) });
  scene.setFrame(0);
  const colours = () => Array.from((scene.mesh.instanceColor!.array as Float32Array).subarray(0, 6));
  const f0 = colours();
  scene.setFrame(1);
  const f1 = colours();
  assert.equal(scene.colorMode, 'activity');
  assert.deepEqual(f0.slice(0, 3), f1.slice(3, 6), 'ROI 0 at frame 0 looks like ROI 1 at frame 1');
  assert.ok(f1[0] + f1[1] + f1[2] > f0[0] + f0[1] + f0[2], 'active is brighter than silent');
  assert.deepEqual(Array.from(scene.mesh.instanceMatrix.array as Float32Array), Array.from(matrix), 'positions untouched');
  scene.setShape('icosahedron');
  assert.equal(scene.shape, 'icosahedron');
  assert.deepEqual(colours(), f1, 'changing shape keeps the colours');
  scene.dispose();
});
