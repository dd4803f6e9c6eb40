/**
 * Pure derivation of what a job looks like now, from the objects in the store. Whoever reads the
 * store (this workstation, another one, the app after a restart) computes the same view.
 */
import {
  isTerminal,
  type Heartbeat,
  type JobManifest,
  type JobState,
  type JobStatusDoc,
  type JobView,
  type ShardStatusDoc,
  type ShardView,
} from './job-types.ts';
import { progressPercent } from './worker-progress.ts';

/** Order of the stages a shard goes through; a job is as far as its least advanced unfinished shard. */
const STAGE: Record<JobState, number> = {
  restoring: -1,
  queued: 0,
  provisioning: 1,
  booting: 2,
  downloading: 3,
  running: 4,
  uploading: 5,
  merging: 6,
  done: 7,
  failed: 8,
  cancelled: 9,
};

export interface ShardSnapshot {
  status: ShardStatusDoc | null;
  heartbeat: Heartbeat | null;
  instanceId?: string;
}

export interface JobSnapshot {
  manifest: JobManifest;
  status: JobStatusDoc | null;
  cancelRequested: boolean;
  shards: ShardSnapshot[];
}

export function shardPercent(s: ShardStatusDoc | null): number | null {
  if (!s) return null;
  if (s.state === 'done' || s.state === 'uploading') return 100;
  if (s.state === 'running' && s.progress) return progressPercent(s.progress);
  if (STAGE[s.state] < STAGE.running) return 0;
  return null;
}

export function deriveView(snap: JobSnapshot, now: number): JobView {
  const m = snap.manifest;
  const shards: ShardView[] = m.shards.map((spec, i) => {
    const s = snap.shards[i] ?? { status: null, heartbeat: null };
    const st = s.status;
    return {
      index: spec.index,
      label: spec.label,
      state: st?.state ?? 'queued',
      attempt: st?.attempt ?? 0,
      progress: st?.progress,
      percent: shardPercent(st),
      failure: st?.failure,
      instanceId: st?.instanceId ?? s.instanceId,
      heartbeatAgeSeconds: s.heartbeat ? Math.max(0, Math.round((now - s.heartbeat.at) / 1000)) : null,
    };
  });
  const jobDoc = snap.status;
  let state: JobState;
  if (jobDoc && (isTerminal(jobDoc.state) || jobDoc.state === 'merging')) state = jobDoc.state;
  else if (shards.every((s) => s.state === 'queued')) state = jobDoc?.state ?? 'queued';
  else {
    const open = shards.filter((s) => !isTerminal(s.state));
    if (open.length === 0) state = shards.some((s) => s.state === 'failed') ? 'failed' : shards.every((s) => s.state === 'done') ? 'done' : 'cancelled';
    else state = open.reduce((a, s) => (STAGE[s.state] < STAGE[a] ? s.state : a), open[0].state);
    // A shard still queued while others run: the job is provisioning the rest.
    if (state === 'queued') state = 'provisioning';
  }
  const running = shards.filter((s) => s.state === 'running' && s.progress);
  const steps = new Set(running.map((s) => s.progress!.step));
  const percents = shards.map((s) => (s.state === 'done' ? 100 : (s.percent ?? 0)));
  const percent =
    state === 'done' ? 100 : isTerminal(state) ? null : Math.round((percents.reduce((a, b) => a + b, 0) / Math.max(1, percents.length)) * 10) / 10;
  const failure = jobDoc?.failure ?? shards.find((s) => s.state === 'failed')?.failure;
  const updated = Math.max(m.createdAt, jobDoc?.updatedAt ?? 0, ...snap.shards.map((s) => Math.max(s.status?.updatedAt ?? 0, s.heartbeat?.at ?? 0)));
  return {
    id: m.id,
    name: m.name,
    where: m.placement.kind,
    state,
    step: steps.size === 1 ? [...steps][0] : null,
    percent,
    ...(state === 'failed' || state === 'cancelled' ? { failure } : {}),
    createdAt: m.createdAt,
    updatedAt: updated,
    shards,
    sources: m.sources,
    ...(m.restore ? { restore: { tier: m.restore.tier, waiting: m.restore.waiting, askedAt: m.restore.askedAt, objects: m.restore.keys.length } } : {}),
  };
}

/** A one-line summary: `running register 42.5%`, `failed: worker-crashed (exit 101)`. */
export function describeState(v: JobView): string {
  if (v.state === 'restoring' && v.restore) return `restoring ${v.restore.objects} input(s) from cold storage (${v.restore.tier}, ${v.restore.waiting})`;
  if (v.state === 'running') return `running${v.step ? ` ${v.step}` : ''}${v.percent !== null ? ` ${v.percent}%` : ''}`;
  if ((v.state === 'failed' || v.state === 'cancelled') && v.failure) return `${v.state}: ${v.failure.code} (${v.failure.message})`;
  return v.state;
}
