/**
 * Curation done in suite2p's GUI, brought back: the GUI saves its cell/not-cell decisions as the
 * plane folder's `iscell.npy` (N, 2: label, probability). `readSuite2pCuration` matches such a
 * folder to the results it came from (its `stat.npy` must be the byte-identical copy of one of
 * the results' `suite2p/plane<k>/stat.npy`, so merged or re-detected ROIs are refused) and returns
 * the curated label of each of that plane's ROIs; `importSuite2pCuration` appends the changes as
 * records to `curation.json` beside the results (curation.ts). The worker's own `iscell.npy` and
 * `rois.json` are never modified.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsObjectStore } from '../jobs/object-store.ts';
import { CURATION_FILE, CurationError, compareRecords, readCuration, saveCuration, type CurationRecord } from './curation.ts';
import { parseNpy } from './npy.ts';
import { RESULT_FILES, SUITE2P_PLANE_FILES, roiList, suite2pPlaneDir, type RoiRecord } from './worker-contract.ts';

/** The curated labels of one plane of the results. */
export interface Suite2pCuration {
  plane: number;
  /** ROI ids (rois.json) of the plane's rows, in row order. */
  rois: number[];
  /** The curated label of each of those ROIs. */
  iscell: boolean[];
  /** The worker's original label of each. */
  original: boolean[];
}

async function readOr(path: string, code: CurationError['code'], what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new CurationError(code, `${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The curated labels in the suite2p plane folder `planeFolder` for the results in `resultsDir`.
 * Throws CurationError when `resultsDir` has no ROI table or suite2p folders, `planeFolder` has no
 * `stat.npy`/`iscell.npy`, its `stat.npy` matches none of the results' planes, or its `iscell.npy`
 * is not a numeric (N, 2) array for that plane's N ROIs.
 */
export async function readSuite2pCuration(resultsDir: string, planeFolder: string): Promise<Suite2pCuration> {
  const roisDoc = await readOr(join(resultsDir, RESULT_FILES.rois), 'NOT_RESULTS', 'not a results folder');
  let rois: RoiRecord[];
  try {
    rois = roiList(JSON.parse(roisDoc.toString('utf8')));
  } catch (e) {
    throw new CurationError('NOT_RESULTS', `${join(resultsDir, RESULT_FILES.rois)} is not JSON: ${(e as Error).message}`);
  }
  const stat = await readOr(join(planeFolder, SUITE2P_PLANE_FILES.stat), 'NOT_SUITE2P', 'not a suite2p plane folder');
  const iscellBuf = await readOr(join(planeFolder, SUITE2P_PLANE_FILES.iscell), 'NOT_SUITE2P', 'not a suite2p plane folder');
  const want = sha256(stat);
  const planes = [...new Set(rois.map((r) => r.plane))].sort((a, b) => a - b);
  let plane: number | undefined;
  for (const p of planes) {
    const ours = await readFile(join(resultsDir, suite2pPlaneDir(p), SUITE2P_PLANE_FILES.stat)).catch(() => undefined);
    if (ours && sha256(ours) === want) {
      plane = p;
      break;
    }
  }
  if (plane === undefined) {
    throw new CurationError(
      'NOT_THESE_RESULTS',
      `${join(planeFolder, SUITE2P_PLANE_FILES.stat)} is not the stat.npy of any plane of ${resultsDir} (ROIs merged or split in suite2p, or another analysis): only cell/not-cell labels can be imported`,
    );
  }
  const planeRois = rois.filter((r) => r.plane === plane);
  let iscell;
  try {
    iscell = parseNpy(iscellBuf);
  } catch (e) {
    throw new CurationError('BAD_ISCELL', `${join(planeFolder, SUITE2P_PLANE_FILES.iscell)}: ${(e as Error).message}`);
  }
  const [n, cols] = iscell.shape;
  if (iscell.shape.length !== 2 || cols !== 2 || n !== planeRois.length) {
    throw new CurationError(
      'BAD_ISCELL',
      `${join(planeFolder, SUITE2P_PLANE_FILES.iscell)} has shape (${iscell.shape.join(', ')}), expected (${planeRois.length}, 2) for the ${planeRois.length} ROIs of plane ${plane}`,
    );
  }
  const labels: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const v = Number(iscell.data[i * 2]);
    if (!Number.isFinite(v)) throw new CurationError('BAD_ISCELL', `${join(planeFolder, SUITE2P_PLANE_FILES.iscell)}: row ${i} label is ${v}`);
    labels.push(v !== 0);
  }
  return { plane, rois: planeRois.map((r) => r.id), iscell: labels, original: planeRois.map((r) => r.iscell) };
}

export { CURATION_FILE, CurationError, readCuration };

export interface ImportResult {
  plane: number;
  rois: number;
  /** Records appended (ROIs whose label differs from the current one). */
  changed: number;
  file: string;
}

/**
 * Appends to `resultsDir/curation.json` a record for every ROI of the matched plane whose label in
 * suite2p differs from its current one (the last record for it, else the worker's); records
 * already there are kept (saveCuration).
 */
export async function importSuite2pCuration(resultsDir: string, planeFolder: string, by: { who: string; now: () => Date }): Promise<ImportResult> {
  const cur = await readSuite2pCuration(resultsDir, planeFolder);
  const doc = await readCuration(resultsDir);
  const current = new Map<number, boolean>();
  cur.rois.forEach((id, i) => current.set(id, cur.original[i]));
  for (const r of [...doc.records].sort(compareRecords)) if (current.has(r.roi)) current.set(r.roi, r.iscell);
  const when = by.now().toISOString();
  const records: CurationRecord[] = [];
  cur.rois.forEach((roi, i) => {
    if (current.get(roi) !== cur.iscell[i]) records.push({ roi, iscell: cur.iscell[i], source: 'suite2p', who: by.who, when });
  });
  if (records.length > 0) await saveCuration(fsObjectStore(resultsDir), CURATION_FILE, records);
  return { plane: cur.plane, rois: cur.rois.length, changed: records.length, file: join(resultsDir, CURATION_FILE) };
}
