/**
 * Restarts over archived sessions (acquisition-service.ts, archived-sessions.ts,
 * watch/watcher-archived.ts), on real folders with a local archive: a session whose files are all
 * verified is recorded as archived, and the next start neither lists it nor stats its files before
 * it is watching (the watcher's fs is counted); its files are then confirmed by stat in the
 * background. A file added to an archived session while running, a file rewritten in place while
 * nothing ran, and a file added to a nested folder while nothing ran all still go up, with a new
 * manifest naming the change.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { startAcquisition, type Acquisition } from '../../../main/acquisition/acquisition-service.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { nodeFolderFs } from '../../../main/watch/folder-health.ts';
import type { WatchFs } from '../../../main/watch/watch-types.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'scopecloud-archived-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The watcher's fs, recording every call. */
function countingFs(calls: string[]): WatchFs {
  return {
    stat: (path) => {
      calls.push(`stat ${path}`);
      return nodeFolderFs.stat(path);
    },
    readdir: (path, options) => {
      calls.push(`readdir ${path}`);
      return nodeFolderFs.readdir(path, options);
    },
    list: (path) => nodeFolderFs.list!(path),
  };
}

test('archived sessions are not listed at start-up, and changes to them still go up', { timeout: 120_000 }, async () => {
  const root = join(work, 'scope');
  const archive = join(work, 'archive');
  const files = ['s1/a.tif', 's1/b.tif', 's2/a.tif', 's2/b.tif', 's3/a.tif', 's3/sub/c.tif'];
  for (const f of files) {
    await mkdir(join(root, ...f.split('/').slice(0, -1)), { recursive: true });
    await writeFile(join(root, ...f.split('/')), `frame ${f}`);
  }
  for (const s of ['s1', 's2', 's3']) await writeFile(join(root, s, 'acquisition.done'), '');
  // written an hour ago: a folder changed within MIN_AGE_MS is not archived yet
  const old = new Date(Date.now() - 3_600_000);
  for (const f of [...files, 's1/acquisition.done', 's2/acquisition.done', 's3/acquisition.done']) await utimes(join(root, ...f.split('/')), old, old);
  for (const d of ['s1', 's2', 's3/sub', 's3']) await utimes(join(root, ...d.split('/')), old, old);

  const base = defaultSettings(archive);
  const settings = { ...base, watch: { ...base.watch, folders: [root], stableMs: 200 } };
  const staging = join(work, 'manifests');
  const lines: string[] = [];
  const start = (fs?: WatchFs): Promise<Acquisition> =>
    startAcquisition({
      settings,
      queueDir: join(work, 'queue'),
      stagingDir: staging,
      watch: true,
      sessionIdleMs: 600_000,
      snapshotMs: 0,
      log: (line) => lines.push(line),
      ...(fs ? { watchDeps: { fs } } : {}),
    });
  const recorded = async (): Promise<string[]> => {
    const text = await readFile(join(staging, 'archived-sessions.jsonl'), 'utf8').catch(() => '');
    const live = new Set<string>();
    // complete lines only: the service may be appending one
    for (const line of text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean)) {
      const l = JSON.parse(line) as { dir: string; forget?: true };
      if (l.forget) live.delete(l.dir);
      else live.add(l.dir);
    }
    return [...live].sort();
  };
  const inSession = (call: string, ...sessions: string[]) => sessions.some((s) => call.includes(join(root, s) + sep));
  const inArchive = (key: string) => join(archive, 'scope', ...key.split('/'));

  // run 1: every session is uploaded, closes, and is recorded as archived
  let acq = await start();
  try {
    await until('every session recorded as archived', async () => (await recorded()).length === 3);
    assert.deepEqual(
      await recorded(),
      ['s1', 's2', 's3'].map((s) => join(root, s)),
    );
    await until('six files and three manifests verified', () => acq.engine.list({ state: 'verified' }).length === 9);
  } finally {
    await acq.stop();
  }

  // run 2: nothing in the sessions is listed or stat'ed before watching; a file added while running goes up
  let calls: string[] = [];
  acq = await start(countingFs(calls));
  try {
    const atStart = [...calls];
    assert.deepEqual(
      atStart.filter((c) => inSession(c, 's1', 's2', 's3')),
      [`stat ${join(root, 's3', 'sub')}`],
      "before watching: the session folders and the nested one are stat'ed, nothing in them",
    );
    await until('the archived files confirmed', () => acq.watcher!.status().archived?.unconfirmed === 0);
    assert.deepEqual(acq.watcher!.status().archived, { folders: 3, files: 6, unconfirmed: 0 });
    assert.equal(acq.watcher!.files().length, 0, 'no file of an archived session is tracked');
    assert.equal(acq.engine.list().length, 9, 'nothing queued again');

    await writeFile(join(root, 's2', 'c.tif'), 'frame s2/c.tif');
    await until('the added file verified', () => acq.engine.list().some((i) => i.path === join(root, 's2', 'c.tif') && i.state === 'verified'));
    await until('a second manifest for s2', () => exists(inArchive('s2/manifest.v2.json')));
    const m = JSON.parse(await readFile(inArchive('s2/manifest.v2.json'), 'utf8')) as { changes: unknown; files: Array<{ path: string }> };
    assert.deepEqual(m.changes, { since: 1, added: ['c.tif'], changed: [], removed: [] });
    assert.deepEqual(
      m.files.map((f) => f.path),
      ['a.tif', 'b.tif', 'c.tif'],
    );
    // recorded again once left alone; a later scan keeps its files tracked rather than putting it to sleep
    await until('s2 recorded as archived again', async () => (await recorded()).includes(join(root, 's2')));
    await acq.watcher!.reconcile();
    await until('the archived files confirmed again', () => acq.watcher!.status().archived?.unconfirmed === 0);
    assert.deepEqual(acq.watcher!.status().archived, { folders: 2, files: 4, unconfirmed: 0 });
    assert.equal(acq.watcher!.files(join(root, 's2')).length, 3);
  } finally {
    await acq.stop();
  }

  // while nothing runs: s1/a.tif rewritten in place (its folder's mtime does not move), a file added in s3/sub
  await writeFile(join(root, 's1', 'a.tif'), 'FRAME s1/a.tif');
  await writeFile(join(root, 's3', 'sub', 'd.tif'), 'frame s3/sub/d.tif');

  // run 3: s3 is listed at start (a folder in it changed), s1 is woken by the confirmation
  calls = [];
  acq = await start(countingFs(calls));
  try {
    const atStart = [...calls];
    assert.ok(atStart.includes(`stat ${join(root, 's3', 'sub', 'd.tif')}`), 'the changed session is listed');
    assert.deepEqual(
      atStart.filter((c) => inSession(c, 's1')),
      [],
      'the unchanged-looking session is not',
    );
    await until('the rewritten file up as a.v2.tif', () => exists(inArchive('s1/a.v2.tif')));
    await until('the added nested file up', () => exists(inArchive('s3/sub/d.tif')));
    assert.equal(await readFile(inArchive('s1/a.v2.tif'), 'utf8'), 'FRAME s1/a.tif');
    assert.equal(await readFile(inArchive('s1/a.tif'), 'utf8'), 'frame s1/a.tif', 'the first version is kept');
    await until('a second manifest for s1', () => exists(inArchive('s1/manifest.v2.json')));
    const m = JSON.parse(await readFile(inArchive('s1/manifest.v2.json'), 'utf8')) as { changes: unknown };
    assert.deepEqual(m.changes, { since: 1, added: [], changed: ['a.tif'], removed: [] });
    await until('a second manifest for s3', () => exists(inArchive('s3/manifest.v2.json')));
    const m3 = JSON.parse(await readFile(inArchive('s3/manifest.v2.json'), 'utf8')) as { changes: unknown };
    assert.deepEqual(m3.changes, { since: 1, added: ['sub/d.tif'], changed: [], removed: [] });
  } finally {
    await acq.stop();
  }
  assert.ok(!lines.some((l) => /archived sessions:/.test(l)), lines.join('\n'));
});
