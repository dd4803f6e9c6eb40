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
import { MiB } from '../../../main/upload/part-layout.ts';
import { patternBytes, writePatternFile } from '../../support/upload-fixtures.ts';

let dir: string;
const engines: UploadEngine[] = [];
before(async () => { dir = await mkdtemp(join(tmpdir(), 'scopecloud-folder-')); });
after(async () => {
  for (const e of engines) await e.stop().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function engine(name: string, extra: Partial<UploadEngineOptions> = {}): Promise<UploadEngine> {
  const archive = join(dir, `archive-${name}`);
  await mkdir(archive, { recursive: true });
  const e = createUploadEngine({ target: { kind: 'folder', root: archive }, stateDir: join(dir, `state-${name}`), baseDir: join(dir, `src-${name}`), minPartSize: 5 * MiB, backoff: { baseMs: 5, capMs: 20 }, ...extra });
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
  assert.deepEqual(e.list().map((i) => i.state), ['verified', 'verified', 'verified']);
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
  const e1 = await engine('resume', { bandwidthLimit: 40 * MiB, concurrency: { files: 1, requests: 1 } });
  await e1.add(join(src, 'big.tif'));
  await new Promise((r) => setTimeout(r, 400));
  await e1.stop();
  const first = e1.status().bytesSent;
  assert.ok(first > 0 && first < 30 * MiB);
  // corrupt the first written part inside the partial file: it must be detected and rewritten
  const partialDir = join(dir, 'archive-resume', '.scopecloud-partial');
  const [partial] = await readdir(partialDir);
  const fh = await open(join(partialDir, partial), 'r+');
  await fh.write(Buffer.from('garbage'), 0, 7, 100);
  await fh.close();
  const e2 = await engine('resume');
  await e2.drain();
  assert.equal(e2.list()[0].state, 'verified', e2.list()[0].error?.message);
  assert.ok((await readFile(join(dir, 'archive-resume', 'big.tif'))).equals(await readFile(join(src, 'big.tif'))));
  assert.ok(e2.status().bytesSent < 30 * MiB, 'only missing or damaged parts were written again');
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
  await e.add(join(src, 'f.tif'));
  const deadline = Date.now() + 5000;
  while (e.status().circuit.state !== 'open' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(e.status().circuit.state, 'open');
  assert.match(e.status().circuit.message ?? '', /archive folder .* is not reachable/);
  await rename(`${archive}-away`, archive);
  await e.drain();
  assert.equal(e.list()[0].state, 'verified');
});
