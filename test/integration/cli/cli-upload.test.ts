/**
 * The `scopecloud` CLI end to end: real processes, real versitygw, a local archive; exit codes and
 * one-line errors for the bad inputs a user meets.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { freePort } from '../../support/moto.ts';
import { runCli } from '../../support/cli.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(versitygwMissing());
let gw: Versitygw;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'scopecloud-cli-'));
  if (!skip) gw = await startVersitygw();
});
after(async () => {
  await gw?.stop();
  await rm(work, { recursive: true, force: true });
});

async function acquisition(name: string, files: Record<string, number>): Promise<{ dir: string; data: Map<string, Buffer> }> {
  const dir = join(work, name);
  const data = new Map<string, Buffer>();
  for (const [rel, size] of Object.entries(files)) {
    const buf = randomBytes(size);
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), buf);
    data.set(rel, buf);
  }
  return { dir, data };
}

function envFor(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    SCOPECLOUD_HOME: home,
    AWS_ACCESS_KEY_ID: gw?.credentials.accessKeyId ?? 'x',
    AWS_SECRET_ACCESS_KEY: gw?.credentials.secretAccessKey ?? 'x',
    AWS_CONFIG_FILE: join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
    ...extra,
  };
}

test('upload to S3 (versitygw): every object byte-identical, no multipart upload left', { skip }, async () => {
  const bucket = await gw.createBucket();
  const home = join(work, 'home-s3');
  const env = envFor(home);
  const set = await runCli(['config', 'target', 's3', '--bucket', bucket, '--region', gw.region, '--prefix', 'rig1', '--endpoint', gw.endpoint], env);
  assert.equal(set.code, 0, set.stderr);
  const { dir, data } = await acquisition('run1', { 'a.tif': 12 * 1024 * 1024 + 17, 'sub/b.tif': 1000, 'meta.json': 10, '.hidden': 5, 'x.tif.part': 5 });
  const res = await runCli(['upload', dir, '--json'], env);
  assert.equal(res.code, 0, res.stderr);
  const out = JSON.parse(res.stdout) as { verified: number; failed: number };
  assert.equal(out.verified, 3);
  const s3 = gw.client();
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.deepEqual((listed.Contents ?? []).map((o) => o.Key).sort(), ['rig1/run1/a.tif', 'rig1/run1/meta.json', 'rig1/run1/sub/b.tif']);
  for (const rel of ['a.tif', 'sub/b.tif', 'meta.json']) {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `rig1/run1/${rel}` }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data.get(rel)!), rel);
  }
  const mpu = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  assert.equal((mpu.Uploads ?? []).length, 0);

  // Running the same upload again sends nothing new.
  const again = await runCli(['upload', dir, '--json'], env);
  assert.equal(again.code, 0, again.stderr);
  const listed2 = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.equal(listed2.KeyCount, 3);

  const status = await runCli(['status', '--json'], env);
  assert.equal(status.code, 0, status.stderr);
  assert.equal((JSON.parse(status.stdout) as { counts: { verified: number } }).counts.verified, 3);
});

test('a missing bucket fails the file with a one-line cause and exit 1', { skip }, async () => {
  const home = join(work, 'home-nobucket');
  const env = envFor(home);
  assert.equal((await runCli(['config', 'target', 's3', '--bucket', 'no-such-bucket-here', '--region', gw.region, '--endpoint', gw.endpoint], env)).code, 0);
  const { dir } = await acquisition('run2', { 'a.tif': 100 });
  const res = await runCli(['upload', dir], env);
  assert.equal(res.code, 1, res.stdout + res.stderr);
  assert.match(res.stdout, /^uploading 1 file to /m);
  assert.match(res.stdout, /FAILED .*a\.tif: .*(NoSuchBucket|bucket)/i);
});

test('wrong credentials are reported as access denied, not retried forever', { skip }, async () => {
  const bucket = await gw.createBucket();
  const home = join(work, 'home-denied');
  const env = envFor(home, { AWS_SECRET_ACCESS_KEY: 'wrong-secret-wrong-secret' });
  assert.equal((await runCli(['config', 'target', 's3', '--bucket', bucket, '--region', gw.region, '--endpoint', gw.endpoint], env)).code, 0);
  const { dir } = await acquisition('run3', { 'a.tif': 100 });
  const res = await runCli(['upload', dir, '--unreachable-timeout', '5'], env, 90_000);
  assert.notEqual(res.code, 0);
  assert.match(res.stdout + res.stderr, /(AccessDenied|SignatureDoesNotMatch|credential|InvalidAccessKeyId)/i);
});

test('a wrong endpoint exits 4 and keeps the files queued', async () => {
  const home = join(work, 'home-unreachable');
  const port = await freePort();
  const env = envFor(home);
  assert.equal(
    (await runCli(['config', 'target', 's3', '--bucket', 'lab-data', '--region', 'eu-west-1', '--endpoint', `http://127.0.0.1:${port}`], env)).code,
    0,
  );
  const { dir } = await acquisition('run4', { 'a.tif': 100 });
  const res = await runCli(['upload', dir, '--unreachable-timeout', '3'], env, 90_000);
  assert.equal(res.code, 4, res.stdout + res.stderr);
  assert.equal(
    res.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('scopecloud upload:')).length,
    1,
  );
  const status = await runCli(['status', '--json'], env);
  const s = JSON.parse(status.stdout) as { counts: Record<string, number> };
  assert.equal(s.counts.verified, 0);
  assert.equal(s.counts.queued + s.counts.uploading, 1, 'the file stays queued for the next run');
});

test('local archive (the embedded default): watch --once archives, verifies and writes the manifest', async () => {
  const home = join(work, 'home-local');
  const env = envFor(home);
  assert.equal((await runCli(['config', 'set', 'watch.stableMs', '300'], env)).code, 0);
  const { dir, data } = await acquisition('scope', { 'mouse1/t0.tif': 2_000_000, 'mouse1/t1.tif': 3000 });
  await writeFile(join(dir, 'mouse1', 'acquisition.done'), '');
  const res = await runCli(['watch', dir, '--once'], env);
  assert.equal(res.code, 0, res.stderr);
  const archive = join(home, 'archive');
  for (const [rel, buf] of data) assert.ok((await readFile(join(archive, 'scope', rel))).equals(buf), rel);
  const manifest = JSON.parse(await readFile(join(archive, 'scope', 'mouse1', 'manifest.json'), 'utf8')) as {
    files: Array<{ path: string; size: number }>;
    closedBy: string;
  };
  assert.equal(manifest.closedBy, 'marker');
  assert.deepEqual(manifest.files.map((f) => f.path).sort(), ['t0.tif', 't1.tif']);
});

test('bad input gets exit 2/3 and one line naming the problem', async () => {
  const env = envFor(join(work, 'home-bad'));
  const cases: Array<[string[], number, RegExp]> = [
    [['upload', join(work, 'does-not-exist')], 2, /no such file or folder/],
    [['upload'], 2, /at least one file/],
    [['config', 'set', 'upload.concurrency', 'many'], 3, /upload\.concurrency: must be an integer/],
    // a negative value is the field's to refuse, not an unknown option
    [['config', 'set', 'budget.monthlyLimitUsd', '-5'], 3, /^scopecloud config: budget\.monthlyLimitUsd: must be a number from 0 to 10000000 \(got -5\)$/],
    [['config', 'set', 'upload.concurrency', '-1', '--json'], 3, /^scopecloud config: upload\.concurrency: must be an integer from 1 to 64 \(got -1\)$/],
    [['config', 'target', 's3', '--bucket', 'UPPER', '--region', 'eu-west-1'], 3, /target\.bucket/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [['upload', '--bogus', 'x'], 2, /bogus/],
  ];
  for (const [args, code, re] of cases) {
    const r = await runCli(args, env);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], re);
  }
  const help = await runCli(['upload', '--help'], env);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes/);
});
