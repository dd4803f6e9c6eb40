/**
 * Results of a finished analysis, read from the job store that holds it (`jobs/<id>/results/`):
 * the summary and ROI arrays (kept for the few most recently opened results), single dF/F rows
 * (read by range, never the whole array), the images the summary lists (only those), and the
 * Results list's cell counts (the worker's read once per analysis: finished results do not change;
 * the curated one recomputed only when curation.json's version changes).
 *
 * A Results list's count is kept for `countLifetimeMs` (default 60 s) on the injected clock: a list
 * read again within that time costs no request per result (without it, one version check, an S3
 * HEAD, per result per listing). This app's own curations and undos drop the count of the result
 * they change, and so does an open of a result that reads its curation.json anew (first open, or a
 * changed version), so those show on the next listing; a curation made by another app instance, the
 * CLI or another workstation shows in the list at most one lifetime late (the ROI arrays and detail
 * always check the version). 60 s: a count in a list may lag a curation made elsewhere by a minute,
 * while a list open for weeks costs at most one HEAD per result a minute however often it is read.
 */
import type { Analysis, CurationState, ResultEntry, ResultSummary } from '../../preload/api.ts';
import { curateJob, undoJobCuration, workerIscell, type JobCuration } from '../results/job-curation.ts';
import { binActivity, type ActivityMatrix } from '../../preload/activity-binary.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { isJobId, jobKeys } from '../jobs/job-layout.ts';
import { getJson } from '../jobs/object-store.ts';
import { JobError } from '../jobs/job-errors.ts';
import { AppError, type AppErrorCode } from './app-errors.ts';
import type { JobsContext } from './jobs-context.ts';
import { readLayout, readRow, toFloat32, type NpyLayout } from './npy-rows.ts';
import { RESULT_FILES, roiList, type RoiRecord } from '../results/worker-contract.ts';
import { CURATION_FILE, CurationError, effectiveIscell, loadCurationVersioned, type CuratorIdentity } from '../results/curation.ts';
import { cellCountOf, imageList, planesOf, toResultSummary, toRoiArrays, type ImageFile, type ProjectionImage } from './results-mapping.ts';
import { labelImage, pickProjection, toPlaneAnatomy, type ProjectionRecord } from './results-anatomy.ts';
import type { PlaneAnatomy, ProjectionKind } from '../../preload/anatomy-binary.ts';
import type { RegionRecord } from '../results/worker-contract.ts';
import type { RoiDetail } from '../../preload/roi-detail-binary.ts';
import { createRoiDetailReader } from './results-detail.ts';
import { createExpiringCache } from '../common/expiring-cache.ts';
import { systemClock, type Clock } from '../common/time.ts';

export interface ResultsApi {
  /** The finished ones of `analyses` (the analyses list, newest first) as the Results list. */
  list(analyses: readonly Analysis[]): Promise<ResultEntry[]>;
  summary(id: string): Promise<ResultSummary>;
  rois(id: string): Promise<RoiArrays>;
  trace(id: string, roi: number): Promise<Float32Array>;
  image(id: string, name: string): Promise<Uint8Array>;
  /** Every ROI's dF/F in `bins` time bins; read once per (analysis, bins), in 16 MB ranges. */
  activity(id: string, bins: number): Promise<ActivityMatrix>;
  /** Plane `plane`'s `kind` projection and its ROI footprints (regions.json read once per analysis). */
  anatomy(id: string, plane: number, kind: ProjectionKind): Promise<PlaneAnatomy>;
  /** Appends curation records as `who` (results/job-curation.ts); later reads of `id` show them. */
  curate(id: string, rois: readonly number[], iscell: boolean, who: string): Promise<CurationState>;
  undoCuration(id: string, who: string): Promise<CurationState>;
  /** One ROI's traces, labels and features (results-detail.ts). */
  detail(id: string, roi: number): Promise<RoiDetail>;
}

interface Loaded {
  ctx: JobsContext;
  summary: ResultSummary;
  /** With the curation of `curationVersion` applied; re-labelled when the stored curation changes. */
  rois: RoiArrays;
  /** rois.json's records as the worker wrote them, and the planes. */
  worker: RoiRecord[];
  planes: number;
  /** The store's version of curation.json the ROI arrays carry (null: none). */
  curationVersion: string | null;
  images: ImageFile[];
  dff: NpyLayout | null;
  activity: Map<number, Promise<ActivityMatrix>>;
  /** projections.json's records, files relative to the results folder. */
  projections: ProjectionRecord[];
  regions: Promise<RegionRecord[]> | null;
  /** Label images already made, by plane (the same for every projection kind). */
  labels: Map<number, Int32Array>;
  planeOf: (id: number) => number;
}

const curationKey = (id: string) => `${jobKeys(id).results}${CURATION_FILE}`;

/** The app code of a refused curation change (other curation errors: NO_RESULTS). */
const CURATION_CODES: Partial<Record<CurationError['code'], AppErrorCode>> = {
  BAD_ROI: 'UNKNOWN_ROI',
  NOTHING_TO_UNDO: 'INVALID_INPUT',
  CURATION_CONFLICT: 'CURATION_CONFLICT',
};

/**
 * The ROIs with `iscell` as curated (curation.json beside the results; an invalid one is
 * NO_RESULTS), and the version of curation.json read.
 */
async function curated(ctx: JobsContext, id: string, rois: RoiRecord[]): Promise<{ rois: RoiRecord[]; version: string | null }> {
  try {
    const { doc, version } = await loadCurationVersioned(ctx.store, curationKey(id));
    if (doc.records.length === 0) return { rois, version };
    const worker: boolean[] = [];
    for (const r of rois) worker[r.id] = r.iscell === true;
    const iscell = effectiveIscell(
      Array.from(worker, (v) => v === true),
      doc.records,
    );
    return { rois: rois.map((r) => ({ ...r, iscell: iscell[r.id] })), version };
  } catch (e) {
    if (e instanceof CurationError) throw new AppError('NO_RESULTS', `analysis ${id}: ${e.message}`);
    throw e;
  }
}

function curationState(c: JobCuration): CurationState {
  return { records: c.records.length, cells: c.iscell.filter(Boolean).length, changed: c.iscell.filter((v, i) => v !== c.worker[i]).length };
}

const KEEP = 3;
const CHUNK_BYTES = 16 * 1024 * 1024;
/** Larger dF/F arrays are not binned for the raster (the per-ROI traces still work). */
const MAX_ACTIVITY_BYTES = 2 * 1024 * 1024 * 1024;

export interface ResultsApiOptions {
  /** Who curates besides the owner name (results/curator-identity.ts): for the store `ctx`. */
  curator?: (ctx: JobsContext) => Promise<CuratorIdentity>;
  /** The results cache (results/pull.ts): a pulled copy's curation.json follows the app's curations. */
  cacheRoot?: string;
  /** The clock of the Results list's counts (default: the system's). */
  clock?: Clock;
  /** How long a Results list's count is kept (default COUNT_LIFETIME_MS). */
  countLifetimeMs?: number;
}

export const COUNT_LIFETIME_MS = 60_000;

/** A Results list count: `curated` when curation.json has records and `cells` counts its labels. */
interface CellCount {
  cells: number | null;
  curated: boolean;
}

/** `contextOf(id)`: the job store holding analysis `id` (the destination's, or the demo's). */
export function createResultsApi(contextOf: (id: string) => Promise<JobsContext>, opts: ResultsApiOptions = {}): ResultsApi {
  const cache = new Map<string, Promise<Loaded>>();
  const cells = new Map<string, Promise<number | null>>();
  /** The worker's labels per analysis (read once: finished results do not change). */
  const workerLabels = new Map<string, Promise<boolean[]>>();
  /** Curated counts by analysis, valid while curation.json keeps `version`. */
  const curatedCells = new Map<string, { version: string; count: CellCount }>();
  /** The Results list's answers by store and analysis, for `countLifetimeMs`. */
  const counts = createExpiringCache<CellCount>(opts.clock ?? systemClock, opts.countLifetimeMs ?? COUNT_LIFETIME_MS);
  const readDetail = createRoiDetailReader();

  async function load(id: string): Promise<Loaded> {
    if (!isJobId(id)) throw new AppError('NO_RESULTS', `"${id}" is not an analysis id`);
    const ctx = await contextOf(id);
    const key = `${ctx.key}\n${id}`;
    let p = cache.get(key);
    if (!p) {
      p = (async () => {
        const base = jobKeys(id).results;
        const roisDoc = await getJson<unknown>(ctx.store, `${base}${RESULT_FILES.rois}`);
        if (roisDoc === null) throw new AppError('NO_RESULTS', `analysis ${id} has no results (yet): it may still run, or it failed`);
        const summaryDoc = await getJson<unknown>(ctx.store, `${base}${RESULT_FILES.summary}`);
        const worker = roiList(roisDoc);
        const { rois, version: curationVersion } = await curated(ctx, id, worker);
        counts.drop(key);
        const planes = planesOf(summaryDoc, rois);
        const dff = await readLayout(ctx.readRange, `${base}${RESULT_FILES.dff}`).catch(() => null);
        const images: ImageFile[] = [];
        const projections: ProjectionRecord[] = [];
        const keys = await ctx.store.list(base);
        for (const projKey of keys.filter((k) => k.endsWith(RESULT_FILES.projections)).slice(0, 1)) {
          const doc = await getJson<{ images?: ProjectionImage[] }>(ctx.store, projKey);
          const dir = projKey.slice(base.length, -'projections.json'.length);
          images.push(...imageList(doc?.images ?? [], dir, false, planes));
          for (const r of doc?.images ?? []) if (r && typeof r.file === 'string') projections.push({ ...r, file: `${dir}${r.file}` });
        }
        if (keys.includes(`${base}${RESULT_FILES.covariance}`)) images.push(...imageList([], '', true, planes));
        const summary = toResultSummary({ id, summary: summaryDoc, rois, traceLength: dff && dff.shape.length >= 2 ? dff.shape[1] : null, images });
        const planeOfId = new Map(rois.map((r) => [r.id, r.plane]));
        const planeOf = (roi: number) => planeOfId.get(roi) ?? 0;
        return {
          ctx,
          summary,
          rois: toRoiArrays(rois, planes),
          worker,
          planes,
          curationVersion,
          images,
          dff,
          activity: new Map(),
          projections,
          regions: null,
          labels: new Map(),
          planeOf,
        };
      })();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
      while (cache.size > KEEP) cache.delete(cache.keys().next().value!);
    }
    return p;
  }

  /**
   * `id`'s results with the curation the store has now: one version check (a HEAD for S3) per
   * call, and the ROI arrays re-labelled only when curation.json changed since they were read
   * (curated on another workstation or through the CLI).
   */
  async function current(id: string): Promise<Loaded> {
    const r = await load(id);
    if ((await r.ctx.store.version(curationKey(id))) !== r.curationVersion) {
      const c = await curated(r.ctx, id, r.worker);
      r.rois = toRoiArrays(c.rois, r.planes);
      r.curationVersion = c.version;
      counts.drop(`${r.ctx.key}\n${id}`);
    }
    return r;
  }

  /** Runs a curation change on the store holding `id`, then drops `id`'s cached ROI arrays. */
  async function curationChange(id: string, change: (ctx: JobsContext) => Promise<JobCuration>): Promise<CurationState> {
    if (!isJobId(id)) throw new AppError('NO_RESULTS', `"${id}" is not an analysis id`);
    const ctx = await contextOf(id);
    try {
      return curationState(await change(ctx));
    } catch (e) {
      if (e instanceof CurationError) throw new AppError(CURATION_CODES[e.code] ?? 'NO_RESULTS', e.message);
      if (e instanceof JobError) throw new AppError('NO_RESULTS', e.message);
      throw e;
    } finally {
      cache.delete(`${ctx.key}\n${id}`);
      counts.drop(`${ctx.key}\n${id}`);
    }
  }

  function once<T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
    let p = map.get(key);
    if (!p) {
      p = make();
      map.set(key, p);
      p.catch(() => map.delete(key));
    }
    return p;
  }

  /**
   * The worker's count (summary.json, read once) when the results have no curation.json, else the
   * curated count: one version check per call, rois.json read once per analysis, curation.json
   * read again only when its version changed.
   */
  async function cellCount(ctx: JobsContext, id: string): Promise<CellCount> {
    const key = `${ctx.key}\n${id}`;
    const worker = () => once(cells, key, () => getJson<unknown>(ctx.store, `${jobKeys(id).results}${RESULT_FILES.summary}`).then(cellCountOf));
    const version = await ctx.store.version(curationKey(id));
    if (version === null) return { cells: await worker(), curated: false };
    const hit = curatedCells.get(key);
    if (hit?.version === version) return hit.count;
    const [labels, stored] = await Promise.all([once(workerLabels, key, () => workerIscell(ctx.store, id)), loadCurationVersioned(ctx.store, curationKey(id))]);
    if (stored.version === null || stored.doc.records.length === 0) return { cells: await worker(), curated: false };
    const count = { cells: effectiveIscell(labels, stored.doc.records).filter(Boolean).length, curated: true };
    curatedCells.set(key, { version: stored.version, count });
    return count;
  }

  /** `id`'s count as made at most `countLifetimeMs` ago (a failed one is not kept). */
  async function listedCount(id: string): Promise<CellCount> {
    const ctx = await contextOf(id);
    return counts.get(`${ctx.key}\n${id}`, () => cellCount(ctx, id));
  }

  return {
    async list(analyses) {
      const done = analyses.filter((a) => a.status === 'done');
      return Promise.all(
        done.map(async (a) => ({
          id: a.id,
          name: a.name,
          source: a.source,
          finishedAt: a.finishedAt ?? a.startedAt,
          demo: a.demo,
          ...(await listedCount(a.id).catch((): CellCount => ({ cells: null, curated: false }))),
        })),
      );
    },
    summary: async (id) => (await load(id)).summary,
    rois: async (id) => (await current(id)).rois,
    async trace(id, roi) {
      const r = await load(id);
      if (roi >= r.rois.count) throw new AppError('UNKNOWN_ROI', `ROI ${roi} is out of range (0-${r.rois.count - 1})`);
      if (!r.dff) throw new AppError('NO_RESULTS', `analysis ${id} has no traces (dff.npy)`);
      return readRow(r.ctx.readRange, `${jobKeys(id).results}${RESULT_FILES.dff}`, r.dff, roi);
    },
    async activity(id, bins) {
      const r = await load(id);
      const dff = r.dff;
      if (!dff || dff.shape.length < 2) throw new AppError('NO_RESULTS', `analysis ${id} has no traces (dff.npy)`);
      let p = r.activity.get(bins);
      if (!p) {
        p = (async () => {
          const [rows, frames] = [dff.shape[0], dff.shape.slice(1).reduce((a, b) => a * b, 1)];
          const rowBytes = frames * dff.itemSize;
          if (rows * rowBytes > MAX_ACTIVITY_BYTES)
            throw new AppError('NO_RESULTS', `the traces of ${id} are too large to bin (${rows} ROIs × ${frames} frames)`);
          const read = r.ctx.readRange;
          const key = `${jobKeys(id).results}${RESULT_FILES.dff}`;
          const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / Math.max(1, rowBytes)));
          const all = new Float32Array(rows * frames);
          for (let first = 0; first < rows; first += perChunk) {
            const n = Math.min(perChunk, rows - first);
            const bytes = await read(key, dff.dataOffset + first * rowBytes, n * rowBytes);
            if (!bytes || bytes.length < n * rowBytes) throw new AppError('NO_RESULTS', `${key} is truncated`);
            all.set(toFloat32(dff.dtype, bytes, n * frames), first * frames);
          }
          return binActivity(Math.min(rows, r.rois.count), frames, bins, (i) => all.subarray(i * frames, (i + 1) * frames));
        })();
        r.activity.set(bins, p);
        p.catch(() => r.activity.delete(bins));
      }
      return p;
    },
    async anatomy(id, plane, kind) {
      const r = await load(id);
      if (plane >= r.summary.planes) throw new AppError('UNKNOWN_IMAGE', `plane ${plane} is out of range (${id} has ${r.summary.planes})`);
      const record = pickProjection(r.projections, plane, kind);
      if (!record) throw new AppError('UNKNOWN_IMAGE', `no ${kind} projection of plane ${plane + 1} in the results of ${id}`);
      const base = jobKeys(id).results;
      const body = await r.ctx.store.get(`${base}${record.file}`);
      if (!body) throw new AppError('UNKNOWN_IMAGE', `${record.file} of ${id} is missing from the store`);
      // Missing or unreadable regions.json: the image still shows, without footprints.
      r.regions ??= getJson<unknown>(r.ctx.store, `${base}${RESULT_FILES.regions}`).then(
        (d) => (Array.isArray(d) ? (d as RegionRecord[]) : []),
        () => [],
      );
      const regions = await r.regions;
      return toPlaneAnatomy(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), record, kind, (w, h) => {
        const cached = r.labels.get(plane);
        if (cached && cached.length === w * h) return cached;
        const made = labelImage(regions, plane, w, h, r.planeOf);
        r.labels.set(plane, made);
        return made;
      });
    },
    async curate(id, rois, iscell, who) {
      return curationChange(id, async (ctx) =>
        curateJob(ctx.store, id, rois, iscell, { who, source: 'app', now: () => new Date(), ...(await opts.curator?.(ctx)) }, opts.cacheRoot),
      );
    },
    async undoCuration(id, who) {
      return curationChange(id, async (ctx) =>
        undoJobCuration(ctx.store, id, { who, source: 'app', now: () => new Date(), ...(await opts.curator?.(ctx)) }, opts.cacheRoot),
      );
    },
    async detail(id, roi) {
      // The curated label as stored now (curation.json may have changed on another workstation).
      const r = await current(id);
      return readDetail(id, { ctx: r.ctx, base: jobKeys(id).results, rois: r.rois }, roi);
    },
    async image(id, name) {
      const r = await load(id);
      const img = r.images.find((i) => i.name === name);
      if (!img) throw new AppError('UNKNOWN_IMAGE', `no image "${name}" in the results of ${id}`);
      const body = await r.ctx.store.get(`${jobKeys(id).results}${img.file}`);
      if (!body) throw new AppError('UNKNOWN_IMAGE', `image "${name}" of ${id} is missing from the store`);
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    },
  };
}
