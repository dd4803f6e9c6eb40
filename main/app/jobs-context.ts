/**
 * The job store and job service for the current destination: the local archive folder in
 * local mode, the bucket and prefix (plus the EC2 runner) in S3 mode. A service is kept per
 * store for the app's lifetime, so a local analysis that is running when the destination
 * changes finishes under the service that started it.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Settings } from '../config/schema.ts';
import { createJobService, type JobService } from '../jobs/job-service.ts';
import { fsObjectStore, s3ObjectStore, type ObjectStore } from '../jobs/object-store.ts';
import { createEc2JobRunner } from '../jobs/ec2-runner.ts';
import type { WorkerBinary } from '../jobs/worker-binary.ts';
import type { AwsContext } from './aws-context.ts';

/** Reads `length` bytes at `start` of a stored object; null when the object does not exist. */
export type RangeReader = (key: string, start: number, length: number) => Promise<Buffer | null>;

export interface JobsContext {
  key: string;
  store: ObjectStore;
  jobs: JobService;
  readRange: RangeReader;
  ec2: boolean;
}

export interface JobsContextDeps {
  workDir: string;
  worker: () => Promise<WorkerBinary>;
  owner: string;
  aws: (settings: Settings) => AwsContext | null;
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

export function createJobsContexts(d: JobsContextDeps): { of(settings: Settings): JobsContext; all(): JobsContext[] } {
  const byKey = new Map<string, JobsContext>();
  return {
    of(settings) {
      const t = settings.target;
      const key = t.kind === 'local' ? `local:${t.path}` : `s3:${JSON.stringify(t)}`;
      const existing = byKey.get(key);
      if (existing) return existing;
      let ctx: JobsContext;
      if (t.kind === 'local') {
        const store = fsObjectStore(t.path);
        ctx = { key, store, jobs: createJobService({ store, workDir: d.workDir, worker: d.worker, owner: d.owner }), readRange: fsRangeReader(t.path), ec2: false };
      } else {
        const aws = d.aws(settings)!;
        const s3 = aws.clients.s3;
        const store = s3ObjectStore(s3, t.bucket, t.prefix);
        const ec2 = createEc2JobRunner({ ec2: aws.clients.ec2, store, region: aws.compute.region, worker: d.worker, owner: d.owner });
        const prefix = store.s3!.prefix;
        const readRange: RangeReader = async (k, start, length) => {
          try {
            const res = await s3.send(new GetObjectCommand({ Bucket: t.bucket, Key: prefix ? `${prefix}/${k}` : k, Range: `bytes=${start}-${start + length - 1}` }));
            return Buffer.from(await res.Body!.transformToByteArray());
          } catch (e) {
            const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
            if (err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) return null;
            if (err.$metadata?.httpStatusCode === 416) return Buffer.alloc(0);
            throw e;
          }
        };
        ctx = { key, store, jobs: createJobService({ store, workDir: d.workDir, worker: d.worker, owner: d.owner, ec2 }), readRange, ec2: true };
      }
      byKey.set(key, ctx);
      return ctx;
    },
    all: () => [...byKey.values()],
  };
}
