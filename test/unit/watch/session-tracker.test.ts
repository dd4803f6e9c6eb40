import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { Manifest, ManifestInput } from '../../../main/session/manifest.ts';
import { SessionTracker } from '../../../main/session/session-tracker.ts';
import { FolderWatcher } from '../../../main/watch/folder-watcher.ts';
import { FakeClock, FakeEventSource, FakeFs, settle } from './fakes.ts';

const ROOT = '/acq';

function setup(layout: 'subfolder' | 'root' = 'subfolder') {
  const clock = new FakeClock();
  const fs = new FakeFs(clock);
  const source = new FakeEventSource();
  fs.mkdir(ROOT);
  const watcher = new FolderWatcher(
    { roots: [ROOT], stableMs: 1000, checkIntervalMs: 100, reconcileIntervalMs: 0 },
    { fs, clock, probe: { openForWriting: async () => new Set() }, eventSource: source.factory },
  );
  const inputs: ManifestInput[] = [];
  const tracker = new SessionTracker(watcher, {
    layout,
    idleMs: 5000,
    checkIntervalMs: 250,
    clock,
    build: async (input) => {
      inputs.push(input);
      return { schema: 1, files: input.files } as unknown as Manifest;
    },
    onManifest: () => undefined,
  });
  const add = (path: string, size = 1) => {
    fs.write(path, size);
    source.emit('add', path);
  };
  return { clock, fs, source, watcher, tracker, inputs, add };
}

describe('SessionTracker', () => {
  it('closes each subfolder session after all its files are complete and idle', async () => {
    const { clock, watcher, tracker, inputs, add } = setup();
    tracker.start();
    await watcher.start();
    add(join(ROOT, 's1', 'a.tif'));
    add(join(ROOT, 's1', 'sub', 'b.tif'));
    add(join(ROOT, 's2', 'c.tif'));
    add(join(ROOT, 'loose.tif'));
    await clock.advance(4000);
    assert.equal(inputs.length, 0, 'not idle long enough');
    add(join(ROOT, 's2', 'd.tif'));
    await clock.advance(2500);
    assert.deepEqual(inputs.map((i) => i.dir).sort(), [ROOT, join(ROOT, 's1')]);
    const s1 = inputs.find((i) => i.dir === join(ROOT, 's1'));
    assert.deepEqual([...(s1?.files ?? [])].sort(), [join(ROOT, 's1', 'a.tif'), join(ROOT, 's1', 'sub', 'b.tif')]);
    assert.deepEqual(inputs.find((i) => i.dir === ROOT)?.files, [join(ROOT, 'loose.tif')]);
    assert.ok(inputs.every((i) => i.closedBy === 'idle'));
    await clock.advance(4000);
    assert.deepEqual(inputs.map((i) => i.dir).sort(), [ROOT, join(ROOT, 's1'), join(ROOT, 's2')]);
    await tracker.stop();
    await watcher.stop();
  });

  it('closes at once on a marker and reopens with a new generation when files change', async () => {
    const { clock, fs, source, watcher, tracker, inputs, add } = setup();
    tracker.start();
    await watcher.start();
    add(join(ROOT, 's1', 'a.tif'));
    await clock.advance(100);
    add(join(ROOT, 's1', 'acquisition.done'), 0);
    await clock.advance(10);
    assert.equal(inputs.length, 1);
    assert.deepEqual([inputs[0].closedBy, inputs[0].marker, inputs[0].generation], ['marker', 'acquisition.done', 1]);
    fs.write(join(ROOT, 's1', 'late.tif'), 3);
    source.emit('add', join(ROOT, 's1', 'late.tif'));
    await settle();
    assert.deepEqual(
      tracker.list().map((s) => [s.relativePath, s.closed, s.generation]),
      [['s1', false, 2]],
    );
    await clock.advance(7000);
    assert.equal(inputs.length, 2);
    assert.deepEqual([inputs[1].closedBy, inputs[1].generation, inputs[1].files.length], ['idle', 2, 2]);
    await tracker.stop();
    await watcher.stop();
  });
});
