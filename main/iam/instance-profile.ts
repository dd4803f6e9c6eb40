/**
 * The instance profile analysis instances run with: created on first use after the user agreed
 * (`ensureJobInstanceProfile`), or one the settings name (`checkInstanceProfile`). Creating is
 * idempotent: an existing role gets its inline policy replaced by the current least-privilege one.
 */
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  PutRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { EC2_TRUST_POLICY, jobRolePolicy } from './job-role-policy.ts';

export type IamApi = Pick<IAMClient, 'send'>;

export const DEFAULT_PROFILE_NAME = 'scopecloud-analysis';
export const INLINE_POLICY_NAME = 'scopecloud-job-bucket-access';

export class IamSetupError extends Error {
  readonly code: 'PROFILE_NOT_FOUND' | 'CONSENT_REQUIRED' | 'IAM_ERROR';
  constructor(code: IamSetupError['code'], message: string) {
    super(message);
    this.name = 'IamSetupError';
    this.code = code;
  }
}

const isNoSuch = (e: unknown) => (e as { name?: string }).name === 'NoSuchEntity' || (e as { name?: string }).name === 'NoSuchEntityException';

export interface ProfileRequest {
  bucket: string;
  prefix: string;
  /** Profile and role name (default scopecloud-analysis). */
  name?: string;
  /** The user agreed to create IAM resources; without it a missing profile is an error. */
  consent: boolean;
}

export interface ProfileResult {
  name: string;
  roleName: string;
  created: boolean;
}

export async function checkInstanceProfile(iam: IamApi, name: string): Promise<boolean> {
  try {
    const res = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
    return (res.InstanceProfile?.Roles?.length ?? 0) > 0;
  } catch (e) {
    if (isNoSuch(e)) return false;
    throw new IamSetupError('IAM_ERROR', `could not read instance profile ${name}: ${(e as Error).message.split('\n')[0]}`);
  }
}

export async function ensureJobInstanceProfile(iam: IamApi, r: ProfileRequest): Promise<ProfileResult> {
  const name = r.name ?? DEFAULT_PROFILE_NAME;
  const policy = JSON.stringify(jobRolePolicy(r.bucket, r.prefix));
  if (await checkInstanceProfile(iam, name)) {
    // Existing profile of ours: keep its policy current (same bucket/prefix limits as now configured).
    const res = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
    const roleName = res.InstanceProfile!.Roles![0].RoleName!;
    if (r.consent) await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: INLINE_POLICY_NAME, PolicyDocument: policy }));
    return { name, roleName, created: false };
  }
  if (!r.consent) {
    throw new IamSetupError('CONSENT_REQUIRED', `instance profile ${name} does not exist; agree to create it (--create-profile) or name an existing one`);
  }
  try {
    try {
      await iam.send(new GetRoleCommand({ RoleName: name }));
    } catch (e) {
      if (!isNoSuch(e)) throw e;
      await iam.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify(EC2_TRUST_POLICY),
          Description: 'ScopeCloud analysis instances: read the app prefix, write job objects; nothing else',
          Tags: [{ Key: 'scopecloud:app', Value: 'scopecloud' }],
        }),
      );
    }
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: INLINE_POLICY_NAME, PolicyDocument: policy }));
    try {
      await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: [{ Key: 'scopecloud:app', Value: 'scopecloud' }] }));
    } catch (e) {
      if ((e as { name?: string }).name !== 'EntityAlreadyExists' && (e as { name?: string }).name !== 'EntityAlreadyExistsException') throw e;
    }
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
  } catch (e) {
    throw new IamSetupError('IAM_ERROR', `creating instance profile ${name} failed: ${(e as Error).message.split('\n')[0]}`);
  }
  return { name, roleName: name, created: true };
}
