/**
 * The watcher, session tracker and manifest on real folders in a temp dir, with real
 * chokidar events, real timers and (on Linux) the real /proc open-writer probe.
 * Waits are bounded polls; no assertion depends on how fast the machine is.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { crc32cOfFile } from '../../../main/session/checksum.ts';
import type { Manifest } from '../../../main/session/manifest.ts';
import { SessionTracker } from '../../../main/session/session-tracker.ts';
import { chokidarEventSource } from '../../../main/watch/chokidar-source.ts';
import { FolderWatcher } from '../../../main/watch/folder-watcher.ts';
import { defaultOpenWriterProbe, type OpenWriterProbe } from '../../../main/watch/open-writer-probe.ts';
import type { EventSourceFactory, WatchDeps, WatchOptions } from '../../../main/watch/watch-types.ts';
import { encodeTiff, SlowTiffWriter } from '../../support/synthetic-tiff.ts';
import { waitFor, type Logged } from '../../support/watch-events.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function watch(options: WatchOptions, deps: WatchDeps = {}) {
  const watcher = new FolderWatcher({ stableMs: 300, checkIntervalMs: 50, reconcileIntervalMs: 0, ...options }, deps);
  const log: Logged[] = [];
  for (const type of ['growing', 'complete', 'removed', 'marker', 'error'] as const) {
    watcher.on(type, (event) => log.push({ type, ...event } as Logged));
  }
  const of = <K extends Logged['type']>(type: K, path?: string) =>
    log.filter((entry): entry is Extract<Logged, { type: K }> => entry.type === type && (path === undefined || ('path' in entry && entry.path === path)));
  return { watcher, log, of };
}

describe('FolderWatcher on real folders', () => {
  let base: string;
  let n = 0;
  const fresh = async (name: string) => {
    const dir = join(base, `${++n}-${name}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'scopecloud-watch-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('watches several roots recursively with include/exclude, including files present at start', async () => {
    const rootA = await fresh('rig-a');
    const rootB = await fresh('rig-b');
    await writeFile(join(rootA, 'before.tif'), encodeTiff({ width: 8, height: 8, pages: 2 }));
    await mkdir(join(rootA, '.cache'), { recursive: true });
    await writeFile(join(rootA, '.cache', 'thumb.tif'), 'x');
    // the watcher's own answers to chokidar: paths it filtered out, paths it was told about
    const filteredOut = new Set<string>();
    const delivered = new Set<string>();
    const recording: EventSourceFactory = (roots, ignore, handlers) =>
      chokidarEventSource(
        roots,
        (path, isDirectory) => {
          const excludedNow = ignore(path, isDirectory);
          if (excludedNow) filteredOut.add(path);
          return excludedNow;
        },
        {
          event: (name, path) => {
            delivered.add(path);
            handlers.event(name, path);
          },
          error: handlers.error,
        },
      );
    const { watcher, of } = watch({ roots: [rootA, rootB] }, { eventSource: recording });
    await watcher.start();
    try {
      await mkdir(join(rootB, 's1', 'deep'), { recursive: true });
      await writeFile(join(rootB, 's1', 'deep', 'later.ome.tif'), encodeTiff({ width: 4, height: 4, pages: 1 }));
      await writeFile(join(rootB, 's1', 'meta.json'), '{}');
      await writeFile(join(rootB, 's1', 'report.docx'), 'no');
      await writeFile(join(rootB, 's1', 'scratch.tmp'), 'no');
      await writeFile(join(rootA, '.DS_Store'), 'no');
      await waitFor('three completions', () => of('complete').length >= 3);
      const excluded = [join(rootB, 's1', 'report.docx'), join(rootB, 's1', 'scratch.tmp'), join(rootA, '.DS_Store')];
      await waitFor('the watcher to filter out every excluded file', () => excluded.every((p) => filteredOut.has(p)));
      // never tracked, so never completed: the only other way in is a reconciliation scan, off here
      assert.deepEqual(
        excluded.filter((p) => delivered.has(p)),
        [],
        'no event for an excluded file reached the watcher',
      );
      assert.deepEqual(
        of('complete')
          .map((e) => e.relativePath)
          .sort(),
        ['before.tif', 's1/deep/later.ome.tif', 's1/meta.json'],
      );
      assert.ok(of('complete').every((e) => e.reason === 'stable'));
      const status = watcher.status();
      assert.deepEqual(
        status.roots.map((r) => [r.seen, r.complete]),
        [
          [1, 1],
          [2, 2],
        ],
      );
    } finally {
      await watcher.stop();
    }
  });

  it('reports a growing TIFF, holds it while the writer keeps it open, completes it after close', async () => {
    const root = await fresh('growing');
    const path = join(root, 'movie.tif');
    // how many times a stability check found the file unchanged and the writer still holding it
    let heldOpen = 0;
    const real = defaultOpenWriterProbe();
    const probe: OpenWriterProbe = {
      async openForWriting(paths) {
        const open = await real.openForWriting(paths);
        if (open.has(path)) heldOpen++;
        return open;
      },
    };
    const { watcher, of } = watch({ roots: [root] }, { probe });
    await watcher.start();
    const writer = new SlowTiffWriter(path, { width: 64, height: 64, bitsPerSample: 16 });
    try {
      await writer.open();
      for (let page = 0; page < 6; page++) {
        await writer.writePage();
        await sleep(60);
      }
      await waitFor('growth to the written size', () => of('growing', path).some((e) => e.size === writer.size));
      const sizes = of('growing', path).map((e) => e.size);
      assert.ok(sizes.length >= 2, `growing events: ${sizes.join(',')}`);
      assert.deepEqual(
        sizes,
        [...sizes].sort((a, b) => a - b),
        'sizes only grow',
      );
      if (process.platform === 'linux') {
        heldOpen = 0;
        await waitFor('three stability checks with the writer idle but open', () => heldOpen >= 3);
        assert.equal(of('complete', path).length, 0, 'an open writer keeps the file pending');
      }
      await writer.close();
      await waitFor('completion', () => of('complete', path).length > 0);
      const done = of('complete', path)[0];
      assert.equal(done.size, writer.size);
    } finally {
      await writer.abandon();
      await watcher.stop();
    }
  });

  it('completes at once on rename from .part and on a marker file, then uploads a manifest', async () => {
    const root = await fresh('sessions');
    const manifests: Manifest[] = [];
    const { watcher, of } = watch({ roots: [root], stableMs: 60_000 });
    const tracker = new SessionTracker(watcher, { idleMs: 60_000, checkIntervalMs: 50, onManifest: (manifest) => void manifests.push(manifest) });
    // The session folder exists before the watcher starts: events inside a folder created a
    // moment earlier can be missed (the reconciliation scan, off here, catches those).
    const session = join(root, 'mouse1_2024-05-01');
    await mkdir(join(session, 'channel2'), { recursive: true });
    tracker.start();
    await watcher.start();
    try {
      const part = join(session, 'stack.tif.part');
      await writeFile(part, encodeTiff({ width: 16, height: 8, pages: 3, bitsPerSample: 16, description: 'ImageJ=1.54f\nimages=3\nslices=3' }));
      // Rename detection needs the watcher to have seen the temporary name first; wait for that
      // instead of a fixed sleep (a loaded machine can deliver the add event late).
      const shadows = (watcher as unknown as { shadows: Map<string, unknown> }).shadows;
      await waitFor('the .part file to be seen', () => shadows.has(part));
      await rename(part, join(session, 'stack.tif'));
      await waitFor('rename completion', () => of('complete', join(session, 'stack.tif')).length > 0);
      assert.equal(of('complete', join(session, 'stack.tif'))[0].reason, 'rename');

      await writeFile(join(session, 'channel2', 'b.tif'), encodeTiff({ width: 8, height: 8, pages: 5, bitsPerSample: 8, bigTiff: true, littleEndian: false }));
      await writeFile(join(session, 'channel2', 'bad.tif'), 'II*\0not really');
      await waitFor(
        'b.tif seen',
        () => of('growing', join(session, 'channel2', 'b.tif')).length > 0 && of('growing', join(session, 'channel2', 'bad.tif')).length > 0,
      );
      assert.equal(manifests.length, 0, 'no manifest before the session closes');
      await writeFile(join(session, 'acquisition.done'), '');
      await waitFor('manifest', () => manifests.length > 0);
      assert.deepEqual(
        of('complete')
          .filter((e) => e.reason === 'marker')
          .map((e) => e.relativePath)
          .sort(),
        ['mouse1_2024-05-01/channel2/b.tif', 'mouse1_2024-05-01/channel2/bad.tif'],
      );

      const manifest = manifests[0];
      assert.equal(manifest.schema, 2);
      assert.equal(manifest.closedBy, 'marker');
      assert.equal(manifest.marker, 'acquisition.done');
      assert.equal(manifest.session.relativePath, 'mouse1_2024-05-01');
      assert.deepEqual(
        manifest.files.map((f) => f.path),
        ['channel2/b.tif', 'channel2/bad.tif', 'stack.tif'],
      );
      for (const file of manifest.files) {
        assert.equal(file.crc32c, (await crc32cOfFile(join(session, file.path))).crc32c);
      }
      const [b, bad, stack] = manifest.files;
      // TIFF facts as the analysis worker reads the files (scopecloud-worker info --each)
      assert.deepEqual([b.tiff?.bigtiff, b.tiff?.byte_order, b.tiff?.pages, b.tiff?.dtype, b.tiff?.frames], [true, 'big', 5, 'uint8', 5]);
      assert.deepEqual([stack.tiff?.pages, stack.tiff?.width, stack.tiff?.height, stack.tiff?.metadata], [3, 16, 8, 'imagej']);
      assert.equal((stack.tiff?.planes ?? 0) * (stack.tiff?.frames ?? 0), 3, 'the three images are planes or frames');
      assert.equal(bad.tiffError?.code, 'truncated', bad.tiffError?.message);
      assert.equal(manifest.totals.files, 3);
      assert.equal(
        manifest.totals.bytes,
        manifest.files.reduce((sum, f) => sum + f.size, 0),
      );
      JSON.parse(JSON.stringify(manifest));
    } finally {
      await tracker.stop();
      await watcher.stop();
    }
  });

  it('reconciliation catches a file written while events were dropped', async () => {
    const root = await fresh('dropped');
    let deliver = true;
    const dropped: string[] = [];
    const gated: EventSourceFactory = (roots, ignore, handlers) =>
      chokidarEventSource(roots, ignore, {
        event: (name, path) => {
          if (deliver) return handlers.event(name, path);
          dropped.push(path);
        },
        error: handlers.error,
      });
    const { watcher, of } = watch({ roots: [root], reconcileIntervalMs: 700 }, { eventSource: gated });
    await watcher.start();
    try {
      deliver = false;
      const path = join(root, 'missed.tif');
      await writeFile(path, encodeTiff({ width: 4, height: 4, pages: 1 }));
      await waitFor('the file event to be dropped', () => dropped.includes(path));
      assert.equal(of('growing', path).length, 0, 'the event was dropped');
      await waitFor('reconciliation to find the file', () => of('complete', path).length > 0);
    } finally {
      await watcher.stop();
    }
  });

  it('polling mode finds, completes and removes files without fs events', async () => {
    const root = await fresh('nas');
    const { watcher, of } = watch({ roots: [root], mode: 'polling', pollIntervalMs: 150 });
    await watcher.start();
    try {
      await mkdir(join(root, 'a', 'b'), { recursive: true });
      const path = join(root, 'a', 'b', 'p.tiff');
      await writeFile(path, encodeTiff({ width: 4, height: 4, pages: 1 }));
      await waitFor('polling completion', () => of('complete', path).length > 0);
      await rm(path);
      await waitFor('polling removal', () => of('removed', path).length > 0);
    } finally {
      await watcher.stop();
    }
  });
});
