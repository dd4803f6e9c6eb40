/**
 * One run per item at a time: a growing file closed while its first parts are held in flight by the
 * target, with other work arriving and finishing meanwhile, is completed by exactly one run; a
 * growing file's new part is sent while an earlier one is still in flight; a streamed part whose
 * bytes changed after its checksum is checksummed and sent again, never stored with a stale one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, readFile, rm, utimes } from 'node:fs/promises';
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
    assert.equal(e.get(item.id)?.state, 'uploading', 'the active run goes on to complete the closed file');
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

test("a growing file's new part goes out while its earlier part is still in flight", { timeout: 30_000 }, async () => {
  const src = join(dir, 'src-nudge');
  const archive = join(dir, 'archive-nudge');
  await mkdir(archive, { recursive: true });
  const path = join(src, 'live.tif');
  await writePatternFile(path, 3, 11 * MiB);
  const inner: UploadTarget = new FolderTarget({ kind: 'folder', root: archive });
  const holdFirst = gate();
  const secondEntered = gate();
  const flying = new Set<number>();
  const target = hookTarget(inner, {
    async uploadPart(k, id, part, body, crc, io) {
      flying.add(part.n);
      try {
        if (part.n === 1) await holdFirst.promise;
        if (part.n === 2) secondEntered.open();
        return await inner.uploadPart(k, id, part, body, crc, io);
      } finally {
        flying.delete(part.n);
      }
    },
  });
  const e = createUploadEngine({ target: { kind: 'custom', target }, stateDir: join(dir, 'state-nudge'), baseDir: src, minPartSize: 5 * MiB });
  await e.start();
  try {
    await e.offer(path, 5 * MiB, false);
    while (!flying.has(1)) await new Promise<void>((r) => setImmediate(r));
    // part 2's bytes are on disk now: it is sent by the running transfer, not after part 1 returns
    await e.offer(path, 10 * MiB, false);
    await secondEntered.promise;
    assert.ok(flying.has(1), 'part 1 is still held when part 2 is sent');
    holdFirst.open();
    await e.offer(path, 11 * MiB, true);
    await e.drain();
    const item = e.list()[0];
    assert.equal(item.state, 'verified', JSON.stringify(item));
    assert.ok((await readFile(join(archive, 'live.tif'))).equals(await readFile(path)));
  } finally {
    holdFirst.open();
    await e.stop();
  }
});

test('a part whose bytes change after its checksum is never stored with them: it is checksummed and sent again', { timeout: 30_000 }, async () => {
  const src = join(dir, 'src-changed');
  const archive = join(dir, 'archive-changed');
  await mkdir(archive, { recursive: true });
  const path = join(src, 'big.tif');
  await writePatternFile(path, 4, 12 * MiB);
  // a whole-second mtime, which utimes can put back exactly
  const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  await utimes(path, mtime, mtime);
  const inner: UploadTarget = new FolderTarget({ kind: 'folder', root: archive });
  const calls = new Map<number, number>();
  const target = hookTarget(inner, {
    async uploadPart(k, id, part, body, crc, io) {
      const n = (calls.get(part.n) ?? 0) + 1;
      calls.set(part.n, n);
      if (part.n === 2 && n === 1) {
        // rewritten in place between the checksum and the sending, mtime put back (a change the
        // size and mtime checks cannot see)
        const fh = await open(path, 'r+');
        await fh.write(Buffer.from('rewritten'), 0, 9, 6 * MiB);
        await fh.close();
        await utimes(path, mtime, mtime);
      }
      return inner.uploadPart(k, id, part, body, crc, io);
    },
  });
  const e = createUploadEngine({ target: { kind: 'custom', target }, stateDir: join(dir, 'state-changed'), baseDir: src, minPartSize: 5 * MiB });
  await e.start();
  try {
    await e.add(path);
    await e.drain();
    const item = e.list()[0];
    assert.equal(item.state, 'verified', JSON.stringify(item));
    assert.equal(item.version, 1, 'no mismatch at verification, so no next version');
    assert.equal(calls.get(2), 2, 'part 2 was sent twice: its first body failed before it was complete');
    assert.ok((await readFile(join(archive, 'big.tif'))).equals(await readFile(path)), 'the archive holds the rewritten bytes');
  } finally {
    await e.stop();
  }
});
