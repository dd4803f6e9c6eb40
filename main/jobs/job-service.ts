/**
 * Analysis jobs: submit, run (locally or on EC2), follow, cancel, read logs, and pick every
 * unfinished job up again after a restart or on another workstation.
 *
 * All state is in the job store (see job-types.ts); this service keeps only the set of local
 * shards it is running itself. `reconcile(id)` is idempotent: it reads the store, does at most
 * the next step (launch, retry, fail, merge, finish) and writes the result back, so any number
 * of app restarts between calls leave the job where it would have been.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname as osHostname } from 'node:os';
import {
  isTerminal,
  type FailureCode,
  type Heartbeat,
  type JobManifest,
  type JobState,
  type JobStatusDoc,
  type JobView,
  type Placement,
  type ShardSpec,
  type ShardStatusDoc,
  type WorkerParams,
} from './job-types.ts';
import { JOBS_ROOT, isJobId, jobKeys, newJobId } from './job-layout.ts';
import { getJson, putJson, type ObjectStore } from './object-store.ts';
import { deriveView, type JobSnapshot } from './job-state.ts';
import { runLocalShard, type SpawnWorker } from './local-runner.ts';
import { JobError } from './job-errors.ts';
import { validateParams } from './worker-command.ts';
import type { Ec2JobRunner } from './ec2-runner.ts';
import type { WorkerBinary } from './worker-binary.ts';
import { mergeShardResults } from './merge.ts';
import { sleep, systemClock, systemTimers } from '../common/time.ts';
import type { JobService, JobServiceDeps, SubmitRequest } from './job-service-contract.ts';
import { checkRestore, restoreRefusal } from './job-restore.ts';
import { RESTORE_DAYS, restorePlan, type ObjectColdState } from './restore-plan.ts';
import { RestoreConsentError } from './restore-objects.ts';
import { RESTORE_DAYS_RANGE } from '../config/schema.ts';

export function createJobService(d: JobServiceDeps): JobService {
  const now = d.now ?? systemClock.now;
  const host = d.hostname ?? osHostname();
  const self = d.processId ?? process.pid;
  const pidAlive = d.pidAlive ?? defaultPidAlive;
  const killOrphan = d.killOrphan ?? defaultKillOrphan;
  /** Local jobs this process runs right now: id -> its abort controller and completion. */
  const active = new Map<string, { abort: AbortController; done: Promise<JobView> }>();
  /** When each `restoring` job's inputs were last HEADed here (only spaces the reads; the state is in the store). */
  const restoreCheckedAt = new Map<string, number>();

  const readManifest = async (id: string): Promise<JobManifest> => {
    if (!isJobId(id)) throw new JobError('JOB_INVALID', `"${id}" is not a job id`);
    const m = await getJson<JobManifest>(d.store, jobKeys(id).manifest);
    if (!m) throw new JobError('JOB_NOT_FOUND', `job ${id} not found in ${d.store.location}`);
    return m;
  };

  const snapshot = async (m: JobManifest): Promise<JobSnapshot> => {
    const k = jobKeys(m.id);
    const [status, cancel, shards] = await Promise.all([
      getJson<JobStatusDoc>(d.store, k.status),
      d.store.get(k.cancel),
      Promise.all(
        m.shards.map(async (s) => {
          const sk = k.shard(s.index);
          const [st, hb, inst] = await Promise.all([
            getJson<ShardStatusDoc>(d.store, sk.status),
            getJson<Heartbeat>(d.store, sk.heartbeat),
            getJson<{ instanceId: string; attempt: number }>(d.store, sk.instance),
          ]);
          return { status: st, heartbeat: hb, instanceId: inst?.instanceId };
        }),
      ),
    ]);
    return { manifest: m, status, cancelRequested: cancel !== null, shards };
  };

  const view = async (m: JobManifest) => deriveView(await snapshot(m), now());

  const setJobStatus = (id: string, state: JobState, failure?: { code: FailureCode; message: string }) =>
    putJson(d.store, jobKeys(id).status, {
      state,
      ...(failure ? { failure } : {}),
      updatedAt: now(),
      ...(isTerminal(state) ? { finishedAt: now() } : {}),
    } satisfies JobStatusDoc);

  /** After every shard ended: merge (several shards) and write the job's terminal state. */
  const finish = async (m: JobManifest): Promise<JobView> => {
    const snap = await snapshot(m);
    if (snap.status && isTerminal(snap.status.state)) return deriveView(snap, now());
    const states = snap.shards.map((s) => s.status?.state ?? 'queued');
    if (states.some((s) => !isTerminal(s))) return deriveView(snap, now());
    if (snap.cancelRequested || (states.includes('cancelled') && !states.includes('failed'))) {
      await setJobStatus(m.id, 'cancelled', { code: 'cancelled', message: 'cancelled by the user' });
    } else if (states.includes('failed')) {
      const f = snap.shards.find((s) => s.status?.state === 'failed')!.status!.failure;
      const label = m.shards.length > 1 ? `shard ${snap.shards.findIndex((s) => s.status?.state === 'failed')}: ` : '';
      await setJobStatus(m.id, 'failed', f ? { code: f.code, message: label + f.message } : { code: 'worker-crashed', message: 'a shard failed' });
    } else if (m.shards.length > 1) {
      await setJobStatus(m.id, 'merging');
      try {
        await mergeShardResults({ store: d.store, manifest: m, workDir: join(d.workDir, m.id, 'merge'), worker: d.worker, spawnWorker: d.spawnWorker });
        await setJobStatus(m.id, 'done');
      } catch (e) {
        await setJobStatus(m.id, 'failed', { code: 'merge-failed', message: `merging shard results failed: ${(e as Error).message}` });
      }
    } else {
      await setJobStatus(m.id, 'done');
    }
    return view(m);
  };

  const runLocal = (m: JobManifest, onUpdate?: (v: JobView) => void): Promise<JobView> => {
    const existing = active.get(m.id);
    if (existing) return existing.done;
    const abort = new AbortController();
    const done = (async () => {
      const worker = await d.worker();
      await setJobStatus(m.id, 'booting');
      for (const shard of m.shards) {
        const current = await getJson<ShardStatusDoc>(d.store, jobKeys(m.id).shard(shard.index).status);
        if (current && isTerminal(current.state)) continue;
        const result = await runLocalShard({
          store: d.store,
          manifest: m,
          shard,
          workerPath: worker.path,
          workDir: join(d.workDir, m.id, `shard-${shard.index}`),
          now,
          hostname: host,
          runnerPid: self,
          spawnWorker: d.spawnWorker,
          signal: abort.signal,
          onStatus: onUpdate
            ? (st) => {
                void snapshot(m).then(
                  (snap) => {
                    snap.shards[shard.index] = { ...snap.shards[shard.index], status: st };
                    onUpdate(deriveView(snap, now()));
                  },
                  () => undefined,
                );
              }
            : undefined,
        });
        if (result.state !== 'done') break;
      }
      // Shards never started (an earlier one failed or the job was cancelled) end as cancelled.
      for (const shard of m.shards) {
        const key = jobKeys(m.id).shard(shard.index).status;
        if (!(await getJson<ShardStatusDoc>(d.store, key))) {
          await putJson(d.store, key, {
            state: 'cancelled',
            attempt: 0,
            failure: { code: 'cancelled', message: 'not started: another shard ended first' },
            updatedAt: now(),
          } satisfies ShardStatusDoc);
        }
      }
      return finish(m);
    })().finally(() => active.delete(m.id));
    active.set(m.id, { abort, done });
    return done;
  };

  /**
   * A local job this process is not running: its runner died (app killed) unless another live host,
   * or another live process on this host (the CLI, a demo next to the app), runs it.
   */
  const recoverLocal = async (m: JobManifest, snap: JobSnapshot): Promise<void> => {
    for (const [i, s] of snap.shards.entries()) {
      const st = s.status;
      if (!st || isTerminal(st.state)) continue;
      const mine = st.host === host;
      const fresh = s.heartbeat !== null && now() - s.heartbeat.at < m.staleAfterSeconds * 1000;
      if (!mine && fresh) continue; // another workstation's app is running it
      if (mine && fresh && st.runnerPid !== undefined && st.runnerPid !== self && pidAlive(st.runnerPid)) continue;
      if (mine && st.pid && pidAlive(st.pid)) {
        try {
          killOrphan(st.pid, (await d.worker()).path);
        } catch {
          // already gone
        }
      }
      await putJson(d.store, jobKeys(m.id).shard(i).status, {
        ...st,
        state: 'failed',
        updatedAt: now(),
        failure: {
          code: 'interrupted',
          message: `the app running this job on ${st.host ?? 'a workstation'} stopped while the worker ran; run the analysis again`,
        },
      } satisfies ShardStatusDoc);
    }
  };

  /**
   * A `restoring` job: cancelled (nothing launched), failed (restore gone or expired), still waiting,
   * or, once every input is restored, queued for the launch; null when it may launch now.
   */
  const reconcileRestoring = async (m: JobManifest, snap: JobSnapshot): Promise<JobView | null> => {
    if (snap.cancelRequested) {
      await setJobStatus(m.id, 'cancelled', { code: 'cancelled', message: 'cancelled by the user while its inputs were being restored; nothing was launched' });
      return view(m);
    }
    if (!m.restore) {
      await setJobStatus(m.id, 'failed', {
        code: 'restore-failed',
        message: 'the job waits for a restore its record does not describe; launch the analysis again',
      });
      return view(m);
    }
    if (!d.coldInputs) throw new JobError('EC2_NOT_CONFIGURED', `job ${m.id} waits for a restore from cold storage, but no S3 target is configured here`);
    const last = restoreCheckedAt.get(m.id);
    if (last !== undefined && now() - last < (d.restorePollMs ?? 60_000)) return deriveView(snap, now());
    restoreCheckedAt.set(m.id, now());
    const check = checkRestore(m.restore, await d.coldInputs.inspect(m.restore.keys), now());
    if (check.kind === 'waiting') return deriveView(snap, now());
    restoreCheckedAt.delete(m.id);
    if (check.kind === 'failed') {
      await setJobStatus(m.id, 'failed', { code: 'restore-failed', message: check.message });
      return view(m);
    }
    await setJobStatus(m.id, 'queued');
    return null;
  };

  /** Asks S3 to restore the cold inputs of a job just written as `restoring`; a refusal fails the job. */
  const askRestore = async (m: JobManifest, objects: readonly ObjectColdState[]): Promise<void> => {
    try {
      await d.coldInputs!.request(objects, { tier: m.restore!.tier, days: m.restore!.days, consent: true });
      restoreCheckedAt.set(m.id, now());
    } catch (e) {
      await setJobStatus(m.id, 'failed', { code: 'restore-failed', message: restoreRefusal(e) });
    }
  };

  /** The restore a new EC2 job needs (null: its inputs read at once); refused without consent. */
  const plannedRestore = async (req: SubmitRequest, t: number) => {
    if (req.placement.kind !== 'ec2' || !d.coldInputs) return null;
    const keys = [...new Set(req.shards.flatMap((s) => (s.input.kind === 'store' ? s.input.keys : [])))];
    const days = req.restore?.days ?? RESTORE_DAYS;
    const { min, max } = RESTORE_DAYS_RANGE;
    if (!Number.isInteger(days) || days < min || days > max) throw new JobError('JOB_INVALID', `a restored copy is kept ${min} to ${max} days (got ${days})`);
    const plan = restorePlan(await d.coldInputs.inspect(keys), null, t, days);
    if (plan.toRestore.length === 0 && plan.ongoing.length === 0) return null;
    if (plan.toRestore.length > 0 && req.restore?.consent !== true) throw new RestoreConsentError();
    const tier = req.restore?.tier ?? 'Standard';
    const offered = plan.tiers.find((x) => x.tier === tier);
    if (plan.toRestore.length > 0 && !offered)
      throw new JobError('JOB_INVALID', `the ${tier} restore tier is not offered for these inputs (choose ${plan.tiers.map((x) => x.tier).join(' or ')})`);
    return {
      toRestore: plan.toRestore,
      restore: {
        keys: [...plan.toRestore, ...plan.ongoing].map((o) => o.key),
        tier,
        askedAt: t,
        days,
        waiting: offered?.waiting ?? 'asked earlier, underway',
      },
    };
  };

  const reconcile = async (id: string): Promise<JobView> => {
    const m = await readManifest(id);
    let snap = await snapshot(m);
    if (snap.status && isTerminal(snap.status.state)) return deriveView(snap, now());
    if (snap.status?.state === 'restoring') {
      const waited = await reconcileRestoring(m, snap);
      if (waited) return waited;
      snap = await snapshot(m);
    }
    if (m.placement.kind === 'local') {
      if (active.has(id)) return deriveView(snap, now());
      const started = snap.shards.some((s) => s.status !== null);
      if (!started && !snap.cancelRequested) return deriveView(snap, now()); // queued: runs when followed
      if (snap.cancelRequested) {
        for (const [i, s] of snap.shards.entries()) {
          if (!s.status)
            await putJson(d.store, jobKeys(id).shard(i).status, {
              state: 'cancelled',
              attempt: 0,
              failure: { code: 'cancelled', message: 'cancelled before start' },
              updatedAt: now(),
            } satisfies ShardStatusDoc);
        }
      }
      await recoverLocal(m, snap);
      return finish(m);
    }
    if (!d.ec2) throw new JobError('EC2_NOT_CONFIGURED', `job ${id} runs on EC2, but no S3 target and EC2 access are configured here`);
    const progressed = await d.ec2.reconcile(m, snap);
    if (progressed.allEnded) return finish(m);
    if (!snap.status || snap.status.state === 'queued') await setJobStatus(id, 'provisioning');
    return view(m);
  };

  /** Waits between reads of a followed job; an abort ends the wait early (the loop then returns). */
  const pause = (ms: number, signal?: AbortSignal) => sleep(d.timers ?? systemTimers, ms, signal).catch(() => undefined);

  return {
    async submit(req) {
      if (req.sources.length === 0 || req.shards.length === 0) throw new JobError('NO_INPUT', 'nothing to analyse: no input files found');
      const bad = validateParams(req.params);
      if (bad) throw new JobError('JOB_INVALID', bad);
      if (!(req.maxRuntimeSeconds >= 1)) throw new JobError('JOB_INVALID', `maximum runtime must be at least 1 s (got ${req.maxRuntimeSeconds})`);
      if (req.placement.kind === 'ec2' && !d.ec2)
        throw new JobError('EC2_NOT_CONFIGURED', 'running on EC2 needs an S3 target (scopecloud config target s3 ...)');
      const worker = await d.worker();
      const t = now();
      const cold = await plannedRestore(req, t);
      const heartbeatSeconds = req.heartbeatSeconds ?? (req.placement.kind === 'local' ? 2 : 15);
      const m: JobManifest = {
        schema: 1,
        id: newJobId(t),
        name: req.name ?? req.sources.join(', ').slice(0, 120),
        createdAt: t,
        owner: d.owner,
        sources: req.sources,
        params: req.params,
        worker: { version: worker.version, sha256: worker.sha256 },
        placement: req.placement,
        maxRuntimeSeconds: req.maxRuntimeSeconds,
        heartbeatSeconds,
        staleAfterSeconds: req.staleAfterSeconds ?? Math.max(30, heartbeatSeconds * 6),
        shards: req.shards.map((s, index) => ({ ...s, index })),
        ...(cold ? { restore: cold.restore } : {}),
      };
      await putJson(d.store, jobKeys(m.id).manifest, m);
      await setJobStatus(m.id, cold ? 'restoring' : 'queued');
      if (cold && cold.toRestore.length > 0) await askRestore(m, cold.toRestore);
      return m;
    },

    async follow(id, o = {}) {
      const m = await readManifest(id);
      if (m.placement.kind === 'local') {
        const snap = await snapshot(m);
        if (snap.status && isTerminal(snap.status.state)) return deriveView(snap, now());
        if (snap.shards.some((s) => s.status && !isTerminal(s.status.state)) && !active.has(id)) return reconcile(id);
        const run = runLocal(m, o.onUpdate);
        const onAbort = () => active.get(id)?.abort.abort();
        o.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          const v = await run;
          o.onUpdate?.(v);
          return v;
        } finally {
          o.signal?.removeEventListener('abort', onAbort);
        }
      }
      let last = '';
      let errors = 0;
      for (;;) {
        let v: JobView;
        try {
          v = await reconcile(id);
          errors = 0;
        } catch (e) {
          // A poll that fails (network, throttling) is retried; a run of failures ends following.
          if (e instanceof JobError || ++errors >= 10) throw e;
          await pause(d.pollMs ?? 3000, o.signal);
          if (o.signal?.aborted) return view(m);
          continue;
        }
        const sig = JSON.stringify([v.state, v.step, v.percent, v.shards.map((s) => [s.state, s.attempt, s.percent])]);
        if (sig !== last) o.onUpdate?.(v);
        last = sig;
        if (isTerminal(v.state) || o.signal?.aborted) return v;
        await pause(d.pollMs ?? 3000, o.signal);
        if (o.signal?.aborted) return view(m);
      }
    },

    reconcile,

    async recover() {
      const out: JobView[] = [];
      for (const v of await this.list()) {
        if (isTerminal(v.state)) continue;
        try {
          out.push(await reconcile(v.id));
        } catch {
          out.push(v);
        }
      }
      return out;
    },

    async list() {
      const keys = await d.store.list(JOBS_ROOT);
      const idsWith = (file: string) => new Set(keys.filter((k) => k.endsWith(`/${file}`) && k.split('/').length === 3).map((k) => k.split('/')[1]));
      const dismissed = idsWith('dismissed');
      const views: JobView[] = [];
      for (const id of idsWith('job.json')) {
        const m = await getJson<JobManifest>(d.store, jobKeys(id).manifest);
        if (!m) continue;
        const v = await view(m);
        views.push(dismissed.has(id) ? { ...v, dismissed: true } : v);
      }
      return views.sort((a, b) => b.createdAt - a.createdAt);
    },

    async show(id) {
      return view(await readManifest(id));
    },

    manifest: readManifest,

    async cancel(id) {
      const m = await readManifest(id);
      const current = await view(m);
      if (isTerminal(current.state)) throw new JobError('JOB_FINISHED', `job ${id} already ended (${current.state})`);
      await d.store.put(jobKeys(id).cancel, JSON.stringify({ at: now(), by: d.owner }) + '\n', 'application/json');
      const run = active.get(id);
      if (run) {
        run.abort.abort();
        return run.done;
      }
      return reconcile(id);
    },

    async dismiss(id) {
      const v = await view(await readManifest(id));
      if (v.state !== 'failed' && v.state !== 'cancelled')
        throw new JobError('JOB_NOT_FAILED', `job ${id} is ${v.state}: only a failed or cancelled analysis can be dismissed`);
      await d.store.put(jobKeys(id).dismissed, JSON.stringify({ at: now(), by: d.owner }) + '\n', 'application/json');
    },

    async logs(id, shard) {
      const m = await readManifest(id);
      const parts: string[] = [];
      for (const s of m.shards) {
        if (shard !== undefined && s.index !== shard) continue;
        const text = (await d.store.get(jobKeys(id).shard(s.index).log))?.toString('utf8') ?? '';
        parts.push(m.shards.length > 1 || shard !== undefined ? `== shard ${s.index} (${s.label})\n${text}` : text);
      }
      return parts.join('\n');
    },
  };
}

function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills `pid` only when /proc says it runs the worker binary (a reused pid must not be hit). */
function defaultKillOrphan(pid: number, workerPath: string): void {
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync(cmdline)) {
    // argv[0] is the worker, or an interpreter followed by it (a script worker).
    const argv = readFileSync(cmdline, 'utf8').split('\0').slice(0, 2);
    const name = workerPath.split('/').pop()!;
    if (!argv.some((a) => a.endsWith(name))) return;
  }
  process.kill(pid, 'SIGKILL');
}
