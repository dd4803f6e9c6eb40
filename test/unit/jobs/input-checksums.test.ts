import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fsObjectStore, putJson } from '../../../main/jobs/object-store.ts';
import { expectedInputChecksums } from '../../../main/jobs/input-checksums.ts';

const entry = (path: string, crc32c: string, extra: object = {}) => ({ path, size: 1, mtime: '', mtimeMs: 0, crc32c, ...extra });

test('each input gets the CRC32C of the nearest session manifest that lists it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-input-sums-'));
  try {
    const store = fsObjectStore(root);
    await putJson(store, 'rig1/mouse12/manifest.json', { schema: 1, files: [entry('day1/a.tif', 'AAAAAQ=='), entry('b.tif', 'AAAAAg==')] });
    await putJson(store, 'rig1/mouse12/day1/manifest.json', {
      schema: 1,
      files: [entry('other.tif', 'AAAAAw=='), entry('moving.tif', 'AAAABA==', { changedWhileReading: true })],
    });
    await putJson(store, 'rig1/odd/manifest.json', { schema: 1, files: [entry('bad.tif', 'not base64 crc')] });
    const sums = await expectedInputChecksums(store, [
      'rig1/mouse12/day1/a.tif', // listed by the parent session, not by day1's own manifest
      'rig1/mouse12/b.tif',
      'rig1/mouse12/day1/other.tif',
      'rig1/mouse12/day1/moving.tif', // changed while checksummed: no trustworthy value
      'rig1/odd/bad.tif',
      'rig1/none/c.tif',
    ]);
    assert.deepEqual(Object.fromEntries(sums), {
      'rig1/mouse12/day1/a.tif': 'AAAAAQ==',
      'rig1/mouse12/b.tif': 'AAAAAg==',
      'rig1/mouse12/day1/other.tif': 'AAAAAw==',
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
