/**
 * An unreadable file, shown for real: `scopecloud upload` runs as an unprivileged user (root reads
 * a chmod-000 file, and CI runs as root, so as root the CLI child gets uid/gid 65534 and a work
 * folder that user owns). The file fails with one clear line, the other files still upload, and
 * the failed item stays in the queue until the user retries it.
 */
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createUploadEngine } from '../../../main/upload/engine.ts';
import { runCli, UNPRIVILEGED } from '../../support/cli.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(versitygwMissing());
const asRoot = process.getuid?.() === 0;
const as = asRoot ? UNPRIVILEGED : undefined;
let gw: Versitygw;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'scopecloud-unreadable-'));
  if (!skip) gw = await startVersitygw();
});
after(async () => {
  await gw?.stop();
  await rm(work, { recursive: true, force: true });
});

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const e of await readdir(path, { withFileTypes: true })) {
    if (e.isDirectory()) await chownTree(join(path, e.name), uid, gid);
    else await chown(join(path, e.name), uid, gid);
  }
}

async function objectBytes(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

test(
  `an unreadable file fails with one clear line, is kept for retry, and the others upload (${asRoot ? 'as uid 65534 under root' : 'as this user'})`,
  { skip, timeout: 120_000 },
  async () => {
    const bucket = await gw.createBucket();
    const home = join(work, 'home');
    const src = join(work, 'run1');
    await mkdir(home, { recursive: true });
    await mkdir(join(src, 'sub'), { recursive: true });
    const data = { 'a.tif': randomBytes(6 * 1024 * 1024 + 5), 'sub/b.tif': randomBytes(2000), 'locked.tif': randomBytes(3000) };
    for (const [rel, buf] of Object.entries(data)) await writeFile(join(src, rel), buf);
    if (as) await chownTree(work, as.uid, as.gid);
    const locked = join(src, 'locked.tif');
    await chmod(locked, 0o000);
    const env = {
      SCOPECLOUD_HOME: home,
      HOME: work,
      AWS_ACCESS_KEY_ID: gw.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: gw.credentials.secretAccessKey,
      AWS_CONFIG_FILE: join(work, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
    };

    const set = await runCli(
      ['config', 'target', 's3', '--bucket', bucket, '--region', gw.region, '--prefix', 'rig', '--endpoint', gw.endpoint],
      env,
      60_000,
      as,
    );
    assert.equal(set.code, 0, set.stderr);
    const res = await runCli(['upload', src, '--json'], env, 90_000, as);
    assert.equal(res.code, 1, `exit 1 when some files failed: ${res.stderr}`);
    const out = JSON.parse(res.stdout) as {
      verified: number;
      failed: number;
      items: Array<{ id: string; path: string; state: string; error?: { code: string; message: string } }>;
    };
    assert.equal(out.verified, 2);
    assert.equal(out.failed, 1);
    const bad = out.items.find((i) => i.path === locked);
    assert.ok(bad, 'the unreadable file is an item');
    assert.equal(bad.state, 'failed');
    assert.equal(bad.error?.code, 'FileUnreadable');
    assert.equal(bad.error?.message, `file unreadable (permission denied): ${locked}`);
    assert.ok(!bad.error.message.includes('\n'));

    const s3 = gw.client();
    assert.ok((await objectBytes(s3, bucket, 'rig/run1/a.tif')).equals(data['a.tif']));
    assert.ok((await objectBytes(s3, bucket, 'rig/run1/sub/b.tif')).equals(data['sub/b.tif']));

    // kept in the queue with its cause, not dropped
    const status = await runCli(['status', '--json'], env, 60_000, as);
    assert.equal(status.code, 0, status.stderr);
    const summary = JSON.parse(status.stdout) as { counts: Record<string, number>; failed: Array<{ path: string; error?: string }> };
    assert.equal(summary.counts.failed, 1);
    assert.deepEqual(
      summary.failed.map((f) => [f.path, f.error]),
      [[locked, bad.error.message]],
    );

    // the user fixes the permissions and retries the kept item (what the app's Retry does)
    await chmod(locked, 0o644);
    const engine = createUploadEngine({ target: { kind: 's3', client: gw.client(), bucket, prefix: 'rig' }, stateDir: join(home, 'queue') });
    await engine.start();
    try {
      await engine.retry(bad.id);
      await engine.drain();
      assert.equal(engine.get(bad.id)?.state, 'verified');
    } finally {
      await engine.stop();
    }
    assert.ok((await objectBytes(s3, bucket, 'rig/run1/locked.tif')).equals(data['locked.tif']));
  },
);
