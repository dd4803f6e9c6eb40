import { test } from 'node:test';
import assert from 'node:assert/strict';
import { yScale } from '../../../renderer/viewer/plot-scale.ts';

test('one y scale over every series: the highest value at the top, the lowest at the bottom', () => {
  const s = yScale([Float32Array.from([1, 5]), Float32Array.from([-3, 2])], 10, 110);
  assert.deepEqual([s.lo, s.hi], [-3, 5]);
  assert.equal(s.y(5), 10);
  assert.equal(s.y(-3), 110);
  assert.equal(s.y(1), 60);
});

test('a flat trace gets a range of 1 and sits on the bottom edge', () => {
  const s = yScale([Float32Array.from([2, 2, 2])], 0, 50);
  assert.deepEqual([s.lo, s.hi], [2, 3]);
  assert.equal(s.y(2), 50);
});
