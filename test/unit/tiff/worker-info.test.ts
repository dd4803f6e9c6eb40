// TIFF facts for manifests come from the analysis worker (main/tiff/worker-info.ts): synthetic
// files with known shapes, a real ScanImage recording from the shared data, files that are not
// TIFFs, and a worker that is not built. Expected values come from how each file was written
// (or its metadata), never from the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workerTiffReader, type TiffReading } from '../../../main/tiff/worker-info.ts';
import { findWorkerPath } from '../../../main/worker/worker-path.ts';
import { encodeTiff } from '../../support/synthetic-tiff.ts';
import { requires } from '../../support/requirements.ts';
import { sharedData, sharedDataMissing } from '../../support/shared-data.ts';

const worker = findWorkerPath();
const skip = requires(worker ? false : 'no scopecloud-worker built (npm run worker:build)');
const skipShared = requires(
  worker ? false : 'no scopecloud-worker built (npm run worker:build)',
  sharedDataMissing('scanimage/scanimage3.8_drosophila_30f.tif'),
);

const facts = (r: TiffReading | undefined) => {
  assert.ok(r && 'facts' in r, `expected facts, got ${JSON.stringify(r)}`);
  return r.facts;
};
const problem = (r: TiffReading | undefined) => {
  assert.ok(r && 'problem' in r, `expected a problem, got ${JSON.stringify(r)}`);
  return r.problem;
};

test('worker TIFF facts: shapes, sample types and byte order as written; bad files named, one answer per path', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sc-tiff-facts-'));
  try {
    const a = join(dir, 'a.tif');
    const b = join(dir, 'b big.tif');
    const notTiff = join(dir, 'notes.tif');
    const truncated = join(dir, 'cut.tif');
    await writeFile(a, encodeTiff({ width: 20, height: 12, pages: 4, bitsPerSample: 16 }));
    await writeFile(b, encodeTiff({ width: 8, height: 8, pages: 5, bitsPerSample: 8, bigTiff: true, littleEndian: false }));
    await writeFile(notTiff, 'laser 920 nm\n');
    await writeFile(truncated, encodeTiff({ width: 64, height: 64, pages: 10, bitsPerSample: 16 }).subarray(0, 3000));
    const missing = join(dir, 'gone.tif');
    const read = await workerTiffReader(() => worker)([a, b, notTiff, truncated, missing]);
    assert.equal(read.size, 5);
    const fa = facts(read.get(a));
    assert.deepEqual([fa.width, fa.height, fa.pages, fa.frames, fa.dtype, fa.bigtiff, fa.byte_order], [20, 12, 4, 4, 'uint16', false, 'little']);
    const fb = facts(read.get(b));
    assert.deepEqual([fb.width, fb.height, fb.pages, fb.dtype, fb.bigtiff, fb.byte_order], [8, 8, 5, 'uint8', true, 'big']);
    assert.equal(problem(read.get(notTiff)).code, 'not-tiff');
    assert.ok(['truncated', 'corrupt'].includes(problem(read.get(truncated)).code), problem(read.get(truncated)).message);
    assert.equal(problem(read.get(missing)).code, 'io');
    assert.ok(!problem(read.get(missing)).message.includes(missing), 'the message does not repeat the path the manifest entry names');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('worker TIFF facts: a real ScanImage 3.8 recording says its frame rate', { skip: skipShared }, async () => {
  const path = sharedData('scanimage', 'scanimage3.8_drosophila_30f.tif');
  const f = facts((await workerTiffReader(() => worker)([path])).get(path));
  // 30 frames of 64 x 64 (the file name and its ScanImage header), 8.138 Hz in the header
  assert.deepEqual([f.frames, f.width, f.height, f.metadata, f.metadata_version], [30, 64, 64, 'scanimage', '3.8']);
  assert.ok(Math.abs((f.frame_rate_hz ?? 0) - 8.138) < 0.01);
});

test('worker TIFF facts: without a built worker every file says why, nothing throws', async () => {
  const read = await workerTiffReader(() => null)(['/x/a.tif', '/x/b.tif']);
  assert.deepEqual(
    [...read.values()].map((r) => ('problem' in r ? r.problem.code : 'facts')),
    ['no-reader', 'no-reader'],
  );
});
