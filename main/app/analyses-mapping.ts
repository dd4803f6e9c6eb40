/**
 * Jobs (main/jobs) as the Analyses view's cards. Pure.
 *
 * Steps: the worker's pipeline steps the user recognises, each 0-100 %, averaged over the job's
 * shards; a step before the shard's current one counts as complete.
 */
import type { Analysis, AnalysisStatus } from '../../preload/api.ts';
import { isTerminal, type JobState, type JobView, type ShardView } from '../jobs/job-types.ts';
import { PIPELINE_STEPS } from '../results/worker-contract.ts';

/** The steps the Analyses view shows, one bar each: the worker's pipeline steps. */
export const SHOWN_STEPS = PIPELINE_STEPS;

export function analysisStatus(state: JobState): AnalysisStatus {
  switch (state) {
    case 'queued':
      return 'queued';
    case 'done':
      return 'done';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'running';
  }
}

/**
 * The sidebar's counts: `running` are queued or running analyses (compute billed or about to be),
 * `restoring` those waiting for S3 to restore their inputs (nothing launched yet).
 */
export function analysisCounts(list: readonly Pick<Analysis, 'status' | 'stage'>[]): { running: number; restoring: number } {
  let running = 0;
  let restoring = 0;
  for (const a of list) {
    if (a.status !== 'running' && a.status !== 'queued') continue;
    if (a.stage === 'restoring') restoring++;
    else running++;
  }
  return { running, restoring };
}

/** Fraction (0-1) of pipeline step `step` a shard has done. */
export function stepFraction(shard: ShardView, step: string): number {
  if (shard.state === 'done' || shard.state === 'uploading' || shard.state === 'merging') return 1;
  const p = shard.progress;
  if (!p) return 0;
  const order = PIPELINE_STEPS as readonly string[];
  const current = order.indexOf(p.step);
  const wanted = order.indexOf(step);
  if (current < 0 || wanted < 0) return p.step === step && p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  if (wanted < current) return 1;
  if (wanted > current) return 0;
  return p.total > 0 ? Math.min(1, p.done / p.total) : 0;
}

export function toAnalysis(v: JobView, demo = false): Analysis {
  const status = analysisStatus(v.state);
  const steps = SHOWN_STEPS.map((name) => {
    const done =
      status === 'done'
        ? 100
        : v.shards.length === 0
          ? 0
          : Math.round((v.shards.reduce((s, sh) => s + stepFraction(sh, name), 0) / v.shards.length) * 1000) / 10;
    return { name, done, total: 100 };
  });
  const terminal = isTerminal(v.state);
  return {
    id: v.id,
    name: v.name,
    source: v.sources.join(', ').slice(0, 4096),
    where: v.where,
    status,
    steps,
    startedAt: v.createdAt,
    finishedAt: terminal ? Math.max(v.updatedAt, v.createdAt) : null,
    error: status === 'failed' ? failureText(v.failure) : null,
    stage: isTerminal(v.state) ? null : v.state,
    ...(v.restore ? { restore: { tier: v.restore.tier, waiting: v.restore.waiting, since: v.restore.askedAt, objects: v.restore.objects } } : {}),
    demo,
  };
}

/** A failure as the card words it: input the worker refused is named as such, once. */
function failureText(f: JobView['failure']): string {
  if (!f) return 'the analysis failed';
  return f.code === 'input-error' ? `Input error: ${f.message}` : f.message;
}
