/** Keys of a job's objects in the job store (the layout is documented in job-types.ts). */

export const JOBS_ROOT = 'jobs/';
export const WORKERS_ROOT = 'workers/';

export function jobKeys(id: string) {
  const base = `${JOBS_ROOT}${id}/`;
  return {
    base,
    manifest: `${base}job.json`,
    status: `${base}status.json`,
    cancel: `${base}cancel`,
    dismissed: `${base}dismissed`,
    results: `${base}results/`,
    shard(n: number) {
      const s = `${base}shards/${n}/`;
      return {
        base: s,
        status: `${s}status.json`,
        heartbeat: `${s}heartbeat.json`,
        instance: `${s}instance.json`,
        log: `${s}log.txt`,
        results: `${s}results/`,
      };
    },
  };
}

/** Where a shard's worker writes its outputs: the job's results for a single shard, else its own. */
export function shardResultsKey(id: string, n: number, shardCount: number): string {
  return shardCount === 1 ? jobKeys(id).results : jobKeys(id).shard(n).results;
}

/** Content-addressed worker binary key: uploaded once per distinct build. */
export function workerKey(sha256: string): string {
  return `${WORKERS_ROOT}${sha256}/scopecloud-worker`;
}

export const CHECKSUMS_FILE = 'checksums.sha256';

const ID_RE = /^[a-z0-9][a-z0-9-]{2,63}$/;
export function isJobId(id: string): boolean {
  return ID_RE.test(id);
}

/** A sortable, readable job id: `j-20250101-123456-abcd`. */
export function newJobId(now: number, random: () => number = Math.random): string {
  const d = new Date(now).toISOString();
  const stamp = `${d.slice(0, 10).replaceAll('-', '')}-${d.slice(11, 19).replaceAll(':', '')}`;
  const tail = Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `j-${stamp}-${tail}`;
}
