/**
 * `scopecloud config cold-storage`: the lifecycle rule that moves raw acquisitions (files over
 * 16 MiB under a watched folder's prefix) to a colder class, shown absent with the saving counted
 * from the bucket, refused without --yes, added with --yes keeping the bucket's other rules, shown
 * present, and removed with --remove --yes keeping the others.
 *
 * versitygw answers the lifecycle API with 501 NotImplemented, so the rule is tested against
 * moto's S3 (as the 7-day abort rule is). moto 5.2 drops an And filter's ObjectSizeGreaterThan when
 * it stores a rule, so this test runs moto through test/support/moto_s3_lifecycle.py, which keeps
 * the size bounds and gives them back on GetBucketLifecycleConfiguration (the filter that keeps
 * manifest.json in STANDARD is then checked as read back from the server).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetBucketLifecycleConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CliError, ExitCode } from '../../../main/cli/command.ts';
import { coldRuleId, RAW_MIN_BYTES } from '../../../main/upload/cold-storage-plan.ts';
import { ruleId } from '../../../main/upload/lifecycle-rule.ts';
import { cliEnv, config, motoBucket } from './rule-fixture.ts';
import { motoExtendedMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { startVersitygw, versitygwMissing } from '../../support/versitygw.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoExtendedMissing());
const skipVersitygw = requires(motoExtendedMissing(), versitygwMissing());
let moto: MotoServer;
let home: string;

before(async () => {
  if (skip) return;
  moto = await startMoto({ s3LifecycleSizes: true });
  home = await mkdtemp(join(tmpdir(), 'sc-cold-'));
});
after(async () => {
  await moto?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

const envFor = (name: string, credentials: { accessKeyId: string; secretAccessKey: string }) => cliEnv(home, name, credentials);

test('cold storage: absent with the saving, refused without --yes, added keeping other rules, present, removed keeping other rules', { skip }, async () => {
  const env = envFor('moto', moto.credentials);
  const bucket = 'lab-cold';
  const s3 = await motoBucket(moto, bucket, { unrelatedRule: true });
  // Two raw files over 16 MiB, one small raw file, the session's manifest, and a large result.
  const big = Buffer.alloc(RAW_MIN_BYTES + 1024, 7);
  for (const [key, body] of [
    ['lab/microscope/s1/a.tif', big],
    ['lab/microscope/s1/b.tif', big],
    ['lab/microscope/s1/small.tif', Buffer.alloc(1024)],
    ['lab/microscope/s1/manifest.json', Buffer.from('{"schema":2}')],
    ['lab/jobs/j-1/results/F.npy', big],
  ] as const)
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

  assert.equal((await config(['target', 's3', '--bucket', bucket, '--region', moto.region, '--prefix', 'lab', '--endpoint', moto.endpoint], env)).code, 0);
  assert.equal((await config(['set', 'watch.folders', join(home, 'rig', 'microscope')], env)).code, 0);
  // abort rule present too: it must survive both the add and the remove
  assert.equal((await config(['lifecycle', '--apply', '--yes'], env)).code, 0);

  const shown = await config(['cold-storage', '--days', '0'], env);
  assert.equal(shown.code, 0, shown.err);
  assert.match(shown.out, /cold storage: +absent: raw files under s3:\/\/lab-cold\/lab\/microscope\/ stay in STANDARD/);
  // 2 eligible files of 16 MiB + 1 KiB each: 0.03125... GB x (0.023 - 0.004) per month
  const gb = (2 * (RAW_MIN_BYTES + 1024)) / 2 ** 30;
  assert.match(shown.out, new RegExp(`saving: +\\$${(gb * (0.023 - 0.004)).toFixed(2)}/month in GLACIER_IR for .* \\(2 raw files older than 0 days`));
  assert.match(shown.out, /Glacier Instant Retrieval: minimum 90 days, reading costs \$0.03\/GB, no restore needed/);

  const json = JSON.parse((await config(['cold-storage', '--days', '0', '--class', 'deep_archive', '--json'], env)).out) as {
    saving: { eligible: { bytes: number; objects: number }; perMonth: number; storageClass: string; minStorageDays: number };
  };
  assert.deepEqual(json.saving.eligible, { bytes: 2 * (RAW_MIN_BYTES + 1024), objects: 2 }, 'the manifest, the small file and the result are not counted');
  assert.equal(json.saving.storageClass, 'DEEP_ARCHIVE');
  assert.equal(json.saving.minStorageDays, 180);
  assert.ok(Math.abs(json.saving.perMonth - gb * (0.023 - 0.00099)) < 1e-9);

  await assert.rejects(
    config(['cold-storage', '--days', 'ten'], env),
    (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.config && /days/.test(e.message),
  );
  await assert.rejects(
    config(['cold-storage', '--class', 'STANDARD_IA'], env),
    (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.config && /GLACIER_IR, GLACIER, DEEP_ARCHIVE/.test(e.message),
  );
  await assert.rejects(
    config(['cold-storage', '--apply'], env),
    (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.usage && /--yes/.test(e.message),
  );
  const rulesNow = async () => (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  assert.deepEqual((await rulesNow()).map((r) => r.ID).sort(), ['expire-scratch', ruleId('lab')].sort(), 'nothing written without consent');

  const applied = await config(['cold-storage', '--days', '45', '--class', 'GLACIER_IR', '--apply', '--yes'], env);
  assert.equal(applied.code, 0, applied.err);
  assert.match(applied.out, /manifest.json files, analysis results \(jobs\/\) and smaller files stay in STANDARD/, 'the explanation is printed');
  assert.match(applied.out, /cold storage: +present: raw files over 16 MiB under s3:\/\/lab-cold\/lab\/microscope\/ move to GLACIER_IR after 45 days/);
  const rules = await rulesNow();
  assert.equal(rules.length, 3);
  assert.equal(rules.find((r) => r.ID === 'expire-scratch')?.Expiration?.Days, 30, 'the unrelated rule is kept as it was');
  assert.equal(rules.find((r) => r.ID === ruleId('lab'))?.AbortIncompleteMultipartUpload?.DaysAfterInitiation, 7, 'the abort rule is kept');
  const ours = rules.find((r) => r.ID === coldRuleId('lab/microscope/'));
  assert.equal(ours?.Status, 'Enabled');
  assert.equal(ours?.Filter?.And?.Prefix, 'lab/microscope/');
  assert.equal(ours?.Filter?.And?.ObjectSizeGreaterThan, RAW_MIN_BYTES, 'manifests (small) never match');
  assert.deepEqual(
    ours?.Transitions?.map((t) => [t.Days, t.StorageClass]),
    [[45, 'GLACIER_IR']],
  );

  // changing the class replaces our rule, it does not add a second one
  assert.equal((await config(['cold-storage', '--days', '60', '--class', 'GLACIER', '--apply', '--yes'], env)).code, 0);
  const changed = await rulesNow();
  assert.equal(changed.length, 3);
  assert.deepEqual(
    changed.find((r) => r.ID === coldRuleId('lab/microscope/'))?.Transitions?.map((t) => [t.Days, t.StorageClass]),
    [[60, 'GLACIER']],
  );

  await assert.rejects(config(['cold-storage', '--remove'], env), (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.usage);
  assert.equal((await rulesNow()).length, 3, 'nothing removed without consent');
  const removed = await config(['cold-storage', '--remove', '--yes'], env);
  assert.equal(removed.code, 0, removed.err);
  assert.match(removed.out, /cold storage: +absent/);
  assert.deepEqual((await rulesNow()).map((r) => r.ID).sort(), ['expire-scratch', ruleId('lab')].sort(), 'only our rule removed');
});

test('cold storage: removing the only rule deletes the configuration, and a local archive is refused', { skip }, async () => {
  const env = envFor('moto-only', moto.credentials);
  const bucket = 'lab-cold-only';
  const s3 = await motoBucket(moto, bucket);
  assert.equal((await config(['target', 's3', '--bucket', bucket, '--region', moto.region, '--prefix', '', '--endpoint', moto.endpoint], env)).code, 0);
  await assert.rejects(config(['cold-storage', '--apply', '--yes'], env), (e: unknown) => e instanceof CliError && /no watched folders/.test(e.message));
  assert.equal((await config(['set', 'watch.folders', `${join(home, 'a', 'scope1')},${join(home, 'b', 'scope2')}`], env)).code, 0);
  const applied = await config(['cold-storage', '--apply', '--yes'], env);
  assert.equal(applied.code, 0, applied.err);
  const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  assert.deepEqual(rules.map((r) => r.ID).sort(), [coldRuleId('scope1/'), coldRuleId('scope2/')]);
  assert.ok(
    rules.every((r) => r.Transitions?.[0]?.Days === 30 && r.Transitions?.[0]?.StorageClass === 'GLACIER_IR'),
    'defaults: 30 days, GLACIER_IR',
  );
  assert.equal((await config(['cold-storage', '--remove', '--yes'], env)).code, 0);
  await assert.rejects(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })), /NoSuchLifecycleConfiguration/);

  assert.equal((await config(['target', 'local', join(home, 'archive')], env)).code, 0);
  await assert.rejects(config(['cold-storage'], env), (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.config);
});

test('a store without lifecycle rules (versitygw: NotImplemented) reads as unknown, and nothing is added', { skip: skipVersitygw }, async () => {
  const gw = await startVersitygw();
  try {
    const env = envFor('vgw', gw.credentials);
    const bucket = await gw.createBucket();
    assert.equal((await config(['target', 's3', '--bucket', bucket, '--region', gw.region, '--prefix', 'lab', '--endpoint', gw.endpoint], env)).code, 0);
    assert.equal((await config(['set', 'watch.folders', join(home, 'rig', 'microscope')], env)).code, 0);
    const applied = await config(['cold-storage', '--apply', '--yes'], env);
    assert.equal(applied.code, 0, applied.err);
    assert.match(applied.out, /cold storage: +unknown: this S3 store does not offer lifecycle rules/);
    assert.doesNotMatch(applied.out, /present/);
  } finally {
    await gw.stop();
  }
});
