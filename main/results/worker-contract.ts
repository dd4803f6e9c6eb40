/**
 * The worker's results, as the TypeScript side reads them: the one place that names the files of
 * a results folder, the ROI and region records, the progress steps and the schema version. It
 * mirrors the worker's versioned output schema (`scopecloud-worker schema`, checked in as
 * native-worker/results-schema.json); test/unit/results/worker-contract.test.ts compares the two,
 * and the integration tests read the real worker's output through it.
 *
 * A fanned-out job's shards are merged by the worker itself (`scopecloud-worker merge`), so a
 * merged folder has this same layout.
 */

/** The results schema this code reads (summary.json, rois.json, registration.json carry it). */
export const WORKER_SCHEMA = 1;

/** Files of a results folder (relative to it). */
export const RESULT_FILES = {
  summary: 'summary.json',
  rois: 'rois.json',
  regions: 'regions.json',
  iscell: 'iscell.npy',
  F: 'F.npy',
  Fneu: 'Fneu.npy',
  spks: 'spks.npy',
  dff: 'dff.npy',
  clusters: 'clusters.npy',
  covariance: 'covariance.png',
  registration: 'registration.json',
  projections: 'projections/projections.json',
  tracesCsv: 'traces.csv',
  readme: 'README.txt',
} as const;

/**
 * The files of each plane's suite2p folder (`suite2p/plane<k>/`, see suite2pPlaneDir). `db` and
 * `settings` hold the same dict as `ops` (suite2p 1.x reads those two); results of workers before
 * them have `ops` only.
 */
export const SUITE2P_PLANE_FILES = {
  stat: 'stat.npy',
  ops: 'ops.npy',
  db: 'db.npy',
  settings: 'settings.npy',
  F: 'F.npy',
  Fneu: 'Fneu.npy',
  spks: 'spks.npy',
  iscell: 'iscell.npy',
} as const;

/** Plane `plane`'s suite2p folder, relative to the results folder. */
export function suite2pPlaneDir(plane: number): string {
  return `suite2p/plane${plane}`;
}

/** The per-ROI arrays: one row (or one entry) per ROI, in ROI id order. */
export const ROI_ARRAYS = [RESULT_FILES.iscell, RESULT_FILES.F, RESULT_FILES.Fneu, RESULT_FILES.spks, RESULT_FILES.dff, RESULT_FILES.clusters] as const;

/** One ROI of rois.json (`{ schema, rois: [...] }`). */
export interface RoiRecord {
  /** Row in every per-ROI array, 0-based, plane after plane. */
  id: number;
  plane: number;
  /** Centroid column and row (pixels). */
  x: number;
  y: number;
  /** Depth: the plane index. */
  z: number;
  /** Pixel count (the coordinates are in regions.json). */
  pixels: number;
  /** Cell score in [0, 1]. */
  score: number;
  iscell: boolean;
  /** Activity cluster; null when not clustered. */
  cluster: number | null;
}

/** The fields of RoiRecord, in the worker's order (compared with the schema by the tests). */
export const ROI_RECORD_FIELDS = ['id', 'plane', 'x', 'y', 'z', 'pixels', 'score', 'iscell', 'cluster'] as const satisfies ReadonlyArray<keyof RoiRecord>;

/** One ROI's footprint in regions.json (a plain array of these). */
export interface RegionRecord {
  id: number;
  plane?: number;
  iscell?: boolean;
  /** [row, col] pixels. */
  coordinates: Array<[number, number]>;
}

/**
 * `summary.json`'s `input.voxel_size`: the pixel size (x, y) and the step between planes (z) the
 * recording's metadata states, in `unit` (µm for every known length unit); each part null when
 * the metadata does not state it. `disagreement`: the input files state different sizes (which
 * files state what; every size is then null); null when they agree, and in older summaries.
 */
export interface VoxelSize {
  x: number | null;
  y: number | null;
  z: number | null;
  unit: string | null;
  disagreement: string | null;
}

/** The fields of VoxelSize, in the worker's order (compared with the schema by the tests). */
export const VOXEL_SIZE_FIELDS = ['x', 'y', 'z', 'unit', 'disagreement'] as const satisfies ReadonlyArray<keyof VoxelSize>;

/** Longest `disagreement` kept whole; a longer one is cut there, with an ellipsis. */
export const MAX_VOXEL_DISAGREEMENT = 2000;

const NO_VOXEL_SIZE: VoxelSize = { x: null, y: null, z: null, unit: null, disagreement: null };

/**
 * A summary's `input.voxel_size`, validated: a size that is not a positive finite number reads as
 * null, and so does every size when the unit is not a non-empty string of at most 32 characters
 * (a size in no stated unit says nothing) or the files disagree (a non-empty `disagreement`).
 * Absent or malformed (older workers): all null.
 */
export function voxelSizeOf(doc: unknown): VoxelSize {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return NO_VOXEL_SIZE;
  const d = doc as Record<string, unknown>;
  if (typeof d.disagreement === 'string' && d.disagreement.trim().length > 0) {
    const text = d.disagreement.length > MAX_VOXEL_DISAGREEMENT ? `${d.disagreement.slice(0, MAX_VOXEL_DISAGREEMENT - 1)}…` : d.disagreement;
    return { ...NO_VOXEL_SIZE, disagreement: text };
  }
  const unit = typeof d.unit === 'string' && d.unit.trim().length > 0 && d.unit.length <= 32 ? d.unit : null;
  if (unit === null) return NO_VOXEL_SIZE;
  const size = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  const [x, y, z] = [size(d.x), size(d.y), size(d.z)];
  return x === null && y === null && z === null ? NO_VOXEL_SIZE : { x, y, z, unit, disagreement: null };
}

/** Steps a running worker reports on stdout, in order (`merge` only for a merged job). */
export const PROGRESS_STEPS = ['register', 'detect', 'extract', 'deconvolve', 'cluster', 'project', 'merge'] as const;

/** The steps of one analysis run, the part of PROGRESS_STEPS a progress bar spans. */
export const PIPELINE_STEPS = PROGRESS_STEPS.slice(0, 6) as ReadonlyArray<Exclude<(typeof PROGRESS_STEPS)[number], 'merge'>>;

/**
 * The ROIs of a parsed rois.json. Older results wrote a bare array; both read. Records are not
 * checked field by field: readers treat a missing number as absent.
 */
export function roiList<T = RoiRecord>(doc: unknown): T[] {
  if (Array.isArray(doc)) return doc as T[];
  const rois = (doc as { rois?: unknown } | null)?.rois;
  return Array.isArray(rois) ? (rois as T[]) : [];
}
