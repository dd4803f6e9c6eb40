/**
 * The job store and job service for the current destination (main/jobs/job-wiring.ts: the local
 * archive folder in local mode, the bucket and prefix plus the EC2 runner in S3 mode), and ranged
 * reads of stored results. A service is kept per store for the app's lifetime, so a local analysis that is running when the destination
 * changes finishes under the service that started it.
 *
 * The app also lists the last `scopecloud demo` run's analysis, which lives in the demo's own
 * archive (main/demo/demo-state.ts), not the destination: a newcomer who ran the demo finds it in
 * Results, and the demo never enters the user's destination or upload queue. Nothing in the app
 * writes there but a cancel or dismissal the user asks for.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { defaultSettings, type Settings } from '../config/schema.ts';
import type { StatePaths } from '../config/paths.ts';
import type { JobService } from '../jobs/job-service-contract.ts';
import type { ObjectStore } from '../jobs/object-store.ts';
import { wireJobs } from '../jobs/job-wiring.ts';
import { JOBS_ROOT, isJobId, jobKeys } from '../jobs/job-layout.ts';
import { demoRoot, demoStatePaths } from '../demo/demo-state.ts';
import type { AwsContext } from './aws-context.ts';
import { awsConnection } from '../aws/connection.ts';

/** Reads `length` bytes at `start` of a stored object; null when the object does not exist. */
export type RangeReader = (key: string, start: number, length: number) => Promise<Buffer | null>;

export interface JobsContext {
  key: string;
  store: ObjectStore;
  jobs: JobService;
  readRange: RangeReader;
  ec2: boolean;
  /** The last demo run's archive rather than the destination. */
  demo: boolean;
}

export interface JobsContextDeps {
  paths: StatePaths;
  env: NodeJS.ProcessEnv;
  owner: string;
  aws: (settings: Settings) => AwsContext | null;
  /** How often a followed job's state is read (default: the job service's). */
  pollMs?: number;
}

export function fsRangeReader(root: string): RangeReader {
  return async (key, start, length) => {
    let fh;
    try {
      fh = await open(join(root, ...key.split('/')), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, start);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  };
}

export function s3RangeReader(s3: S3Client, bucket: string, prefix: string): RangeReader {
  return async (key, start, length) => {
    try {
      const res = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: prefix ? `${prefix}/${key}` : key, Range: `bytes=${start}-${start + length - 1}` }),
      );
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) return null;
      if (err.$metadata?.httpStatusCode === 416) return Buffer.alloc(0);
      throw e;
    }
  };
}

export interface JobsContexts {
  /** The destination's. */
  of(settings: Settings): JobsContext;
  /** Whose jobs the app lists: the destination's, then the last demo run's when there is one elsewhere. */
  listed(settings: Settings): JobsContext[];
  /** The listed context that holds job `id`; the destination's when none does. */
  holding(settings: Settings, id: string): Promise<JobsContext>;
}

export function createJobsContexts(d: JobsContextDeps): JobsContexts {
  const byKey = new Map<string, JobsContext>();
  const demoPaths = demoStatePaths(demoRoot(d.paths));
  let demoContext: JobsContext | null = null;
  /** Ids found in the demo's archive (job ids are unique, so a hit stays one). */
  const demoIds = new Set<string>();

  function demo(): JobsContext | null {
    if (!existsSync(join(demoPaths.archive, JOBS_ROOT))) return null;
    if (!demoContext) {
      const wired = wireJobs({ settings: defaultSettings(demoPaths.archive), paths: demoPaths, env: d.env, owner: d.owner, region: '' });
      demoContext = {
        key: `local:${demoPaths.archive}`,
        store: wired.store,
        jobs: wired.service,
        readRange: fsRangeReader(demoPaths.archive),
        ec2: false,
        demo: true,
      };
    }
    return demoContext;
  }

  const contexts: JobsContexts = {
    listed(settings) {
      const destination = contexts.of(settings);
      const demoJobs = demo();
      return demoJobs && demoJobs.key !== destination.key ? [destination, demoJobs] : [destination];
    },

    async holding(settings, id) {
      const [destination, demoJobs] = contexts.listed(settings);
      if (demoJobs && isJobId(id) && (demoIds.has(id) || (await demoJobs.store.get(jobKeys(id).manifest)) !== null)) {
        demoIds.add(id);
        return demoJobs;
      }
      return destination;
    },

    of(settings) {
      const t = settings.target;
      const key = t.kind === 'local' ? `local:${t.path}` : `s3:${JSON.stringify(t)}`;
      const existing = byKey.get(key);
      if (existing) return existing;
      const aws = t.kind === 's3' ? d.aws(settings) : null;
      const wired = wireJobs({
        settings,
        paths: d.paths,
        env: d.env,
        owner: d.owner,
        region: awsConnection(settings, d.env).region,
        ...(aws ? { aws: () => aws.clients } : {}),
        ...(d.pollMs !== undefined ? { pollMs: d.pollMs } : {}),
      });
      const ctx: JobsContext = {
        key,
        store: wired.store,
        jobs: wired.service,
        readRange: t.kind === 'local' ? fsRangeReader(t.path) : s3RangeReader(aws!.clients.s3, t.bucket, wired.store.s3?.prefix ?? ''),
        ec2: t.kind === 's3',
        demo: false,
      };
      byKey.set(key, ctx);
      return ctx;
    },
  };
  return contexts;
}
