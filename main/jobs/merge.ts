/**
 * Merges the results of a fanned-out job (one shard per plane or session) into the job's
 * `results/`: the shards' folders are fetched, `scopecloud-worker merge` writes one folder laid
 * out as a single run's (ROIs renumbered in shard order, arrays stacked, clustering redone over
 * all ROIs; see native-worker/README.md), and that folder is uploaded with its checksums.
 * The worker owns the results layout, so a merged folder reads like any other
 * (results/worker-contract.ts).
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobManifest } from './job-types.ts';
import { CHECKSUMS_FILE, jobKeys } from './job-layout.ts';
import type { ObjectStore } from './object-store.ts';
import type { SpawnWorker } from './local-runner.ts';
import type { WorkerBinary } from './worker-binary.ts';
import { uploadResults } from './results-upload.ts';

export interface MergeOptions {
  store: ObjectStore;
  manifest: JobManifest;
  workDir: string;
  worker: () => Promise<WorkerBinary>;
  spawnWorker?: SpawnWorker;
}

export async function mergeShardResults(o: MergeOptions): Promise<void> {
  const m = o.manifest;
  await rm(o.workDir, { recursive: true, force: true });
  const out = join(o.workDir, 'merged');
  const shardDirs: string[] = [];
  for (const s of m.shards) {
    const prefix = jobKeys(m.id).shard(s.index).results;
    const keys = (await o.store.list(prefix)).filter((k) => !k.endsWith(CHECKSUMS_FILE));
    if (keys.length === 0) throw new Error(`shard ${s.index} has no results`);
    const dir = join(o.workDir, `shard-${s.index}`);
    await mkdir(dir, { recursive: true });
    for (const k of keys) await o.store.getToFile(k, join(dir, ...k.slice(prefix.length).split('/')));
    shardDirs.push(dir);
  }
  const args = [
    'merge',
    ...shardDirs,
    '--out',
    out,
    '--k',
    String(m.params.k),
    ...(m.params.seed !== undefined ? ['--seed', String(m.params.seed)] : []),
    ...(m.params.threads !== undefined ? ['--threads', String(m.params.threads)] : []),
  ];
  await runWorker(o, args);
  await uploadResults(o.store, out, jobKeys(m.id).results);
}

/** Runs the worker to completion; a non-zero exit throws with the last line it wrote. */
async function runWorker(o: MergeOptions, args: string[]): Promise<void> {
  const worker = await o.worker();
  const child = (o.spawnWorker ?? ((f, a) => spawn(f, a, { stdio: ['ignore', 'pipe', 'pipe'] })))(worker.path, args);
  let err = '';
  child.stdout?.resume();
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  const code = await new Promise<number>((resolve) => {
    child.once('error', (e) => {
      err += e.message;
      resolve(-1);
    });
    child.once('close', (c) => resolve(c ?? -1));
  });
  if (code !== 0) throw new Error(`worker merge failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`);
}
