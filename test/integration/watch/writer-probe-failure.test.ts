/**
 * The real /proc open-writer probe on this machine, failing: its /proc is reached through a symlink
 * that the test removes once the probe has seen the writer, and the writer is this process holding
 * a real file open. Real files and stats; the clock and the fs events are fakes, so the test reads
 * the order of things, not their timing. The control: with /proc still there, the same close
 * completes the file by its close, well before the stability window.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, readdirSync, statSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { FolderWatcher } from '../../../main/watch/folder-watcher.ts';
import { createProcFdProbe, type OpenWriterProbe } from '../../../main/watch/open-writer-probe.ts';
import type { WatchEventMap, WatchFs } from '../../../main/watch/watch-types.ts';
import { requires } from '../../support/requirements.ts';
import { FakeClock, FakeEventSource, settle } from '../../unit/watch/fakes.ts';

const skip = requires(process.platform === 'linux' ? false : 'the open-writer probe reads /proc (Linux only)');

/** Synchronous real fs calls, so that the fake clock's settling covers them. */
const syncFs: WatchFs = {
  stat: async (path) => statSync(path),
  readdir: async (path) => readdirSync(path, { withFileTypes: true }),
};

describe('the real /proc probe failing after it saw the writer', { skip }, () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'scopecloud-probe-failure-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function run(name: string, removeProc: boolean) {
    const base = join(work, name);
    const root = join(base, 'rig');
    const path = join(root, 's1', 'movie.tif');
    mkdirSync(join(root, 's1'), { recursive: true });
    const procLink = join(base, 'proc');
    symlinkSync('/proc', procLink);
    const real = createProcFdProbe(undefined, procLink);
    let inflight = 0;
    const heldAnswers: boolean[] = [];
    const probe: OpenWriterProbe = {
      async openForWriting(paths) {
        inflight++;
        try {
          const open = await real.openForWriting(paths);
          if (paths.includes(path)) heldAnswers.push(open.has(path));
          return open;
        } finally {
          inflight--;
        }
      },
      writersVisible: (paths) => real.writersVisible!(paths),
    };
    const clock = new FakeClock();
    const source = new FakeEventSource();
    const watcher = new FolderWatcher(
      { roots: [root], stableMs: 5000, reconcileIntervalMs: 0, folderCheckIntervalMs: 0 },
      { fs: syncFs, clock, probe, eventSource: source.factory },
    );
    const completes: Array<WatchEventMap['complete'] & { at: number }> = [];
    const errors: Error[] = [];
    watcher.on('complete', (e) => completes.push({ ...e, at: clock.now() }));
    watcher.on('error', (e) => errors.push(e.error));
    /** Advances the fake clock, letting every probe scan of the real /proc finish. */
    const advance = async (ms: number) => {
      for (let step = 0; step < ms; step += 100) {
        await clock.advance(100);
        while (inflight > 0) await settle();
      }
    };
    await watcher.start();
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, Buffer.alloc(4096, 7));
      source.emit('add', path);
      await advance(500);
      assert.ok(heldAnswers.includes(true), `the probe saw this process holding the file (answers: ${heldAnswers.join(', ')})`);
      if (removeProc) unlinkSync(procLink);
    } finally {
      closeSync(fd);
    }
    const closedAt = clock.now();
    return { watcher, completes, errors, advance, closedAt };
  }

  it('control: with /proc readable the close completes the file before the stability window', async () => {
    const { watcher, completes, errors, advance, closedAt } = await run('control', false);
    await advance(2000);
    assert.deepEqual(
      completes.map((e) => e.reason),
      ['closed'],
    );
    assert.ok(completes[0].at - closedAt < 5000);
    assert.deepEqual(errors, []);
    assert.equal(watcher.status().writerProbe, undefined);
    await watcher.stop();
  });

  it('with /proc gone the file completes only after the stability window, and the failure is reported once', async () => {
    const { watcher, completes, errors, advance, closedAt } = await run('failing', true);
    await advance(4000);
    assert.equal(completes.length, 0, 'not complete at the close: the probe could not tell');
    await advance(2000);
    assert.deepEqual(
      completes.map((e) => [e.reason, e.size]),
      [['stable', 4096]],
    );
    assert.ok(completes[0].at - closedAt >= 5000 - 500);
    assert.equal(errors.length, 1, errors.map((e) => e.message).join('\n'));
    assert.match(errors[0].message, /cannot list .*proc \(ENOENT\)/);
    assert.match(watcher.status().writerProbe?.reason ?? '', /cannot list/);
    await watcher.stop();
  });
});
