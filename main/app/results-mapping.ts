/**
 * A job's results folder (the worker's layout, results/worker-contract.ts; a merged one has the same) as
 * the Results view's summary, ROI arrays and image list. Pure over parsed documents.
 */
import type { ResultImage, ResultSummary } from '../../preload/api.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { RESULT_FILES, voxelSizeOf, type RoiRecord } from '../results/worker-contract.ts';

/** A ROI as read: any field of an older results folder may be missing. */
type ReadRoi = Partial<RoiRecord>;

/**
 * Cluster 255 means unassigned in the viewer's encoding; real clusters are capped at 254. `iscell`
 * is each ROI's `iscell` as given (the caller applies the curation, results/curation.ts).
 */
export function toRoiArrays(rois: readonly ReadRoi[], planes: number): RoiArrays {
  const n = rois.length;
  const centroids = new Float32Array(n * 3);
  const sizes = new Float32Array(n);
  const clusters = new Uint8Array(n);
  const scores = new Uint8Array(n);
  const iscell = new Uint8Array(n);
  rois.forEach((r, i) => {
    iscell[i] = r.iscell === true ? 1 : 0;
    scores[i] = Math.round(Math.max(0, Math.min(1, finite(r.score))) * 255);
    centroids[i * 3] = finite(r.x);
    centroids[i * 3 + 1] = finite(r.y);
    centroids[i * 3 + 2] = finite(r.plane);
    sizes[i] = Math.max(1, finite(r.pixels));
    clusters[i] = typeof r.cluster === 'number' && r.cluster >= 0 ? Math.min(254, r.cluster) : 255;
  });
  return { count: n, planes: Math.max(1, planes), centroids, sizes, clusters, scores, iscell };
}

function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * The worker's summary.json (a merged job's too: `scopecloud-worker merge` writes a single run's
 * fields, with each shard's own summary under `shards`). Results merged by earlier versions of
 * the app kept the shard summaries in `shardSummaries`; both still read.
 */
interface WorkerSummary {
  input?: { width?: number; height?: number; planes?: number; frames?: number; voxel_size?: unknown } | null;
  parameters?: { fs?: number; k?: number };
  counts?: { clusters?: number; cells?: number };
  shards?: Array<{ summary?: WorkerSummary }>;
  shardSummaries?: WorkerSummary[];
  params?: { fs?: number };
}

/** The shards' own summaries of a merged result (empty for a single run). */
function shardSummaries(s: WorkerSummary): WorkerSummary[] {
  return s.shardSummaries ?? (s.shards ?? []).map((x) => x?.summary ?? {});
}

export interface ProjectionImage {
  file: string;
  plane: number;
  kind: string;
  bits: number;
}

export interface ImageFile extends ResultImage {
  /** Path inside the results folder. */
  file: string;
}

const KIND_LABEL: Record<string, string> = { mean: 'Mean projection', max: 'Max projection', std: 'Std projection' };

/**
 * Images worth showing, in this order: the first raw frame of the first plane (kind `first`,
 * written by workers since first_frame_plane<N>.png), the 8-bit mean/max/std of the first plane, the mean of every other plane
 * (up to 12), the max- and std-over-time GIFs of the first plane, and the cluster-sorted covariance.
 */
export function imageList(projections: readonly ProjectionImage[], dir: string, hasCovariance: boolean, planes: number): ImageFile[] {
  const out: ImageFile[] = [];
  const suffix = (p: number) => (planes > 1 ? `, plane ${p + 1}` : '');
  const eight = projections.filter((i) => i.bits === 8 && i.file.endsWith('.png'));
  const firstPlane = Math.min(...eight.map((i) => i.plane), Infinity);
  const firstFrame = eight.find((i) => i.kind === 'first' && i.plane === firstPlane);
  if (firstFrame)
    out.push({ name: `plane${firstPlane}-first-frame`, label: `First raw frame${suffix(firstPlane)}`, mime: 'image/png', file: `${dir}${firstFrame.file}` });
  for (const i of eight) {
    if (!KIND_LABEL[i.kind]) continue;
    if (i.plane !== firstPlane && (i.kind !== 'mean' || out.filter((o) => o.name.endsWith('-mean')).length >= 12)) continue;
    out.push({ name: `plane${i.plane}-${i.kind}`, label: `${KIND_LABEL[i.kind]}${suffix(i.plane)}`, mime: 'image/png', file: `${dir}${i.file}` });
  }
  for (const kind of ['max', 'std']) {
    const gif = projections.find((i) => i.file.endsWith('.gif') && i.kind === kind && i.plane === firstPlane);
    if (gif)
      out.push({
        name: `plane${gif.plane}-${kind}-over-time`,
        label: `${kind === 'max' ? 'Max' : 'Std'} over time${suffix(gif.plane)}`,
        mime: 'image/gif',
        file: `${dir}${gif.file}`,
      });
  }
  if (hasCovariance) out.push({ name: 'covariance', label: 'Covariance (cluster-sorted)', mime: 'image/png', file: RESULT_FILES.covariance });
  return out;
}

export interface SummaryInputs {
  id: string;
  summary: unknown;
  rois: readonly ReadRoi[];
  /** Frames per ROI in dff.npy (its second dimension), when known. */
  traceLength: number | null;
  images: readonly ImageFile[];
}

export function planesOf(summary: unknown, rois: readonly ReadRoi[]): number {
  const s = (summary ?? {}) as WorkerSummary;
  const fromRois = rois.reduce((m, r) => Math.max(m, finite(r.plane) + 1), 0);
  return Math.max(1, s.input?.planes ?? shardSummaries(s)[0]?.input?.planes ?? 0, fromRois);
}

export function toResultSummary(x: SummaryInputs): ResultSummary {
  const s = (x.summary ?? {}) as WorkerSummary;
  const input = s.input ?? shardSummaries(s).find((v) => v?.input)?.input ?? {};
  const planes = planesOf(x.summary, x.rois);
  const width = input.width ?? Math.ceil(x.rois.reduce((m, r) => Math.max(m, finite(r.x)), 1));
  const height = input.height ?? Math.ceil(x.rois.reduce((m, r) => Math.max(m, finite(r.y)), 1));
  const maxCluster = x.rois.reduce((m, r) => (typeof r.cluster === 'number' && r.cluster > m ? r.cluster : m), -1);
  const voxel = voxelSizeOf(input.voxel_size);
  // The z step in pixel widths when the metadata states both; else the planes are stacked about a
  // third of the field of view deep, whatever their number.
  const stated = voxel.z !== null && voxel.x !== null ? voxel.z / voxel.x : null;
  const assumed = planes > 1 ? Math.max(1, (Math.max(width, height) * 0.35) / (planes - 1)) : 1;
  return {
    id: x.id,
    roiCount: x.rois.length,
    planes,
    planeSpacing: stated ?? assumed,
    planeSpacingSource: stated === null ? 'assumed' : 'metadata',
    zStep: voxel.z === null || voxel.unit === null ? null : { value: voxel.z, unit: voxel.unit },
    voxelDisagreement: voxel.disagreement,
    width,
    height,
    traceLength: x.traceLength ?? input.frames ?? 0,
    fs: s.parameters?.fs ?? s.params?.fs ?? shardSummaries(s)[0]?.parameters?.fs ?? 0,
    clusters: s.counts?.clusters ?? maxCluster + 1,
    images: x.images.map(({ name, label, mime }) => ({ name, label, mime })),
  };
}

/** ROIs taken for cells, from the worker's summary or the sum of a merged job's shards; null when not said. */
export function cellCountOf(summary: unknown): number | null {
  const s = (summary ?? {}) as WorkerSummary;
  const own = s.counts?.cells;
  if (typeof own === 'number') return own;
  const shards = shardSummaries(s).map((x) => x?.counts?.cells);
  if (shards.length === 0 || shards.some((n) => typeof n !== 'number')) return null;
  return (shards as number[]).reduce((a, b) => a + b, 0);
}
