/**
 * Builds the job service from settings: the job store is the S3 target (`<prefix>/jobs/...`) or,
 * with no S3, the local archive folder; EC2 jobs are available only with an S3 target. Called by
 * the composition root only (app/jobs-context.ts), which gives the one owner name and region.
 * Also turns user-named sources (a local path, a session or a key prefix) into shards.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Settings } from '../config/schema.ts';
import type { StatePaths } from '../config/paths.ts';
import type { AwsClients } from '../aws/clients.ts';
import { fsObjectStore, s3ObjectStore, type ObjectStore } from './object-store.ts';
import { createJobService } from './job-service.ts';
import type { JobService } from './job-service-contract.ts';
import { createEc2JobRunner } from './ec2-runner.ts';
import { describeWorker, findWorker, type WorkerBinary } from './worker-binary.ts';
import type { ShardSpec } from './job-types.ts';
import { JobError } from './job-errors.ts';
import { JOBS_ROOT, WORKERS_ROOT } from './job-layout.ts';
import { s3ColdInputs } from './job-restore.ts';

export interface JobWiring {
  store: ObjectStore;
  service: JobService;
  region: string;
  /** The worker the instances run (SCOPECLOUD_WORKER_EC2, else the local one). */
  ec2Worker: () => Promise<WorkerBinary>;
}

export interface JobWiringOptions {
  settings: Settings;
  paths: StatePaths;
  owner: string;
  /** The AWS region of the S3 target (aws/connection.ts). */
  region: string;
  aws?: () => AwsClients;
  /** SCOPECLOUD_WORKER, SCOPECLOUD_WORKER_EC2. */
  env: NodeJS.ProcessEnv;
  pollMs?: number;
}

export function wireJobs(opts: JobWiringOptions): JobWiring {
  const { env, owner } = opts;
  const t = opts.settings.target;
  const worker = () => findWorker(env);
  const ec2Worker = () => (env.SCOPECLOUD_WORKER_EC2 ? describeWorker(env.SCOPECLOUD_WORKER_EC2) : worker());
  if (t.kind === 's3') {
    if (!opts.aws) throw new JobError('EC2_NOT_CONFIGURED', 'AWS clients are needed for an S3 target');
    const aws = opts.aws();
    const store = s3ObjectStore(aws.s3, t.bucket, t.prefix);
    const region = opts.region;
    const ec2 = createEc2JobRunner({ ec2: aws.ec2, store, region, worker: ec2Worker, owner });
    return {
      store,
      region,
      ec2Worker,
      service: createJobService({
        store,
        workDir: opts.paths.jobs,
        worker,
        owner,
        ec2,
        pollMs: opts.pollMs,
        coldInputs: s3ColdInputs(aws.s3, t.bucket, t.prefix),
      }),
    };
  }
  const store = fsObjectStore(t.path);
  return { store, region: '', ec2Worker, service: createJobService({ store, workDir: opts.paths.jobs, worker, owner, pollMs: opts.pollMs }) };
}

const IMAGE_RE = /\.(tiff?|btf|tf8)$/i;

/**
 * Shards for the named sources. A source that exists on disk is read in place (local jobs only);
 * otherwise it is a key prefix (a session folder) in the job store. `fanOut` gives one shard per
 * source, or, for a volumetric movie (`planes` > 1), one shard per source and plane (the worker's
 * `--plane p`; ROIs keep their true plane, the merge re-clusters); otherwise one shard reads them all.
 */
export async function shardsFor(
  store: ObjectStore,
  sources: readonly string[],
  o: { fanOut: boolean; where: 'local' | 'ec2'; planes?: number },
): Promise<Array<Omit<ShardSpec, 'index'>>> {
  const per: Array<Omit<ShardSpec, 'index'>> = [];
  for (const src of sources) {
    const local = resolve(src);
    if (existsSync(local)) {
      if (o.where === 'ec2')
        throw new JobError('NO_INPUT', `${src} is a local path; EC2 jobs read uploaded sessions (give the session's key prefix in the store)`);
      if (!statSync(local).isFile() && !statSync(local).isDirectory()) throw new JobError('NO_INPUT', `${src} is neither a file nor a folder`);
      per.push({ label: src, input: { kind: 'local', paths: [local] }, args: [] });
      continue;
    }
    const prefix = src.replace(/^\/+/, '').replace(/\/?$/, '/');
    if (prefix.startsWith(JOBS_ROOT) || prefix.startsWith(WORKERS_ROOT)) throw new JobError('NO_INPUT', `${src} is inside the app's own jobs/workers area`);
    const keys = (await store.list(prefix)).filter((k) => IMAGE_RE.test(k));
    if (keys.length === 0) throw new JobError('NO_INPUT', `no TIFF files under ${store.location}${prefix} (and ${src} is not a local path)`);
    per.push({ label: src.replace(/\/$/, ''), input: { kind: 'store', keys }, args: [] });
  }
  if (o.fanOut && o.planes !== undefined && o.planes > 1) {
    const planes = o.planes;
    return per.flatMap((s) => Array.from({ length: planes }, (_, p) => ({ ...s, label: `${s.label} plane ${p}`, args: [...s.args, '--plane', String(p)] })));
  }
  if (o.fanOut || per.length <= 1) return per;
  if (per.every((s) => s.input.kind === 'local')) {
    return [
      {
        label: per.map((s) => s.label).join(', '),
        input: { kind: 'local', paths: per.flatMap((s) => (s.input.kind === 'local' ? s.input.paths : [])) },
        args: [],
      },
    ];
  }
  if (per.every((s) => s.input.kind === 'store')) {
    return [
      {
        label: per.map((s) => s.label).join(', '),
        input: { kind: 'store', keys: per.flatMap((s) => (s.input.kind === 'store' ? s.input.keys : [])) },
        args: [],
      },
    ];
  }
  throw new JobError('NO_INPUT', 'mixing local paths and stored sessions in one shard is not supported; use --fan-out');
}
