/**
 * Archived results: an analysis's results whose files a lifecycle rule moved to GLACIER or
 * DEEP_ARCHIVE, restored on the user's word. `offer` HEADs the results' files and prices each
 * tier with the app's price table (analysis-restore.ts, jobs/restore-plan.ts); `restore` asks S3
 * with the tier chosen, the copies kept for settings `restore.days`, and hands the request to the
 * restore watcher, which notifies once the files are readable; while it waits, `offer` answers
 * from the watcher without asking S3.
 *
 * Contract: nothing is asked of S3 without `consent: true` (CONSENT_REQUIRED) and a tier the
 * offer lists (INVALID_INPUT); results in a local archive or the demo's never need a restore.
 */
import type { ResultsRestore } from '../../preload/api.ts';
import type { Settings } from '../config/schema.ts';
import { s3ColdInputs } from '../jobs/job-restore.ts';
import { isJobId, jobKeys } from '../jobs/job-layout.ts';
import type { RestoreWatcher } from '../jobs/restore-watcher.ts';
import type { RestoreTier } from '../jobs/restore-plan.ts';
import { AppError } from './app-errors.ts';
import { chosenTier, pricedPlan } from './analysis-restore.ts';
import type { AwsContext } from './aws-context.ts';
import type { JobsContext } from './jobs-context.ts';

export interface ResultsRestoreApi {
  offer(id: string): Promise<ResultsRestore>;
  restore(req: { id: string; tier: RestoreTier; consent: boolean }): Promise<ResultsRestore>;
}

/** S3's refusal to read an object in a cold class (InvalidObjectState), anywhere in `e`'s causes. */
function isArchivedRead(e: unknown): boolean {
  for (let c = e as { name?: string; Code?: string; cause?: unknown } | undefined, n = 0; c && n < 5; c = c.cause as typeof c, n++)
    if (c.name === 'InvalidObjectState' || c.Code === 'InvalidObjectState') return true;
  return false;
}

/** `read` of an analysis's results, its cold-storage refusal as RESULTS_ARCHIVED (the view then offers the restore). */
export async function archivedAsRefusal<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (e) {
    if (isArchivedRead(e)) throw new AppError('RESULTS_ARCHIVED', 'These results are in cold storage: restore them to open them.');
    throw e;
  }
}

/** The watch id of an analysis's results restore. */
export const resultsRestoreId = (id: string) => `results:${id}`;

export function createResultsRestoreApi(d: {
  settings: () => Settings;
  aws: (s: Settings) => AwsContext | null;
  holding: (id: string) => Promise<JobsContext>;
  watcher: Pick<RestoreWatcher, 'add' | 'pending'>;
  now: () => number;
}): ResultsRestoreApi {
  const watched = (id: string) => d.watcher.pending().find((r) => r.id === resultsRestoreId(id));
  const pendingOf = (id: string): ResultsRestore['pending'] => {
    const p = watched(id);
    return p ? { tier: p.tier, waiting: p.waiting, since: p.askedAt, days: p.days } : null;
  };

  async function inspect(id: string) {
    if (!isJobId(id)) throw new AppError('INVALID_INPUT', `no analysis ${id}`, 'id');
    const settings = d.settings();
    const days = settings.restore.days;
    const ctx = await d.holding(id);
    const aws = d.aws(settings);
    if (ctx.demo || !aws || settings.target.kind !== 's3') return null;
    const keys = await ctx.store.list(jobKeys(id).results);
    if (keys.length === 0) throw new AppError('NO_RESULTS', `analysis ${id} has no results in the destination`);
    const cold = s3ColdInputs(aws.clients.s3, settings.target.bucket, settings.target.prefix);
    return { ctx, cold, days, ...pricedPlan(aws, await cold.inspect(keys), d.now(), days) };
  }

  return {
    async offer(id) {
      // while the watcher waits for it, the answer is the watcher's: no request (the view asks often)
      const p = watched(id);
      if (p) return { offer: { objects: 0, bytes: 0, ongoing: p.keys.length, tiers: [], restoredCopyUsd: null, days: p.days }, pending: pendingOf(id) };
      const got = await inspect(id);
      if (!got) return { offer: { objects: 0, bytes: 0, ongoing: 0, tiers: [], restoredCopyUsd: null, days: d.settings().restore.days }, pending: null };
      return { offer: got.offer, pending: pendingOf(id) };
    },

    async restore(req) {
      if (req.consent !== true) throw new AppError('CONSENT_REQUIRED', 'Restoring results from cold storage is billed: it needs your consent.', 'consent');
      const got = await inspect(req.id);
      if (!got || got.plan.toRestore.length + got.plan.ongoing.length === 0)
        throw new AppError('INVALID_INPUT', 'these results are readable: nothing to restore', 'id');
      const { plan, offer } = got;
      const tier = plan.toRestore.length > 0 ? chosenTier(offer, req.tier) : req.tier;
      const at = d.now();
      if (plan.toRestore.length > 0) {
        try {
          await got.cold.request(plan.toRestore, { tier, days: got.days, consent: true });
        } catch (e) {
          throw new AppError('AWS_ERROR', (e as Error).message.split('\n')[0]);
        }
      }
      const name = await got.ctx.jobs.show(req.id).then(
        (v) => v.name,
        () => req.id,
      );
      d.watcher.add({
        id: resultsRestoreId(req.id),
        label: `results of ${name}`,
        keys: [...plan.toRestore, ...plan.ongoing].map((o) => o.key),
        tier,
        waiting: offer.tiers.find((t) => t.tier === tier)?.waiting ?? 'asked earlier, underway',
        askedAt: at,
        days: got.days,
      });
      return { offer: { ...offer, objects: 0, bytes: 0, ongoing: plan.toRestore.length + plan.ongoing.length, tiers: [] }, pending: pendingOf(req.id) };
    },
  };
}
