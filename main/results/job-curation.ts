/**
 * Curation of a job's results where they live: `curation.json` under the job's results key in the
 * job store (S3 for EC2 jobs, the archive folder for local ones), so every workstation sees the
 * same records. The worker's labels come from the stored `rois.json`. When the results were pulled
 * into `cacheRoot`, the cached `curation.json` is brought up to date too.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { jobKeys } from '../jobs/job-layout.ts';
import { JobError } from '../jobs/job-errors.ts';
import { getJson, type ObjectStore } from '../jobs/object-store.ts';
import type { JobManifest } from '../jobs/job-types.ts';
import {
  CURATION_FILE,
  curationRecords,
  effectiveIscell,
  loadCuration,
  saveCurationVersioned,
  undoRecords,
  type CurationDoc,
  type CurationRecord,
  type CurationSource,
  type CuratorIdentity,
  type StoredCuration,
} from './curation.ts';
import { writeCachedCuration } from './curation-cache.ts';
import { VERIFIED_MARKER, resultsDir } from './pull.ts';
import { RESULT_FILES, roiList, type RoiRecord } from './worker-contract.ts';

/** `who`: the owner name; the identity: the AWS caller's ARN for S3 results, the OS user for local ones. */
export interface Curator extends CuratorIdentity {
  who: string;
  source: CurationSource;
  now: () => Date;
}

export interface JobCuration {
  jobId: string;
  records: CurationRecord[];
  /** The worker's label of each ROI, by id. */
  worker: boolean[];
  /** The curated label of each ROI, by id. */
  iscell: boolean[];
}

const curationKey = (jobId: string) => jobKeys(jobId).results + CURATION_FILE;

/** The worker's labels from the stored rois.json, by ROI id. Throws JobError RESULTS_NOT_READY. */
export async function workerIscell(store: ObjectStore, jobId: string): Promise<boolean[]> {
  const body = await store.get(jobKeys(jobId).results + RESULT_FILES.rois);
  if (!body) throw new JobError('RESULTS_NOT_READY', `job ${jobId} has no results in ${store.location} yet (no ${RESULT_FILES.rois})`);
  let rois: RoiRecord[];
  try {
    rois = roiList(JSON.parse(body.toString('utf8')));
  } catch (e) {
    throw new JobError('RESULTS_NOT_READY', `${RESULT_FILES.rois} of job ${jobId} is not readable: ${(e as Error).message}`);
  }
  const out: boolean[] = [];
  for (const r of rois) out[r.id] = r.iscell === true;
  return Array.from(out, (v) => v === true);
}

function view(jobId: string, worker: boolean[], doc: CurationDoc): JobCuration {
  return { jobId, records: doc.records, worker, iscell: effectiveIscell(worker, doc.records) };
}

export async function jobCuration(store: ObjectStore, jobId: string): Promise<JobCuration> {
  const worker = await workerIscell(store, jobId);
  return view(jobId, worker, await loadCuration(store, curationKey(jobId)));
}

/** Replaces the pulled copy's curation.json (if the results were pulled) with the document just stored. */
async function syncCache(store: ObjectStore, jobId: string, cacheRoot: string | undefined, stored: StoredCuration): Promise<void> {
  if (!cacheRoot) return;
  const m = await getJson<JobManifest>(store, jobKeys(jobId).manifest);
  if (!m) return;
  const dir = resultsDir(cacheRoot, m);
  if (
    !(await access(join(dir, VERIFIED_MARKER)).then(
      () => true,
      () => false,
    ))
  )
    return;
  await writeCachedCuration(dir, stored);
}

/** Labels `rois` as cell or not. Throws CurationError BAD_ROI for an ROI the results lack. */
export async function curateJob(
  store: ObjectStore,
  jobId: string,
  rois: readonly number[],
  iscell: boolean,
  by: Curator,
  cacheRoot?: string,
): Promise<JobCuration> {
  const worker = await workerIscell(store, jobId);
  const records = curationRecords(worker.length, rois, iscell, { ...by, when: by.now() });
  const stored = await saveCurationVersioned(store, curationKey(jobId), records);
  await syncCache(store, jobId, cacheRoot, stored);
  return view(jobId, worker, stored.doc);
}

/** Undoes `by.who`'s last action on the job's results. Throws CurationError NOTHING_TO_UNDO. */
export async function undoJobCuration(store: ObjectStore, jobId: string, by: Curator, cacheRoot?: string): Promise<JobCuration> {
  const cur = await jobCuration(store, jobId);
  const records = undoRecords(cur.worker, cur.records, { ...by, when: by.now() });
  const stored = await saveCurationVersioned(store, curationKey(jobId), records);
  await syncCache(store, jobId, cacheRoot, stored);
  return view(jobId, cur.worker, stored.doc);
}
