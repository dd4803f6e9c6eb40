/**
 * `scopecloud config lifecycle` and the Settings view's calls (getUploadLifecycle,
 * addUploadLifecycleRule): the bucket rule that makes S3 abort uploads left unfinished for
 * 7 days under the destination's prefix. Shown absent, explained and refused without --yes, added
 * with --yes (the bucket's other rules kept as they were), then shown present.
 *
 * versitygw answers GetBucketLifecycleConfiguration and PutBucketLifecycleConfiguration with 501
 * NotImplemented, so the rule itself is tested against moto's S3; versitygw is used for what a
 * store without lifecycle rules reads as.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand } from '@aws-sdk/client-s3';
import { CliError, ExitCode } from '../../../main/cli/command.ts';
import { ruleId } from '../../../main/upload/lifecycle-rule.ts';
import { createServiceContainer } from '../../../main/services.ts';
import { createAppServices } from '../../../main/app/app-services.ts';
import { cliEnv, config, motoBucket } from './rule-fixture.ts';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing(), versitygwMissing());
let moto: MotoServer;
let gw: Versitygw;
let home: string;

before(async () => {
  if (skip) return;
  [moto, gw] = await Promise.all([startMoto(), startVersitygw()]);
  home = await mkdtemp(join(tmpdir(), 'sc-lifecycle-'));
});
after(async () => {
  await Promise.all([moto?.stop(), gw?.stop()]);
  if (home) await rm(home, { recursive: true, force: true });
});

const envFor = (name: string, credentials: { accessKeyId: string; secretAccessKey: string }) => cliEnv(home, name, credentials);

test('the lifecycle rule: absent, explained and refused without --yes, added with --yes keeping the other rules, then present', { skip }, async () => {
  const env = envFor('moto', moto.credentials);
  const bucket = 'lab-data';
  const s3 = await motoBucket(moto, bucket, { unrelatedRule: true });
  const set = await config(['target', 's3', '--bucket', bucket, '--region', moto.region, '--prefix', 'lab', '--endpoint', moto.endpoint], env);
  assert.equal(set.code, 0, set.err);

  const shown = await config(['lifecycle'], env);
  assert.equal(shown.code, 0);
  assert.match(shown.out, /lifecycle rule: +absent: unfinished uploads under s3:\/\/lab-data\/lab\/ stay/);

  await assert.rejects(
    config(['lifecycle', '--apply'], env),
    (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.usage && /--yes/.test(e.message),
  );
  const unchanged = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
  assert.deepEqual(
    unchanged.Rules?.map((r) => r.ID),
    ['expire-scratch'],
    'nothing written without consent',
  );

  const applied = await config(['lifecycle', '--apply', '--yes'], env);
  assert.equal(applied.code, 0, applied.err);
  assert.match(applied.out, /still unfinished 7 days after it began/, 'the explanation is printed');
  assert.match(applied.out, /never deletes a finished file/);
  assert.match(applied.out, /lifecycle rule: +present: S3 aborts uploads under s3:\/\/lab-data\/lab\/ left unfinished for 7 days/);

  const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  const kept = rules.find((r) => r.ID === 'expire-scratch');
  assert.equal(kept?.Status, 'Enabled');
  assert.equal(kept?.Filter?.Prefix, 'scratch/');
  assert.equal(kept?.Expiration?.Days, 30, 'the unrelated rule is kept as it was');
  const ours = rules.find((r) => r.ID === ruleId('lab'));
  assert.equal(ours?.Status, 'Enabled');
  assert.equal(ours?.Filter?.Prefix, 'lab/');
  assert.equal(ours?.AbortIncompleteMultipartUpload?.DaysAfterInitiation, 7);
  assert.equal(rules.length, 2);

  const json = JSON.parse((await config(['lifecycle', '--json'], env)).out) as { covering: { days: number; prefix: string }; rules: number };
  assert.deepEqual([json.covering.days, json.covering.prefix, json.rules], [7, 'lab/', 2]);
  // applying again changes nothing
  assert.equal((await config(['lifecycle', '--apply', '--yes'], env)).code, 0);
  assert.equal((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules?.length, 2);
});

test('a rule for the whole bucket already covers the prefix: shown present, nothing added', { skip }, async () => {
  const env = envFor('moto-wide', moto.credentials);
  const bucket = 'lab-wide';
  const s3 = await motoBucket(moto, bucket);
  const wide = { ID: 'abort-all', Status: 'Enabled' as const, Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } };
  await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [wide] } }));
  assert.equal((await config(['target', 's3', '--bucket', bucket, '--region', moto.region, '--prefix', 'lab', '--endpoint', moto.endpoint], env)).code, 0);
  const applied = await config(['lifecycle', '--apply', '--yes'], env);
  assert.match(applied.out, /present: S3 aborts uploads under s3:\/\/lab-wide\/lab\/ left unfinished for 3 days \(rule "abort-all"\)/);
  assert.deepEqual(
    (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules?.map((r) => r.ID),
    ['abort-all'],
  );
});

test('a store without lifecycle rules (versitygw: NotImplemented) reads as unknown, and a local archive is refused', { skip }, async () => {
  const env = envFor('vgw', gw.credentials);
  const bucket = await gw.createBucket();
  assert.equal((await config(['target', 's3', '--bucket', bucket, '--region', gw.region, '--prefix', 'lab', '--endpoint', gw.endpoint], env)).code, 0);
  const shown = await config(['lifecycle', '--apply', '--yes'], env);
  assert.equal(shown.code, 0);
  assert.match(shown.out, /lifecycle rule: +unknown: this S3 store does not offer lifecycle rules/);

  assert.equal((await config(['target', 'local', join(home, 'archive')], env)).code, 0);
  await assert.rejects(config(['lifecycle'], env), (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.config);
});

test("the Settings view's calls: absent, refused without consent, added with it (other rules kept), present", { skip }, async () => {
  const env = envFor('app', moto.credentials);
  const bucket = 'lab-app';
  const s3 = await motoBucket(moto, bucket, { unrelatedRule: true });
  const container = await createServiceContainer({ env });
  const current = container.settings.get();
  container.settings.replace({
    ...current,
    target: { kind: 's3', bucket, region: moto.region, prefix: 'rig1', profile: '', endpoint: moto.endpoint },
    ui: { ...current.ui, firstRunComplete: true },
  });
  const app = await createAppServices(container, { env, guardrails: false, pollInstances: false, dailySummary: false, log: () => {} });
  try {
    const before = await app.getUploadLifecycle();
    assert.equal(before.state, 'absent');
    assert.equal(before.where, 's3://lab-app/rig1/');
    assert.ok(before.explanation.some((l) => /7 days after it began/.test(l)));
    await assert.rejects(app.addUploadLifecycleRule({ consent: false as true }), /consent/);
    assert.equal((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules?.length, 1, 'nothing written without consent');
    const added = await app.addUploadLifecycleRule({ consent: true });
    assert.deepEqual([added.state, added.days, added.rule], ['present', 7, ruleId('rig1')]);
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
    assert.deepEqual(rules.map((r) => r.ID).sort(), ['expire-scratch', ruleId('rig1')].sort());
    assert.equal(rules.find((r) => r.ID === 'expire-scratch')?.Expiration?.Days, 30);
    assert.equal((await app.getUploadLifecycle()).state, 'present');
  } finally {
    await app.dispose();
    await container.dispose();
  }
});
