import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlaneAnatomy } from '../../../preload/anatomy-binary.ts';
import { contrastBytes, percentileRange, SliceLayer } from '../../../renderer/viewer/slice-layer.ts';
import { makeRoiUniforms, roiColorBytes, setActivityTexture, TEX_WIDTH } from '../../../renderer/viewer/roi-textures.ts';
import { RoiScene } from '../../../renderer/viewer/roi-scene.ts';

test('contrast: the 0.5-99.5 percentile range maps to 0-255, outliers clip', () => {
  const px = new Uint16Array(1000);
  for (let i = 0; i < 1000; i++) px[i] = 1000 + i;
  px[0] = 0; // a dead pixel
  px[999] = 65535; // a hot one
  const [lo, hi] = percentileRange(px, 0.5, 99.5);
  assert.ok(lo >= 1004 && lo <= 1006 && hi >= 1993 && hi <= 1995, `${lo}-${hi}`);
  const b = contrastBytes(px);
  assert.equal(b[0], 0);
  assert.equal(b[999], 255);
  assert.ok(b[500] > 110 && b[500] < 145, String(b[500]));
  assert.deepEqual([...contrastBytes(new Uint16Array(4).fill(9))], [0, 0, 0, 0], 'a flat image does not divide by zero');
});

function plane(p: number, labels: number[]): PlaneAnatomy {
  return { width: 2, height: 2, plane: p, kind: 'mean', lo: 0, hi: 1, labels: Int32Array.from(labels), pixels: new Uint16Array(4) };
}

test('picking a footprint: the first slice the ray meets with a visible ROI at that pixel', () => {
  const layer = new SliceLayer(makeRoiUniforms());
  // 2x2 images centred on the origin (offset = half the size): pixel (col, row) centre at (col - 1, 1 - row).
  layer.setPlane(plane(0, [3, -1, -1, -1]), 0, { x: 1, y: 1 });
  layer.setPlane(plane(1, [-1, -1, 8, -1]), 10, { x: 1, y: 1 });
  const down = { x: 0, y: 0, z: -1 };
  // straight down over pixel (0, 0): plane 1 has nothing there, plane 0 has ROI 3
  assert.equal(layer.pick({ x: -1, y: 1, z: 50 }, down, null), 3);
  // over pixel (0, 1): plane 1 (nearer) has ROI 8
  assert.equal(layer.pick({ x: -1, y: 0, z: 50 }, down, null), 8);
  const hidden = new Uint8Array(9);
  hidden[8] = 1;
  assert.equal(layer.pick({ x: -1, y: 0, z: 50 }, down, hidden), -1, 'hidden ROIs are not picked');
  assert.equal(layer.pick({ x: 5, y: 5, z: 50 }, down, null), -1, 'outside every image');
  assert.equal(layer.pick({ x: -1, y: 1, z: 5 }, { x: 0, y: 0, z: 1 }, null), -1, 'behind the ray');
  layer.dispose();
});

test('ROI textures: colours per ROI with alpha 0 for hidden ones; activity uploaded once, in ROI × bin order', () => {
  const rois = {
    count: 3,
    planes: 2,
    centroids: new Float32Array(9),
    sizes: new Float32Array(3).fill(10),
    clusters: Uint8Array.from([0, 255, 1]),
    scores: Uint8Array.from([0, 128, 255]),
  };
  const hidden = Uint8Array.from([0, 1, 0]);
  const c = roiColorBytes(rois, 'cluster', hidden);
  assert.equal(c.length, TEX_WIDTH * 4);
  assert.deepEqual([...c.subarray(0, 4)], [0x4e, 0x79, 0xa7, 255], 'cluster 1 is the first palette colour, in sRGB bytes');
  assert.equal(c[7], 0, 'ROI 1 hidden');
  const s = roiColorBytes(rois, 'score', null);
  assert.notDeepEqual([...s.subarray(0, 3)], [...s.subarray(8, 11)], 'scores 0 and 1 differ');
  const u = makeRoiUniforms();
  setActivityTexture(u, { count: 3, bins: 2, values: Uint8Array.from([1, 2, 3, 4, 5, 6]) });
  assert.equal(u.uBins.value, 2);
  assert.deepEqual([...(u.uActivity.value.image.data as Uint8Array).subarray(0, 6)], [1, 2, 3, 4, 5, 6]);
  setActivityTexture(u, null);
  assert.equal(u.uBins.value, 0);
});

test('playing activity on the impostor spheres moves the time uniform and uploads no instance colours', () => {
  const scene = new RoiScene(4);
  const rois = { count: 2, planes: 1, centroids: Float32Array.from([1, 1, 0, 5, 5, 0]), sizes: Float32Array.from([10, 10]), clusters: Uint8Array.from([0, 1]) };
  scene.setData(rois, { planeSpacing: 1, width: 8, height: 8 });
  scene.setActivity({ count: 2, bins: 4, values: Uint8Array.from([0, 50, 100, 150, 200, 150, 100, 50]) });
  scene.setColorMode('activity');
  const colours = scene.mesh.instanceColor!;
  const before = colours.version;
  const snapshot = [...(colours.array as Float32Array)];
  scene.setFrame(2.5);
  assert.equal(scene.uniforms.uFrame.value, 2.5);
  assert.equal(scene.uniforms.uByActivity.value, 1);
  assert.equal(colours.version, before, 'no colour upload per frame');
  assert.deepEqual([...(colours.array as Float32Array)], snapshot);
  // the lit mesh shapes still recolour on the CPU (and the benchmark's "before" does so on purpose)
  scene.setFrameByUpload(3);
  assert.ok(colours.version > before);
  assert.equal(scene.uniforms.uByActivity.value, 0);
  scene.setFrame(1);
  assert.equal(scene.uniforms.uByActivity.value, 1, 'back on the GPU path');
  scene.dispose();
});
