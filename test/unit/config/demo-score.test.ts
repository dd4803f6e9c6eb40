import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centroid, scoreDetections } from '../../../main/demo/score.ts';

test('detections pair one-to-one within the distance, per plane', () => {
  const truth = [
    centroid(0, [
      [10, 10],
      [12, 12],
    ]),
    { plane: 0, row: 50, col: 50 },
    { plane: 1, row: 50, col: 50 },
  ];
  assert.deepEqual(truth[0], { plane: 0, row: 11, col: 11 });
  const found = [
    { plane: 0, row: 11, col: 12 },
    { plane: 0, row: 11, col: 10 },
    { plane: 0, row: 80, col: 80 },
    { plane: 0, row: 50, col: 52 },
  ];
  const s = scoreDetections(truth, found);
  assert.equal(s.matched, 2, 'two detections near one cell count once; the plane-1 cell is not matched by a plane-0 ROI');
  assert.equal(s.recall, 2 / 3);
  assert.equal(s.precision, 2 / 4);
  assert.ok(Math.abs(s.f1 - (2 * (2 / 3) * 0.5) / (2 / 3 + 0.5)) < 1e-12);
  assert.equal(scoreDetections([], []).f1, 0);
});
