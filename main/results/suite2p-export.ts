/**
 * The results' suite2p plane folders with the curation applied, for suite2p's GUI and scripts:
 * `exportCuratedSuite2p` copies every `suite2p/plane<k>/` of a results folder to
 * `<out>/suite2p/plane<k>/`, writing `iscell.npy` column 0 as the curated label (curation.ts) and
 * keeping column 1, the worker's cell probability. The results folder itself is never changed (its
 * files stay as checksums.sha256 lists them).
 *
 * Each exported plane folder also has `db.npy` and `settings.npy` (the worker writes them; for
 * results of a worker before them they are copied from `ops.npy` here, as the worker writes them):
 * suite2p 1.x splits 0.x's `ops.npy` into those two dicts and merges them back when it reads
 * (`{**db, **settings}`), and its GUI opens a folder of plane folders only when every plane has
 * both; 0.x and a single plane opened through `stat.npy` still use `ops.npy`. The worker's ops dict
 * holds every key either of them is read for (Ly, Lx, nframes, nchannels, the mean, enhanced-mean,
 * max and correlation images with xrange/yrange, fs, tau, diameter), so both are copies of it.
 */
import { copyFile, mkdir, readFile, readdir, rm, writeFile, rename } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { CurationError, effectiveIscell, readCuration } from './curation.ts';
import { formatNpy, parseNpy } from './npy.ts';
import { RESULT_FILES, SUITE2P_PLANE_FILES, roiList, suite2pPlaneDir, type RoiRecord } from './worker-contract.ts';

/** The files suite2p 1.x reads in place of `ops.npy` in a plane folder. */
export const SUITE2P_1X_FILES = { db: SUITE2P_PLANE_FILES.db, settings: SUITE2P_PLANE_FILES.settings } as const;

export interface Suite2pExportResult {
  dir: string;
  planes: number;
  rois: number;
  /** ROIs whose exported label differs from the worker's. */
  curated: number;
}

/**
 * Throws CurationError: NOT_RESULTS (no rois.json or no suite2p folder for a plane), BAD_ISCELL (a
 * plane's iscell.npy is not (N, 2) for its N ROIs), BAD_CURATION / BAD_ROI (curation.json), or
 * NOT_RESULTS when `outDir` is inside the results folder.
 */
export async function exportCuratedSuite2p(resultsDir: string, outDir: string): Promise<Suite2pExportResult> {
  const rel = relative(resolve(resultsDir), resolve(outDir));
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)))
    throw new CurationError('NOT_RESULTS', `${outDir} is inside the results folder ${resultsDir}; export the suite2p folders elsewhere`);
  let rois: RoiRecord[];
  try {
    rois = roiList(JSON.parse(await readFile(join(resultsDir, RESULT_FILES.rois), 'utf8')));
  } catch (e) {
    throw new CurationError('NOT_RESULTS', `${join(resultsDir, RESULT_FILES.rois)}: ${(e as Error).message}`);
  }
  const worker = rois.map((r) => r.iscell);
  const curated = effectiveIscell(worker, (await readCuration(resultsDir)).records);
  const planes = [...new Set(rois.map((r) => r.plane))].sort((a, b) => a - b);
  // Everything is read and checked before anything is written.
  const out: Array<{ src: string; dst: string; files: string[]; iscell: Buffer }> = [];
  for (const p of planes) {
    const src = join(resultsDir, suite2pPlaneDir(p));
    const files = await readdir(src).catch(() => {
      throw new CurationError('NOT_RESULTS', `${resultsDir} has no ${suite2pPlaneDir(p)} folder (results from a worker before suite2p folders)`);
    });
    const ids = rois.filter((r) => r.plane === p).map((r) => r.id);
    const path = join(src, SUITE2P_PLANE_FILES.iscell);
    let a;
    try {
      a = parseNpy(await readFile(path));
    } catch (e) {
      throw new CurationError('BAD_ISCELL', `${path}: ${(e as Error).message}`);
    }
    if (a.shape.length !== 2 || a.shape[0] !== ids.length || a.shape[1] !== 2)
      throw new CurationError('BAD_ISCELL', `${path} has shape (${a.shape.join(', ')}), expected (${ids.length}, 2)`);
    const data = a.data.slice() as typeof a.data;
    ids.forEach((id, i) => {
      (data as Float64Array)[i * 2] = curated[id] ? 1 : 0;
    });
    out.push({ src, dst: join(outDir, suite2pPlaneDir(p)), files, iscell: formatNpy({ ...a, data }) });
  }
  for (const o of out) {
    await rm(o.dst, { recursive: true, force: true });
    await mkdir(o.dst, { recursive: true });
    for (const f of o.files) if (f !== SUITE2P_PLANE_FILES.iscell) await copyFile(join(o.src, f), join(o.dst, f));
    for (const f of Object.values(SUITE2P_1X_FILES))
      if (!o.files.includes(f) && o.files.includes(SUITE2P_PLANE_FILES.ops)) await copyFile(join(o.src, SUITE2P_PLANE_FILES.ops), join(o.dst, f));
    const target = join(o.dst, SUITE2P_PLANE_FILES.iscell);
    await writeFile(`${target}.partial`, o.iscell);
    await rename(`${target}.partial`, target);
  }
  return { dir: join(outDir, 'suite2p'), planes: planes.length, rois: rois.length, curated: curated.filter((v, i) => v !== worker[i]).length };
}
