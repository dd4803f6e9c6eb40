/**
 * Hiding the ROIs that are not cells in the 3D scene (renderer/viewer/roi-scene.ts, no WebGL):
 * hidden instances are drawn at scale 0 and never picked; showing them restores their size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerspectiveCamera } from 'three';
import { pickNearest } from '../../../renderer/viewer/roi-picking.ts';
import { RoiScene } from '../../../renderer/viewer/roi-scene.ts';
import type { RoiArrays } from '../../../preload/roi-binary.ts';

function rois(): RoiArrays {
  // three ROIs on a 100 x 100 plane: a cell of cluster 0, a non-cell, a cell of cluster 1
  return {
    count: 3,
    planes: 1,
    centroids: new Float32Array([20, 50, 0, 50, 50, 0, 80, 50, 0]),
    sizes: new Float32Array([64, 100, 36]),
    clusters: new Uint8Array([0, 255, 1]),
  };
}

const scaleOf = (scene: RoiScene, i: number) => (scene.mesh.instanceMatrix.array as Float32Array)[i * 16];

/** Where the centre of ROI `i` lands on a 400 x 400 canvas seen straight from above. */
function viewAbove(scene: RoiScene) {
  const cam = new PerspectiveCamera(40, 1, 1, 1000);
  cam.position.set(0, 0, 300);
  cam.lookAt(0, 0, 0);
  cam.updateMatrixWorld();
  const vp = cam.projectionMatrix.clone().multiply(cam.matrixWorldInverse).elements;
  const at = (i: number) => {
    const [x, y, z] = [scene.world[i * 3], scene.world[i * 3 + 1], scene.world[i * 3 + 2]];
    const w = vp[3] * x + vp[7] * y + vp[11] * z + vp[15];
    return { px: ((vp[0] * x + vp[4] * y + vp[8] * z + vp[12]) / w + 1) * 200, py: (1 - (vp[1] * x + vp[5] * y + vp[9] * z + vp[13]) / w) * 200 };
  };
  return { vp, at };
}

test('non-cells are hidden at scale 0, not picked, and come back at their size', () => {
  const scene = new RoiScene(4);
  scene.setData(rois(), { planeSpacing: 10, width: 100, height: 100 });
  const full = [0, 1, 2].map((i) => scaleOf(scene, i));
  assert.ok(full.every((s) => s > 0));
  assert.equal(scene.shownCount, 3);
  assert.equal(scene.hiddenMask, null);
  const { vp, at } = viewAbove(scene);
  const p = at(1);
  assert.equal(pickNearest(scene.world, 3, vp, 400, 400, p.px, p.py, 8, scene.hiddenMask), 1, 'shown: the non-cell is picked');

  scene.setNonCellsHidden(true);
  assert.deepEqual(
    [0, 1, 2].map((i) => scaleOf(scene, i)),
    [full[0], 0, full[2]],
  );
  assert.equal(scene.shownCount, 2);
  assert.deepEqual([...scene.hiddenMask!], [0, 1, 0]);
  assert.equal(pickNearest(scene.world, 3, vp, 400, 400, p.px, p.py, 8, scene.hiddenMask), -1, 'hidden: nothing under the pointer');
  const q = at(2);
  assert.equal(pickNearest(scene.world, 3, vp, 400, 400, q.px, q.py, 8, scene.hiddenMask), 2, 'cells are still picked');

  // kept across new data, then undone
  scene.setData(rois(), { planeSpacing: 10, width: 100, height: 100 });
  assert.equal(scaleOf(scene, 1), 0);
  scene.setNonCellsHidden(false);
  assert.deepEqual(
    [0, 1, 2].map((i) => scaleOf(scene, i)),
    full,
  );
  assert.equal(scene.shownCount, 3);
  scene.dispose();
});
