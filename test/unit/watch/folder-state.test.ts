/**
 * A watched folder that is missing, closed to this process, or whose drive was unmounted: the
 * watcher says so (`folder` events, status), keeps its files as they were, and catches up when
 * it is back. Fake clock and file system: "unmounted" is a folder moved away and back (inodes
 * kept, as with a drive), "permission" a folder the fake fs refuses to list.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { checkFolder, NOT_THERE, UNMOUNTED } from '../../../main/watch/folder-health.ts';
import { FolderWatcher } from '../../../main/watch/folder-watcher.ts';
import { SessionTracker } from '../../../main/session/session-tracker.ts';
import type { Manifest, ManifestInput } from '../../../main/session/manifest.ts';
import { FakeClock, FakeEventSource, FakeFs, settle } from './fakes.ts';
import { type Logged } from '../../support/watch-events.ts';

const ROOT = '/acq/rig1';
const OTHER = '/acq/rig2';
const AWAY = '/acq/rig1.away';

function setup(
  make: (fs: FakeFs) => void = (fs) => {
    fs.mkdir(ROOT);
    fs.mkdir(OTHER);
  },
) {
  const clock = new FakeClock();
  const fs = new FakeFs(clock);
  make(fs);
  const source = new FakeEventSource();
  const watcher = new FolderWatcher(
    { roots: [ROOT, OTHER], stableMs: 1000, checkIntervalMs: 100, reconcileIntervalMs: 0, folderCheckIntervalMs: 2000 },
    { fs, clock, probe: { openForWriting: async () => new Set() }, eventSource: source.factory },
  );
  const log: Logged[] = [];
  for (const type of ['growing', 'complete', 'removed', 'error', 'folder', 'scan'] as const) {
    watcher.on(type, (event) => log.push({ type, ...event } as Logged));
  }
  const of = <K extends Logged['type']>(type: K, path?: string) =>
    log.filter(
      (entry): entry is Extract<Logged, { type: K }> =>
        entry.type === type &&
        (path === undefined || ('path' in entry && entry.path === path) || ('root' in entry && type === 'folder' && entry.root === path)),
    );
  const stateOf = (root: string) => watcher.status().roots.find((r) => r.root === root);
  return { clock, fs, source, watcher, log, of, stateOf };
}

describe('watched folder states (fake clock)', () => {
  it('a folder missing at start is reported with its reason, not as an error, and is picked up when it appears', async () => {
    const { clock, fs, source, watcher, of, stateOf } = setup((fs) => fs.mkdir(OTHER));
    await watcher.start();
    assert.deepEqual(
      of('folder')
        .map((e) => [e.root, e.state, e.previous])
        .sort(),
      [
        [ROOT, 'missing', null],
        [OTHER, 'watching', null],
      ],
    );
    assert.equal(of('folder', ROOT)[0].reason, NOT_THERE);
    assert.deepEqual(of('error'), [], 'a missing folder is a state, not an error');
    const missingSince = clock.now();
    assert.deepEqual(stateOf(ROOT), { root: ROOT, state: 'missing', reason: NOT_THERE, since: missingSince, seen: 0, pending: 0, complete: 0 });
    assert.deepEqual([...source.open], [OTHER], 'no event source on a missing folder');

    await clock.advance(500);
    fs.write(join(ROOT, 's1', 'a.tif'), 10);
    await clock.advance(1500);
    assert.deepEqual(
      of('folder', ROOT).map((e) => [e.state, e.previous, e.reason]),
      [
        ['missing', null, NOT_THERE],
        ['watching', 'missing', null],
      ],
    );
    assert.equal(stateOf(ROOT)?.since, clock.now());
    assert.deepEqual([...source.open].sort(), [ROOT, OTHER]);
    assert.deepEqual(
      of('scan')
        .filter((e) => e.reason === 'resume')
        .map((e) => e.files),
      [1],
    );
    assert.deepEqual(
      of('growing').map((e) => e.relativePath),
      ['s1/a.tif'],
    );
    await clock.advance(1200);
    assert.deepEqual(
      of('complete').map((e) => e.relativePath),
      ['s1/a.tif'],
    );
    await watcher.stop();
    assert.equal(stateOf(ROOT)?.state, 'stopped');
  });

  it('a folder that goes away keeps its files as they were and catches up on what was written meanwhile', async () => {
    const { clock, fs, source, watcher, of, stateOf } = setup();
    const done = join(ROOT, 's1', 'done.tif');
    const writing = join(ROOT, 's1', 'writing.tif');
    fs.write(done, 100);
    await watcher.start();
    await clock.advance(1200);
    assert.equal(of('complete', done).length, 1);
    fs.write(writing, 5);
    source.emit('add', writing);
    await clock.advance(300);

    // "Unmounted": the folder and its files go away together; events for them arrive first.
    fs.renameDir(ROOT, AWAY);
    source.emit('unlink', writing);
    source.emit('unlink', done);
    source.emit('unlinkDir', join(ROOT, 's1'));
    source.emit('unlinkDir', ROOT);
    await settle();
    assert.deepEqual(
      of('folder', ROOT).map((e) => [e.state, e.reason]),
      [
        ['watching', null],
        ['missing', NOT_THERE],
      ],
      'known at once from the unlinkDir',
    );
    assert.deepEqual(of('removed'), [], 'nothing was deleted: the folder is away');
    assert.deepEqual(of('error'), []);
    assert.ok(!source.open.has(ROOT), 'its event source is closed');
    assert.deepEqual(
      watcher
        .files()
        .map((f) => [f.relativePath, f.state])
        .sort(),
      [
        ['s1/done.tif', 'complete'],
        ['s1/writing.tif', 'pending'],
      ],
    );

    await clock.advance(5000);
    assert.equal(of('complete', join(ROOT, 's1', 'writing.tif')).length, 0, 'a file of a missing folder does not complete');
    assert.equal(stateOf(ROOT)?.state, 'missing');
    assert.equal(stateOf(OTHER)?.state, 'watching', 'the other folder is not affected');

    // written while away (the drive was used elsewhere), then the folder comes back
    fs.write(join(AWAY, 's2', 'new.tif'), 7);
    fs.renameDir(AWAY, ROOT);
    await clock.advance(2000);
    assert.deepEqual(
      of('folder', ROOT)
        .map((e) => [e.state, e.previous])
        .at(-1),
      ['watching', 'missing'],
    );
    assert.deepEqual(
      of('growing')
        .map((e) => e.relativePath)
        .sort(),
      ['s1/done.tif', 's1/writing.tif', 's2/new.tif'],
      'each file reported once: the known ones before, the new one now',
    );
    assert.equal(of('growing', join(ROOT, 's2', 'new.tif')).length, 1);
    assert.equal(of('growing', done).length, 1, 'an unchanged file is not reported again');
    await clock.advance(1200);
    assert.deepEqual(
      of('complete')
        .map((e) => e.relativePath)
        .sort(),
      ['s1/done.tif', 's1/writing.tif', 's2/new.tif'],
    );
    assert.deepEqual(of('removed'), []);
    await watcher.stop();
  });

  it('a folder deleted for good reports its files removed once it is back without them', async () => {
    const { clock, fs, watcher, of } = setup();
    const file = join(ROOT, 'a.tif');
    fs.write(file, 1);
    await watcher.start();
    fs.remove(file);
    fs.dirs.delete(ROOT);
    await clock.advance(2000);
    assert.equal(of('folder', ROOT).at(-1)?.state, 'missing');
    assert.deepEqual(of('removed'), []);
    fs.mkdir(ROOT);
    await clock.advance(2000);
    assert.equal(of('folder', ROOT).at(-1)?.state, 'watching');
    assert.deepEqual(
      of('removed').map((e) => e.path),
      [file],
    );
    await watcher.stop();
  });

  it('a folder this process may not read is "unreadable" with the reason, then resumes', async () => {
    const { clock, fs, source, watcher, of, stateOf } = setup();
    const old = join(ROOT, 'old.tif');
    fs.write(old, 3);
    await watcher.start();
    await clock.advance(1200);
    fs.denied.add(ROOT);
    source.emit('change', old);
    await settle();
    assert.equal(stateOf(ROOT)?.state, 'unreadable', 'a file that cannot be stat-ed checks its folder at once');
    assert.match(stateOf(ROOT)?.reason ?? '', /^permission denied: ScopeCloud runs as .+, who may not read this folder/);
    assert.deepEqual(of('error'), [], 'no error per file: the folder state says it');
    fs.write(join(ROOT, 'meanwhile.tif'), 9);
    await clock.advance(4000);
    assert.equal(of('growing', join(ROOT, 'meanwhile.tif')).length, 0);
    fs.denied.delete(ROOT);
    await clock.advance(2000);
    assert.deepEqual(
      of('folder', ROOT).map((e) => e.state),
      ['watching', 'unreadable', 'watching'],
    );
    assert.equal(of('growing', join(ROOT, 'meanwhile.tif')).length, 1);
    assert.equal(of('growing', old).length, 1);
    await watcher.stop();
  });

  it('a drive unmounted from the watched folder itself is missing, though an empty folder is left', async () => {
    const { clock, fs, watcher, of, stateOf } = setup();
    fs.devices.set(ROOT, 2);
    fs.write(join(ROOT, 'a.tif'), 1);
    await watcher.start();
    assert.equal(stateOf(ROOT)?.state, 'watching');
    fs.devices.delete(ROOT);
    fs.remove(join(ROOT, 'a.tif'));
    await clock.advance(2000);
    assert.deepEqual([stateOf(ROOT)?.state, stateOf(ROOT)?.reason], ['missing', UNMOUNTED]);
    assert.deepEqual(of('removed'), []);
    await clock.advance(4000);
    assert.equal(stateOf(ROOT)?.state, 'missing', 'stays missing while only the mount point is there');
    fs.devices.set(ROOT, 3);
    fs.write(join(ROOT, 'a.tif'), 1);
    await clock.advance(2000);
    assert.equal(stateOf(ROOT)?.state, 'watching');
    await watcher.stop();
  });

  it('checkFolder names a file where a folder should be', async () => {
    const clock = new FakeClock();
    const fs = new FakeFs(clock);
    fs.write('/data/x', 1);
    assert.deepEqual(await checkFolder('/data/x', fs), { state: 'missing', reason: 'there is a file at this path, not a folder' });
    fs.write('/data/sub/y', 1);
    assert.deepEqual(await checkFolder('/data/sub', fs), { state: 'ok', reason: null, mountPoint: false });
  });

  it('a session of a missing folder does not close until the folder is back', async () => {
    const { clock, fs, watcher } = setup();
    const inputs: ManifestInput[] = [];
    const tracker = new SessionTracker(watcher, {
      idleMs: 3000,
      checkIntervalMs: 250,
      clock,
      build: async (input) => {
        inputs.push(input);
        return { schema: 1, files: input.files } as unknown as Manifest;
      },
      onManifest: () => undefined,
    });
    fs.write(join(ROOT, 's1', 'a.tif'), 1);
    tracker.start();
    await watcher.start();
    await clock.advance(1200);
    fs.renameDir(ROOT, AWAY);
    await clock.advance(6000);
    assert.equal(inputs.length, 0, 'its files cannot be read for a manifest');
    fs.renameDir(AWAY, ROOT);
    await clock.advance(2500);
    assert.deepEqual(
      inputs.map((i) => i.dir),
      [join(ROOT, 's1')],
    );
    await tracker.stop();
    await watcher.stop();
  });
});
