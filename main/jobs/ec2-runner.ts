/**
 * Runs job shards on EC2: one instance per shard, launched from stock Amazon Linux 2023 with the
 * bootstrap user data, locked down like every ScopeCloud instance (launch-spec.ts: encrypted root
 * volume deleted on termination, IMDSv2 only, no key pair, the app's no-ingress group, per-boot
 * deadline), the job's instance profile, shutdown
 * behaviour "terminate", tags naming the job, shard and attempt.
 *
 * `reconcile` is one idempotent pass over a job (the job service calls it on every poll and after
 * a restart): launch shards that have no instance, notice instances that vanished (spot
 * interruption, manual termination) and relaunch them while attempts remain, end instances that
 * stopped heartbeating or outlived their shard, and on a failure or a cancel terminate every
 * instance of the job. A relaunch after a crash of the app between RunInstances and recording it
 * finds the instance by its attempt tag instead of starting a second one.
 */
import { DescribeInstancesCommand, TerminateInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import type { Ec2Api } from '../instances/describe.ts';
import { ComputeError } from '../aws/errors.ts';
import { launchLockedDown } from '../instances/launch-spec.ts';
import { PRESETS } from '../instances/presets.ts';
import { APP_TAG_VALUE, TAG } from '../aws/ec2-instance.ts';
import { bootstrapUserData } from '../bootstrap/user-data.ts';
import type { Ec2Placement, FailureCode, JobManifest, ShardLaunch, ShardStatusDoc } from './job-types.ts';
import { isTerminal } from './job-types.ts';
import type { JobSnapshot } from './job-state.ts';
import { jobKeys, shardResultsKey } from './job-layout.ts';
import { getJson, putJson, type ObjectStore } from './object-store.ts';
import { ensureWorkerUploaded, type WorkerBinary } from './worker-binary.ts';
import { workerFlags } from './worker-command.ts';
import { expectedInputChecksums } from './input-checksums.ts';
import { JobError } from './job-errors.ts';

export const JOB_TAG = { job: 'scopecloud:job', shard: 'scopecloud:shard', attempt: 'scopecloud:attempt' } as const;

/** Root disk of a shard's instance: its preset's when the type is a preset's, else this. */
export const ANALYSIS_DISK_GB = 100;

export function analysisDiskGb(instanceType: string): number {
  return PRESETS.find((p) => p.instanceType === instanceType)?.diskGb ?? ANALYSIS_DISK_GB;
}

/** Shard failures an instance reports that another attempt may fix. */
const RETRYABLE: ReadonlySet<FailureCode> = new Set(['interrupted', 'instance-lost']);

export interface Ec2JobRunnerDeps {
  ec2: Ec2Api;
  /** Must be an S3 store: instances reach the same keys. */
  store: ObjectStore;
  region: string;
  /** The worker build for the instance (Linux x86_64, glibc of AL2023). */
  worker: () => Promise<WorkerBinary>;
  owner: string;
  project?: string;
  now?: () => number;
  /** Seconds an instance may take from launch to its first heartbeat (default 600). */
  bootGraceSeconds?: number;
}

export interface ReconcileOutcome {
  /** Every shard reached a terminal state (the job can be finished). */
  allEnded: boolean;
}

export interface Ec2JobRunner {
  reconcile(m: JobManifest, snap: JobSnapshot): Promise<ReconcileOutcome>;
  /** Instances (any state but terminated) that belong to a job. */
  instancesOf(jobId: string): Promise<Instance[]>;
}

const LIVE = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

export function createEc2JobRunner(d: Ec2JobRunnerDeps): Ec2JobRunner {
  const now = d.now ?? Date.now;
  const s3 = d.store.s3;
  if (!s3) throw new JobError('EC2_NOT_CONFIGURED', 'EC2 jobs need an S3 job store');
  const full = (key: string) => (s3.prefix ? `${s3.prefix}/${key}` : key);
  const uploaded = new Map<string, Promise<string>>();

  const describe = async (filters: { Name: string; Values: string[] }[], ids?: string[]): Promise<Instance[]> => {
    const out: Instance[] = [];
    let token: string | undefined;
    do {
      const res = await d.ec2.send(new DescribeInstancesCommand({ Filters: filters.length ? filters : undefined, InstanceIds: ids, NextToken: token }));
      for (const r of res.Reservations ?? []) out.push(...(r.Instances ?? []));
      token = res.NextToken;
    } while (token);
    return out;
  };

  const describeOne = async (id: string): Promise<Instance | null> => {
    try {
      return (await describe([], [id]))[0] ?? null;
    } catch (e) {
      if (/InvalidInstanceID/.test((e as { name?: string }).name ?? '')) return null;
      throw e;
    }
  };

  const terminate = async (ids: string[]) => {
    if (ids.length === 0) return;
    try {
      await d.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    } catch (e) {
      if (!/InvalidInstanceID/.test((e as { name?: string }).name ?? '')) throw e;
    }
  };

  const writeShard = (m: JobManifest, i: number, doc: Omit<ShardStatusDoc, 'updatedAt'>) =>
    putJson(d.store, jobKeys(m.id).shard(i).status, { ...doc, updatedAt: now() } satisfies ShardStatusDoc);

  const launch = async (m: JobManifest, i: number, attempt: number, previous: string[]): Promise<void> => {
    const p = m.placement as Ec2Placement;
    const shard = m.shards[i];
    const keys = jobKeys(m.id);
    const worker = await d.worker();
    let up = uploaded.get(worker.sha256);
    if (!up) {
      up = ensureWorkerUploaded(d.store, worker);
      up.catch(() => uploaded.delete(worker.sha256));
      uploaded.set(worker.sha256, up);
    }
    const workerKeyRel = await up;
    if (worker.sha256 !== m.worker.sha256) {
      throw new JobError('JOB_INVALID', `job ${m.id} was submitted for worker ${m.worker.sha256.slice(0, 12)}, this app bundles ${worker.sha256.slice(0, 12)}`);
    }
    await writeShard(m, i, { state: 'provisioning', attempt });
    // This attempt's instance, if an earlier call (or a request whose answer was lost) started it.
    const launchedAlready = async () =>
      (
        await describe([
          { Name: `tag:${JOB_TAG.job}`, Values: [m.id] },
          { Name: `tag:${JOB_TAG.shard}`, Values: [String(i)] },
          { Name: `tag:${JOB_TAG.attempt}`, Values: [String(attempt)] },
          { Name: 'instance-state-name', Values: LIVE },
        ])
      )[0]?.InstanceId ?? null;
    let instanceId: string | null | undefined = await launchedAlready();
    if (!instanceId) {
      if (shard.input.kind !== 'store') throw new JobError('JOB_INVALID', `shard ${i} of job ${m.id} reads local files; EC2 shards read from the job store`);
      // One "<crc32c|-> <key>" line per input: the instance checks what it downloaded against the session manifest.
      const sums = await expectedInputChecksums(d.store, shard.input.keys);
      await d.store.put(`${keys.shard(i).base}inputs.txt`, shard.input.keys.map((k) => `${sums.get(k) ?? '-'} ${full(k)}`).join('\n') + '\n', 'text/plain');
      const ud = bootstrapUserData({
        region: d.region,
        bucket: s3.bucket,
        shardKey: full(keys.shard(i).base.slice(0, -1)),
        resultsKey: full(shardResultsKey(m.id, i, m.shards.length).slice(0, -1)),
        cancelKey: full(keys.cancel),
        workerKey: full(workerKeyRel),
        workerSha256: worker.sha256,
        workerArgs: workerFlags(m.params, shard.args),
        attempt,
        maxRuntimeSeconds: m.maxRuntimeSeconds,
        heartbeatSeconds: m.heartbeatSeconds,
      });
      const tags = [
        { Key: TAG.name, Value: `scopecloud ${m.id} shard ${i}` },
        { Key: TAG.app, Value: APP_TAG_VALUE },
        { Key: TAG.owner, Value: m.owner },
        { Key: TAG.purpose, Value: 'analysis' },
        { Key: TAG.maxRuntime, Value: String(Math.ceil(m.maxRuntimeSeconds / 60)) },
        { Key: TAG.expiryAction, Value: 'terminate' },
        { Key: JOB_TAG.job, Value: m.id },
        { Key: JOB_TAG.shard, Value: String(i) },
        { Key: JOB_TAG.attempt, Value: String(attempt) },
        ...(d.project ? [{ Key: TAG.project, Value: d.project }] : []),
      ];
      try {
        instanceId = await launchLockedDown(
          d.ec2,
          {
            imageId: p.imageId,
            instanceType: p.instanceType,
            clientToken: `${m.id}-${i}-${attempt}`.slice(0, 64),
            diskGb: analysisDiskGb(p.instanceType),
            userData: ud,
            expiryAction: 'terminate',
            spot: p.spot,
            tags,
            instanceProfileName: p.instanceProfile,
            subnetId: p.subnetId,
          },
          `launch shard ${i} of ${m.id} (${p.instanceType})`,
          { launched: launchedAlready },
        );
      } catch (e) {
        const msg = (e as Error).message.split('\n')[0];
        await writeShard(m, i, { state: 'failed', attempt, failure: { code: 'launch-failed', message: msg } });
        return;
      }
      if (!instanceId) {
        await writeShard(m, i, { state: 'failed', attempt, failure: { code: 'launch-failed', message: 'RunInstances returned no instance' } });
        return;
      }
    }
    await putJson(d.store, keys.shard(i).instance, { attempt, instanceId, spot: p.spot, launchedAt: now(), previous } satisfies ShardLaunch);
  };

  /** A shard's attempt ended without a terminal status from the instance: retry or fail. */
  const lost = async (m: JobManifest, i: number, launchDoc: ShardLaunch, why: string) => {
    const p = m.placement as Ec2Placement;
    if (launchDoc.attempt < p.maxAttempts) {
      await launch(m, i, launchDoc.attempt + 1, [...launchDoc.previous, launchDoc.instanceId]);
    } else {
      await writeShard(m, i, {
        state: 'failed',
        attempt: launchDoc.attempt,
        instanceId: launchDoc.instanceId,
        failure: { code: 'instance-lost', message: `${why}; no attempts left (${p.maxAttempts})` },
      });
    }
  };

  return {
    async instancesOf(jobId) {
      return describe([
        { Name: `tag:${JOB_TAG.job}`, Values: [jobId] },
        { Name: 'instance-state-name', Values: LIVE },
      ]);
    },

    async reconcile(m, snap) {
      const p = m.placement as Ec2Placement;
      const keys = jobKeys(m.id);
      const bootGrace = (d.bootGraceSeconds ?? 600) * 1000;
      if (snap.cancelRequested) {
        await terminate((await this.instancesOf(m.id)).map((x) => x.InstanceId!).filter(Boolean));
        for (const [i, s] of snap.shards.entries()) {
          if (!s.status || !isTerminal(s.status.state)) {
            await writeShard(m, i, { state: 'cancelled', attempt: s.status?.attempt ?? 0, failure: { code: 'cancelled', message: 'cancelled by the user' } });
          }
        }
        return { allEnded: true };
      }
      let failedHard = false;
      for (const [i] of m.shards.entries()) {
        const launchDoc = await getJson<ShardLaunch>(d.store, keys.shard(i).instance);
        let status = snap.shards[i]?.status ?? null;
        const hb = snap.shards[i]?.heartbeat ?? null;
        if (!launchDoc) {
          if (status && isTerminal(status.state)) {
            failedHard ||= status.state === 'failed';
            continue;
          }
          // Never launched, or the app died between RunInstances and recording it (the attempt tag finds it).
          await launch(m, i, status?.attempt || 1, []);
          continue;
        }
        // Late writes of an earlier attempt do not describe the current one.
        if (status && status.attempt < launchDoc.attempt) status = { state: 'provisioning', attempt: launchDoc.attempt, updatedAt: launchDoc.launchedAt };
        if (status && isTerminal(status.state)) {
          if (status.state === 'failed' && status.failure && RETRYABLE.has(status.failure.code) && launchDoc.attempt < p.maxAttempts) {
            await terminate([launchDoc.instanceId]);
            await launch(m, i, launchDoc.attempt + 1, [...launchDoc.previous, launchDoc.instanceId]);
            continue;
          }
          failedHard ||= status.state === 'failed';
          // The instance shuts itself down; one that lingers well past its final status is ended.
          if (now() - status.updatedAt > Math.max(60_000, m.heartbeatSeconds * 4000)) {
            const inst = await describeOne(launchDoc.instanceId);
            if (inst && ['pending', 'running', 'stopped', 'stopping'].includes(inst.State?.Name ?? '')) await terminate([launchDoc.instanceId]);
          }
          continue;
        }
        const inst = await describeOne(launchDoc.instanceId);
        const state = inst?.State?.Name ?? 'terminated';
        if (state === 'pending' || state === 'running') {
          const lastSign = hb && hb.attempt === launchDoc.attempt ? hb.at : launchDoc.launchedAt;
          const limit = hb && hb.attempt === launchDoc.attempt ? m.staleAfterSeconds * 1000 : bootGrace;
          if (now() - lastSign > limit) {
            await terminate([launchDoc.instanceId]);
            await lost(
              m,
              i,
              launchDoc,
              `instance ${launchDoc.instanceId} stopped reporting (no heartbeat for ${Math.round((now() - lastSign) / 1000)} s) and was terminated`,
            );
          }
          continue;
        }
        // Gone or going: the instance may have written its final status just before it shut down.
        const latest = await getJson<ShardStatusDoc>(d.store, keys.shard(i).status);
        if (latest && latest.attempt === launchDoc.attempt && isTerminal(latest.state)) {
          failedHard ||= latest.state === 'failed' && !(latest.failure && RETRYABLE.has(latest.failure.code) && launchDoc.attempt < p.maxAttempts);
          continue;
        }
        if (state === 'stopped' || state === 'stopping') await terminate([launchDoc.instanceId]);
        const reason = inst?.StateReason?.Message ?? inst?.StateTransitionReason ?? 'it no longer exists';
        await lost(m, i, launchDoc, `instance ${launchDoc.instanceId} (attempt ${launchDoc.attempt}) is ${state} before the shard finished: ${reason}`);
      }
      if (failedHard) {
        // One shard failed for good: stop spending on the others.
        const ids = (await this.instancesOf(m.id))
          .filter((x) => x.State?.Name !== 'shutting-down')
          .map((x) => x.InstanceId!)
          .filter(Boolean);
        await terminate(ids);
        for (const [i] of m.shards.entries()) {
          const st = await getJson<ShardStatusDoc>(d.store, keys.shard(i).status);
          if (!st || !isTerminal(st.state))
            await writeShard(m, i, {
              state: 'cancelled',
              attempt: st?.attempt ?? 0,
              failure: { code: 'cancelled', message: 'stopped because another shard failed' },
            });
        }
        return { allEnded: true };
      }
      const after = await Promise.all(m.shards.map((_, i) => getJson<ShardStatusDoc>(d.store, keys.shard(i).status)));
      const launches = await Promise.all(m.shards.map((_, i) => getJson<ShardLaunch>(d.store, keys.shard(i).instance)));
      const allEnded = after.every(
        (s, i) =>
          s !== null &&
          isTerminal(s.state) &&
          s.attempt >= (launches[i]?.attempt ?? 0) &&
          !(s.state === 'failed' && s.failure && RETRYABLE.has(s.failure.code) && s.attempt < p.maxAttempts),
      );
      return { allEnded };
    },
  };
}
