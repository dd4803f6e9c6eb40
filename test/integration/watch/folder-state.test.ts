/**
 * A watched folder that goes away and comes back, on real folders with real chokidar events:
 * "unmounted" is the folder renamed away and back (its files keep their inodes, as on a drive
 * that is unplugged and plugged in again), "deleted" is rm -rf and a new folder in its place.
 * Reconciliation scans are off, so what is found after the return comes from the catch-up scan
 * and from the event source opened again.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { FolderWatcher } from '../../../main/watch/folder-watcher.ts';
import { waitFor, type Logged } from '../../support/watch-events.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function watch(roots: string[]) {
  const watcher = new FolderWatcher({ roots, stableMs: 200, checkIntervalMs: 50, reconcileIntervalMs: 0, folderCheckIntervalMs: 200 });
  const log: Logged[] = [];
  for (const type of ['growing', 'complete', 'removed', 'error', 'folder'] as const) {
    watcher.on(type, (event) => log.push({ type, ...event } as Logged));
  }
  const of = <K extends Logged['type']>(type: K) => log.filter((entry): entry is Extract<Logged, { type: K }> => entry.type === type);
  const state = (root: string) => watcher.status().roots.find((r) => r.root === root)?.state;
  return { watcher, of, state };
}

describe('a watched folder that goes away and comes back (real folders)', () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'scopecloud-folder-state-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('renamed away and back: missing meanwhile, nothing removed, new files found, events work again', async () => {
    const root = join(base, 'rig-A');
    const away = join(base, 'rig-A.unplugged');
    await mkdir(join(root, 's1'), { recursive: true });
    await writeFile(join(root, 's1', 'before.tif'), 'x'.repeat(1000));
    const { watcher, of, state } = watch([root]);
    await watcher.start();
    try {
      await waitFor('the first file to complete', () => of('complete').length === 1);
      await rename(root, away);
      await waitFor('the folder to be missing', () => state(root) === 'missing');
      assert.match(of('folder').at(-1)?.reason ?? '', /not there/);
      await writeFile(join(away, 's1', 'while-away.tif'), 'y'.repeat(500));
      await sleep(600);
      assert.deepEqual(of('removed'), [], 'the files went with the folder; none was deleted');
      assert.deepEqual(of('error'), []);

      await rename(away, root);
      await waitFor('the folder to be watched again', () => state(root) === 'watching');
      await waitFor('the file written while away to complete', () => of('complete').some((e) => e.relativePath === 's1/while-away.tif'));
      assert.equal(of('growing').filter((e) => e.relativePath === 's1/before.tif').length, 1, 'the unchanged file is not reported again');

      await writeFile(join(root, 's1', 'after.tif'), 'z'.repeat(300));
      await waitFor('a file written after the return to complete (fs events again)', () => of('complete').some((e) => e.relativePath === 's1/after.tif'));
      assert.deepEqual(
        of('folder').map((e) => e.state),
        ['watching', 'missing', 'watching'],
      );
      assert.deepEqual(of('removed'), []);
    } finally {
      await watcher.stop();
    }
  });

  it('deleted and made again: missing, then the old files are removed and the new ones found', async () => {
    const root = join(base, 'rig-B');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'old.tif'), 'o');
    const { watcher, of, state } = watch([root]);
    await watcher.start();
    try {
      await waitFor('the old file to complete', () => of('complete').length === 1);
      await rm(root, { recursive: true, force: true });
      await waitFor('the folder to be missing', () => state(root) === 'missing');
      await mkdir(root);
      await writeFile(join(root, 'new.tif'), 'n');
      await waitFor('the new file to complete', () => of('complete').some((e) => e.relativePath === 'new.tif'));
      assert.equal(state(root), 'watching');
      await waitFor('the old file to be removed', () => of('removed').some((e) => e.relativePath === 'old.tif'));
    } finally {
      await watcher.stop();
    }
  });
});
