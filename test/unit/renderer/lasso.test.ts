// The lasso's geometry: which projected ROI centres fall inside a drawn polygon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pointInPolygon, roisInPolygon } from '../../../renderer/viewer/lasso.ts';

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

test('pointInPolygon: inside and outside a concave polygon (an L)', () => {
  const l = [
    { x: 0, y: 0 },
    { x: 10, y: 0 },
    { x: 10, y: 4 },
    { x: 4, y: 4 },
    { x: 4, y: 10 },
    { x: 0, y: 10 },
  ];
  assert.equal(pointInPolygon(2, 8, l), true);
  assert.equal(pointInPolygon(8, 2, l), true);
  assert.equal(pointInPolygon(8, 8, l), false, 'the notch of the L is outside');
  assert.equal(pointInPolygon(-1, 5, l), false);
});

test('roisInPolygon: centres projected onto the canvas, hidden ROIs and ones behind the camera left out', () => {
  // Identity view-projection: world x, y in [-1, 1] map onto a 100 x 100 canvas (y up).
  const world = new Float32Array([-0.5, 0.5, 0, 0.5, 0.5, 0, -0.5, -0.5, 0, -0.4, 0.4, 0]);
  const topLeft = [
    { x: 0, y: 0 },
    { x: 50, y: 0 },
    { x: 50, y: 50 },
    { x: 0, y: 50 },
  ];
  assert.deepEqual(roisInPolygon(world, 4, IDENTITY, 100, 100, topLeft), [0, 3]);
  assert.deepEqual(roisInPolygon(world, 4, IDENTITY, 100, 100, topLeft, new Uint8Array([0, 0, 0, 1])), [0], 'hidden ROIs are not selected');
  const behind = [...IDENTITY];
  behind[15] = -1; // w < 0 for every point: all behind the camera
  assert.deepEqual(roisInPolygon(world, 4, behind, 100, 100, topLeft), []);
  assert.deepEqual(roisInPolygon(world, 4, IDENTITY, 100, 100, topLeft.slice(0, 2)), [], 'two points are no polygon');
});
