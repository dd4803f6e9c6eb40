/**
 * The local-folder archive target (embedded default, no AWS): verified copies, resume of a partial
 * copy, growing files, never overwriting, and an unreachable archive opening the circuit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUploadEngine, type UploadEngine, type UploadEngineOptions } from '../../../main/upload/engine.ts';
import { FolderTarget } from '../../../main/upload/folder-target.ts';
import { MiB, uniformLayout } from '../../../main/upload/part-layout.ts';
import { hookTarget, storeParts } from '../../support/target-hooks.ts';
import { patternBytes, writePatternFile } from '../../support/upload-fixtures.ts';

let dir: string;
const engines: UploadEngine[] = [];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scopecloud-folder-'));
});
after(async () => {
  for (const e of engines) await e.stop().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function engine(name: string, extra: Partial<UploadEngineOptions> = {}): Promise<UploadEngine> {
  const archive = join(dir, `archive-${name}`);
  await mkdir(archive, { recursive: true });
  const e = createUploadEngine({
    target: { kind: 'folder', root: archive },
    stateDir: join(dir, `state-${name}`),
    baseDir: join(dir, `src-${name}`),
    minPartSize: 5 * MiB,
    backoff: { baseMs: 5, capMs: 20 },
    ...extra,
  });
  engines.push(e);
  await e.start();
  return e;
}

test('copies files verified, byte-identical; a changed file becomes a new version', async () => {
  const src = join(dir, 'src-basic');
  await writePatternFile(join(src, 'a/x.tif'), 1, 12 * MiB + 5);
  await writePatternFile(join(src, 'y.tif'), 2, 10);
  await writeFile(join(src, 'empty.tif'), '');
  const e = await engine('basic');
  for (const f of ['a/x.tif', 'y.tif', 'empty.tif']) await e.add(join(src, f));
  await e.drain();
  assert.deepEqual(
    e.list().map((i) => i.state),
    ['verified', 'verified', 'verified'],
  );
  const archive = join(dir, 'archive-basic');
  for (const f of ['a/x.tif', 'y.tif', 'empty.tif']) assert.ok((await readFile(join(archive, f))).equals(await readFile(join(src, f))), f);
  assert.deepEqual(await readdir(join(archive, '.scopecloud-partial')), [], 'no partial file left');
  await writePatternFile(join(src, 'y.tif'), 3, 20);
  await e.add(join(src, 'y.tif'));
  await e.drain();
  assert.ok((await readFile(join(archive, 'y.v2.tif'))).equals(await readFile(join(src, 'y.tif'))));
  assert.ok((await readFile(join(archive, 'y.tif'))).equals(patternBytes(2, 10)), 'the verified copy is untouched');
});

test('resumes a partial copy after stop and re-verifies the parts already written', async () => {
  const src = join(dir, 'src-resume');
  await writePatternFile(join(src, 'big.tif'), 5, 30 * MiB);
  const partSize = uniformLayout(30 * MiB, 5 * MiB).base;
  const archive = join(dir, 'archive-resume');
  await mkdir(archive, { recursive: true });
  // the archive stores two parts; every later part is held until stop() interrupts it
  const { target, stored, parts } = storeParts(new FolderTarget({ kind: 'folder', root: archive }), 2);
  const e1 = await engine('resume', { target: { kind: 'custom', target }, concurrency: { files: 1, requests: 1 } });
  const item = await e1.add(join(src, 'big.tif'));
  await stored;
  await e1.stop();
  assert.equal(e1.get(item.id)?.bytesDone, 2 * partSize, 'stopped with two parts written');
  // corrupt the first written part inside the partial file: it must be detected and rewritten
  const damaged = Math.min(...parts);
  const partialDir = join(archive, '.scopecloud-partial');
  const [partial] = await readdir(partialDir);
  const fh = await open(join(partialDir, partial), 'r+');
  await fh.write(Buffer.from('garbage'), 0, 7, (damaged - 1) * partSize + 100);
  await fh.close();
  const written = new Set<number>();
  const inner = new FolderTarget({ kind: 'folder', root: archive });
  const watched = hookTarget(inner, {
    uploadPart(k, id, part, body, crc, io) {
      written.add(part.n);
      return inner.uploadPart(k, id, part, body, crc, io);
    },
  });
  const e2 = await engine('resume', { target: { kind: 'custom', target: watched } });
  await e2.drain();
  assert.equal(e2.list()[0].state, 'verified', e2.list()[0].error?.message);
  assert.ok((await readFile(join(archive, 'big.tif'))).equals(await readFile(join(src, 'big.tif'))));
  const again = Array.from({ length: (30 * MiB) / partSize }, (_, i) => i + 1).filter((n) => n === damaged || !parts.has(n));
  assert.deepEqual(
    [...written].sort((a, b) => a - b),
    again,
    `only missing parts and the damaged part ${damaged} were written again (first run wrote ${[...parts]})`,
  );
});

test('growing file into the archive, header rewritten before close', async () => {
  const src = join(dir, 'src-grow');
  const path = join(src, 'live.tif');
  await writePatternFile(path, 0, 0);
  const e = await engine('grow');
  for (let i = 0; i < 3; i++) {
    await appendFile(path, patternBytes(i + 50, 6 * MiB));
    await e.offer(path, (i + 1) * 6 * MiB, false);
  }
  const fh = await open(path, 'r+');
  await fh.write(Buffer.from('FINALHDR'), 0, 8, 0);
  await fh.close();
  await e.offer(path, 18 * MiB, true);
  await e.drain();
  assert.equal(e.list()[0].state, 'verified');
  assert.ok((await readFile(join(dir, 'archive-grow', 'live.tif'))).equals(await readFile(path)));
});

test('an unreachable archive (unmounted share) opens the circuit; it resumes when the folder is back', async () => {
  const src = join(dir, 'src-nas');
  await writePatternFile(join(src, 'f.tif'), 9, 1000);
  const e = await engine('nas', { circuit: { failureThreshold: 1, probeIntervalMs: 20, maxProbeIntervalMs: 40 } });
  const archive = join(dir, 'archive-nas');
  await rename(archive, `${archive}-away`);
  const opened = new Promise<void>((resolve) =>
    e.subscribe((ev) => {
      if (ev.type === 'circuit' && ev.state === 'open') resolve();
    }),
  );
  await e.add(join(src, 'f.tif'));
  await opened;
  assert.equal(e.status().circuit.state, 'open');
  assert.match(e.status().circuit.message ?? '', /archive folder .* is not reachable/);
  await rename(`${archive}-away`, archive);
  await e.drain();
  assert.equal(e.list()[0].state, 'verified');
});
