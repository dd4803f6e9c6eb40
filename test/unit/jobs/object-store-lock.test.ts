/**
 * The folder store's conditional write compares and renames under `<key>.lock.tmp`: while a live
 * process holds the lock the write reports a lost race (the caller reads again), a lock left by a
 * process that is gone is taken over, and the lock never shows in listings.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fsObjectStore } from '../../../main/jobs/object-store.ts';

test('putIfVersion waits for no one: a held lock is a lost race, a dead holder is taken over', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-store-lock-'));
  try {
    const store = fsObjectStore(root);
    const lock = join(root, 'a', 'c.json.lock.tmp');
    assert.equal(await store.putIfVersion('a/c.json', 'one', null), true);
    await assert.rejects(stat(lock), 'the lock is removed after the write');
    const v1 = (await store.version('a/c.json'))!;

    await writeFile(lock, String(process.pid)); // a live holder (this process)
    assert.equal(await store.putIfVersion('a/c.json', 'two', v1), false);
    assert.equal(await readFile(join(root, 'a', 'c.json'), 'utf8'), 'one', 'nothing written while the lock is held');
    assert.deepEqual(await store.list('a/'), ['a/c.json'], 'the lock is not listed');

    // A process that has exited: its lock is stale.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(lock, gone.stdout);
    assert.equal(await store.putIfVersion('a/c.json', 'two', v1), true);
    assert.equal(await readFile(join(root, 'a', 'c.json'), 'utf8'), 'two');
    await assert.rejects(stat(lock));
    assert.equal(await store.putIfVersion('a/c.json', 'three', v1), false, 'an old version still loses');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
