/**
 * Crash safety: a child process uploads a few hundred files (some multipart, one growing) and is
 * SIGKILLed at random moments several times, then restarted until it finishes. Every object must
 * match its file byte for byte, exist exactly once, and no multipart upload may be left.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MiB } from '../../../main/upload/part-layout.ts';
import { seededRandom } from '../../support/seeded-random.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { getObjectBytes, listKeys, listUploads, patternBytes, writePatternFile } from '../../support/upload-fixtures.ts';
import { readFile } from 'node:fs/promises';
import { requires } from '../../support/requirements.ts';

const skip = requires(versitygwMissing());
const child = new URL('../../support/upload-child.ts', import.meta.url).pathname;
let gw: Versitygw;
let dir: string;

before(async () => {
  if (skip) return;
  gw = await startVersitygw();
  dir = await mkdtemp(join(tmpdir(), 'scopecloud-kill9-'));
});
after(async () => {
  await gw?.stop();
  if (dir && !process.env.KEEP) await rm(dir, { recursive: true, force: true });
});

function run(args: object, killAfterMs: number | undefined): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

test('kill -9 at random points, restart until done: every file exactly once, byte-identical, nothing orphaned', { skip, timeout: 150_000 }, async () => {
  const bucket = await gw.createBucket();
  const src = join(dir, 'src');
  const random = seededRandom(Number(process.env.KILL9_SEED ?? 9));
  for (let i = 0; i < 300; i++) {
    const big = i % 50 === 7;
    const size = big ? Math.floor(11 * MiB + random() * 9 * MiB) : Math.floor(random() * 60_000);
    await writePatternFile(join(src, `run${i % 5}`, `img${String(i).padStart(3, '0')}.tif`), i + 1, size);
  }
  const growDir = join(dir, 'growing');
  await mkdir(growDir, { recursive: true });
  const growing = { path: join(growDir, 'live.tif'), size: 23 * MiB + 321, seed: 4242 };
  const args = { endpoint: gw.endpoint, region: gw.region, credentials: gw.credentials, bucket, stateDir: join(dir, 'state'), src, growing };

  const kills: number[] = [];
  for (let k = 0; k < 5; k++) {
    const at = 300 + Math.floor(random() * 900);
    const r = await run(args, at);
    if (r.code === 0) break; // finished before the kill landed
    assert.equal(r.signal, 'SIGKILL', r.out);
    kills.push(at);
  }
  let final = await run(args, undefined);
  for (let i = 0; i < 3 && final.code !== 0; i++) final = await run(args, undefined);
  assert.equal(final.code, 0, final.out);
  assert.match(final.out, /DONE/);
  assert.ok(kills.length >= 3, `killed at least three times (${kills.join(', ')} ms)`);

  const c = gw.client();
  const files: string[] = [];
  for (const d of await readdir(src)) for (const f of await readdir(join(src, d))) files.push(`${d}/${f}`);
  const expectedKeys = [...files.map((f) => `kill/${f}`), 'kill/live.tif'].sort();
  assert.deepEqual(await listKeys(c, bucket), expectedKeys, 'exactly one object per file, no extra versions');
  for (const f of files) {
    const remote = await getObjectBytes(c, bucket, `kill/${f}`);
    assert.ok(remote.equals(await readFile(join(src, f))), `${f} byte-identical`);
  }
  const live = patternBytes(growing.seed, growing.size);
  live.write('II*\0HEADER-FINAL', 0, 'latin1');
  const liveLocal = await readFile(growing.path);
  assert.ok(liveLocal.equals(live), 'the child wrote the growing file as planned');
  const liveRemote = await getObjectBytes(c, bucket, 'kill/live.tif');
  assert.equal(liveRemote.length, live.length);
  const firstDiff = liveRemote.findIndex((b, i) => b !== live[i]);
  assert.equal(firstDiff, -1, `growing file byte-identical, rewritten header included (first difference at ${firstDiff})`);
  assert.deepEqual(await listUploads(c, bucket), [], 'no orphaned multipart uploads');
});
