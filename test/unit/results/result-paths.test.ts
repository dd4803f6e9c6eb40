import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, win32 } from 'node:path';
import { test } from 'node:test';
import { fsObjectStore, putJson } from '../../../main/jobs/object-store.ts';
import { CHECKSUMS_FILE, jobKeys } from '../../../main/jobs/job-layout.ts';
import { pullResults } from '../../../main/results/pull.ts';
import { resultFilePath } from '../../../main/results/result-path.ts';

const ESCAPES = [
  '..\\..\\evil.txt',
  'sub\\..\\..\\evil.txt',
  'C:evil.txt',
  'C:\\Windows\\evil.txt',
  'rois.json:stream',
  '/etc/evil',
  '../evil',
  'a/../../evil',
  'a//b',
  './x',
  'bad\nname',
];

test('a result name with "\\", ":" or a way out of the folder is refused on posix and on Windows', () => {
  for (const [flavour, dir] of [
    [posix, '/cache/results/s1/j1'],
    [win32, 'C:\\cache\\results\\s1\\j1'],
  ] as const) {
    for (const name of ESCAPES) {
      assert.throws(
        () => resultFilePath(dir, name, flavour),
        (e: Error & { code?: string }) => e.code === 'CHECKSUM_MISMATCH' && e.message.includes('unsafe path'),
        `${flavour === posix ? 'posix' : 'win32'}: ${JSON.stringify(name)}`,
      );
    }
    assert.equal(resultFilePath(dir, 'projections/mean.png', flavour), flavour.join(dir, 'projections', 'mean.png'));
    assert.equal(resultFilePath(dir, 'dff.npy', flavour), flavour.join(dir, 'dff.npy'));
  }
});

test('a pull whose checksum list names a Windows-style escape fails before writing any file', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-pull-paths-'));
  try {
    const store = fsObjectStore(join(root, 'store'));
    const id = 'j-20261207-000000-abcd';
    await putJson(store, jobKeys(id).manifest, { id, name: 'x', sources: ['sessions/s1'] });
    const body = 'pwned\n';
    const sha = createHash('sha256').update(body).digest('hex');
    await store.put(`${jobKeys(id).results}ok.txt`, body);
    await store.put(`${jobKeys(id).results}..\\..\\evil.txt`, body);
    await store.put(jobKeys(id).results + CHECKSUMS_FILE, `${sha}  ok.txt\n${sha}  ..\\..\\evil.txt\n`);
    const cache = join(root, 'cache');
    await assert.rejects(pullResults(store, id, cache), /unsafe path "\.\.\\\.\.\\evil\.txt"/);
    assert.equal(existsSync(join(cache, 'results')) ? (await readdir(join(cache, 'results'))).length : 0, 0, 'nothing was written');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
