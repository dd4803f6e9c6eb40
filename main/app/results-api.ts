/**
 * Results of a finished analysis, read from the job store (`jobs/<id>/results/`): the summary
 * and ROI arrays (kept for the few most recently opened results), single dF/F rows (read by
 * range, never the whole array), and the images the summary lists (only those).
 */
import type { ResultSummary } from '../../preload/api.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { isJobId, jobKeys } from '../jobs/job-layout.ts';
import { getJson } from '../jobs/object-store.ts';
import { AppError } from './app-errors.ts';
import type { JobsContext } from './jobs-context.ts';
import { readLayout, readRow, type NpyLayout } from './npy-rows.ts';
import { imageList, planesOf, roiList, toResultSummary, toRoiArrays, type ImageFile, type ProjectionImage } from './results-mapping.ts';

export interface ResultsApi {
  summary(id: string): Promise<ResultSummary>;
  rois(id: string): Promise<RoiArrays>;
  trace(id: string, roi: number): Promise<Float32Array>;
  image(id: string, name: string): Promise<Uint8Array>;
}

interface Loaded {
  summary: ResultSummary;
  rois: RoiArrays;
  images: ImageFile[];
  dff: NpyLayout | null;
}

const KEEP = 3;

export function createResultsApi(jobs: () => JobsContext): ResultsApi {
  const cache = new Map<string, Promise<Loaded>>();

  async function load(id: string): Promise<Loaded> {
    if (!isJobId(id)) throw new AppError('NO_RESULTS', `"${id}" is not an analysis id`);
    const ctx = jobs();
    const key = `${ctx.key}\n${id}`;
    let p = cache.get(key);
    if (!p) {
      p = (async () => {
        const base = jobKeys(id).results;
        const roisDoc = await getJson<unknown>(ctx.store, `${base}rois.json`);
        if (roisDoc === null) throw new AppError('NO_RESULTS', `analysis ${id} has no results (yet): it may still run, or it failed`);
        const summaryDoc = await getJson<unknown>(ctx.store, `${base}summary.json`);
        const rois = roiList(roisDoc);
        const planes = planesOf(summaryDoc, rois);
        const dff = await readLayout(ctx.readRange, `${base}dff.npy`).catch(() => null);
        const images: ImageFile[] = [];
        const keys = await ctx.store.list(base);
        for (const projKey of keys.filter((k) => k.endsWith('projections/projections.json')).slice(0, 1)) {
          const doc = await getJson<{ images?: ProjectionImage[] }>(ctx.store, projKey);
          images.push(...imageList(doc?.images ?? [], projKey.slice(base.length, -'projections.json'.length), false, planes));
        }
        if (keys.includes(`${base}covariance.png`)) images.push(...imageList([], '', true, planes));
        const summary = toResultSummary({ id, summary: summaryDoc, rois, traceLength: dff && dff.shape.length >= 2 ? dff.shape[1] : null, images });
        return { summary, rois: toRoiArrays(rois, planes), images, dff };
      })();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
      while (cache.size > KEEP) cache.delete(cache.keys().next().value!);
    }
    return p;
  }

  return {
    summary: async (id) => (await load(id)).summary,
    rois: async (id) => (await load(id)).rois,
    async trace(id, roi) {
      const r = await load(id);
      if (roi >= r.rois.count) throw new AppError('UNKNOWN_ROI', `ROI ${roi} is out of range (0-${r.rois.count - 1})`);
      if (!r.dff) throw new AppError('NO_RESULTS', `analysis ${id} has no traces (dff.npy)`);
      return readRow(jobs().readRange, `${jobKeys(id).results}dff.npy`, r.dff, roi);
    },
    async image(id, name) {
      const r = await load(id);
      const img = r.images.find((i) => i.name === name);
      if (!img) throw new AppError('UNKNOWN_IMAGE', `no image "${name}" in the results of ${id}`);
      const body = await jobs().store.get(`${jobKeys(id).results}${img.file}`);
      if (!body) throw new AppError('UNKNOWN_IMAGE', `image "${name}" of ${id} is missing from the store`);
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    },
  };
}
