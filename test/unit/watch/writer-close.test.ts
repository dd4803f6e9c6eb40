/**
 * Completion by the writer's close (writer-close.ts) through the real FolderWatcher, with a fake
 * clock, file system and probe: when, and only when, the probe saw the writer and then saw it go.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { FolderWatcher } from '../../../main/watch/folder-watcher.ts';
import type { OpenWriterProbe } from '../../../main/watch/open-writer-probe.ts';
import type { WatchOptions } from '../../../main/watch/watch-types.ts';
import { FakeClock, FakeEventSource, FakeFs, settle } from './fakes.ts';
import { type Logged } from '../../support/watch-events.ts';

const ROOT = '/acq/rig1';
const PATH = join(ROOT, 's1', 'movie.tif');

/** Which files are open for writing, and whether the probe can see their writers at all. */
class FakeWriters implements OpenWriterProbe {
  readonly open = new Set<string>();
  failing = false;
  calls = 0;
  writersVisible?: (paths: readonly string[]) => Promise<Set<string>>;

  /** `local`: sees every writer; `share`: sees none (a network share); `unknown`: no writersVisible (a platform where it cannot tell). */
  constructor(where: 'local' | 'share' | 'unknown' = 'local') {
    if (where !== 'unknown') this.writersVisible = async (paths) => new Set(where === 'local' ? paths : []);
  }

  async openForWriting(paths: readonly string[]): Promise<Set<string>> {
    this.calls++;
    if (this.failing) throw new Error('probe failed');
    return new Set(paths.filter((path) => this.open.has(path)));
  }
}

function setup(probe: OpenWriterProbe, options: Partial<WatchOptions> = {}) {
  const clock = new FakeClock();
  const fs = new FakeFs(clock);
  const source = new FakeEventSource();
  fs.mkdir(ROOT);
  const watcher = new FolderWatcher({ roots: [ROOT], stableMs: 3000, reconcileIntervalMs: 0, ...options }, { fs, clock, probe, eventSource: source.factory });
  const log: Array<Logged & { at: number }> = [];
  for (const type of ['growing', 'complete', 'error'] as const) {
    watcher.on(type, (event) => log.push({ type, ...event, at: clock.now() } as Logged & { at: number }));
  }
  const of = <K extends Logged['type']>(type: K) => log.filter((entry): entry is Extract<Logged, { type: K }> & { at: number } => entry.type === type);
  /** The writer writes `size` bytes in total; the fs event follows and is handled. */
  const write = async (size: number) => {
    const existed = fs.files.has(PATH);
    fs.write(PATH, size);
    source.emit(existed ? 'change' : 'add', PATH);
    await settle();
  };
  return { clock, fs, watcher, log, of, write };
}

describe('completion by the writer close (fake clock)', () => {
  it('completes closeGraceMs after the writer closes, never while it holds the file open', async () => {
    const probe = new FakeWriters();
    const { clock, watcher, of, write } = setup(probe);
    await watcher.start();
    probe.open.add(PATH);
    for (const size of [10, 20, 30]) {
      await write(size);
      await clock.advance(400);
    }
    // unchanged far beyond the stability window, but still open for writing
    await clock.advance(10_000);
    assert.equal(of('complete').length, 0, 'not complete while the writer holds it');
    await write(40);
    await clock.advance(100);
    probe.open.delete(PATH);
    const closedAt = clock.now();
    await clock.advance(200);
    assert.equal(of('complete').length, 0, 'not complete within the grace');
    await clock.advance(800);
    const [complete] = of('complete');
    assert.equal(complete?.reason, 'closed');
    assert.equal(complete.size, 40);
    assert.ok(complete.at - closedAt < 3000, `completed ${complete.at - closedAt} ms after the close, before the stability window`);
    assert.ok(complete.at - closedAt >= 250, 'not before the grace');
    await watcher.stop();
  });

  it('keeps a file pending while its writer closes and reopens it within the grace (appending in rounds)', async () => {
    const probe = new FakeWriters();
    const { clock, watcher, of, write } = setup(probe);
    await watcher.start();
    for (const size of [100, 200, 300]) {
      probe.open.add(PATH);
      await write(size);
      await clock.advance(500);
      probe.open.delete(PATH);
      // the next round opens the file 150 ms after this one closed it
      await clock.advance(150);
    }
    assert.equal(of('complete').length, 0, 'no completion between rounds');
    await clock.advance(1000);
    assert.deepEqual(
      of('complete').map((e) => [e.reason, e.size]),
      [['closed', 300]],
    );
    await watcher.stop();
  });

  it('without the grace the same rounds complete a partial file (what the grace is for)', async () => {
    const probe = new FakeWriters();
    const { clock, watcher, of, write } = setup(probe, { closeGraceMs: 0 });
    await watcher.start();
    for (const size of [100, 200, 300]) {
      probe.open.add(PATH);
      await write(size);
      await clock.advance(500);
      probe.open.delete(PATH);
      await clock.advance(150);
    }
    await clock.advance(1000);
    const sizes = of('complete').map((e) => e.size);
    assert.ok(sizes.length > 1 && sizes[0] < 300, `completions: ${sizes.join(', ')}`);
    await watcher.stop();
  });

  it('a file reopened after it completed goes back to growing and completes again at its next close', async () => {
    const probe = new FakeWriters();
    const { clock, watcher, of, write } = setup(probe);
    await watcher.start();
    probe.open.add(PATH);
    await write(10);
    await clock.advance(500);
    probe.open.delete(PATH);
    await clock.advance(1000);
    assert.deepEqual(
      of('complete').map((e) => e.size),
      [10],
    );
    probe.open.add(PATH);
    await write(25);
    await clock.advance(2000);
    assert.equal(of('complete').length, 1, 'the reopened file is not complete while held');
    assert.deepEqual(
      of('growing').map((e) => e.size),
      [10, 25],
    );
    probe.open.delete(PATH);
    await clock.advance(1000);
    assert.deepEqual(
      of('complete').map((e) => [e.reason, e.size]),
      [
        ['closed', 10],
        ['closed', 25],
      ],
    );
    await watcher.stop();
  });

  it('falls back to the stability window where the probe cannot see writers (network share, other platforms)', async () => {
    for (const where of ['share', 'unknown'] as const) {
      const probe = new FakeWriters(where);
      const { clock, watcher, of, write } = setup(probe);
      await watcher.start();
      probe.open.add(PATH);
      await write(10);
      await clock.advance(500);
      probe.open.delete(PATH);
      await clock.advance(2000);
      assert.equal(of('complete').length, 0, `${where}: not complete before the window`);
      assert.equal(probe.calls, 0, `${where}: no probing before the window`);
      await clock.advance(1000);
      assert.deepEqual(
        of('complete').map((e) => e.reason),
        ['stable'],
      );
      await watcher.stop();
    }
  });

  it('falls back to the stability window when the writer was never seen', async () => {
    const probe = new FakeWriters();
    const { clock, watcher, of, write } = setup(probe);
    await watcher.start();
    await write(10);
    await clock.advance(2500);
    assert.equal(of('complete').length, 0);
    await clock.advance(1000);
    assert.deepEqual(
      of('complete').map((e) => e.reason),
      ['stable'],
    );
    await watcher.stop();
  });

  it('counts the grace from a change seen after the close', async () => {
    const probe = new FakeWriters();
    const { clock, watcher, of, write } = setup(probe);
    await watcher.start();
    probe.open.add(PATH);
    await write(10);
    await clock.advance(500);
    probe.open.delete(PATH);
    await clock.advance(200);
    // bytes the probe never saw a writer for (a write between two probes)
    await write(40);
    const changedAt = clock.now();
    await clock.advance(200);
    assert.equal(of('complete').length, 0);
    await clock.advance(500);
    const [complete] = of('complete');
    assert.deepEqual([complete?.reason, complete?.size], ['closed', 40]);
    assert.ok(complete.at - changedAt >= 250);
    await watcher.stop();
  });

  it('a failed probe means unknown: the file completes by the stability window alone, even once the probe answers "no writer"', async () => {
    const probe = new FakeWriters();
    const { clock, watcher, of, write } = setup(probe, { stableMs: 60_000 });
    await watcher.start();
    probe.open.add(PATH);
    await write(10);
    const changedAt = clock.now();
    await clock.advance(500);
    assert.ok(probe.calls > 0, 'the writer was seen');
    probe.failing = true;
    probe.open.delete(PATH);
    await clock.advance(2000);
    assert.equal(of('complete').length, 0);
    probe.failing = false;
    await clock.advance(30_000);
    assert.equal(of('complete').length, 0, 'not complete at the first answer after the failure');
    await clock.advance(30_000);
    const [complete] = of('complete');
    assert.equal(complete?.reason, 'stable');
    assert.ok(complete.at - changedAt >= 60_000, `completed ${complete.at - changedAt} ms after the last change`);
    await watcher.stop();
  });

  it('reports a probe that keeps failing once, and counts the failures in the status', async () => {
    const probe = new FakeWriters();
    probe.failing = true;
    const { clock, watcher, of, write } = setup(probe);
    await watcher.start();
    for (let i = 0; i < 5; i++) {
      await write(10 * (i + 1));
      await clock.advance(4000);
    }
    assert.deepEqual(
      of('complete').map((e) => [e.reason, e.size]),
      [
        ['stable', 10],
        ['stable', 20],
        ['stable', 30],
        ['stable', 40],
        ['stable', 50],
      ],
    );
    const errors = of('error');
    assert.equal(errors.length, 1, errors.map((e) => e.error.message).join('\n'));
    assert.match(errors[0].error.message, /probe failed.*stability window/);
    const failure = watcher.status().writerProbe;
    assert.ok(failure && failure.failures > 1, `status: ${JSON.stringify(failure)}`);
    assert.equal(failure.reason, 'probe failed');
    await watcher.stop();
  });

  it('a probe that never answers times out: the file completes by the stability window, not before', async () => {
    const probe = new FakeWriters();
    const { clock, watcher, of, write } = setup(probe, { stableMs: 20_000, probeTimeoutMs: 1000 });
    await watcher.start();
    probe.open.add(PATH);
    await write(10);
    const changedAt = clock.now();
    await clock.advance(500);
    assert.ok(probe.calls > 0, 'the writer was seen');
    probe.openForWriting = () => new Promise<Set<string>>(() => {});
    probe.open.delete(PATH);
    await clock.advance(15_000);
    assert.equal(of('complete').length, 0, 'not complete before the window');
    await clock.advance(10_000);
    const [complete] = of('complete');
    assert.equal(complete?.reason, 'stable');
    assert.ok(complete.at - changedAt >= 20_000);
    assert.equal(of('error').length, 1);
    assert.match(of('error')[0].error.message, /did not answer within 1 s/);
    assert.match(watcher.status().writerProbe?.reason ?? '', /did not answer/);
    await watcher.stop();
  });
});
