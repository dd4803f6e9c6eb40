import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rasterGroups, UNCLUSTERED_CELL } from '../../../renderer/viewer/raster-groups.ts';

test("raster groups follow the curated labels, not the worker's", () => {
  const worker = Uint8Array.from([0, 1, 255, 2, 255]);
  // ROI 1 marked not cell, ROI 2 marked cell (the worker had it as a non-cell), ROI 4 left alone.
  const iscell = Uint8Array.from([1, 0, 1, 1, 0]);
  assert.deepEqual([...rasterGroups(worker, iscell)], [0, 255, UNCLUSTERED_CELL, 2, 255]);
});

test("without curated labels the worker's clusters are the groups", () => {
  const worker = Uint8Array.from([3, 255]);
  assert.deepEqual([...rasterGroups(worker, undefined)], [3, 255]);
});
