/**
 * Brings a job's results home: every file under `jobs/<id>/results/` into
 * `<cache>/results/<session>/<job id>/`, each checked against `checksums.sha256`. Files already
 * cached with the right hash are not fetched again, so a second pull is free and the cache can be
 * browsed offline. A file whose hash does not match is deleted and the pull fails. A name that
 * could land outside that folder (see result-path.ts) fails the pull before any file is written.
 * `curation.json` (curation.ts) is not a worker file and not in the checksums: when the store has
 * one it is validated and replaces the cached copy whenever the store's version differs from the
 * one cached (curation-cache.ts: a HEAD when nothing changed; the store's is the shared one).
 */
import { mkdir, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKSUMS_FILE, jobKeys } from '../jobs/job-layout.ts';
import { getJson, sha256File, type ObjectStore } from '../jobs/object-store.ts';
import { parseChecksums } from '../jobs/results-upload.ts';
import type { JobManifest } from '../jobs/job-types.ts';
import { JobError } from '../jobs/job-errors.ts';
import { resultFilePath } from './result-path.ts';
import { CURATION_FILE, readCuration } from './curation.ts';
import { refreshCachedCuration } from './curation-cache.ts';

export const VERIFIED_MARKER = '.scopecloud-verified.json';

export interface PullResult {
  jobId: string;
  dir: string;
  files: number;
  downloaded: number;
  reused: number;
  /** Curation records pulled with the results (0 when there is no curation.json). */
  curation: number;
}

/** A folder name for a session label: readable, no separators. */
export function sessionFolder(label: string): string {
  return (
    label
      .replace(/[\\/:*?"<>|\s]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 100) || 'session'
  );
}

export function resultsDir(cacheRoot: string, m: Pick<JobManifest, 'id' | 'sources'>): string {
  return join(cacheRoot, 'results', sessionFolder(m.sources.length === 1 ? m.sources[0] : `${m.sources[0]}+${m.sources.length - 1}`), m.id);
}

async function hashOrNull(path: string): Promise<string | null> {
  try {
    return await sha256File(path);
  } catch {
    return null;
  }
}

export async function pullResults(store: ObjectStore, jobId: string, cacheRoot: string): Promise<PullResult> {
  const m = await getJson<JobManifest>(store, jobKeys(jobId).manifest);
  if (!m) throw new JobError('JOB_NOT_FOUND', `job ${jobId} not found in ${store.location}`);
  const prefix = jobKeys(jobId).results;
  const sumsText = await store.get(prefix + CHECKSUMS_FILE);
  if (!sumsText) throw new JobError('RESULTS_NOT_READY', `job ${jobId} has no complete results yet (no ${CHECKSUMS_FILE})`);
  const sums = parseChecksums(sumsText.toString('utf8'));
  const dir = resultsDir(cacheRoot, m);
  // Every name is checked before anything is written, so a bad list leaves no file behind.
  for (const rel of sums.keys()) resultFilePath(dir, rel);
  await mkdir(dir, { recursive: true });
  let downloaded = 0;
  let reused = 0;
  for (const [rel, want] of sums) {
    const local = resultFilePath(dir, rel);
    if ((await hashOrNull(local)) === want) {
      reused++;
      continue;
    }
    if (!(await store.getToFile(prefix + rel, local)))
      throw new JobError('RESULTS_NOT_READY', `result file ${rel} of job ${jobId} is missing from ${store.location}`);
    const got = await sha256File(local);
    if (got !== want) {
      await rm(local, { force: true });
      throw new JobError('CHECKSUM_MISMATCH', `${rel} of job ${jobId}: sha256 ${got.slice(0, 12)}… does not match the recorded ${want.slice(0, 12)}…`);
    }
    downloaded++;
  }
  const { version } = await refreshCachedCuration(store, prefix + CURATION_FILE, dir);
  const curationRecords = version === null ? 0 : (await readCuration(dir)).records.length;
  await writeFile(join(dir, CHECKSUMS_FILE), sumsText);
  await writeFile(join(dir, VERIFIED_MARKER), JSON.stringify({ jobId, name: m.name, sources: m.sources, files: sums.size, verifiedAt: Date.now() }, null, 2));
  return { jobId, dir, files: sums.size, downloaded, reused, curation: curationRecords };
}

export interface CachedResult {
  jobId: string;
  session: string;
  dir: string;
  files: number;
}

/** Results pulled earlier (verified), for offline browsing. */
export async function listCachedResults(cacheRoot: string): Promise<CachedResult[]> {
  const out: CachedResult[] = [];
  const root = join(cacheRoot, 'results');
  for (const session of await readdir(root).catch(() => [] as string[])) {
    for (const jobId of await readdir(join(root, session)).catch(() => [] as string[])) {
      try {
        const marker = JSON.parse(await readFile(join(root, session, jobId, VERIFIED_MARKER), 'utf8')) as { files: number };
        out.push({ jobId, session, dir: join(root, session, jobId), files: marker.files });
      } catch {
        // not (yet) verified
      }
    }
  }
  return out;
}
