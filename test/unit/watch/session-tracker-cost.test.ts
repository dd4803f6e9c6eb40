/**
 * A session tracker's periodic check costs the open sessions' own files: it looks them up by
 * path, and does not copy every tracked file each tick (at 100,000 files in 2,000 sessions
 * that was 2,000 × 100,000 comparisons per tick while sessions were open).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';

import type { Manifest } from '../../../main/session/manifest.ts';
import { SessionTracker } from '../../../main/session/session-tracker.ts';
import { FolderWatcher } from '../../../main/watch/folder-watcher.ts';
import { FakeClock, FakeEventSource, FakeFs } from './fakes.ts';

const ROOT = '/acq';

it('closes sessions found by path, without listing every tracked file per tick', async () => {
  const clock = new FakeClock();
  const fs = new FakeFs(clock);
  const source = new FakeEventSource();
  // the watched root must exist where the watcher checks folders (FakeFs.mkdir comes with that check)
  (fs as FakeFs & { mkdir?(path: string): void }).mkdir?.(ROOT);
  const watcher = new FolderWatcher(
    { roots: [ROOT], stableMs: 1000, checkIntervalMs: 100, reconcileIntervalMs: 0 },
    { fs, clock, probe: { openForWriting: async () => new Set() }, eventSource: source.factory },
  );
  let listed = 0;
  const files = watcher.files.bind(watcher);
  watcher.files = (dir?: string) => {
    listed++;
    return files(dir);
  };
  const closed: string[][] = [];
  const tracker = new SessionTracker(watcher, {
    idleMs: 2000,
    checkIntervalMs: 250,
    clock,
    build: async (input) => {
      closed.push([...input.files].sort());
      return {} as Manifest;
    },
    onManifest: () => undefined,
  });
  tracker.start();
  await watcher.start();
  for (const s of ['s1', 's2'])
    for (const f of ['a.tif', 'b.tif']) {
      fs.write(join(ROOT, s, f), 1);
      source.emit('add', join(ROOT, s, f));
    }
  fs.write(join(ROOT, 's2', 'c.tif'), 1);
  source.emit('add', join(ROOT, 's2', 'c.tif'));
  await clock.advance(500);
  fs.remove(join(ROOT, 's2', 'c.tif'));
  source.emit('unlink', join(ROOT, 's2', 'c.tif'));
  listed = 0;
  await clock.advance(5000);
  assert.deepEqual(closed.sort(), [
    [join(ROOT, 's1', 'a.tif'), join(ROOT, 's1', 'b.tif')],
    [join(ROOT, 's2', 'a.tif'), join(ROOT, 's2', 'b.tif')],
  ]);
  assert.equal(listed, 0, 'no tick listed every tracked file');
  await tracker.stop();
  await watcher.stop();
});
