/**
 * The one RunInstances request every ScopeCloud launcher builds (manual launches from a preset and
 * analysis shards alike), so every instance is locked down the same way:
 *   - the root volume is encrypted (the account's default EBS key) and deleted on termination;
 *   - IMDSv2 only (session tokens required);
 *   - no key pair, and only the app's no-ingress security group: nothing can connect in;
 *   - user data that opens with the per-boot deadline (`LaunchUserData`, deadline.ts), and the
 *     instance-initiated shutdown behaviour that decides what the deadline does;
 *   - the scopecloud:deadline tag saying the deadline is re-armed at every boot.
 */
import type { RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import type { Ec2Api } from './describe.ts';
import { ComputeError } from '../aws/errors.ts';
import type { LaunchUserData } from './deadline.ts';
import { ensureNoIngressGroup, rootDeviceName } from './launch-support.ts';
import { DEADLINE_EVERY_BOOT, TAG, type ExpiryAction } from '../aws/ec2-instance.ts';

export interface LockedDownLaunch {
  imageId: string;
  instanceType: string;
  clientToken: string;
  /** Root volume, gp3, GB. */
  diskGb: number;
  userData: LaunchUserData;
  /** Instance-initiated shutdown behaviour, so also what the deadline does. */
  expiryAction: ExpiryAction;
  /** One-time Spot (it can only terminate). */
  spot: boolean;
  tags: Tag[];
  /** Tags for the root volume; `tags` when absent. */
  volumeTags?: Tag[];
  instanceProfileName?: string;
  subnetId?: string;
  /** IMDS hop limit: 2 lets containers on the instance reach it; default 1. */
  imdsHopLimit?: 1 | 2;
}

/** What the lockdown needs from the account: the image's root device and the no-ingress group. */
export interface LockdownResources {
  rootDevice: string;
  noIngressGroupId: string;
}

export async function lockdownResources(ec2: Ec2Api, imageId: string): Promise<LockdownResources> {
  const rootDevice = await rootDeviceName(ec2, imageId);
  return { rootDevice, noIngressGroupId: await ensureNoIngressGroup(ec2) };
}

export function lockedDownRunInstances(l: LockedDownLaunch, r: LockdownResources): RunInstancesCommandInput {
  if (l.spot && l.expiryAction !== 'terminate') {
    throw new ComputeError('INVALID_INPUT', 'a one-time Spot instance cannot stop at its deadline; it can only terminate');
  }
  if (!Number.isInteger(l.diskGb) || l.diskGb < 1) throw new ComputeError('INVALID_INPUT', `disk size must be a whole number of GB >= 1 (got ${l.diskGb})`);
  const deadlineTag = { Key: TAG.deadline, Value: DEADLINE_EVERY_BOOT };
  const tags = [...l.tags.filter((t) => t.Key !== TAG.deadline), deadlineTag];
  const volumeTags = l.volumeTags ? [...l.volumeTags.filter((t) => t.Key !== TAG.deadline), deadlineTag] : tags;
  return {
    ImageId: l.imageId,
    InstanceType: l.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    ClientToken: l.clientToken,
    SecurityGroupIds: [r.noIngressGroupId],
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: l.imdsHopLimit ?? 1 },
    InstanceInitiatedShutdownBehavior: l.expiryAction,
    ...(l.spot ? { InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } } } : {}),
    UserData: l.userData.base64,
    BlockDeviceMappings: [
      { DeviceName: r.rootDevice, Ebs: { VolumeSize: l.diskGb, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: true } },
    ],
    ...(l.instanceProfileName ? { IamInstanceProfile: { Name: l.instanceProfileName } } : {}),
    ...(l.subnetId ? { SubnetId: l.subnetId } : {}),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: volumeTags },
    ],
  };
}
