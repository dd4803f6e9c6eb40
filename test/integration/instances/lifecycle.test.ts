import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { useMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { awsClients, computeOn, fakeClock } from './fixture.ts';
import { ComputeError } from '../../../main/aws/errors.ts';
import { PriceMissingError, loadPriceTable } from '../../../main/cost/price-table.ts';
import { presetByName } from '../../../main/instances/presets.ts';
import { NO_INGRESS_GROUP } from '../../../main/instances/launch-support.ts';
import { TAG } from '../../../main/aws/ec2-instance.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());

describe('instance lifecycle against moto', { skip }, () => {
  let moto: MotoServer;
  useMoto((m) => {
    moto = m;
  });

  it('launches with IMDSv2, no SSH, tags, shutdown timer and behaviour, gp3 root disk', async () => {
    const clock = fakeClock();
    const { services } = computeOn(moto, { clock });
    const preset = presetByName('large-compute');
    const result = await services.instances.launch({ preset: 'large-compute', name: 'suite2p-run', purpose: 'segment fish 7', script: 'echo hello > /tmp/x' });
    assert.equal(result.reused, false);

    const ec2 = awsClients(moto).ec2;
    const raw = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [result.instance.id] }))).Reservations![0].Instances![0];
    assert.equal(raw.InstanceType, preset.instanceType);
    assert.equal(raw.MetadataOptions?.HttpTokens, 'required');
    assert.equal(raw.KeyName, undefined, 'no key pair');
    const tags = Object.fromEntries((raw.Tags ?? []).map((t) => [t.Key, t.Value]));
    assert.equal(tags.Name, 'suite2p-run');
    assert.equal(tags[TAG.owner], 'tester');
    assert.equal(tags[TAG.project], 'zebrafish');
    assert.equal(tags[TAG.purpose], 'segment fish 7');
    assert.equal(tags[TAG.maxRuntime], String(preset.maxRuntimeMinutes));
    assert.equal(tags[TAG.launchToken], result.clientToken);

    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: (raw.SecurityGroups ?? []).map((g) => g.GroupId!) }));
    assert.deepEqual(
      groups.SecurityGroups!.map((g) => g.GroupName),
      [NO_INGRESS_GROUP],
    );
    assert.deepEqual(groups.SecurityGroups![0].IpPermissions ?? [], [], 'no inbound rules at all, so no port 22');

    const ud = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: raw.InstanceId, Attribute: 'userData' }));
    const script = Buffer.from(ud.UserData!.Value!, 'base64').toString('utf8');
    assert.match(script, new RegExp(`^shutdown -h \\+${preset.maxRuntimeMinutes} `, 'm'));
    assert.ok(script.indexOf('shutdown -h') < script.indexOf('echo hello'), 'timer before the caller script');
    const sb = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: raw.InstanceId, Attribute: 'instanceInitiatedShutdownBehavior' }));
    assert.equal(sb.InstanceInitiatedShutdownBehavior?.Value, preset.expiryAction);

    const volumeId = raw.BlockDeviceMappings![0].Ebs!.VolumeId!;
    const vol = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes![0];
    assert.equal(vol.Size, preset.diskGb);
    assert.equal(vol.VolumeType, 'gp3');
    assert.equal(result.instance.volumes[0]?.sizeGb, preset.diskGb);
    assert.ok(result.instance.storageMonthly > 0);
  });

  it('a retried launch with the same client token returns the first instance', async () => {
    const { services } = computeOn(moto, { clock: fakeClock() });
    const first = await services.instances.launch({ preset: 'small-analysis', clientToken: 'run-42' });
    const again = await services.instances.launch({ preset: 'small-analysis', clientToken: 'run-42' });
    assert.equal(again.reused, true);
    assert.equal(again.instance.id, first.instance.id);
    const all = await services.instances.list();
    assert.equal(all.length, 1);
  });

  it('reuses the no-ingress group and strips inbound rules someone added', async () => {
    const { services } = computeOn(moto, { clock: fakeClock() });
    await services.instances.launch({ preset: 'small-analysis' });
    const ec2 = awsClients(moto).ec2;
    const { AuthorizeSecurityGroupIngressCommand } = await import('@aws-sdk/client-ec2');
    const group = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [NO_INGRESS_GROUP] }] }))).SecurityGroups![0];
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: group.GroupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    await services.instances.launch({ preset: 'small-analysis' });
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [NO_INGRESS_GROUP] }] }))).SecurityGroups!;
    assert.equal(groups.length, 1);
    assert.deepEqual(groups[0].IpPermissions ?? [], []);
  });

  it('accrued cost ticks with the clock at the price-table rate', async () => {
    // Start the injected clock a minute ahead: moto stamps LaunchTime with the real clock, and
    // uptime is clamped at zero for a launch that looks like it is in the future.
    const clock = fakeClock(Date.now() + 60_000);
    const { services } = computeOn(moto, { clock });
    const launched = await services.instances.launch({ preset: 'small-analysis' });
    const t0 = await services.instances.get(launched.instance.id);
    clock.advance(90 * 60_000);
    const t1 = await services.instances.get(launched.instance.id);
    const price = loadPriceTable().regions['us-east-1'].hourly['c7i.2xlarge'];
    assert.equal(t1.hourlyPrice, price);
    assert.ok(Math.abs(t1.uptimeMs - t0.uptimeMs - 90 * 60_000) < 1, 'uptime follows the injected clock');
    assert.ok(Math.abs(t1.accruedCost! - t0.accruedCost! - price * 1.5) < 1e-9);
  });

  it('stop, start, reboot, terminate with state checks and explanations', async () => {
    const { services } = computeOn(moto, { clock: fakeClock() });
    const { instance } = await services.instances.launch({ preset: 'small-analysis', name: 'box' });

    const explained = await services.instances.explain('stop', instance.id);
    assert.match(explained.explanation.cost, /still billed/);
    assert.equal(explained.explanation.confirmation, 'yes');

    const stopped = await services.instances.stop(instance.id);
    assert.equal(stopped.previousState, 'running');
    assert.ok(['stopping', 'stopped'].includes(stopped.currentState));
    await assert.rejects(services.instances.stop(instance.id), (e: ComputeError) => e.code === 'WRONG_STATE' && /stopp/.test(e.message));
    await assert.rejects(services.instances.reboot(instance.id), (e: ComputeError) => e.code === 'WRONG_STATE');

    const started = await services.instances.start(instance.id);
    assert.equal(started.previousState, 'stopped');
    await services.instances.reboot(instance.id);

    const t = await services.instances.explain('terminate', instance.id);
    assert.equal(t.explanation.confirmation, 'name');
    assert.match(t.explanation.lost.join(' '), /disk/);
    await assert.rejects(
      services.instances.terminate(instance.id, { confirm: 'yes' }),
      (e: ComputeError) => e.code === 'CONFIRMATION_REQUIRED' && e.message.includes(instance.id),
    );
    const gone = await services.instances.terminate(instance.id, { confirm: 'box' });
    assert.ok(['shutting-down', 'terminated'].includes(gone.currentState));
    assert.equal((await services.instances.list()).length, 0, 'terminated instances are not listed');
  });

  it('clear errors: unknown instance, malformed id, unknown preset, oversized user data, region without prices', async () => {
    const { services } = computeOn(moto, { clock: fakeClock() });
    await assert.rejects(services.instances.stop('i-0123456789abcdef0'), (e: ComputeError) => e.code === 'UNKNOWN_INSTANCE');
    await assert.rejects(services.instances.get('my-box'), (e: ComputeError) => e.code === 'UNKNOWN_INSTANCE' && /not an instance id/.test(e.message));
    await assert.rejects(
      services.instances.launch({ preset: 'huge' }),
      (e: ComputeError) => e.code === 'UNKNOWN_PRESET' && e.message.includes('small-analysis'),
    );
    await assert.rejects(
      services.instances.launch({ preset: 'small-analysis', script: 'x'.repeat(17_000) }),
      (e: ComputeError) => e.code === 'USER_DATA_TOO_LARGE' && /16384/.test(e.message),
    );
    assert.equal((await services.instances.list({ all: true })).length, 0, 'nothing launched by refused requests');

    const elsewhere = computeOn(moto, { clock: fakeClock(), region: 'ap-south-2' }).services;
    await assert.rejects(elsewhere.instances.launch({ preset: 'gpu' }), (e: Error) => e instanceof PriceMissingError && /ap-south-2/.test(e.message));
  });

  it('lists every instance with --all, only managed ones by default, across pages', async () => {
    const { services } = computeOn(moto, { clock: fakeClock() });
    await services.instances.launch({ preset: 'small-analysis' });
    const { RunInstancesCommand } = await import('@aws-sdk/client-ec2');
    const ec2 = awsClients(moto).ec2;
    await ec2.send(new RunInstancesCommand({ ImageId: 'ami-0ed094fb1304fd857', InstanceType: 't3.medium', MinCount: 205, MaxCount: 205 }));
    assert.equal((await services.instances.list()).length, 1);
    const all = await services.instances.list({ all: true });
    assert.equal(all.length, 206);
    assert.equal(all.filter((i) => i.managed).length, 1);
  });

  it('saves an image, lists it with its snapshot cost, deletes image and snapshots', async () => {
    const { services } = computeOn(moto, { clock: fakeClock() });
    const { instance } = await services.instances.launch({ preset: 'small-analysis' });
    const image = await services.images.createImage(instance.id, { name: 'suite2p env v1', owner: 'tester' });
    const images = await services.images.listImages();
    assert.deepEqual(
      images.map((i) => i.id),
      [image.id],
    );
    assert.ok(images[0].snapshotIds.length >= 1);
    const perGb = loadPriceTable().regions['us-east-1'].snapshotPerGbMonth;
    assert.equal(images[0].monthlyCost, images[0].sizeGb * perGb);
    const snaps = await services.images.listSnapshots();
    assert.deepEqual(snaps.map((s) => s.id).sort(), [...images[0].snapshotIds].sort(), 'only the app image snapshots, not moto defaults');
    assert.equal(snaps[0].imageId, image.id);

    const relaunched = await services.instances.launch({ preset: 'small-analysis', imageId: image.id });
    assert.equal(
      (await awsClients(moto).ec2.send(new DescribeInstancesCommand({ InstanceIds: [relaunched.instance.id] }))).Reservations![0].Instances![0].ImageId,
      image.id,
    );

    const del = await services.images.deleteImage(image.id);
    assert.deepEqual(del.deletedSnapshots.sort(), [...images[0].snapshotIds].sort());
    assert.equal((await services.images.listImages()).length, 0);
    await assert.rejects(services.images.deleteImage(image.id), (e: ComputeError) => e.code === 'UNKNOWN_IMAGE');
  });
});
