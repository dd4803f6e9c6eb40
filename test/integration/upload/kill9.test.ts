/**
 * Crash safety: a child process uploads a few hundred files (some multipart, one growing) and is
 * SIGKILLed five times, each time right after the server acknowledged a chosen request the engine
 * has not journaled yet (the child reports the point and freezes there; the test checks the server
 * holds what it reports), then run once to the end. Every object must match its file byte for
 * byte, exist exactly once, and no multipart upload may be left.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { HeadObjectCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MiB } from '../../../main/upload/part-layout.ts';
import { seededRandom } from '../../support/seeded-random.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { getObjectBytes, listKeys, listUploads, patternBytes, writePatternFile } from '../../support/upload-fixtures.ts';
import { readFile } from 'node:fs/promises';
import { requires } from '../../support/requirements.ts';
import type { CrashPoint, CrashReport } from '../../support/upload-child.ts';

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

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  at?: CrashReport;
}

/** Runs the child; with `crashAt`, SIGKILLs it once it reports (and freezes at) that crash point. */
function run(args: object, crashAt?: CrashPoint): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, JSON.stringify({ ...args, crashAt })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let at: CrashReport | undefined;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = /^AT (.*)$/m.exec(out);
      if (line && !at) {
        at = JSON.parse(line[1]) as CrashReport;
        p.kill('SIGKILL');
      }
    });
    p.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.once('exit', (code, signal) => resolve({ code, signal, out, at }));
  });
}

/**
 * One kill per phase, in this order. Each run gets far enough to reach its point whatever the
 * machine's speed: the growing file's writer waits for its first part to reach the server, the
 * tenth small file is stored long before the big files (walked last) are started, and runs 1-4
 * stop within the first multipart uploads, so a completion is still ahead for run 5.
 */
const crashes: { at: CrashPoint; why: string }[] = [
  { at: { phase: 'part', nth: 1, key: 'live.tif' }, why: 'a part of the growing file stored, not journaled, while the file is still growing' },
  { at: { phase: 'put', nth: 10 }, why: 'a small file stored by PutObject, not yet verified or journaled' },
  { at: { phase: 'create', nth: 1 }, why: 'a multipart upload created, its uploadId not journaled (an orphan for the next start)' },
  { at: { phase: 'part', nth: 2 }, why: 'a part stored, not journaled' },
  { at: { phase: 'complete', nth: 1 }, why: 'a multipart upload completed, the object not yet verified or journaled' },
];

test(
  'kill -9 at five chosen points (part, put, create, part, complete), then one run to the end: every file exactly once, byte-identical, nothing orphaned',
  { skip, timeout: 150_000 },
  async (t) => {
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
    const c = gw.client();

    for (const { at, why } of crashes) {
      const r = await run(args, at);
      assert.ok(r.at, `run finished without reaching ${at.phase} #${at.nth} (${why}): ${r.out.slice(-2000)}`);
      assert.equal(r.signal, 'SIGKILL', r.out);
      const { phase, key, uploadId, n } = r.at;
      t.diagnostic(`killed at ${JSON.stringify(r.at)}`);
      assert.equal(phase, at.phase);
      if (at.key) assert.equal(key, at.key);
      // the server holds what the crash point claims
      if (phase === 'part') {
        const parts = await c.send(new ListPartsCommand({ Bucket: bucket, Key: `kill/${key}`, UploadId: uploadId }));
        assert.ok(
          parts.Parts?.some((p) => p.PartNumber === n),
          `part ${n} of ${key} is on the server at the kill`,
        );
      }
      if (phase === 'create') assert.ok((await listUploads(c, bucket)).includes(`kill/${key}:${uploadId}`), `upload ${uploadId} of ${key} is open at the kill`);
      if (phase === 'put' || phase === 'complete') {
        const head = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: `kill/${key}` }));
        assert.ok(head.ContentLength !== undefined, `${key} is stored at the kill`);
      }
      if (phase === 'complete') assert.ok(!(await listUploads(c, bucket)).includes(`kill/${key}:${uploadId}`), 'the completed upload is closed');
      if (at.key === 'live.tif')
        assert.ok(r.at.growingSizeOnDisk < growing.size, `the growing file was still growing at the kill (${r.at.growingSizeOnDisk} of ${growing.size} bytes)`);
    }
    const final = await run(args);
    assert.equal(final.code, 0, final.out);
    assert.match(final.out, /DONE/);

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
  },
);
