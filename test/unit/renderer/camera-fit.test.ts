/**
 * Framing of the 3D ROI view (renderer/viewer/camera-fit.ts) with three.js's own camera: a
 * sphere seen from fitDistance is whole in the view, for wide and tall panels and any direction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerspectiveCamera, Vector3 } from 'three';
import { fitDistance, fractionInView } from '../../../renderer/viewer/camera-fit.ts';

/** Points on a sphere of `radius` around the origin (a Fibonacci lattice). */
function spherePoints(radius: number, n: number): Float32Array {
  const out = new Float32Array(n * 3);
  const golden = Math.PI * (3 - Math.sqrt(5));
  for (let i = 0; i < n; i++) {
    const z = 1 - (2 * (i + 0.5)) / n;
    const r = Math.sqrt(1 - z * z);
    out[i * 3] = radius * r * Math.cos(golden * i);
    out[i * 3 + 1] = radius * r * Math.sin(golden * i);
    out[i * 3 + 2] = radius * z;
  }
  return out;
}

function viewFrom(direction: Vector3, distance: number, aspect: number, radius: number): number[] {
  const cam = new PerspectiveCamera(40, aspect, radius / 100, (distance + radius) * 4);
  cam.up.set(0, 0, 1);
  cam.position.copy(direction).normalize().multiplyScalar(distance);
  cam.lookAt(0, 0, 0);
  cam.updateMatrixWorld();
  cam.updateProjectionMatrix();
  return cam.projectionMatrix.clone().multiply(cam.matrixWorldInverse).elements;
}

test('a sphere seen from fitDistance is wholly in view, wide or tall, from any side', () => {
  const radius = 181; // a 256 x 256 plane's corners
  const pts = spherePoints(radius, 2000);
  for (const aspect of [646 / 534, 16 / 9, 0.5, 1]) {
    for (const dir of [new Vector3(0.9, -1.6, 1.5), new Vector3(0, 0, 1), new Vector3(1, 0, 0.01), new Vector3(-1, 2, -0.5)]) {
      const d = fitDistance(radius, 40, aspect);
      assert.equal(fractionInView(pts, 2000, viewFrom(dir, d, aspect, radius)), 1, `aspect ${aspect}, from ${dir.toArray()}`);
    }
  }
});

test('fitDistance is not wastefully far: at 80% of it a sphere is cut', () => {
  const radius = 100;
  const pts = spherePoints(radius, 2000);
  for (const aspect of [16 / 9, 0.5]) {
    const d = fitDistance(radius, 40, aspect);
    assert.ok(fractionInView(pts, 2000, viewFrom(new Vector3(0.9, -1.6, 1.5), 0.8 * d, aspect, radius)) < 1, `aspect ${aspect}`);
  }
});

test('fractionInView counts points behind the camera as out of view', () => {
  const pts = new Float32Array([0, 0, 0, 0, 0, 200]);
  const vp = viewFrom(new Vector3(0, 0, 1), 100, 1, 10);
  assert.equal(fractionInView(pts, 2, vp), 0.5);
  assert.equal(fractionInView(new Float32Array(0), 0, vp), 1);
});
