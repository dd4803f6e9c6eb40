/** Counts and frame rates as the UI (renderer/format.ts) and the CLI (main/cli/format.ts) print them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { count, formatHz } from '../../../renderer/format.ts';
import { count as cliCount, formatHz as cliHz } from '../../../main/cli/format.ts';

test('a count of one takes the singular, any other the plural', () => {
  for (const c of [count, cliCount]) {
    assert.equal(c(1, 'file'), '1 file');
    assert.equal(c(0, 'file'), '0 files');
    assert.equal(c(3, 'ROI'), '3 ROIs');
    assert.equal(c(2, 'analysis', 'analyses'), '2 analyses');
  }
  assert.equal(count(100_000, 'ROI'), '100,000 ROIs');
});

test('frame rates read as people write them: whole rates bare, others to two decimals', () => {
  for (const hz of [formatHz, cliHz]) {
    assert.equal(hz(30), '30 Hz');
    assert.equal(hz(30.000000001), '30 Hz');
    assert.equal(hz(7.5), '7.5 Hz');
    assert.equal(hz(8.13802083333333), '8.14 Hz', 'ScanImage 3.8 sample');
    assert.equal(hz(29.97002997), '29.97 Hz');
  }
});
