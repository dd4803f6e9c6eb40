/**
 * `scopecloud analyze --instance-type ...` of a session in a cold storage class (issue #21 point 3):
 * without --restore-tier it prints each tier's cost and wait and exits 3 (nothing restored or
 * launched); with it the restore is asked and the job waits as restoring; once S3 has restored the
 * files, the next pass (`jobs recover`, a new process) launches the instance. A GLACIER_IR session
 * needs no restore.
 *
 * Real servers: versitygw behind test/support/glacier-proxy.ts as the bucket, moto for EC2, IAM,
 * SSM and Budgets; the CLI runs as a child process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ExitCode } from '../../../main/cli/command.ts';
import { JOB_TAG } from '../../../main/jobs/ec2-runner.ts';
import { motoMissing, seedAl2023, startMoto, type MotoServer } from '../../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { startGlacierProxy, type GlacierProxy } from '../../support/glacier-proxy.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../../support/cli.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing(), versitygwMissing(), workerMissing());

let moto: MotoServer;
let vgw: Versitygw;
let proxy: GlacierProxy;
let bucket: string;
let home: string;
let env: NodeJS.ProcessEnv;
let s3: S3Client;

before(async () => {
  if (skip) return;
  [moto, vgw] = await Promise.all([startMoto(), startVersitygw()]);
  await seedAl2023(moto);
  proxy = await startGlacierProxy({ target: vgw.endpoint, restoreMs: 3_600_000 });
  bucket = await vgw.createBucket();
  s3 = new S3Client({ region: vgw.region, endpoint: proxy.endpoint, forcePathStyle: true, credentials: vgw.credentials });
  for (const key of ['lab/sessions/cold/a.tif', 'lab/sessions/cold/b.tif', 'lab/sessions/ir/a.tif'])
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(2 * 2 ** 20, 1) }));
  proxy.archive(bucket, 'lab/sessions/cold/a.tif', 'GLACIER');
  proxy.archive(bucket, 'lab/sessions/cold/b.tif', 'DEEP_ARCHIVE');
  proxy.archive(bucket, 'lab/sessions/ir/a.tif', 'GLACIER_IR');
  home = await mkdtemp(join(tmpdir(), 'sc-cli-restore-'));
  env = {
    ...process.env,
    SCOPECLOUD_HOME: join(home, 'state'),
    SCOPECLOUD_WORKER: WORKER_BINARY,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_S3: proxy.endpoint,
    AWS_ACCESS_KEY_ID: vgw.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: vgw.credentials.secretAccessKey,
    AWS_REGION: moto.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
  };
  delete env.AWS_PROFILE;
  for (const args of [
    ['target', 's3', '--bucket', bucket, '--region', moto.region, '--prefix', 'lab'],
    ['set', 'budget.monthlyLimitUsd', '1000'],
  ]) {
    const r = await runCli(['config', ...args], env);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  if (skip) return;
  s3?.destroy();
  await proxy?.stop();
  await Promise.all([moto?.stop(), vgw?.stop()]);
  if (home) await rm(home, { recursive: true, force: true });
});

async function jobInstances(jobId: string): Promise<string[]> {
  const ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
  try {
    const res = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${JOB_TAG.job}`, Values: [jobId] }] }));
    return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
  } finally {
    ec2.destroy();
  }
}

const EC2 = ['--instance-type', 'c7i.2xlarge', '--create-profile', '--detach'];

test('without --restore-tier: each tier with its cost and wait, exit 3, nothing restored or launched', { skip }, async () => {
  const r = await runCli(['analyze', 'sessions/cold', ...EC2], env);
  assert.equal(r.code, ExitCode.config, r.stderr);
  assert.match(r.stderr, /2 input files are in cold storage \(4\.2 MB\): S3 must restore them before the analysis can start/);
  // DEEP_ARCHIVE has no Expedited tier, so only Bulk and Standard are offered, each with its wait
  assert.match(
    r.stderr,
    /Bulk \$\d+\.\d\d \(GLACIER: 5-12 hours; DEEP_ARCHIVE: up to 48 hours\), Standard \$\d+\.\d\d \(GLACIER: 3-5 hours; DEEP_ARCHIVE: up to 12 hours\)/,
  );
  assert.doesNotMatch(r.stderr, /Expedited \$/);
  assert.match(r.stderr, /To agree, run again with --restore-tier <Expedited\|Standard\|Bulk>; nothing was restored or launched/);
  assert.deepEqual(proxy.restoreRequests, []);
  const list = await runCli(['jobs', 'list', '--json'], env);
  assert.deepEqual(JSON.parse(list.stdout), [], 'no job was written');

  const bad = await runCli(['analyze', 'sessions/cold', ...EC2, '--restore-tier', 'Expedited'], env);
  assert.equal(bad.code, ExitCode.usage, bad.stderr);
  assert.match(bad.stderr, /the Expedited restore tier is not offered for these inputs \(choose Bulk or Standard\)/);
  const typo = await runCli(['analyze', 'sessions/cold', ...EC2, '--restore-tier', 'fast'], env);
  assert.equal(typo.code, ExitCode.usage);
  assert.match(typo.stderr, /--restore-tier is one of Expedited, Standard, Bulk \(got "fast"\)/);
  assert.deepEqual(proxy.restoreRequests, []);
});

test('with --restore-tier: restoring, nothing launched; once restored the next pass launches; cancel ends it', { skip }, async () => {
  const r = await runCli(['analyze', 'sessions/cold', ...EC2, '--restore-tier', 'standard'], env);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  assert.match(r.stderr, /restoring 2 input\(s\) from cold storage \(Standard, GLACIER: 3-5 hours; DEEP_ARCHIVE: up to 12 hours\); it launches by itself/);
  assert.deepEqual(
    proxy.restoreRequests.map((x) => [x.key, x.tier]),
    [
      ['lab/sessions/cold/a.tif', 'Standard'],
      ['lab/sessions/cold/b.tif', 'Standard'],
    ],
  );
  const shown = JSON.parse((await runCli(['jobs', 'show', id, '--json'], env)).stdout) as { state: string; restore: { tier: string } };
  assert.deepEqual([shown.state, shown.restore.tier], ['restoring', 'Standard']);
  const waiting = JSON.parse((await runCli(['jobs', 'recover', '--json'], env)).stdout) as Array<{ id: string; state: string }>;
  assert.equal(waiting.find((v) => v.id === id)?.state, 'restoring');
  assert.deepEqual(await jobInstances(id), [], 'nothing launched while S3 restores');

  proxy.completeRestores();
  const launched = JSON.parse((await runCli(['jobs', 'recover', '--json'], env)).stdout) as Array<{ id: string; state: string }>;
  assert.equal(launched.find((v) => v.id === id)?.state, 'provisioning');
  assert.equal((await jobInstances(id)).length, 1, 'launched once the inputs were restored');
  const cancel = await runCli(['jobs', 'cancel', id], env);
  assert.equal(cancel.code, 0, cancel.stderr);
});

test('a GLACIER_IR session needs no restore: no tier asked, nothing restored', { skip }, async () => {
  const before = proxy.restoreRequests.length;
  const r = await runCli(['analyze', 'sessions/ir', ...EC2], env);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /cold storage/);
  assert.equal(proxy.restoreRequests.length, before);
  const cancel = await runCli(['jobs', 'cancel', r.stdout.trim()], env);
  assert.equal(cancel.code, 0, cancel.stderr);
});
