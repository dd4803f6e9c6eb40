/**
 * Files written into a folder created after the watcher started: fs events inside a brand-new
 * folder can be missed until the event source watches it, so the watcher scans a new folder at
 * once and again while the source attaches, and a renamed file whose temporary name it never saw
 * is recognised by its inode change time. With a 60 s stability time and no reconciliation scan,
 * only the rename path can complete the file within the test's deadline.
 * The temporary file lives ≥ 10 ms: a rename within the same kernel clock tick as the last write
 * is indistinguishable from a direct write (documented fallback: the stability check).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { FolderWatcher } from '../../../main/watch/folder-watcher.ts';
import type { WatchEventMap } from '../../../main/watch/watch-types.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const STABLE_MS = 60_000;

async function waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('FolderWatcher and folders created while it runs', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'scopecloud-newdir-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('completes a .part renamed within 100 ms in a new folder by rename, long before the stability time', async () => {
    const root = join(base, 'rig');
    await mkdir(root);
    const watcher = new FolderWatcher({ roots: [root], stableMs: STABLE_MS, checkIntervalMs: 100, reconcileIntervalMs: 0 });
    const complete: WatchEventMap['complete'][] = [];
    const growing: WatchEventMap['growing'][] = [];
    watcher.on('complete', (e) => void complete.push(e));
    watcher.on('growing', (e) => void growing.push(e));
    await watcher.start();
    try {
      // several sessions in a row: a miss is timing-dependent, one try would rarely show it
      for (let i = 0; i < 8; i++) {
        const session = join(root, `session-${i}`, 'channel1');
        await mkdir(session, { recursive: true });
        const part = join(session, 'x.tif.part');
        const final = join(session, 'x.tif');
        await writeFile(part, Buffer.alloc(4096 + i, 1));
        await sleep(10 + i * 12);
        await rename(part, final);
        await waitFor(`${final} to complete`, () => complete.some((e) => e.path === final), STABLE_MS / 6);
        const events = complete.filter((e) => e.path === final);
        assert.equal(events.length, 1, 'reported complete exactly once');
        assert.equal(events[0].reason, 'rename');
        assert.equal(events[0].size, 4096 + i);
        assert.equal(growing.filter((e) => e.path === part).length, 0, 'the temporary name is never offered');
      }
    } finally {
      await watcher.stop();
    }
  });

  it('completes a file renamed at once after its mtime was set (rsync style), though its temporary name was never seen', async () => {
    const root = join(base, 'rig-rsync');
    await mkdir(root);
    const watcher = new FolderWatcher({ roots: [root], stableMs: STABLE_MS, checkIntervalMs: 100, reconcileIntervalMs: 0 });
    const complete: WatchEventMap['complete'][] = [];
    watcher.on('complete', (e) => void complete.push(e));
    await watcher.start();
    try {
      for (let i = 0; i < 4; i++) {
        const session = join(root, `copied-${i}`);
        await mkdir(session);
        const part = join(session, 'y.tif.part');
        const final = join(session, 'y.tif');
        await writeFile(part, Buffer.alloc(8192, 2));
        const sourceTime = new Date(Date.now() - 3_600_000);
        await utimes(part, sourceTime, sourceTime);
        await rename(part, final);
        await waitFor(`${final} to complete`, () => complete.some((e) => e.path === final), STABLE_MS / 6);
        const events = complete.filter((e) => e.path === final);
        assert.equal(events.length, 1);
        assert.equal(events[0].reason, 'rename');
        assert.equal(events[0].size, 8192);
      }
    } finally {
      await watcher.stop();
    }
  });
});
