/**
 * Every instance ScopeCloud starts is locked down the same way, whichever launcher started it: a
 * manual launch from a preset (instance service) and an analysis shard (EC2 job runner) are read
 * back from moto and must show the same lockdown.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { ensureJobInstanceProfile } from '../../../main/iam/instance-profile.ts';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { writeFakeWorker } from '../../support/fake-worker.ts';
import { requires } from '../../support/requirements.ts';
import { computeOn, fakeClock } from './fixture.ts';
import { s3ObjectStore } from '../../../main/jobs/object-store.ts';
import { createJobService } from '../../../main/jobs/job-service.ts';
import { createEc2JobRunner } from '../../../main/jobs/ec2-runner.ts';
import { describeWorker } from '../../../main/jobs/worker-binary.ts';
import { NO_INGRESS_GROUP } from '../../../main/instances/launch-support.ts';
import { PER_BOOT_SCRIPT } from '../../../main/instances/deadline.ts';
import { DEADLINE_EVERY_BOOT, TAG } from '../../../main/aws/ec2-instance.ts';

const skip = requires(motoMissing(), versitygwMissing());

let moto: MotoServer;
let vgw: Versitygw;
let ec2: EC2Client;
let root: string;

before(async () => {
  if (skip) return;
  [moto, vgw] = await Promise.all([startMoto(), startVersitygw()]);
  ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
  root = await mkdtemp(join(tmpdir(), 'sc-lockdown-'));
});

after(async () => {
  if (skip) return;
  ec2?.destroy();
  await Promise.all([moto?.stop(), vgw?.stop()]);
  if (root) await rm(root, { recursive: true, force: true });
});

/** What moto says about an instance's lockdown; equal for every launcher. */
async function lockdownOf(id: string) {
  const raw = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
  const volumeIds = (raw.BlockDeviceMappings ?? []).map((b) => b.Ebs!.VolumeId!);
  const volumes = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: volumeIds }))).Volumes ?? [];
  const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: (raw.SecurityGroups ?? []).map((g) => g.GroupId!) }))).SecurityGroups ?? [];
  const ud = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }));
  const script = Buffer.from(ud.UserData?.Value ?? '', 'base64').toString('utf8');
  const deadline = /^shutdown -h \+(\d+) /m.exec(script);
  return {
    volumes: volumes.map((v) => ({ encrypted: v.Encrypted })),
    deleteOnTermination: (raw.BlockDeviceMappings ?? []).map((b) => b.Ebs?.DeleteOnTermination),
    httpTokens: raw.MetadataOptions?.HttpTokens,
    keyName: raw.KeyName ?? null,
    groups: groups.map((g) => ({ name: g.GroupName, ingress: g.IpPermissions ?? [] })),
    deadlineArmed: script
      .split('\n')
      .slice(0, 4)
      .some((l) => /^shutdown -h \+\d+ /.test(l)),
    perBootDeadline: script.includes(`/${PER_BOOT_SCRIPT}`) && script.includes('/var/lib/cloud/scripts/per-boot') && deadline !== null,
    deadlineTag: raw.Tags?.find((t) => t.Key === TAG.deadline)?.Value,
  };
}

test('a manual launch and an analysis shard are locked down the same way', { skip }, async () => {
  const { services } = computeOn(moto, { clock: fakeClock() });
  const manual = await services.instances.launch({ preset: 'small-analysis', maxRuntimeMinutes: 60 });

  const bucket = await vgw.createBucket();
  const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.credentials });
  await ensureJobInstanceProfile(iam, { bucket, prefix: 'lab', consent: true });
  iam.destroy();
  const store = s3ObjectStore(vgw.client(), bucket, 'lab');
  await store.put('sessions/s1/movie.tif', 'not read: the instance never boots here');
  const workerPath = await writeFakeWorker(join(root, 'worker'), 'hang');
  const worker = () => describeWorker(workerPath);
  const jobs = createJobService({
    store,
    workDir: join(root, 'work'),
    owner: 'tester',
    worker,
    ec2: createEc2JobRunner({ ec2, store, region: moto.region, worker, owner: 'tester' }),
  });
  const imageId = (await ec2.send(new DescribeImagesCommand({}))).Images![0].ImageId!;
  const m = await jobs.submit({
    sources: ['sessions/s1'],
    shards: [{ label: 'sessions/s1', input: { kind: 'store', keys: ['sessions/s1/movie.tif'] }, args: [] }],
    params: { k: 2 },
    placement: { kind: 'ec2', instanceType: 't3.micro', spot: false, instanceProfile: 'scopecloud-analysis', imageId, maxAttempts: 1 },
    maxRuntimeSeconds: 600,
  });
  const v = await jobs.reconcile(m.id);
  const shardInstance = v.shards[0].instanceId;
  assert.ok(shardInstance, `the shard was launched: ${v.failure?.message ?? v.shards[0].failure?.message ?? v.state}`);

  const a = await lockdownOf(manual.instance.id);
  const b = await lockdownOf(shardInstance);
  for (const [who, l] of [
    ['manual launch', a],
    ['analysis shard', b],
  ] as const) {
    assert.ok(l.volumes.length > 0 && l.volumes.every((x) => x.encrypted === true), `${who}: every volume encrypted (${JSON.stringify(l.volumes)})`);
    assert.ok(l.deleteOnTermination.length > 0 && l.deleteOnTermination.every((x) => x === true), `${who}: volumes deleted on termination`);
    assert.equal(l.httpTokens, 'required', `${who}: IMDSv2 only`);
    assert.equal(l.keyName, null, `${who}: no key pair`);
    assert.deepEqual(l.groups, [{ name: NO_INGRESS_GROUP, ingress: [] }], `${who}: only the no-ingress group`);
    assert.ok(l.deadlineArmed, `${who}: the user data opens with the deadline`);
    assert.ok(l.perBootDeadline, `${who}: the deadline is installed for every boot`);
    assert.equal(l.deadlineTag, DEADLINE_EVERY_BOOT, `${who}: tagged as re-arming at every boot`);
  }
  const { deadlineArmed: _a, ...sameA } = a;
  const { deadlineArmed: _b, ...sameB } = b;
  assert.deepEqual(sameA, sameB);
  await jobs.cancel(m.id);
});
