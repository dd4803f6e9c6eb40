/**
 * The one EC2 launch path: manual launches from a preset, analysis shards and their relaunches
 * all go through `launchLockedDown`, which builds the same RunInstances request and sends it the
 * same way (retried with the same client token on throttling or a transient failure, so a retry
 * can never start a second instance). Every instance is locked down the same way:
 *   - the root volume is encrypted (the account's default EBS key) and deleted on termination;
 *   - IMDSv2 only (session tokens required);
 *   - no key pair, and only the app's no-ingress security group: nothing can connect in;
 *   - user data that opens with the per-boot deadline (`LaunchUserData`, deadline.ts), and the
 *     instance-initiated shutdown behaviour that decides what the deadline does;
 *   - the scopecloud:deadline tag saying the deadline is re-armed at every boot.
 */
import { RunInstancesCommand, type RunInstancesCommandInput, type Tag } from '@aws-sdk/client-ec2';
import type { Ec2Api } from './describe.ts';
import { ComputeError, fromAwsError } from '../aws/errors.ts';
import { awsFailure } from '../common/aws-errors.ts';
import { sleep, systemTimers } from '../common/time.ts';
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
    ...(l.spot
      ? { InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } } }
      : {}),
    UserData: l.userData.base64,
    BlockDeviceMappings: [{ DeviceName: r.rootDevice, Ebs: { VolumeSize: l.diskGb, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: true } }],
    ...(l.instanceProfileName ? { IamInstanceProfile: { Name: l.instanceProfileName } } : {}),
    ...(l.subnetId ? { SubnetId: l.subnetId } : {}),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: volumeTags },
    ],
  };
}

export interface LaunchRetry {
  /** Sends at most this many RunInstances requests (default 3). */
  attempts?: number;
  /** Waits before a retry (default: real time, 500 ms then 1 s...). */
  pause?: (ms: number) => Promise<void>;
  /**
   * Before a retry: the instance an earlier request may have started after all (found by its
   * client token), so a lost answer is not launched twice where EC2 does not honour the token.
   */
  launched?: () => Promise<string | null>;
}

/**
 * Launches one locked-down instance and returns its id. `subject` names the launch in errors
 * ("launch small-analysis (c7i.xlarge)"). Throws ComputeError (fromAwsError's codes).
 */
export async function launchLockedDown(ec2: Ec2Api, l: LockedDownLaunch, subject: string, retry: LaunchRetry = {}): Promise<string> {
  const command = new RunInstancesCommand(lockedDownRunInstances(l, await lockdownResources(ec2, l.imageId)));
  const attempts = Math.max(1, retry.attempts ?? 3);
  const pause = retry.pause ?? ((ms: number) => sleep(systemTimers, ms));
  let lastError: ComputeError | null = null;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (attempt > 0) {
      await pause(250 * 2 ** attempt);
      const earlier = await retry.launched?.();
      if (earlier) return earlier;
    }
    try {
      const out = await ec2.send(command);
      const id = out.Instances?.[0]?.InstanceId;
      if (!id) throw new ComputeError('AWS_ERROR', `${subject}: RunInstances returned no instance`);
      return id;
    } catch (e) {
      const err = fromAwsError(e, subject);
      lastError = err;
      if (err.code !== 'THROTTLED' && !isTransient(e)) throw err;
    }
  }
  throw lastError!;
}

/** A failure worth the same request again: a 5xx, a broken connection, a timeout. */
function isTransient(e: unknown): boolean {
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  return awsFailure(e) === 'network' || (e as { name?: string }).name === 'InternalError';
}
