/**
 * One ROI's detail for the curation panel: its F, Fneu, dF/F and spikes rows (ranged reads of the
 * .npy files), the worker's label and score (iscell.npy row), the curated label, and its features
 * (the scalars of its suite2p stat.npy dict, rois.json's pixel count when there is none). Parsed
 * stat.npy files are kept for the few most recently read planes.
 */
import type { RoiDetail } from '../../preload/roi-detail-binary.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { NpyError } from '../results/npy.ts';
import { statFeatures, Suite2pStatError, type RoiFeatures } from '../results/suite2p-stat.ts';
import { RESULT_FILES, SUITE2P_PLANE_FILES, suite2pPlaneDir } from '../results/worker-contract.ts';
import { AppError } from './app-errors.ts';
import type { JobsContext } from './jobs-context.ts';
import { readLayout, readRow } from './npy-rows.ts';

/** Features shown first, in this order; any other scalar the file holds follows by name. */
const FEATURE_ORDER = ['npix', 'npix_norm', 'radius', 'aspect_ratio', 'compact', 'footprint', 'skew', 'std'];
/** Per-ROI dict entries that are not features of the ROI. */
const NOT_FEATURES = new Set(['iplane']);
const KEEP_PLANES = 4;

export interface DetailSource {
  ctx: JobsContext;
  /** The results folder's key prefix (jobs/<id>/results/). */
  base: string;
  /** The ROI arrays with the curated iscell. */
  rois: RoiArrays;
}

export type RoiDetailReader = (id: string, src: DetailSource, roi: number) => Promise<RoiDetail>;

export function createRoiDetailReader(): RoiDetailReader {
  const stats = new Map<string, Promise<RoiFeatures[] | null>>();

  function planeStats(src: DetailSource, plane: number): Promise<RoiFeatures[] | null> {
    const key = `${src.ctx.key}\n${src.base}${suite2pPlaneDir(plane)}/${SUITE2P_PLANE_FILES.stat}`;
    let p = stats.get(key);
    if (!p) {
      p = (async () => {
        const body = await src.ctx.store.get(`${src.base}${suite2pPlaneDir(plane)}/${SUITE2P_PLANE_FILES.stat}`);
        return body ? statFeatures(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)) : null;
      })();
      stats.set(key, p);
      p.catch(() => stats.delete(key));
      while (stats.size > KEEP_PLANES) stats.delete(stats.keys().next().value!);
    }
    return p;
  }

  async function row(src: DetailSource, file: string, roi: number): Promise<Float32Array> {
    const key = `${src.base}${file}`;
    const layout = await readLayout(src.ctx.readRange, key);
    if (!layout) return new Float32Array(0);
    return readRow(src.ctx.readRange, key, layout, roi);
  }

  return async (id, src, roi) => {
    const { rois } = src;
    if (roi >= rois.count) throw new AppError('UNKNOWN_ROI', `ROI ${roi} is out of range (0-${rois.count - 1})`);
    const plane = Math.round(rois.centroids[roi * 3 + 2]);
    try {
      const [F, Fneu, dff, spks, cell] = await Promise.all(
        [RESULT_FILES.F, RESULT_FILES.Fneu, RESULT_FILES.dff, RESULT_FILES.spks, RESULT_FILES.iscell].map((f) => row(src, f, roi)),
      );
      // The ROI's row in its plane's stat.npy: ROIs are numbered plane after plane.
      let inPlane = 0;
      for (let i = 0; i < roi; i++) if (Math.round(rois.centroids[i * 3 + 2]) === plane) inPlane++;
      const stat = (await planeStats(src, plane))?.[inPlane];
      const features = stat ? orderFeatures(stat) : [{ name: 'npix', value: rois.sizes[roi] }];
      return {
        roi,
        plane,
        x: rois.centroids[roi * 3],
        y: rois.centroids[roi * 3 + 1],
        score: cell.length >= 2 ? cell[1] : rois.scores ? rois.scores[roi] / 255 : null,
        workerIscell: cell.length >= 1 ? cell[0] > 0.5 : null,
        iscell: rois.iscell ? rois.iscell[roi] === 1 : null,
        features,
        F,
        Fneu,
        dff,
        spks,
      };
    } catch (e) {
      if (e instanceof NpyError || e instanceof Suite2pStatError) throw new AppError('NO_RESULTS', `analysis ${id}, ROI ${roi}: ${e.message}`);
      throw e;
    }
  };
}

function orderFeatures(stat: RoiFeatures): RoiDetail['features'] {
  const names = Object.keys(stat).filter((k) => !NOT_FEATURES.has(k));
  const rank = (k: string) => (FEATURE_ORDER.includes(k) ? FEATURE_ORDER.indexOf(k) : FEATURE_ORDER.length);
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return names.map((name) => ({ name, value: stat[name] }));
}
