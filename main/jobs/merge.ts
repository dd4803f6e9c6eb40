/**
 * Merges the results of a fanned-out job (one shard per plane or session) into the job's
 * `results/`: ROI arrays are stacked row-wise (traces cut to the shortest recording), ROI ids are
 * renumbered globally and keep their shard, per-shard images and metadata move under
 * `shard-<n>/`, and clustering is redone by the worker on the merged traces (`cluster`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { JobManifest } from './job-types.ts';
import { CHECKSUMS_FILE, jobKeys } from './job-layout.ts';
import type { ObjectStore } from './object-store.ts';
import type { SpawnWorker } from './local-runner.ts';
import type { WorkerBinary } from './worker-binary.ts';
import { listFiles, uploadResults } from './results-upload.ts';
import { concatRows, formatNpy, parseNpy, type NpyArray } from '../results/npy.ts';

/** Arrays with one row (or one entry) per ROI. */
export const ROI_ARRAYS = ['F.npy', 'Fneu.npy', 'spks.npy', 'dff.npy', 'iscell.npy', 'clusters.npy'] as const;

export interface MergeOptions {
  store: ObjectStore;
  manifest: JobManifest;
  workDir: string;
  worker: () => Promise<WorkerBinary>;
  spawnWorker?: SpawnWorker;
}

interface RoiRecord { id: number; [k: string]: unknown }

export async function mergeShardResults(o: MergeOptions): Promise<void> {
  const m = o.manifest;
  await rm(o.workDir, { recursive: true, force: true });
  const out = join(o.workDir, 'merged');
  await mkdir(out, { recursive: true });
  const shardDirs: string[] = [];
  for (const s of m.shards) {
    const prefix = jobKeys(m.id).shard(s.index).results;
    const keys = (await o.store.list(prefix)).filter((k) => !k.endsWith(CHECKSUMS_FILE));
    if (keys.length === 0) throw new Error(`shard ${s.index} has no results`);
    const dir = join(o.workDir, `shard-${s.index}`);
    for (const k of keys) await o.store.getToFile(k, join(dir, ...k.slice(prefix.length).split('/')));
    shardDirs.push(dir);
  }

  const rois: RoiRecord[] = [];
  const regions: RoiRecord[] = [];
  const summaries: unknown[] = [];
  const roiCounts: number[] = [];
  for (const [i, dir] of shardDirs.entries()) {
    const shardRois = roiList(await readJson<unknown>(join(dir, 'rois.json'), []));
    const shardRegions = await readJson<RoiRecord[]>(join(dir, 'regions.json'), []);
    const remap = new Map<number, number>();
    for (const r of shardRois) {
      remap.set(r.id, rois.length);
      rois.push({ ...r, id: rois.length, shard: i, shardRoiId: r.id });
    }
    for (const r of shardRegions) regions.push({ ...r, id: remap.get(r.id) ?? r.id, shard: i });
    roiCounts.push(shardRois.length);
    summaries.push(await readJson<unknown>(join(dir, 'summary.json'), null));
    for (const f of await listFiles(dir)) {
      if ((ROI_ARRAYS as readonly string[]).includes(f) || f === 'rois.json' || f === 'regions.json') continue;
      const dest = join(out, `shard-${i}`, ...f.split('/'));
      await mkdir(dirname(dest), { recursive: true });
      await copyFile(join(dir, ...f.split('/')), dest);
    }
  }
  const notes: string[] = [];
  for (const name of ROI_ARRAYS) {
    const parts: NpyArray[] = [];
    for (const dir of shardDirs) {
      try {
        parts.push(parseNpy(await readFile(join(dir, name))));
      } catch {
        // a shard without this array (for example no ROIs found) contributes nothing
      }
    }
    if (parts.length === 0) continue;
    const merged = concatRows(parts);
    if (merged.shape.length === 2 && parts.some((p) => p.shape[1] !== merged.shape[1])) notes.push(`${name}: cut to the shortest recording (${merged.shape[1]} frames)`);
    await writeFile(join(out, name), formatNpy(merged));
  }
  await writeFile(join(out, 'rois.json'), JSON.stringify({ schema: 1, rois }));
  await writeFile(join(out, 'regions.json'), JSON.stringify(regions));
  const clustered = await clusterMerged(o, out);
  if (!clustered) notes.push('clusters.npy holds each shard\'s own clusters: the worker has no cluster subcommand');
  else await relabelRois(out);
  await writeFile(join(out, 'summary.json'), JSON.stringify({
    merged: true, jobId: m.id, shards: m.shards.map((s, i) => ({ index: s.index, label: s.label, rois: roiCounts[i] })),
    rois: rois.length, params: m.params, clustering: clustered ? 'worker-merged' : 'per-shard', notes, shardSummaries: summaries,
  }, null, 2));
  await uploadResults(o.store, out, jobKeys(m.id).results);
}

/** rois.json is `{ schema, rois: [...] }` (worker schema 1); a bare array is accepted too. */
export function roiList<T = RoiRecord>(doc: unknown): T[] {
  if (Array.isArray(doc)) return doc as T[];
  const rois = (doc as { rois?: unknown } | null)?.rois;
  return Array.isArray(rois) ? (rois as T[]) : [];
}

async function readJson<T>(path: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/**
 * Re-clusters the merged traces with `scopecloud-worker cluster --traces <dff.npy>` when the worker
 * offers it (checked in its --help); false when it does not, and the shards' own labels stay
 * (offset per shard so they do not collide), as the summary notes.
 */
async function clusterMerged(o: MergeOptions, dir: string): Promise<boolean> {
  const worker = await o.worker();
  const run = async (args: string[]) => {
    const child = (o.spawnWorker ?? ((f, a) => spawn(f, a, { stdio: ['ignore', 'pipe', 'pipe'] })))(worker.path, args);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
    child.stderr?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-20_000); });
    const code = await new Promise<number>((r) => {
      child.once('error', () => r(-1));
      child.once('close', (c) => r(c ?? -1));
    });
    return { code, out };
  };
  const help = await run(['cluster', '--help']);
  if (help.code !== 0 || !help.out.includes('--traces')) {
    await offsetShardClusters(o, dir);
    return false;
  }
  const iscell = existsSync(join(dir, 'iscell.npy')) ? ['--iscell', join(dir, 'iscell.npy')] : [];
  const args = ['cluster', '--traces', join(dir, 'dff.npy'), ...iscell, '--out', dir, '--k', String(o.manifest.params.k), ...(o.manifest.params.seed !== undefined ? ['--seed', String(o.manifest.params.seed)] : [])];
  const r = await run(args);
  if (r.code !== 0) throw new Error(`worker cluster failed (exit ${r.code}): ${r.out.trim().split('\n').pop() ?? ''}`);
  return true;
}

/** rois.json's `cluster` fields follow the re-clustered clusters.npy (-1: not clustered, null). */
async function relabelRois(dir: string): Promise<void> {
  let a: NpyArray;
  try {
    a = parseNpy(await readFile(join(dir, 'clusters.npy')));
  } catch {
    return;
  }
  const rois = roiList(await readJson<unknown>(join(dir, 'rois.json'), []));
  if (a.shape.length !== 1 || rois.length !== a.shape[0]) return;
  rois.forEach((r, i) => {
    const c = Number(a.data[i]);
    r.cluster = c < 0 ? null : c;
  });
  await writeFile(join(dir, 'rois.json'), JSON.stringify({ schema: 1, rois }));
}

/** Shard s's cluster c becomes s * k + c in the merged clusters.npy. */
async function offsetShardClusters(o: MergeOptions, dir: string): Promise<void> {
  const path = join(dir, 'clusters.npy');
  let a: NpyArray;
  try {
    a = parseNpy(await readFile(path));
  } catch {
    return;
  }
  const rois = roiList<{ shard: number }>(await readJson<unknown>(join(dir, 'rois.json'), []));
  if (rois.length !== a.shape[0] || a.shape.length !== 1) return;
  const k = o.manifest.params.k;
  const data = a.data;
  for (let i = 0; i < rois.length; i++) {
    if (Number(data[i]) < 0) continue; // -1: not a cell, no cluster
    if (typeof data[i] === 'bigint') (data as BigInt64Array)[i] = (data as BigInt64Array)[i] + BigInt(rois[i].shard * k);
    else (data as Int32Array)[i] = Number(data[i]) + rois[i].shard * k;
  }
  await writeFile(path, formatNpy(a));
}
