/**
 * Binary layout of the ROI arrays the 3D viewer loads (little-endian):
 *
 *   0  u32 magic 0x31524353 ("SCR1")
 *   4  u32 count N
 *   8  u32 planes
 *  12  u32 flags: bit 0 = the iscell section follows (other bits 0)
 *  16  f32[3N] centroid x, y (pixels) and plane index, interleaved
 *      f32[N]  pixel count
 *      u8[N]   cluster (255 = unassigned)
 *      u8[N]   cell score × 255 (0 when not known)
 *      u8[N]   iscell, 1 = cell (the curated label), only when flag bit 0 is set
 *
 * Decoding returns views into the given buffer (no copy) when it is 4-byte aligned.
 */
export interface RoiArrays {
  count: number;
  planes: number;
  /** x, y, plane per ROI. */
  centroids: Float32Array;
  sizes: Float32Array;
  clusters: Uint8Array;
  /** Cell score in [0, 1] × 255; always present once decoded, absent means all 0. */
  scores?: Uint8Array;
  /** 1 = cell, 0 = not: the curated label (the worker's unless curated); absent when not known. */
  iscell?: Uint8Array;
}

export const ROI_MAGIC = 0x31524353;
const HEADER = 16;
const FLAG_ISCELL = 1;

export class RoiFormatError extends Error {
  readonly code = 'bad-roi-arrays';
  constructor(message: string) {
    super(message);
    this.name = 'RoiFormatError';
  }
}

export function encodedRoiLength(count: number, withIscell = false): number {
  return HEADER + count * 16 + count * 2 + (withIscell ? count : 0);
}

export function encodeRoiArrays(a: RoiArrays): Uint8Array {
  if (
    a.centroids.length !== a.count * 3 ||
    a.sizes.length !== a.count ||
    a.clusters.length !== a.count ||
    (a.scores && a.scores.length !== a.count) ||
    (a.iscell && a.iscell.length !== a.count)
  ) {
    throw new RoiFormatError(`ROI arrays disagree with count ${a.count}`);
  }
  const out = new Uint8Array(encodedRoiLength(a.count, a.iscell !== undefined));
  const view = new DataView(out.buffer);
  view.setUint32(0, ROI_MAGIC, true);
  view.setUint32(4, a.count, true);
  view.setUint32(8, a.planes, true);
  view.setUint32(12, a.iscell ? FLAG_ISCELL : 0, true);
  let o = HEADER;
  for (const v of a.centroids) {
    view.setFloat32(o, v, true);
    o += 4;
  }
  for (const v of a.sizes) {
    view.setFloat32(o, v, true);
    o += 4;
  }
  out.set(a.clusters, o);
  if (a.scores) out.set(a.scores, o + a.count);
  if (a.iscell) out.set(a.iscell, o + a.count * 2);
  return out;
}

export function decodeRoiArrays(bytes: Uint8Array): RoiArrays {
  if (bytes.byteLength < HEADER) throw new RoiFormatError('ROI data is shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== ROI_MAGIC) throw new RoiFormatError('ROI data has the wrong magic number');
  const count = view.getUint32(4, true);
  const planes = view.getUint32(8, true);
  const flags = view.getUint32(12, true);
  if ((flags & ~FLAG_ISCELL) !== 0) throw new RoiFormatError(`ROI data has unknown flags ${flags}`);
  const withIscell = (flags & FLAG_ISCELL) !== 0;
  if (bytes.byteLength !== encodedRoiLength(count, withIscell)) {
    throw new RoiFormatError(`ROI data is ${bytes.byteLength} bytes, expected ${encodedRoiLength(count, withIscell)} for ${count} ROIs`);
  }
  const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const aligned = littleEndianHost && bytes.byteOffset % 4 === 0;
  const src = aligned ? bytes : bytes.slice();
  const floats = (offset: number, n: number): Float32Array => {
    if (aligned) return new Float32Array(src.buffer, src.byteOffset + offset, n);
    const out = new Float32Array(n);
    const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(offset + i * 4, true);
    return out;
  };
  const centroids = floats(HEADER, count * 3);
  const sizes = floats(HEADER + count * 12, count);
  const clusters = new Uint8Array(src.buffer, src.byteOffset + HEADER + count * 16, count);
  const scores = new Uint8Array(src.buffer, src.byteOffset + HEADER + count * 17, count);
  const iscell = withIscell ? new Uint8Array(src.buffer, src.byteOffset + HEADER + count * 18, count) : undefined;
  return { count, planes, centroids, sizes, clusters, scores, ...(iscell ? { iscell } : {}) };
}

/** Float32 little-endian bytes → Float32Array (copying when unaligned). */
export function decodeFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new RoiFormatError('trace length is not a whole number of float32 values');
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(bytes.slice().buffer);
}

export function encodeFloat32(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}
