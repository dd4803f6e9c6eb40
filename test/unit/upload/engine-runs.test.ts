/**
 * One run per item at a time: a growing file closed while its first parts are in flight, with
 * other work arriving meanwhile, is completed by exactly one run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUploadEngine } from '../../../main/upload/engine.ts';
import { FolderTarget } from '../../../main/upload/folder-target.ts';
import { MiB } from '../../../main/upload/part-layout.ts';
import type { UploadTarget } from '../../../main/upload/target.ts';
import { writePatternFile } from '../../support/upload-fixtures.ts';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'scopecloud-runs-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A folder target whose parts take a while, counting completions and overlapping runs per key. */
function slowTarget(root: string) {
  const inner: UploadTarget = new FolderTarget({ kind: 'folder', root });
  const counts = { completes: 0, partsInFlight: new Map<string, Set<number>>(), duplicateParts: 0 };
  const target: UploadTarget = {
    kind: inner.kind,
    supportsSingle: inner.supportsSingle,
    describe: (k) => inner.describe(k),
    probe: (s) => inner.probe(s),
    exists: (k, s) => inner.exists(k, s),
    verify: (k, e, s) => inner.verify(k, e, s),
    putSingle: (k, b, c, io) => inner.putSingle(k, b, c, io),
    createUpload: (k, s) => inner.createUpload(k, s),
    listParts: (k, id, known, s) => inner.listParts(k, id, known, s),
    async uploadPart(k, id, part, body, crc, io) {
      const flying = counts.partsInFlight.get(k) ?? new Set<number>();
      counts.partsInFlight.set(k, flying);
      if (flying.has(part.n)) counts.duplicateParts++;
      flying.add(part.n);
      try {
        await sleep(150);
        return await inner.uploadPart(k, id, part, body, crc, io);
      } finally {
        flying.delete(part.n);
      }
    },
    async complete(k, id, parts, s) {
      counts.completes++;
      await sleep(50);
      return inner.complete(k, id, parts, s);
    },
    abort: (k, id, s) => inner.abort(k, id, s),
    listUploads: (s, p) => inner.listUploads(s, p),
  };
  return { target, counts };
}

test('a growing file closed while its parts are in flight is completed by a single run', async () => {
  const src = join(dir, 'src');
  const archive = join(dir, 'archive');
  await mkdir(archive, { recursive: true });
  const path = join(src, 'live.tif');
  await writePatternFile(path, 1, 12 * MiB);
  await writePatternFile(join(src, 'other.tif'), 2, 1000);
  const { target, counts } = slowTarget(archive);
  const e = createUploadEngine({ target: { kind: 'custom', target }, stateDir: join(dir, 'state'), baseDir: src, minPartSize: 5 * MiB });
  await e.start();
  try {
    await e.offer(path, 12 * MiB, false);
    await sleep(30);
    const item = await e.offer(path, 12 * MiB, true);
    // other work makes the engine look for runnable items while the growing run is active
    const other = await e.add(join(src, 'other.tif'));
    await e.drain();
    assert.equal(e.get(item.id)?.state, 'verified', JSON.stringify(e.get(item.id)));
    assert.equal(e.get(other.id)?.state, 'verified');
    assert.equal(counts.duplicateParts, 0, 'no part sent twice at once by two runs');
    assert.equal(counts.completes, 2, 'one completion per file');
    assert.ok((await readFile(join(archive, 'live.tif'))).equals(await readFile(path)));
  } finally {
    await e.stop();
  }
});
