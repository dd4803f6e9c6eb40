/**
 * What launching an EC2 analysis costs and waits for when its inputs are in a cold class
 * (GLACIER, DEEP_ARCHIVE; GLACIER_IR reads at once): the offer shown before launch, and the
 * refusal that asks for a chosen, consented tier. Reads only (HeadObject); the restore itself is
 * asked by the job service at submission (jobs/job-service.ts).
 */
import { s3ColdInputs } from '../jobs/job-restore.ts';
import { RESTORE_DAYS, restorePlan, type ObjectColdState, type RestorePlan, type RestoreTier, type TierEstimate } from '../jobs/restore-plan.ts';
import { s3PerGbMonthOrNull } from '../cost/price-table.ts';
import { AppError } from './app-errors.ts';
import type { AwsContext } from './aws-context.ts';

export interface RestoreOffer {
  /** Objects in a cold class with no restore underway: restoring them is billed. */
  objects: number;
  bytes: number;
  /** Objects whose restore is already underway (asked earlier). */
  ongoing: number;
  /** Every tier offered for these objects, cheapest first. */
  tiers: TierEstimate[];
  /** The restored copies kept as STANDARD for `days`; null when the price is not known. */
  restoredCopyUsd: number | null;
  days: number;
}

/** HEADs the store keys (relative to the S3 target's prefix) and prices their restore. */
export async function restoreOffer(
  aws: AwsContext,
  target: { bucket: string; prefix: string },
  keys: readonly string[],
  now: number = Date.now(),
  days: number = RESTORE_DAYS,
): Promise<RestoreOffer> {
  const objects = await s3ColdInputs(aws.clients.s3, target.bucket, target.prefix).inspect([...new Set(keys)]);
  return pricedPlan(aws, objects, now, days).offer;
}

/** The restore plan of objects already HEADed, priced with the app's price table (the restored copies as STANDARD). */
export function pricedPlan(aws: AwsContext, objects: readonly ObjectColdState[], now: number, days: number): { plan: RestorePlan; offer: RestoreOffer } {
  const standard = s3PerGbMonthOrNull(aws.compute.prices, aws.compute.region, 'STANDARD');
  const plan = restorePlan(objects, standard, now, days);
  return {
    plan,
    offer: {
      objects: plan.toRestore.length,
      bytes: plan.bytesToRestore,
      ongoing: plan.ongoing.length,
      tiers: plan.tiers,
      restoredCopyUsd: standard === null ? null : plan.restoredCopyUsd,
      days,
    },
  };
}

/** The tier words the CLI and the refusal use: `Bulk $0.01 (5-12 hours)`. */
export function tierLine(t: TierEstimate): string {
  return `${t.tier} $${t.usd.toFixed(2)} (${t.waiting})`;
}

/**
 * The refusal a launch gets while no tier is chosen: CONSENT_REQUIRED on field `restoreTier`, its
 * message naming the objects, bytes and every tier's cost and wait.
 */
export function restoreConsentRequired(offer: RestoreOffer): AppError {
  const gb = offer.bytes / 1e9;
  return new AppError(
    'CONSENT_REQUIRED',
    `${offer.objects} input file${offer.objects === 1 ? ' is' : 's are'} in cold storage (${gb < 1 ? `${(offer.bytes / 1e6).toFixed(1)} MB` : `${gb.toFixed(2)} GB`}): ` +
      `S3 must restore them before the analysis can start, billed and taking time. Choose a restore tier: ${offer.tiers.map(tierLine).join(', ')}` +
      `; the restored copies are kept ${offer.days} days${offer.restoredCopyUsd !== null ? ` (about $${offer.restoredCopyUsd.toFixed(2)} more)` : ''}.`,
    'restoreTier',
  );
}

/** The tier to submit with: the one chosen (it must be offered), or a refusal asking for one. */
export function chosenTier(offer: RestoreOffer, tier: RestoreTier | undefined): RestoreTier {
  if (!tier) throw restoreConsentRequired(offer);
  if (!offer.tiers.some((t) => t.tier === tier))
    throw new AppError(
      'INVALID_INPUT',
      `the ${tier} restore tier is not offered for these inputs (choose ${offer.tiers.map((t) => t.tier).join(' or ')})`,
      'restoreTier',
    );
  return tier;
}
