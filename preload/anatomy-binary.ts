/**
 * Binary layout of one plane's anatomy (a projection image and the ROI footprints on it), as the
 * Results view loads it (little-endian):
 *
 *   0  u32 magic 0x31414353 ("SCA1")
 *   4  u32 width
 *   8  u32 height
 *  12  u32 plane
 *  16  u32 kind (index in PROJECTION_KINDS)
 *  20  f32 lo   intensity that pixel value 0 stands for
 *  24  f32 hi   intensity that pixel value 65535 stands for
 *  28  u32 reserved (0)
 *  32  i32[w*h] labels: the ROI id (row in every per-ROI array) owning each pixel, −1 for none
 *      u16[w*h] pixels, row 0 at the top
 *
 * Decoding returns views into the given buffer (no copy) when it is 4-byte aligned.
 */
export const PROJECTION_KINDS = ['mean', 'max', 'std'] as const;
export type ProjectionKind = (typeof PROJECTION_KINDS)[number];

export interface PlaneAnatomy {
  width: number;
  height: number;
  plane: number;
  kind: ProjectionKind;
  lo: number;
  hi: number;
  labels: Int32Array;
  pixels: Uint16Array;
}

export const ANATOMY_MAGIC = 0x31414353;
const HEADER = 32;

export class AnatomyFormatError extends Error {
  readonly code = 'bad-anatomy';
  constructor(message: string) {
    super(message);
    this.name = 'AnatomyFormatError';
  }
}

export function encodedAnatomyLength(width: number, height: number): number {
  return HEADER + width * height * 6;
}

export function encodeAnatomy(a: PlaneAnatomy): Uint8Array {
  const n = a.width * a.height;
  if (a.labels.length !== n || a.pixels.length !== n) throw new AnatomyFormatError(`anatomy arrays disagree with ${a.width}x${a.height}`);
  const out = new Uint8Array(encodedAnatomyLength(a.width, a.height));
  const view = new DataView(out.buffer);
  view.setUint32(0, ANATOMY_MAGIC, true);
  view.setUint32(4, a.width, true);
  view.setUint32(8, a.height, true);
  view.setUint32(12, a.plane, true);
  view.setUint32(16, PROJECTION_KINDS.indexOf(a.kind), true);
  view.setFloat32(20, a.lo, true);
  view.setFloat32(24, a.hi, true);
  let o = HEADER;
  for (const v of a.labels) {
    view.setInt32(o, v, true);
    o += 4;
  }
  for (const v of a.pixels) {
    view.setUint16(o, v, true);
    o += 2;
  }
  return out;
}

export function decodeAnatomy(bytes: Uint8Array): PlaneAnatomy {
  if (bytes.byteLength < HEADER) throw new AnatomyFormatError('anatomy data is shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== ANATOMY_MAGIC) throw new AnatomyFormatError('anatomy data has the wrong magic number');
  const width = view.getUint32(4, true);
  const height = view.getUint32(8, true);
  const kind = PROJECTION_KINDS[view.getUint32(16, true)];
  if (!kind) throw new AnatomyFormatError(`anatomy data has unknown kind ${view.getUint32(16, true)}`);
  if (bytes.byteLength !== encodedAnatomyLength(width, height))
    throw new AnatomyFormatError(`anatomy data is ${bytes.byteLength} bytes, expected ${encodedAnatomyLength(width, height)} for ${width}x${height}`);
  const n = width * height;
  const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const src = littleEndianHost && bytes.byteOffset % 4 === 0 ? bytes : null;
  let labels: Int32Array, pixels: Uint16Array;
  if (src) {
    labels = new Int32Array(src.buffer, src.byteOffset + HEADER, n);
    pixels = new Uint16Array(src.buffer, src.byteOffset + HEADER + n * 4, n);
  } else {
    labels = new Int32Array(n);
    pixels = new Uint16Array(n);
    for (let i = 0; i < n; i++) labels[i] = view.getInt32(HEADER + i * 4, true);
    for (let i = 0; i < n; i++) pixels[i] = view.getUint16(HEADER + n * 4 + i * 2, true);
  }
  return { width, height, plane: view.getUint32(12, true), kind, lo: view.getFloat32(20, true), hi: view.getFloat32(24, true), labels, pixels };
}
