/**
 * What a closing session publishes given its last manifest: real files and records in a temp
 * folder; checksums and TIFF reads counted through the manifest's seams.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { SessionManifests } from '../../../main/acquisition/session-manifests.ts';
import { crc32cOfFile } from '../../../main/session/checksum.ts';
import { ManifestHistory, sessionId } from '../../../main/session/manifest-history.ts';
import type { Manifest, ManifestInput } from '../../../main/session/manifest.ts';

let work: string;
let root: string;
let session: string;
let read: string[];
let queued: Array<[string, string]>;
let stats: string[];

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'session-manifests-'));
  root = join(work, 'acq');
  session = join(root, 'mouse1');
  await mkdir(session, { recursive: true });
  await mkdir(join(work, 'staging'));
  await writeFile(join(session, 'a.tif'), 'not a tiff');
  await writeFile(join(session, 'b.bin'), 'bbbb');
  read = [];
  queued = [];
  stats = [];
});
afterEach(() => rm(work, { recursive: true, force: true }));

function manifests(queue?: (staged: string, key: string) => Promise<void>, recordedBy?: { owner: string; host: string }): SessionManifests {
  return new SessionManifests({
    ...(recordedBy ? { recordedBy } : {}),
    stagingDir: join(work, 'staging'),
    history: new ManifestHistory(join(work, 'staging', 'sessions')),
    queue:
      queue ??
      (async (staged, key) => {
        queued.push([staged, key]);
      }),
    manifestDeps: {
      checksum: (path) => {
        read.push(path);
        return crc32cOfFile(path);
      },
      readTiffs: async (paths) => {
        read.push(...paths);
        return new Map(paths.map((p) => [p, { problem: { code: 'not-tiff', message: 'not a TIFF file' } }]));
      },
      stat: (path) => {
        stats.push(path);
        return stat(path);
      },
    },
  });
}

async function close(m: SessionManifests, files = ['a.tif', 'b.bin'], observed?: ManifestInput['observed']) {
  const input: ManifestInput = {
    root,
    dir: session,
    files: files.map((f) => join(session, f)),
    closedBy: 'idle',
    generation: 1,
    ...(observed ? { observed } : {}),
  };
  const manifest = await m.build(input);
  return { manifest, outcome: await m.publish(manifest, session, 'acq/mouse1') };
}

const staged = (generation: number) => join(work, 'staging', `${sessionId(session)}.g${generation}.manifest.json`);

describe('SessionManifests', () => {
  it('names who recorded the session, on which workstation, in the staged manifest (the storage bill per person reads it)', async () => {
    const first = await close(manifests(undefined, { owner: 'maria', host: 'rig-2' }));
    assert.deepEqual(first.manifest.recordedBy, { owner: 'maria', host: 'rig-2' });
    const onDisk = JSON.parse(await readFile(staged(1), 'utf8')) as Manifest;
    assert.deepEqual(onDisk.recordedBy, { owner: 'maria', host: 'rig-2' });
    assert.equal((await close(manifests())).manifest.recordedBy, undefined, 'absent unless given');
  });

  it('publishes generation 1 once; an unchanged session later reads no file and publishes nothing', async () => {
    const first = await close(manifests());
    assert.deepEqual(first.outcome, { kind: 'published', generation: 1, staged: staged(1) });
    assert.deepEqual(queued, [[staged(1), 'acq/mouse1/manifest.json']]);
    assert.equal(first.manifest.changes, undefined);
    read = [];
    queued = [];
    // a new process: nothing but the records on disk
    const again = await close(manifests());
    assert.deepEqual(again.outcome, { kind: 'unchanged', generation: 1 });
    assert.deepEqual(read, []);
    assert.deepEqual(queued, [[staged(1), 'acq/mouse1/manifest.json']], 'handed to the queue again, which ignores a file it holds');
    assert.deepEqual(again.manifest.files, first.manifest.files);
  });

  it('a changed, an added and a removed file: only the changed and the new file are read; generation 2 names them', async () => {
    await close(manifests());
    read = [];
    await appendFile(join(session, 'b.bin'), 'more');
    await writeFile(join(session, 'c.bin'), 'c');
    const { outcome, manifest } = await close(manifests(), ['b.bin', 'c.bin']);
    assert.equal(outcome.kind, 'published');
    assert.deepEqual(read.sort(), [join(session, 'b.bin'), join(session, 'c.bin')]);
    assert.deepEqual(manifest.generation, 1, 'the built manifest is not the published one');
    const published = JSON.parse(await readFile(staged(2), 'utf8')) as Manifest;
    assert.equal(published.generation, 2);
    assert.deepEqual(published.changes, { since: 1, added: ['c.bin'], changed: ['b.bin'], removed: ['a.tif'] });
    read = [];
    assert.deepEqual((await close(manifests(), ['b.bin', 'c.bin'])).outcome, { kind: 'unchanged', generation: 2 });
    assert.deepEqual(read, []);
  });

  it('a file touched without changing is read once, publishes nothing, and is not read at the next start', async () => {
    await close(manifests());
    read = [];
    const later = new Date(Date.now() + 60_000);
    await utimes(join(session, 'b.bin'), later, later);
    assert.deepEqual((await close(manifests())).outcome, { kind: 'unchanged', generation: 1 });
    assert.deepEqual(read, [join(session, 'b.bin')]);
    read = [];
    assert.deepEqual((await close(manifests())).outcome, { kind: 'unchanged', generation: 1 });
    assert.deepEqual(read, []);
  });

  it('a crash between recording and queueing: the next close queues the recorded manifest', async () => {
    await assert.rejects(
      close(
        manifests(async () => {
          throw new Error('killed');
        }),
      ),
      /killed/,
    );
    const next = await close(manifests());
    assert.deepEqual(next.outcome, { kind: 'unchanged', generation: 1 });
    assert.deepEqual(queued, [[staged(1), 'acq/mouse1/manifest.json']]);
  });

  it('a session an earlier version staged manifests for (no record) takes the newest as its last', async () => {
    const built = await close(manifests());
    await rm(join(work, 'staging', 'sessions'), { recursive: true });
    await writeFile(staged(2), JSON.stringify({ ...built.manifest, generation: 2 }));
    read = [];
    queued = [];
    assert.deepEqual((await close(manifests())).outcome, { kind: 'unchanged', generation: 2 });
    assert.deepEqual(read, []);
    assert.deepEqual(queued, [[staged(2), 'acq/mouse1/manifest.json']]);
  });

  it('sizes and mtimes the watcher observed stand in for stats of unchanged files', async () => {
    await close(manifests());
    const observed = new Map<string, { size: number; mtimeMs: number }>();
    for (const f of ['a.tif', 'b.bin']) {
      const st = await stat(join(session, f));
      observed.set(join(session, f), { size: st.size, mtimeMs: st.mtimeMs });
    }
    stats = [];
    read = [];
    assert.deepEqual((await close(manifests(), ['a.tif', 'b.bin'], observed)).outcome, { kind: 'unchanged', generation: 1 });
    assert.deepEqual([stats, read], [[], []]);
  });
});
