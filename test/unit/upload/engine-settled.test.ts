/**
 * The engine over a history of settled (packed) items: after a restart every fact the API exposes
 * about a verified file is what it was before, `verifiedAs` answers from the packed store, a file
 * changed after its upload is queued again as the next key version, and the free-space rule marks
 * `localDeletedAt` on a packed item durably.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUploadEngine, type UploadEngine } from '../../../main/upload/engine.ts';

const DAY_MS = 86_400_000;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'scopecloud-engine-settled-'));
  try {
    await fs.mkdir(join(dir, 'archive'));
    await fs.mkdir(join(dir, 'acq', 'run1'), { recursive: true });
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function engineIn(dir: string, clock: { now: () => number }, freeSpaceAfterDays?: number): UploadEngine {
  return createUploadEngine({
    target: { kind: 'folder', root: join(dir, 'archive') },
    stateDir: join(dir, 'queue'),
    baseDir: join(dir, 'acq'),
    clock,
    journal: { durable: false },
    ...(freeSpaceAfterDays !== undefined ? { freeSpaceAfterDays } : {}),
  });
}

test('after a restart every exposed field of a verified item is unchanged and verifiedAs answers from the packed store', { timeout: 30_000 }, async () => {
  await withDir(async (dir) => {
    let now = 1_700_000_000_000;
    const clock = { now: () => now };
    const engine = engineIn(dir, clock);
    await engine.start();
    const paths = ['a.tif', 'b é.tif', 'empty.tif'].map((n) => join(dir, 'acq', 'run1', n));
    for (const [i, p] of paths.entries()) {
      await fs.writeFile(p, 'x'.repeat(i === 2 ? 0 : 1000 * (i + 1)));
      now += 1000;
      await engine.add(p);
      await engine.drain();
    }
    const before = engine.list();
    assert.deepEqual(
      before.map((i) => i.state),
      ['verified', 'verified', 'verified'],
    );
    const newest = engine.list({ newest: 2 });
    const since = [...engine.verifiedSince(now - 1000)];
    await engine.stop();

    const again = engineIn(dir, clock);
    await again.start();
    try {
      assert.deepStrictEqual(again.list(), before, 'id, path, key, version, state, size, bytesDone, final, checksum, verifiedAt');
      for (const item of before) assert.deepStrictEqual(again.get(item.id), item);
      assert.deepStrictEqual(again.list({ newest: 2 }), newest);
      assert.deepStrictEqual([...again.verifiedSince(now - 1000)], since);
      assert.equal(again.status().counts.verified, 3);
      assert.equal(again.status().bytesRemaining, 0);
      for (const p of paths) {
        const st = await fs.stat(p);
        assert.equal(again.verifiedAs(p, st.size, st.mtimeMs), true, p);
        assert.equal(again.verifiedAs(p, st.size + 1, st.mtimeMs), false);
        assert.equal(again.verifiedAs(p, st.size, st.mtimeMs + 1), false);
      }
      assert.equal(again.verifiedAs(join(dir, 'acq', 'run1', 'unknown.tif'), 0, 0), false);
    } finally {
      await again.stop();
    }
  });
});

test('a verified file that changed is queued again as the next key version, after a restart too', { timeout: 30_000 }, async () => {
  await withDir(async (dir) => {
    let now = 1_700_000_000_000;
    const clock = { now: () => now };
    const path = join(dir, 'acq', 'run1', 'img.tif');
    await fs.writeFile(path, 'first bytes');
    const engine = engineIn(dir, clock);
    await engine.start();
    const first = await engine.add(path);
    await engine.drain();
    const verifiedFirst = engine.get(first.id);
    assert.equal(verifiedFirst?.state, 'verified');
    await engine.stop();

    await fs.writeFile(path, 'second, longer bytes');
    const st = await fs.stat(path);
    const again = engineIn(dir, clock);
    await again.start();
    try {
      assert.equal(again.verifiedAs(path, st.size, st.mtimeMs), false, 'the packed item has the old size');
      now += 1000;
      again.pause();
      const second = await again.offer(path, st.size, true, { mtimeMs: st.mtimeMs });
      assert.notEqual(second.id, first.id);
      assert.equal(second.version, 2);
      assert.equal(second.state, 'queued');
      assert.equal(again.status().counts.queued, 1);
      again.resume();
      await again.drain();
      assert.equal(again.get(second.id)?.state, 'verified');
      assert.equal(again.get(second.id)?.key, join(dir, 'archive', 'run1', 'img.v2.tif'));
      assert.equal(again.verifiedAs(path, st.size, st.mtimeMs), true);
      assert.deepStrictEqual(again.get(first.id), verifiedFirst, 'the first version stays verified as it was');
      assert.equal(await fs.readFile(join(dir, 'archive', 'run1', 'img.tif'), 'utf8'), 'first bytes');
      assert.equal(await fs.readFile(join(dir, 'archive', 'run1', 'img.v2.tif'), 'utf8'), 'second, longer bytes');
      // the same bytes offered again change nothing
      const same = await again.offer(path, st.size, true, { mtimeMs: st.mtimeMs });
      assert.equal(same.id, second.id);
    } finally {
      await again.stop();
    }
  });
});

test('free space deletes a packed item’s file once its delay passed and records localDeletedAt durably', { timeout: 30_000 }, async () => {
  await withDir(async (dir) => {
    let now = 1_700_000_000_000;
    const clock = { now: () => now };
    const old = join(dir, 'acq', 'run1', 'old.tif');
    const recent = join(dir, 'acq', 'run1', 'recent.tif');
    const touched = join(dir, 'acq', 'run1', 'touched.tif');
    const engine = engineIn(dir, clock);
    await engine.start();
    for (const p of [old, touched]) {
      await fs.writeFile(p, `bytes of ${p}`);
      await engine.add(p);
    }
    await engine.drain();
    now += 3 * DAY_MS;
    await fs.writeFile(recent, 'recent');
    await engine.add(recent);
    await engine.drain();
    await engine.stop();
    // changed on disk after its upload: not the verified bytes, so never deleted
    await fs.writeFile(touched, 'other bytes, other size');

    now += DAY_MS / 2;
    const again = engineIn(dir, clock, 2);
    await again.start();
    try {
      // start() runs the rule once by itself; an explicit run meanwhile deletes nothing twice
      const explicit = await again.freeSpace();
      for (let i = 0; i < 100 && again.list().find((x) => x.path === old)?.localDeletedAt === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(explicit <= 1);
      await assert.rejects(fs.stat(old), { code: 'ENOENT' });
      await fs.stat(recent);
      await fs.stat(touched);
      const byPath = new Map(again.list().map((i) => [i.path, i]));
      assert.equal(byPath.get(old)?.localDeletedAt, now);
      assert.equal(byPath.get(recent)?.localDeletedAt, undefined);
      assert.equal(byPath.get(touched)?.localDeletedAt, undefined);
      assert.equal(byPath.get(old)?.state, 'verified');
      assert.equal(await again.freeSpace(), 0, 'a file deleted once is not counted again');
    } finally {
      await again.stop();
    }
    const third = engineIn(dir, clock);
    await third.start();
    try {
      const item = third.list().find((i) => i.path === old);
      assert.equal(item?.localDeletedAt, now, 'the deletion is journaled');
      assert.equal(third.status().counts.verified, 3);
    } finally {
      await third.stop();
    }
  });
});
