/**
 * Activity of every ROI over time, binned and quantised so 100,000 ROIs travel in a few MB:
 * drives the traces-by-cluster raster and the 3D view's time slider. Little-endian layout:
 *
 *   0  u32 magic 0x31414353 ("SCA1")
 *   4  u32 count N (ROIs)
 *   8  u32 bins B
 *  12  u32 frames (before binning)
 *  16  f32 lo   (dF/F that quantises to 0)
 *  20  f32 hi   (dF/F that quantises to 255)
 *  24  u8[N·B] mean dF/F of each bin, row-major per ROI: round(255·(v − lo)/(hi − lo)), clamped
 */
export interface ActivityMatrix {
  count: number;
  bins: number;
  frames: number;
  lo: number;
  hi: number;
  values: Uint8Array;
}

export const ACTIVITY_MAGIC = 0x31414353;
const HEADER = 24;

export class ActivityFormatError extends Error {
  readonly code = 'bad-activity';
  constructor(message: string) {
    super(message);
    this.name = 'ActivityFormatError';
  }
}

export function encodeActivity(a: ActivityMatrix): Uint8Array {
  if (a.values.length !== a.count * a.bins) throw new ActivityFormatError(`activity has ${a.values.length} values, expected ${a.count}×${a.bins}`);
  const out = new Uint8Array(HEADER + a.values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, ACTIVITY_MAGIC, true);
  view.setUint32(4, a.count, true);
  view.setUint32(8, a.bins, true);
  view.setUint32(12, a.frames, true);
  view.setFloat32(16, a.lo, true);
  view.setFloat32(20, a.hi, true);
  out.set(a.values, HEADER);
  return out;
}

/** Returns a view into `bytes` (no copy). */
export function decodeActivity(bytes: Uint8Array): ActivityMatrix {
  if (bytes.byteLength < HEADER) throw new ActivityFormatError('activity data is shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== ACTIVITY_MAGIC) throw new ActivityFormatError('activity data has the wrong magic number');
  const count = view.getUint32(4, true),
    bins = view.getUint32(8, true);
  if (bytes.byteLength !== HEADER + count * bins)
    throw new ActivityFormatError(`activity data is ${bytes.byteLength} bytes, expected ${HEADER + count * bins}`);
  return {
    count,
    bins,
    frames: view.getUint32(12, true),
    lo: view.getFloat32(16, true),
    hi: view.getFloat32(20, true),
    values: bytes.subarray(HEADER),
  };
}

/**
 * Bins rows of dF/F (`row(i)` for i < count, each `frames` long) into `bins` means and quantises
 * them between 0 (or the lowest mean, if negative) and the 99.5th percentile of the means, so a
 * few huge transients do not wash out the rest.
 */
export function binActivity(count: number, frames: number, bins: number, row: (i: number) => ArrayLike<number>): ActivityMatrix {
  const b = Math.max(1, Math.min(bins, frames || 1));
  const means = new Float32Array(count * b);
  for (let i = 0; i < count; i++) {
    const r = row(i);
    for (let k = 0; k < b; k++) {
      const a = Math.floor((k * frames) / b),
        e = Math.max(a + 1, Math.floor(((k + 1) * frames) / b));
      let s = 0,
        n = 0;
      for (let t = a; t < e && t < r.length; t++) {
        const v = r[t];
        if (Number.isFinite(v)) {
          s += v;
          n++;
        }
      }
      means[i * b + k] = n ? s / n : 0;
    }
  }
  const step = Math.max(1, Math.floor(means.length / 200_000));
  const sample: number[] = [];
  for (let j = 0; j < means.length; j += step) sample.push(means[j]);
  sample.sort((x, y) => x - y);
  const lo = Math.min(0, sample[0] ?? 0);
  let hi = sample[Math.min(sample.length - 1, Math.floor(sample.length * 0.995))] ?? 1;
  if (!(hi > lo)) hi = lo + 1;
  const values = new Uint8Array(count * b);
  const scale = 255 / (hi - lo);
  for (let j = 0; j < means.length; j++) values[j] = Math.max(0, Math.min(255, Math.round((means[j] - lo) * scale)));
  return { count, bins: b, frames, lo, hi, values };
}
