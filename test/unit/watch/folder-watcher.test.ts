import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { FolderWatcher } from '../../../main/watch/folder-watcher.ts';
import type { OpenWriterProbe } from '../../../main/watch/open-writer-probe.ts';
import type { WatchOptions } from '../../../main/watch/watch-types.ts';
import { FakeClock, FakeEventSource, FakeFs, settle } from './fakes.ts';
import { type Logged } from '../../support/watch-events.ts';

const ROOT = '/acq/rig1';
const OTHER = '/acq/rig2';

function setup(options: Partial<WatchOptions> = {}, probe?: OpenWriterProbe) {
  const clock = new FakeClock();
  const fs = new FakeFs(clock);
  const source = new FakeEventSource();
  fs.mkdir(ROOT);
  fs.mkdir(OTHER);
  const watcher = new FolderWatcher(
    { roots: [ROOT, OTHER], stableMs: 1000, checkIntervalMs: 100, reconcileIntervalMs: 0, ...options },
    { fs, clock, probe: probe ?? { openForWriting: async () => new Set() }, eventSource: source.factory },
  );
  const log: Logged[] = [];
  for (const type of ['growing', 'complete', 'removed', 'marker', 'error'] as const) {
    watcher.on(type, (event) => log.push({ type, ...event } as Logged));
  }
  const of = <K extends Logged['type']>(type: K, path?: string) =>
    log.filter((entry): entry is Extract<Logged, { type: K }> => entry.type === type && (path === undefined || ('path' in entry && entry.path === path)));
  return { clock, fs, source, watcher, log, of };
}

describe('FolderWatcher stability (fake clock)', () => {
  it('completes a file only after size and mtime are stable for stableMs', async () => {
    const { clock, fs, source, watcher, of } = setup();
    await watcher.start();
    const path = join(ROOT, 'a.tif');
    fs.write(path, 100);
    source.emit('add', path);
    await settle();
    assert.deepEqual(
      of('growing', path).map((e) => e.size),
      [100],
    );
    await clock.advance(900);
    assert.equal(of('complete', path).length, 0, 'not complete before stableMs');
    await clock.advance(200);
    assert.equal(of('complete', path).length, 1);
    assert.equal(of('complete', path)[0].reason, 'stable');
    assert.equal(of('complete', path)[0].size, 100);
    await watcher.stop();
  });

  it('restarts the stability window on each change and reports growth', async () => {
    const { clock, fs, source, watcher, of } = setup();
    await watcher.start();
    const path = join(ROOT, 'session1', 'movie.tif');
    for (const size of [10, 20, 30]) {
      fs.write(path, size);
      source.emit(size === 10 ? 'add' : 'change', path);
      await clock.advance(700);
    }
    assert.deepEqual(
      of('growing', path).map((e) => e.size),
      [10, 20, 30],
    );
    assert.equal(of('complete', path).length, 0);
    await clock.advance(400);
    assert.equal(of('complete', path).length, 1);
    assert.equal(of('complete', path)[0].size, 30);
    await watcher.stop();
  });

  it('detects growth missed by events when the stable check re-stats', async () => {
    const { clock, fs, source, watcher, of } = setup();
    await watcher.start();
    const path = join(ROOT, 'b.tif');
    fs.write(path, 5);
    source.emit('add', path);
    await clock.advance(500);
    fs.write(path, 50); // no event delivered
    await clock.advance(600);
    assert.equal(of('complete', path).length, 0, 'the re-stat saw the change');
    assert.deepEqual(
      of('growing', path).map((e) => e.size),
      [5, 50],
    );
    await clock.advance(1100);
    assert.equal(of('complete', path)[0]?.size, 50);
    await watcher.stop();
  });

  it('keeps a stable file pending while the probe reports a writer', async () => {
    let writing = true;
    const probed: string[][] = [];
    const probe: OpenWriterProbe = {
      openForWriting: async (paths) => {
        probed.push([...paths]);
        return writing ? new Set(paths) : new Set();
      },
    };
    const { clock, fs, source, watcher, of } = setup({}, probe);
    await watcher.start();
    const path = join(ROOT, 'held.tif');
    fs.write(path, 7);
    source.emit('add', path);
    await clock.advance(3000);
    assert.equal(of('complete', path).length, 0);
    assert.ok(probed.some((paths) => paths.includes(path)));
    writing = false;
    await clock.advance(200);
    assert.equal(of('complete', path).length, 1);
    await watcher.stop();
  });

  it('processes files present at start, in every root and subfolder', async () => {
    const { clock, fs, watcher, of } = setup();
    fs.write(join(ROOT, 'old.tif'), 1);
    fs.write(join(ROOT, 'deep', 'er', 'old.nd2'), 2);
    fs.write(join(OTHER, 'x.czi'), 3);
    fs.write(join(ROOT, 'notes.docx'), 4);
    fs.write(join(ROOT, '.hidden', 'y.tif'), 5);
    await watcher.start();
    assert.deepEqual(
      of('growing')
        .map((e) => e.relativePath)
        .sort(),
      ['deep/er/old.nd2', 'old.tif', 'x.czi'],
    );
    await clock.advance(1200);
    assert.equal(of('complete').length, 3);
    assert.deepEqual(
      watcher.status().roots.map((r) => [r.root, r.seen, r.pending, r.complete]),
      [
        [ROOT, 2, 0, 2],
        [OTHER, 1, 0, 1],
      ],
    );
    await watcher.stop();
  });

  it('completes a renamed-into-place file at once (x.tif.part → x.tif)', async () => {
    const { clock, fs, source, watcher, of } = setup();
    await watcher.start();
    const part = join(ROOT, 's', 'x.tif.part');
    const final = join(ROOT, 's', 'x.tif');
    fs.write(part, 10);
    source.emit('add', part);
    await clock.advance(50);
    fs.write(part, 999);
    fs.rename(part, final);
    source.emit('unlink', part);
    source.emit('add', final);
    await settle();
    assert.equal(of('growing', part).length, 0, 'temp files are silent');
    assert.deepEqual(
      of('complete', final).map((e) => [e.reason, e.size]),
      [['rename', 999]],
    );
    await watcher.stop();
  });

  it('a marker completes every pending file below its folder immediately', async () => {
    const { clock, fs, source, watcher, of } = setup();
    await watcher.start();
    const a = join(ROOT, 's1', 'a.tif');
    const b = join(ROOT, 's1', 'sub', 'b.tif');
    const c = join(ROOT, 's2', 'c.tif');
    for (const path of [a, b, c]) {
      fs.write(path, 1);
      source.emit('add', path);
    }
    await clock.advance(100);
    fs.write(join(ROOT, 's1', 'acquisition.done'), 0);
    source.emit('add', join(ROOT, 's1', 'acquisition.done'));
    await settle();
    assert.deepEqual(
      of('complete')
        .map((e) => [e.relativePath, e.reason])
        .sort(),
      [
        ['s1/a.tif', 'marker'],
        ['s1/sub/b.tif', 'marker'],
      ],
    );
    assert.deepEqual(
      of('marker').map((e) => e.dir),
      [join(ROOT, 's1')],
    );
    await clock.advance(1000);
    assert.equal(of('complete', c).length, 1, 'other folders still use stability');
    await watcher.stop();
  });

  it('reports removal, and re-opens a completed file that changes', async () => {
    const { clock, fs, source, watcher, of } = setup();
    await watcher.start();
    const path = join(ROOT, 'r.tif');
    fs.write(path, 1);
    source.emit('add', path);
    await clock.advance(1200);
    assert.equal(of('complete', path).length, 1);
    fs.write(path, 2);
    source.emit('change', path);
    await clock.advance(1200);
    assert.deepEqual(
      of('complete', path).map((e) => e.size),
      [1, 2],
    );
    fs.remove(path);
    source.emit('unlink', path);
    await settle();
    assert.equal(of('removed', path).length, 1);
    assert.equal(watcher.files().length, 0);
    await watcher.stop();
  });

  it('polling mode uses stat scans only', async () => {
    const { clock, fs, source, watcher, of } = setup({ mode: 'polling', pollIntervalMs: 500 });
    await watcher.start();
    assert.equal(source.created, 0, 'no event source in polling mode');
    const path = join(OTHER, 'p.tif');
    fs.write(path, 4);
    await clock.advance(499);
    assert.equal(of('growing', path).length, 0);
    await clock.advance(2);
    assert.equal(of('growing', path).length, 1);
    fs.remove(path);
    await clock.advance(500);
    assert.equal(of('removed', path).length, 1);
    await watcher.stop();
  });

  it('reconciliation finds files whose events were lost', async () => {
    const { clock, fs, watcher, of } = setup({ reconcileIntervalMs: 2000 });
    await watcher.start();
    const path = join(ROOT, 'lost.tif');
    fs.write(path, 8);
    await clock.advance(1900);
    assert.equal(of('growing', path).length, 0);
    await clock.advance(200);
    assert.equal(of('growing', path).length, 1);
    await clock.advance(1100);
    assert.equal(of('complete', path).length, 1);
    await watcher.stop();
  });

  it('a throwing listener is reported as an error and does not stop the watcher', async () => {
    const { clock, fs, source, watcher, of } = setup();
    watcher.on('growing', () => {
      throw new Error('listener bug');
    });
    await watcher.start();
    const path = join(ROOT, 't.tif');
    fs.write(path, 1);
    source.emit('add', path);
    await clock.advance(1200);
    assert.ok(of('error').some((e) => /listener bug/.test(e.error.message)));
    assert.equal(of('complete', path).length, 1);
    await watcher.stop();
  });
});
