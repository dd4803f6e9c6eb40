/**
 * `scopecloud analyze` on EC2 passes the budget guard before anything is submitted or launched,
 * against moto (EC2, IAM, SSM, Cost Explorer) and versitygw (the bucket); an administrator's
 * --override-budget goes ahead and is recorded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { analyzeCommand } from '../../../main/cli/commands/analyze.ts';
import { CliError, ExitCode } from '../../../main/cli/command.ts';
import { runCommand } from '../../support/cli-in-process.ts';
import { motoMissing, seedAl2023, startMoto, type MotoServer } from '../../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../../support/cli.ts';
import { writeSyntheticMovie } from './synthetic-movie.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing(), versitygwMissing(), workerMissing());

let moto: MotoServer;
let vgw: Versitygw;
let home: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  if (skip) return;
  [moto, vgw] = await Promise.all([startMoto(), startVersitygw()]);
  await seedAl2023(moto);
  const bucket = await vgw.createBucket();
  home = await mkdtemp(join(tmpdir(), 'sc-cli-ec2-budget-'));
  const movie = join(home, 'movie.tif');
  await writeSyntheticMovie(movie, { width: 32, height: 32, frames: 40, cells: 3, seed: 2 });
  await vgw.client().send(new PutObjectCommand({ Bucket: bucket, Key: 'lab/sessions/s1/movie.tif', Body: await readFile(movie) }));
  env = {
    ...process.env,
    SCOPECLOUD_HOME: join(home, 'state'),
    SCOPECLOUD_WORKER: WORKER_BINARY,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_S3: vgw.endpoint,
    AWS_ACCESS_KEY_ID: vgw.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: vgw.credentials.secretAccessKey,
    AWS_REGION: moto.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
  };
  delete env.AWS_PROFILE;
  // the SDK's default credential chain reads the process's own environment (each test file runs
  // in its own process)
  for (const k of [
    'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_REGION',
    'AWS_EC2_METADATA_DISABLED',
    'AWS_CONFIG_FILE',
    'AWS_SHARED_CREDENTIALS_FILE',
  ])
    process.env[k] = env[k];
  delete process.env.AWS_PROFILE;
  for (const args of [
    ['target', 's3', '--bucket', bucket, '--region', moto.region, '--prefix', 'lab'],
    ['set', 'budget.monthlyLimitUsd', '0.5'],
  ]) {
    const r = await runCli(['config', ...args], env);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  if (skip) return;
  await Promise.all([moto?.stop(), vgw?.stop()]);
  if (home) await rm(home, { recursive: true, force: true });
});

const analyze = (argv: string[]) => runCommand(analyzeCommand, argv, env);

async function instances(): Promise<string[]> {
  const ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
  try {
    const res = await ec2.send(new DescribeInstancesCommand({}));
    return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
  } finally {
    ec2.destroy();
  }
}

test('with no AWS Budget and no monthly limit, analyze on EC2 is refused with exit 3 and how to set a limit; a local run is not', { skip }, async () => {
  const unset = await runCli(['config', 'set', 'budget.monthlyLimitUsd', 'null'], env);
  assert.equal(unset.code, 0, unset.stderr);
  for (const extra of [[], ['--override-budget', 'grant deadline']]) {
    const r = await runCli(['analyze', 'sessions/s1', '--instance-type', 'c7i.2xlarge', '--create-profile', '--detach', ...extra], env);
    assert.equal(r.code, ExitCode.config, r.stderr);
    assert.match(
      r.stderr.trim(),
      /^scopecloud analyze: launch analysis sessions\/s1 refused: no spending limit is known \(the AWS account has no monthly cost budget and no local monthly limit is set\)\. .*`scopecloud config set budget\.monthlyLimitUsd <USD>` or in Settings .*create a monthly cost budget in AWS Budgets/,
    );
  }
  assert.deepEqual(await instances(), [], 'nothing launched');
  const local = await analyze(['sessions/s1', '--json']);
  assert.equal(local.code, 0, local.err);
  const job = JSON.parse(local.out) as { where: string; state: string };
  assert.deepEqual([job.where, job.state], ['local', 'done'], 'a run on this workstation costs nothing and needs no limit');
  const reset = await runCli(['config', 'set', 'budget.monthlyLimitUsd', '0.5'], env);
  assert.equal(reset.code, 0, reset.stderr);
});

test('analyze on EC2 past the monthly limit is refused before launching; --override-budget goes ahead', { skip }, async () => {
  const argv = ['sessions/s1', '--instance-type', 'c7i.2xlarge', '--create-profile', '--detach', '--json'];
  await assert.rejects(analyze(argv), (e: CliError) => {
    assert.ok(e instanceof CliError, String(e));
    assert.equal(e.exitCode, ExitCode.failure);
    assert.match(e.message, /launch analysis sessions\/s1 refused: .*exceeds the budget "local monthly limit" of \$0\.50/);
    return true;
  });
  assert.deepEqual(await instances(), [], 'nothing launched');

  await assert.rejects(analyze([...argv, '--override-budget', ' ']), (e: CliError) => e.exitCode === ExitCode.usage && /needs a reason/.test(e.message));

  const ok = await analyze([...argv, '--override-budget', 'grant deadline']);
  assert.equal(ok.code, 0, ok.err);
  const job = JSON.parse(ok.out) as { id: string; shards: Array<{ instanceId?: string }> };
  assert.match(job.id, /^j-/);
  assert.equal((await instances()).length, 1, 'the job launched its instance');
});
