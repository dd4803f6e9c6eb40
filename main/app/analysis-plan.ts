/**
 * Plans an analysis launch, the one path for the app's Analyses view and `scopecloud analyze`:
 * where it runs, the EC2 placement (instance profile with the user's consent, the current
 * Amazon Linux image, launch attempts) and the budget check, which counts every attempt an
 * instance may be relaunched for, since a lost instance has billed before it is replaced. Inputs in
 * a cold class need a chosen restore tier first (app/analysis-restore.ts); local analyses never do.
 */
import type { Settings } from '../config/schema.ts';
import type { Placement, ShardSpec, WorkerParams } from '../jobs/job-types.ts';
import type { SubmitRequest } from '../jobs/job-service-contract.ts';
import { checkJobBudget } from '../jobs/job-budget.ts';
import { latestAl2023Ami } from '../instances/launch-support.ts';
import { DEFAULT_PROFILE_NAME, IamSetupError, ensureJobInstanceProfile } from '../iam/instance-profile.ts';
import { AppError, notConfigured } from './app-errors.ts';
import type { AwsContext } from './aws-context.ts';
import type { RestoreTier } from '../jobs/restore-plan.ts';
import { chosenTier, restoreOffer } from './analysis-restore.ts';

/** Launch attempts per EC2 shard: the first launch and one relaunch after a lost instance. */
export const DEFAULT_LAUNCH_ATTEMPTS = 2;

export interface AnalysisPlanRequest {
  name: string;
  /** What the user named, kept in the job record. */
  sources: string[];
  shards: Array<Omit<ShardSpec, 'index'>>;
  params: WorkerParams;
  /** The job stops after this long; on EC2 also the most each instance can bill. */
  maxRuntimeSeconds: number;
  ec2?: {
    instanceType: string;
    spot?: boolean;
    /** Default scopecloud-analysis. */
    instanceProfile?: string;
    /** The user agreed to create (or refresh) that profile. */
    consentToCreateProfile: boolean;
    /** Default DEFAULT_LAUNCH_ATTEMPTS. */
    attempts?: number;
    /** Go past the budget guard, recorded with the owner's name. */
    overrideReason?: string;
    /** Inputs in a cold class: the retrieval tier the user chose and agreed to pay for. */
    restoreTier?: RestoreTier;
  };
}

export interface AnalysisPlanDeps {
  settings: Settings;
  /** The AWS context of an S3 destination; null in local-archive mode. */
  aws: AwsContext | null;
}

/**
 * The job to submit. Throws AppError NOT_CONFIGURED (EC2 without an S3 destination),
 * CONSENT_REQUIRED (field `restoreTier`: inputs in a cold class and no tier chosen, the message
 * listing each tier's cost and wait; otherwise the instance profile is missing and the user has
 * not agreed), INVALID_INPUT, and the budget guard's BudgetError / PriceMissingError.
 */
export async function planAnalysis(d: AnalysisPlanDeps, r: AnalysisPlanRequest): Promise<SubmitRequest> {
  let placement: Placement = { kind: 'local' };
  let restore: SubmitRequest['restore'];
  if (r.ec2) {
    const target = d.settings.target;
    if (target.kind !== 's3' || !d.aws) throw notConfigured('analyses on EC2');
    const offer = await restoreOffer(
      d.aws,
      target,
      r.shards.flatMap((s) => (s.input.kind === 'store' ? s.input.keys : [])),
      Date.now(),
      d.settings.restore.days,
    );
    if (offer.objects > 0) restore = { tier: chosenTier(offer, r.ec2.restoreTier), consent: true, days: offer.days };
    const attempts = r.ec2.attempts ?? DEFAULT_LAUNCH_ATTEMPTS;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 5)
      throw new AppError('INVALID_INPUT', `launch attempts must be 1 to 5 (got ${attempts})`, 'attempts');
    const override = r.ec2.overrideReason?.trim();
    if (r.ec2.overrideReason !== undefined && !override) throw new AppError('INVALID_INPUT', 'a budget override needs a reason', 'overrideBudget');
    await checkJobBudget(d.aws.compute, {
      name: r.name,
      instanceType: r.ec2.instanceType,
      instances: r.shards.length * attempts,
      hours: r.maxRuntimeSeconds / 3600,
      ...(override ? { override: { reason: override, by: d.aws.owner } } : {}),
    });
    const profileName = r.ec2.instanceProfile ?? DEFAULT_PROFILE_NAME;
    const profile = await ensureJobInstanceProfile(d.aws.clients.iam, {
      bucket: target.bucket,
      prefix: target.prefix,
      name: profileName,
      consent: r.ec2.consentToCreateProfile,
    }).catch((e: unknown) => {
      if (e instanceof IamSetupError && e.code === 'CONSENT_REQUIRED') throw consentRequired(target.bucket, target.prefix, profileName);
      throw e;
    });
    placement = {
      kind: 'ec2',
      instanceType: r.ec2.instanceType,
      spot: r.ec2.spot ?? false,
      instanceProfile: profile.name,
      imageId: await latestAl2023Ami(d.aws.clients.ssm),
      maxAttempts: attempts,
    };
  }
  return {
    name: r.name,
    sources: r.sources,
    shards: r.shards,
    params: r.params,
    placement,
    maxRuntimeSeconds: r.maxRuntimeSeconds,
    ...(restore ? { restore } : {}),
  };
}

/** The refusal the UI answers with a consent dialog (it names what would be created). */
export function consentRequired(bucket: string, prefix: string, profile = DEFAULT_PROFILE_NAME): AppError {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  const base = `s3://${bucket}/${p ? p + '/' : ''}`;
  return new AppError(
    'CONSENT_REQUIRED',
    `EC2 analyses need the IAM instance profile ${profile}, which does not exist yet: agree to create it (a role that may only read ${base}* and write ${base}jobs/*)`,
  );
}
