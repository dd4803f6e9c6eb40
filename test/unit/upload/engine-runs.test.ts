/**
 * One run per item at a time: a growing file closed while its first parts are held in flight by the
 * target, with other work arriving and finishing meanwhile, is completed by exactly one run.
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
import { gate, hookTarget } from '../../support/target-hooks.ts';
import { writePatternFile } from '../../support/upload-fixtures.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scopecloud-runs-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A folder target that holds every part of `held` until `release` opens, counting multipart
 * uploads created, completions and parts sent twice at once, per key.
 */
function heldTarget(root: string, held: string) {
  const inner: UploadTarget = new FolderTarget({ kind: 'folder', root });
  const counts = { completes: new Map<string, number>(), creates: new Map<string, number>(), partsInFlight: new Map<string, Set<number>>(), duplicateParts: 0 };
  const release = gate();
  const firstHeldPart = gate();
  const target = hookTarget(inner, {
    async createUpload(k, s) {
      counts.creates.set(k, (counts.creates.get(k) ?? 0) + 1);
      return inner.createUpload(k, s);
    },
    async uploadPart(k, id, part, body, crc, io) {
      const flying = counts.partsInFlight.get(k) ?? new Set<number>();
      counts.partsInFlight.set(k, flying);
      if (flying.has(part.n)) counts.duplicateParts++;
      flying.add(part.n);
      try {
        if (k === held) {
          firstHeldPart.open();
          await release.promise;
        }
        return await inner.uploadPart(k, id, part, body, crc, io);
      } finally {
        flying.delete(part.n);
      }
    },
    async complete(k, id, parts, s) {
      counts.completes.set(k, (counts.completes.get(k) ?? 0) + 1);
      return inner.complete(k, id, parts, s);
    },
  });
  return { target, counts, release: release.open, firstHeldPart: firstHeldPart.promise };
}

test('a growing file closed while its parts are in flight is completed by a single run', { timeout: 30_000 }, async () => {
  const src = join(dir, 'src');
  const archive = join(dir, 'archive');
  await mkdir(archive, { recursive: true });
  const path = join(src, 'live.tif');
  await writePatternFile(path, 1, 12 * MiB);
  await writePatternFile(join(src, 'other.tif'), 2, 1000);
  const { target, counts, release, firstHeldPart } = heldTarget(archive, 'live.tif');
  const e = createUploadEngine({ target: { kind: 'custom', target }, stateDir: join(dir, 'state'), baseDir: src, minPartSize: 5 * MiB });
  const verified = new Set<string>();
  e.subscribe((ev) => {
    if (ev.type === 'item' && ev.item.state === 'verified') verified.add(ev.item.id);
  });
  await e.start();
  try {
    const growing = await e.offer(path, 12 * MiB, false);
    // the growing run is inside UploadPart, held there until release()
    await firstHeldPart;
    const item = await e.offer(path, 12 * MiB, true);
    assert.equal(item.id, growing.id);
    assert.equal(item.final, true);
    // other work makes the engine look for runnable items while the growing run is still active:
    // it is uploaded and verified before the held part returns
    const other = await e.add(join(src, 'other.tif'));
    while (!verified.has(other.id)) await new Promise<void>((r) => setImmediate(r));
    assert.equal(e.get(item.id)?.state, 'queued', 'the closed file waits for its active run to end');
    assert.equal(counts.duplicateParts, 0, 'no second run sent a held part again');
    release();
    await e.drain();
    assert.equal(e.get(item.id)?.state, 'verified', JSON.stringify(e.get(item.id)));
    assert.equal(e.get(other.id)?.state, 'verified');
    assert.equal(counts.duplicateParts, 0, 'no part sent twice at once by two runs');
    assert.deepEqual(Object.fromEntries(counts.creates), { 'live.tif': 1, 'other.tif': 1 }, 'one multipart upload per file');
    assert.deepEqual(Object.fromEntries(counts.completes), { 'live.tif': 1, 'other.tif': 1 }, 'one completion per file');
    assert.ok((await readFile(join(archive, 'live.tif'))).equals(await readFile(path)));
  } finally {
    release();
    await e.stop();
  }
});
