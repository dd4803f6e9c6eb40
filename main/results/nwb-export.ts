/**
 * Export of a job's results to NWB 2 (Neurodata Without Borders), the file format pynwb reads and
 * the DANDI archive takes.
 *
 * Writer: h5wasm, the HDF5 C library compiled to WebAssembly, so the app writes real HDF5 in
 * process on every platform with no Python or native module (the Electron app ships it as a
 * plain npm dependency). The layout follows the NWB core schema 2.7 for optical physiology:
 *
 *   /general/devices/Microscope                                   Device
 *   /general/optophysiology/ImagingPlane<p>                       ImagingPlane (+ OpticalChannel, link to device)
 *   /processing/ophys/ImageSegmentation/PlaneSegmentation<p>      PlaneSegmentation (id, pixel_mask, pixel_mask_index, link to plane)
 *   /processing/ophys/Fluorescence/RoiResponseSeries<p>           F    (time x ROIs, rois -> PlaneSegmentation<p>)
 *   /processing/ophys/DfOverF/RoiResponseSeries<p>                dF/F (time x ROIs)
 *
 * One PlaneSegmentation / series pair per imaging plane (NWB regions point into one table).
 * Each PlaneSegmentation has two more columns (uint8 0/1): `iscell`, the curated label (the
 * worker's unless `curation.json` changed it, see curation.ts), and `iscell_worker`, the worker's.
 * Inputs: `F.npy` and `dff.npy` (ROIs x frames, float32), `rois.json` (id, plane, iscell),
 * `regions.json` (neurofinder coordinates [[row, col], ...]), `summary.json` (frame rate when
 * known) and `curation.json` when there is one (an invalid one fails the export).
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseNpy, type NpyArray } from './npy.ts';
import { RESULT_FILES, roiList, type RegionRecord, type RoiRecord } from './worker-contract.ts';
import { effectiveIscell, readCuration } from './curation.ts';

export class NwbExportError extends Error {
  readonly code = 'NWB_EXPORT';
  constructor(message: string) {
    super(message);
    this.name = 'NwbExportError';
  }
}

export interface NwbExportOptions {
  resultsDir: string;
  outFile: string;
  jobId: string;
  /** Frame rate per plane in Hz; default: summary.json's fs, else 1 Hz (then said in the file's notes). */
  rateHz?: number;
  sessionDescription?: string;
  sessionStart?: Date;
  indicator?: string;
  location?: string;
  now?: () => Date;
}

export interface NwbExportResult {
  file: string;
  rois: number;
  frames: number;
  planes: number;
  rateHz: number;
}

type RoiMeta = Pick<RoiRecord, 'id'> & Partial<Pick<RoiRecord, 'plane' | 'iscell'>>;

type H5 = typeof import('h5wasm');
let h5: Promise<H5> | null = null;
async function loadH5wasm(): Promise<H5> {
  h5 ??= (async () => {
    const mod = (await import('h5wasm/node')) as unknown as H5 & { default?: H5 };
    const lib = (mod.default ?? mod) as H5;
    await lib.ready;
    return lib;
  })();
  return h5;
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

function rateFrom(summary: Record<string, unknown> | null): number | null {
  if (!summary) return null;
  const params = (summary.params ?? summary.parameters ?? {}) as Record<string, unknown>;
  for (const v of [summary.fs, (summary.input as Record<string, unknown> | undefined)?.frame_rate_hz, params.fs]) {
    if (typeof v === 'number' && v > 0) return v;
  }
  return null;
}

/** ROIs x frames (C order) -> frames x ROIs float32 for the rows in `rows`. */
function timeMajor(a: NpyArray, rows: readonly number[]): Float32Array {
  const t = a.shape[1];
  const out = new Float32Array(t * rows.length);
  const src = a.data as Float32Array | Float64Array;
  rows.forEach((r, j) => {
    for (let i = 0; i < t; i++) out[i * rows.length + j] = Number(src[r * t + i]);
  });
  return out;
}

export async function exportNwb(o: NwbExportOptions): Promise<NwbExportResult> {
  const lib = await loadH5wasm();
  const F = parseNpy(
    await readFile(join(o.resultsDir, RESULT_FILES.F)).catch(() => {
      throw new NwbExportError(`no F.npy in ${o.resultsDir}`);
    }),
  );
  if (F.shape.length !== 2) throw new NwbExportError(`F.npy must be ROIs x frames (shape ${F.shape.join('x')})`);
  let dff: NpyArray | null = null;
  try {
    dff = parseNpy(await readFile(join(o.resultsDir, RESULT_FILES.dff)));
  } catch {
    dff = null;
  }
  if (dff && (dff.shape[0] !== F.shape[0] || dff.shape[1] !== F.shape[1]))
    throw new NwbExportError(`dff.npy (${dff.shape.join('x')}) and F.npy (${F.shape.join('x')}) disagree`);
  const [nRois, frames] = F.shape;
  const rois = roiList<RoiMeta>(await readJson<unknown>(join(o.resultsDir, RESULT_FILES.rois)));
  const regions = (await readJson<RegionRecord[]>(join(o.resultsDir, RESULT_FILES.regions))) ?? [];
  const summary = await readJson<Record<string, unknown>>(join(o.resultsDir, RESULT_FILES.summary));
  const regionById = new Map(regions.map((r) => [r.id, r]));
  const workerIscell = Array.from({ length: nRois }, (_, r) => rois[r]?.iscell === true);
  const iscell = effectiveIscell(workerIscell, (await readCuration(o.resultsDir)).records);
  const rate = o.rateHz ?? rateFrom(summary) ?? 1;
  const notes = o.rateHz || rateFrom(summary) ? '' : 'frame rate unknown: 1 Hz assumed';

  // Row r of F is ROI rois[r] (same order); planes group the rows.
  const planeOf = (r: number) => rois[r]?.plane ?? regionById.get(rois[r]?.id ?? r)?.plane ?? 0;
  const planes = [...new Set(Array.from({ length: nRois }, (_, r) => planeOf(r)))].sort((a, b) => a - b);
  if (planes.length === 0) planes.push(0);

  const now = (o.now ?? (() => new Date()))();
  const iso = (d: Date) => d.toISOString();
  await rm(o.outFile, { force: true });
  const f = new lib.File(o.outFile, 'w');
  try {
    const typed = (g: { create_attribute(n: string, v: unknown): void }, type: string, ns = 'core') => {
      g.create_attribute('namespace', ns);
      g.create_attribute('neurodata_type', type);
      g.create_attribute('object_id', randomUUID());
    };
    const str = (g: InstanceType<H5['Group']>, name: string, value: string) => g.create_dataset({ name, data: value });
    typed(f, 'NWBFile');
    f.create_attribute('nwb_version', '2.7.0');
    f.create_dataset({ name: 'file_create_date', data: [iso(now)] });
    str(f, 'identifier', `scopecloud-${o.jobId}`);
    str(f, 'session_description', o.sessionDescription ?? `ScopeCloud analysis ${o.jobId}`);
    str(f, 'session_start_time', iso(o.sessionStart ?? now));
    str(f, 'timestamps_reference_time', iso(o.sessionStart ?? now));
    for (const g of [
      'acquisition',
      'analysis',
      'stimulus',
      'stimulus/presentation',
      'stimulus/templates',
      'general',
      'general/devices',
      'general/optophysiology',
      'processing',
    ])
      f.create_group(g);
    const general = f.get('general') as InstanceType<H5['Group']>;
    str(general, 'source_script', 'scopecloud-worker (ScopeCloud)');
    (general.get('source_script') as InstanceType<H5['Dataset']>).create_attribute('file_name', 'scopecloud-worker');
    if (notes) str(general, 'notes', notes);
    const device = (f.get('general/devices') as InstanceType<H5['Group']>).create_group('Microscope');
    typed(device, 'Device');
    device.create_attribute('description', 'microscope that recorded the analysed session');

    const ophys = (f.get('processing') as InstanceType<H5['Group']>).create_group('ophys');
    typed(ophys, 'ProcessingModule');
    ophys.create_attribute('description', 'ROIs and traces from scopecloud-worker (registration, detection, extraction)');
    const seg = ophys.create_group('ImageSegmentation');
    typed(seg, 'ImageSegmentation');
    const fluo = ophys.create_group('Fluorescence');
    typed(fluo, 'Fluorescence');
    const dfof = dff ? ophys.create_group('DfOverF') : null;
    if (dfof) typed(dfof, 'DfOverF');

    for (const p of planes) {
      const rows = Array.from({ length: nRois }, (_, r) => r).filter((r) => planeOf(r) === p);
      const plane = (f.get('general/optophysiology') as InstanceType<H5['Group']>).create_group(`ImagingPlane${p}`);
      typed(plane, 'ImagingPlane');
      str(plane, 'description', `imaging plane ${p}`);
      plane.create_dataset({ name: 'excitation_lambda', data: new Float64Array([Number.NaN]), shape: [] });
      plane.create_dataset({ name: 'imaging_rate', data: new Float32Array([rate]), shape: [] });
      str(plane, 'indicator', o.indicator ?? 'unknown');
      str(plane, 'location', o.location ?? 'unknown');
      const channel = plane.create_group('OpticalChannel');
      typed(channel, 'OpticalChannel');
      str(channel, 'description', 'recorded channel');
      channel.create_dataset({ name: 'emission_lambda', data: new Float64Array([Number.NaN]), shape: [] });
      plane.create_soft_link('/general/devices/Microscope', 'device');

      const ps = seg.create_group(`PlaneSegmentation${p}`);
      typed(ps, 'PlaneSegmentation');
      ps.create_attribute('description', `ROIs of plane ${p} found by scopecloud-worker`);
      ps.create_attribute('colnames', ['pixel_mask', 'iscell', 'iscell_worker']);
      const ids = ps.create_dataset({ name: 'id', data: new Int32Array(rows.map((r) => rois[r]?.id ?? r)), dtype: '<i4' });
      typed(ids, 'ElementIdentifiers', 'hdmf-common');
      const xs: number[] = [];
      const ys: number[] = [];
      const ends: number[] = [];
      for (const r of rows) {
        const reg = regionById.get(rois[r]?.id ?? r);
        for (const [row, col] of reg?.coordinates ?? []) {
          xs.push(col);
          ys.push(row);
        }
        ends.push(xs.length);
      }
      const weights = new Float32Array(xs.length).fill(1);
      const mask = ps.create_dataset({
        name: 'pixel_mask',
        data: new Map<string, unknown>([
          ['x', new Uint32Array(xs)],
          ['y', new Uint32Array(ys)],
          ['weight', weights],
        ]) as unknown as Map<string, any>,
        shape: [xs.length],
        dtype: [
          ['x', '<I'],
          ['y', '<I'],
          ['weight', '<f'],
        ],
      });
      typed(mask, 'VectorData', 'hdmf-common');
      mask.create_attribute('description', 'pixels of each ROI: x = column, y = row, weight');
      const index = ps.create_dataset({ name: 'pixel_mask_index', data: new Uint32Array(ends), dtype: '<I' });
      typed(index, 'VectorIndex', 'hdmf-common');
      index.create_attribute('description', 'index into pixel_mask');
      index.create_attribute('target', mask.create_reference());
      ps.create_soft_link(`/general/optophysiology/ImagingPlane${p}`, 'imaging_plane');
      const labels = (name: string, values: readonly boolean[], description: string) => {
        const col = ps.create_dataset({ name, data: new Uint8Array(rows.map((r) => (values[r] ? 1 : 0))), dtype: '<B' });
        typed(col, 'VectorData', 'hdmf-common');
        col.create_attribute('description', description);
      };
      labels('iscell', iscell, '1 = cell, 0 = not a cell: the curated label (the worker label unless a curation changed it)');
      labels('iscell_worker', workerIscell, "1 = cell, 0 = not a cell: scopecloud-worker's own label, before curation");

      const series = (parent: InstanceType<H5['Group']>, data: NpyArray, what: string, unit: string) => {
        const s = parent.create_group(`RoiResponseSeries${p}`);
        typed(s, 'RoiResponseSeries');
        s.create_attribute('description', `${what} of plane ${p}`);
        s.create_attribute('comments', 'no comments');
        const d = s.create_dataset({ name: 'data', data: timeMajor(data, rows), shape: [frames, rows.length], dtype: '<f' });
        d.create_attribute('unit', unit);
        d.create_attribute('conversion', new Float32Array([1]), [], '<f');
        d.create_attribute('offset', new Float32Array([0]), [], '<f');
        d.create_attribute('resolution', new Float32Array([-1]), [], '<f');
        const region = s.create_dataset({ name: 'rois', data: new Int32Array(rows.map((_, j) => j)), dtype: '<i4' });
        typed(region, 'DynamicTableRegion', 'hdmf-common');
        region.create_attribute('description', `ROIs of PlaneSegmentation${p}`);
        region.create_attribute('table', ps.create_reference());
        const t0 = s.create_dataset({ name: 'starting_time', data: new Float64Array([0]), shape: [], dtype: '<d' });
        t0.create_attribute('rate', new Float32Array([rate]), [], '<f');
        t0.create_attribute('unit', 'seconds');
      };
      series(fluo, F, 'fluorescence F', 'a.u.');
      if (dfof && dff) series(dfof, dff, 'dF/F', 'n.a.');
    }
  } finally {
    f.close();
  }
  return { file: o.outFile, rois: nRois, frames, planes: planes.length, rateHz: rate };
}
