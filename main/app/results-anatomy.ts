/**
 * One plane's anatomy for the Results view: its mean/max/std projection (the worker's 16-bit PNG,
 * or the 8-bit one when that is all there is) and a label image of the ROI footprints from
 * regions.json. Pure over parsed documents and file bytes.
 */
import type { PlaneAnatomy, ProjectionKind } from '../../preload/anatomy-binary.ts';
import { readGreyPng } from '../results/grey-png.ts';
import type { RegionRecord } from '../results/worker-contract.ts';
import { AppError } from './app-errors.ts';

/** A projections.json record, its file relative to the results folder. */
export interface ProjectionRecord {
  file: string;
  plane: number;
  kind: string;
  bits: number;
  channel?: number;
  scale?: { lo?: number; hi?: number };
}

/** The projection to show for (plane, kind): channel 0's 16-bit PNG, else its 8-bit one; null if none. */
export function pickProjection(records: readonly ProjectionRecord[], plane: number, kind: ProjectionKind): ProjectionRecord | null {
  const fit = records.filter((r) => r.plane === plane && r.kind === kind && (r.channel ?? 0) === 0 && r.file.endsWith('.png'));
  return fit.find((r) => r.bits === 16) ?? fit.find((r) => r.bits === 8) ?? null;
}

/**
 * Pixel → ROI id for one plane. Where footprints overlap the later id wins; coordinates outside
 * the image are ignored. `planeOf(id)` answers for records without a plane (older results).
 */
export function labelImage(regions: readonly RegionRecord[], plane: number, width: number, height: number, planeOf: (id: number) => number): Int32Array {
  const out = new Int32Array(width * height).fill(-1);
  for (const r of regions) {
    if (!r || typeof r.id !== 'number' || !Array.isArray(r.coordinates)) continue;
    if ((typeof r.plane === 'number' ? r.plane : planeOf(r.id)) !== plane) continue;
    for (const c of r.coordinates) {
      const row = c?.[0],
        col = c?.[1];
      if (Number.isInteger(row) && Number.isInteger(col) && row >= 0 && col >= 0 && row < height && col < width) out[row * width + col] = r.id;
    }
  }
  return out;
}

/** The projection's bytes as PlaneAnatomy, with `labels` for the same plane (or none: all −1). */
export function toPlaneAnatomy(
  png: Uint8Array,
  record: ProjectionRecord,
  kind: ProjectionKind,
  labels: (width: number, height: number) => Int32Array,
): PlaneAnatomy {
  let img;
  try {
    img = readGreyPng(png);
  } catch (e) {
    throw new AppError('UNKNOWN_IMAGE', `${record.file} cannot be read: ${(e as Error).message}`);
  }
  const pixels = img.bits === 16 ? img.pixels : img.pixels.map((v) => v * 257);
  const lo = finiteOr(record.scale?.lo, 0);
  const hi = finiteOr(record.scale?.hi, img.bits === 16 ? 65535 : 255);
  return { width: img.width, height: img.height, plane: record.plane, kind, lo, hi, pixels, labels: labels(img.width, img.height) };
}

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
