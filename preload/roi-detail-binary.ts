/**
 * Binary layout of one ROI's detail for the curation panel (little-endian):
 *
 *   0  u32 magic 0x31444353 ("SCD1")
 *   4  u32 roi
 *   8  u32 plane
 *  12  f32 x, 16 f32 y    centroid (pixels)
 *  20  f32 score          the worker's cell score in [0, 1] (NaN when not known)
 *  24  u8  worker iscell  (0, 1; 255 when not known)
 *  25  u8  curated iscell (0, 1; 255 when not known)
 *  26  u16 feature count K
 *  28  u32 reserved (0)
 *  32  u32[4] lengths of F, Fneu, dF/F, spikes (0 when the file is missing)
 *  48  K × (24 bytes ASCII name, zero-padded; f64 value)
 *      f32 F, f32 Fneu, f32 dF/F, f32 spikes (the four lengths above)
 *
 * Decoding returns views into the given buffer (no copy) when it is 4-byte aligned.
 */

export interface RoiDetail {
  roi: number;
  plane: number;
  x: number;
  y: number;
  score: number | null;
  workerIscell: boolean | null;
  iscell: boolean | null;
  /** Per-ROI features the worker wrote (suite2p stat.npy scalars: npix, radius, compact, skew, ...). */
  features: Array<{ name: string; value: number }>;
  F: Float32Array;
  Fneu: Float32Array;
  dff: Float32Array;
  spks: Float32Array;
}

export const DETAIL_MAGIC = 0x31444353;
const HEADER = 48;
const NAME = 24;
const FEATURE = NAME + 8;
const MAX_FEATURES = 256;

export class RoiDetailFormatError extends Error {
  readonly code = 'bad-roi-detail';
  constructor(message: string) {
    super(message);
    this.name = 'RoiDetailFormatError';
  }
}

const label = (v: boolean | null) => (v === null ? 255 : v ? 1 : 0);
const unlabel = (v: number) => (v === 255 ? null : v === 1);

export function encodeRoiDetail(d: RoiDetail): Uint8Array {
  const features = d.features.slice(0, MAX_FEATURES);
  const arrays = [d.F, d.Fneu, d.dff, d.spks];
  const out = new Uint8Array(HEADER + features.length * FEATURE + arrays.reduce((n, a) => n + a.length * 4, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, DETAIL_MAGIC, true);
  view.setUint32(4, d.roi, true);
  view.setUint32(8, d.plane, true);
  view.setFloat32(12, d.x, true);
  view.setFloat32(16, d.y, true);
  view.setFloat32(20, d.score ?? NaN, true);
  view.setUint8(24, label(d.workerIscell));
  view.setUint8(25, label(d.iscell));
  view.setUint16(26, features.length, true);
  arrays.forEach((a, i) => view.setUint32(32 + i * 4, a.length, true));
  let o = HEADER;
  for (const f of features) {
    const name = f.name.replace(/[^\x20-\x7e]/g, '?').slice(0, NAME);
    for (let i = 0; i < name.length; i++) out[o + i] = name.charCodeAt(i);
    view.setFloat64(o + NAME, f.value, true);
    o += FEATURE;
  }
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  }
  return out;
}

export function decodeRoiDetail(bytes: Uint8Array): RoiDetail {
  if (bytes.byteLength < HEADER) throw new RoiDetailFormatError('ROI detail is shorter than its header');
  const src = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (view.getUint32(0, true) !== DETAIL_MAGIC) throw new RoiDetailFormatError('ROI detail has the wrong magic number');
  const k = view.getUint16(26, true);
  const lengths = [0, 1, 2, 3].map((i) => view.getUint32(32 + i * 4, true));
  const expected = HEADER + k * FEATURE + lengths.reduce((n, l) => n + l * 4, 0);
  if (src.byteLength !== expected) throw new RoiDetailFormatError(`ROI detail is ${src.byteLength} bytes, expected ${expected}`);
  const features: RoiDetail['features'] = [];
  let o = HEADER;
  for (let i = 0; i < k; i++) {
    let name = '';
    for (let j = 0; j < NAME && src[o + j] !== 0; j++) name += String.fromCharCode(src[o + j]);
    features.push({ name, value: view.getFloat64(o + NAME, true) });
    o += FEATURE;
  }
  const [F, Fneu, dff, spks] = lengths.map((n) => {
    const a = new Float32Array(src.buffer, src.byteOffset + o, n);
    o += n * 4;
    return a;
  });
  const score = view.getFloat32(20, true);
  return {
    roi: view.getUint32(4, true),
    plane: view.getUint32(8, true),
    x: view.getFloat32(12, true),
    y: view.getFloat32(16, true),
    score: Number.isNaN(score) ? null : score,
    workerIscell: unlabel(view.getUint8(24)),
    iscell: unlabel(view.getUint8(25)),
    features,
    F,
    Fneu,
    dff,
    spks,
  };
}
