import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bandedLayout,
  choosePartSize,
  clippedRange,
  completePartCount,
  GiB,
  MAX_OBJECT_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MiB,
  partCount,
  partRange,
  PartLayoutError,
  TiB,
  uniformLayout,
} from '../../../main/upload/part-layout.ts';

test('part size is 8 MiB for ordinary files and grows so 5 TiB fits in 10,000 parts', () => {
  assert.equal(choosePartSize(0), 8 * MiB);
  assert.equal(choosePartSize(4 * GiB), 8 * MiB);
  assert.equal(choosePartSize(80 * GiB), 9 * MiB);
  const p = choosePartSize(MAX_OBJECT_SIZE);
  assert.ok(p % MiB === 0 && p <= MAX_PART_SIZE);
  assert.ok(Math.ceil(MAX_OBJECT_SIZE / p) <= MAX_PARTS);
  assert.ok(Math.ceil(MAX_OBJECT_SIZE / (p - MiB)) > MAX_PARTS, 'smallest whole-MiB size that fits');
  assert.equal(partCount(uniformLayout(MAX_OBJECT_SIZE), MAX_OBJECT_SIZE) <= MAX_PARTS, true);
  assert.throws(() => choosePartSize(MAX_OBJECT_SIZE + 1), PartLayoutError);
  assert.equal(choosePartSize(1, 16 * MiB), 16 * MiB);
});

test('a file too small to keep `spread` requests busy gets smaller parts, never below 5 MiB', () => {
  // 100 MiB over 64 requests: 8 MiB parts would leave 51 of them idle; 5 MiB is the floor
  assert.equal(choosePartSize(100 * MiB, 8 * MiB, 64), 5 * MiB);
  // 400 MiB over 64 requests: 7 MiB gives 58 parts (6 MiB would give 67, more than needed)
  assert.equal(choosePartSize(400 * MiB, 8 * MiB, 64), 7 * MiB);
  assert.equal(partCount(uniformLayout(400 * MiB, 8 * MiB, 64), 400 * MiB), 58);
  // large files keep minPartSize: spread only ever lowers the size towards 5 MiB
  assert.equal(choosePartSize(4 * GiB, 8 * MiB, 64), 8 * MiB);
  assert.equal(choosePartSize(4 * GiB, 16 * MiB, 64), 16 * MiB);
  assert.equal(choosePartSize(600 * MiB, 16 * MiB, 64), 10 * MiB);
  // the 10,000-part limit still wins over spread
  assert.equal(choosePartSize(MAX_OBJECT_SIZE, 8 * MiB, 64), choosePartSize(MAX_OBJECT_SIZE));
  assert.equal(choosePartSize(100 * MiB, 8 * MiB, 1), 8 * MiB);
  assert.throws(() => choosePartSize(MiB, 8 * MiB, 0), RangeError);
});

test('uniform parts tile the file exactly', () => {
  const size = 3 * 8 * MiB + 5;
  const l = uniformLayout(size);
  assert.equal(partCount(l, size), 4);
  let pos = 0;
  for (let n = 1; n <= 4; n++) {
    const r = clippedRange(l, n, size);
    assert.equal(r.start, pos);
    pos = r.end;
  }
  assert.equal(pos, size);
  assert.equal(partCount(l, 0), 1, 'an empty file is one empty part');
});

test('banded layout for growing files holds 5 TiB in 10,000 parts, each ≤ 5 GiB, contiguous', () => {
  const l = bandedLayout(8 * MiB);
  let pos = 0;
  for (let n = 1; n <= MAX_PARTS; n++) {
    const r = partRange(l, n);
    assert.equal(r.start, pos, `part ${n} starts where ${n - 1} ended`);
    assert.ok(r.end - r.start <= MAX_PART_SIZE && r.end - r.start >= 5 * MiB);
    pos = r.end;
  }
  assert.ok(pos >= 5 * TiB);
  assert.equal(partCount(l, 5 * TiB) <= MAX_PARTS, true);
  assert.equal(partCount(l, 8 * MiB * 1000 + 1), 1001);
  assert.equal(completePartCount(l, 8 * MiB * 3 - 1), 2);
  assert.equal(completePartCount(l, 8 * MiB * 3), 3);
  assert.equal(completePartCount(l, 0), 0);
});
