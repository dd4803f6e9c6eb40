/**
 * How a file is cut into multipart parts.
 *
 * S3 allows at most 10,000 parts per object, parts of 5 MiB to 5 GiB (the last may be smaller) and
 * objects up to 5 TiB. A file of known size gets a `uniform` layout whose part size is the smallest
 * whole MiB ≥ `minPartSize` that fits the file in 10,000 parts — or, where that would cut the file
 * into fewer than `spread` parts (the requests the engine may have in flight), smaller parts, down to
 * 5 MiB, so that many requests carry it at once: on a lossy link each connection is held near its
 * own loss-bound rate (about 5 Mb/s at 0.5% loss and 40 ms), and a 100 MiB file in 13 parts of
 * 8 MiB fills barely 60% of a 100 Mb/s link (bench:upload, #19). A growing file's final size is
 * unknown, so it gets a `banded` layout: 1,000 parts of `base`, then 1,000 of 2×base, 4×base, ... —
 * with base 8 MiB the ten bands hold 8 TiB (> 5 TiB) and the largest part is 4 GiB.
 */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;
export const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * GiB;
export const MAX_OBJECT_SIZE = 5 * TiB;
export const DEFAULT_MIN_PART_SIZE = 8 * MiB;
const BAND_PARTS = 1_000;

export interface PartLayout {
  kind: 'uniform' | 'banded';
  /** Part size (uniform) or first-band part size (banded), bytes. */
  base: number;
}

export class PartLayoutError extends Error {
  readonly code = 'FileTooLarge';
  constructor(message: string) {
    super(message);
    this.name = 'PartLayoutError';
  }
}

const wholeMiB = (bytes: number) => Math.ceil(bytes / MiB) * MiB;

/**
 * Smallest whole-MiB part size ≥ minPartSize that fits `size` bytes in 10,000 parts; where that
 * leaves fewer than `spread` parts, the whole-MiB size (≥ 5 MiB) that gives about `spread` parts.
 */
export function choosePartSize(size: number, minPartSize = DEFAULT_MIN_PART_SIZE, spread = 1): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer, got ${size}`);
  if (size > MAX_OBJECT_SIZE) throw new PartLayoutError(`file of ${size} bytes exceeds the 5 TiB S3 object limit`);
  if (!Number.isInteger(spread) || spread < 1) throw new RangeError(`spread must be a positive integer, got ${spread}`);
  const min = Math.max(MIN_PART_SIZE, minPartSize);
  const spreadSize = spread > 1 ? Math.max(MIN_PART_SIZE, wholeMiB(size / spread)) : min;
  const needed = wholeMiB(size / MAX_PARTS);
  return Math.min(MAX_PART_SIZE, Math.max(Math.min(min, spreadSize), needed));
}

export function uniformLayout(size: number, minPartSize?: number, spread?: number): PartLayout {
  return { kind: 'uniform', base: choosePartSize(size, minPartSize, spread) };
}

export function bandedLayout(minPartSize = DEFAULT_MIN_PART_SIZE): PartLayout {
  return { kind: 'banded', base: Math.max(MIN_PART_SIZE, minPartSize) };
}

/** Byte range [start, end) of part `n` (1-based) if the file were infinitely long. */
export function partRange(layout: PartLayout, n: number): { start: number; end: number } {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS) throw new RangeError(`part number must be 1..${MAX_PARTS}, got ${n}`);
  if (layout.kind === 'uniform') return { start: (n - 1) * layout.base, end: n * layout.base };
  const band = Math.floor((n - 1) / BAND_PARTS);
  const size = layout.base * 2 ** band;
  const bandStart = BAND_PARTS * layout.base * (2 ** band - 1);
  const start = bandStart + ((n - 1) % BAND_PARTS) * size;
  return { start, end: start + size };
}

/** Number of parts of a file of `size` bytes (at least 1: an empty file is one empty part). */
export function partCount(layout: PartLayout, size: number): number {
  if (size <= 0) return 1;
  if (layout.kind === 'uniform') {
    const count = Math.ceil(size / layout.base);
    if (count > MAX_PARTS) throw new PartLayoutError(`file of ${size} bytes needs ${count} parts of ${layout.base} bytes (max ${MAX_PARTS})`);
    return count;
  }
  let band = 0;
  while (BAND_PARTS * layout.base * (2 ** (band + 1) - 1) < size) {
    band++;
    if (band >= MAX_PARTS / BAND_PARTS) throw new PartLayoutError(`file of ${size} bytes exceeds the growing-file layout capacity`);
  }
  const bandStart = BAND_PARTS * layout.base * (2 ** band - 1);
  return band * BAND_PARTS + Math.ceil((size - bandStart) / (layout.base * 2 ** band));
}

/** Number of leading parts whose bytes all lie below `available` (complete parts of a growing file). */
export function completePartCount(layout: PartLayout, available: number): number {
  if (available <= 0) return 0;
  const n = partCount(layout, available);
  return partRange(layout, n).end <= available ? n : n - 1;
}

/** Range of part `n` clipped to a file of `size` bytes. */
export function clippedRange(layout: PartLayout, n: number, size: number): { start: number; end: number } {
  const r = partRange(layout, n);
  return { start: Math.min(r.start, size), end: Math.min(r.end, size) };
}
