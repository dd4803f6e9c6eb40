import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c as portable } from '@node-rs/crc32';
import { crc32c, crc32cImplementation, hardwareModuleCandidates, loadHardwareCrc32c } from '../../../main/upload/crc32c.ts';
import { seededRandom } from '../../support/seeded-random.ts';

const built = hardwareModuleCandidates({}).find((p) => existsSync(p));

test('the chosen CRC32C equals the portable one on any bytes, offsets and continuations', () => {
  const random = seededRandom(7);
  const data = Buffer.alloc(3 * 1024 * 1024 + 13);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * 256);
  for (const [start, end] of [
    [0, 0],
    [0, 1],
    [1, 8],
    [3, 1000],
    [7, data.length],
    [4096, 4096 + 1024 * 1024],
  ]) {
    const slice = data.subarray(start, end);
    assert.equal(crc32c(slice), portable(slice), `bytes ${start}-${end}`);
    const mid = start + Math.floor((end - start) / 3);
    assert.equal(crc32c(data.subarray(mid, end), crc32c(data.subarray(start, mid))), portable(slice), `continued at ${mid}`);
  }
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0), 0x12345678), 0x12345678);
});

test('the hardware module is used wherever the worker build produced it (the portable one on Windows)', () => {
  if (process.platform === 'win32') return assert.equal(crc32cImplementation, 'portable');
  // `npm test` builds the worker workspace (crates/crc32c-node included) before the tests run
  assert.ok(built, `no hardware CRC32C module at ${hardwareModuleCandidates({}).join(', ')}: run npm run worker:build`);
  assert.equal(crc32cImplementation, 'hardware');
  const f = loadHardwareCrc32c(built)!;
  assert.throws(() => (f as unknown as (x: unknown) => number)('text'), TypeError);
  assert.throws(() => (f as unknown as (x: unknown) => number)(new Uint16Array(4)), TypeError);
  assert.throws(() => (f as unknown as (x: unknown, y: unknown) => number)(Buffer.alloc(1), 'x'), TypeError);
});

test('a file that is not the module is refused, and the portable CRC stays in use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crc32c-'));
  const bogus = join(dir, 'not-a-module.node');
  writeFileSync(bogus, 'not a shared library');
  assert.equal(loadHardwareCrc32c(bogus), undefined);
  assert.equal(loadHardwareCrc32c(join(dir, 'missing.node')), undefined);
  assert.equal(hardwareModuleCandidates({ SCOPECLOUD_CRC32C: bogus })[0], bogus);
});
