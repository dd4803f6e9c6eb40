/**
 * A small synthetic calcium-imaging movie for the job tests: `cells` soma-like Gaussian blobs with
 * sparse spikes through an exponential (GCaMP-like) decay, on a dim background with noise; written
 * as an uncompressed little-endian multi-page uint16 TIFF (one strip per page). Seeded.
 */
import { writeFile } from 'node:fs/promises';

export interface MovieSpec {
  width: number;
  height: number;
  frames: number;
  cells: number;
  seed: number;
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

export function syntheticMovie(spec: MovieSpec): Buffer {
  const { width: w, height: h, frames: t } = spec;
  const rand = rng(spec.seed);
  const cells = Array.from({ length: spec.cells }, () => ({ x: 6 + rand() * (w - 12), y: 6 + rand() * (h - 12), r: 2 + rand() * 1.5 }));
  const traces = cells.map(() => {
    const out = new Float32Array(t);
    let c = 0;
    for (let i = 0; i < t; i++) {
      c = c * 0.9 + (rand() < 0.04 ? 1 : 0);
      out[i] = c;
    }
    return out;
  });
  const page = w * h * 2;
  const ifdSize = 2 + 8 * 12 + 4;
  const pageBytes = page + ifdSize;
  const buf = Buffer.alloc(8 + t * pageBytes);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(8 + page, 4);
  for (let f = 0; f < t; f++) {
    const data = 8 + f * pageBytes;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let v = 200 + rand() * 20;
        cells.forEach((c, k) => {
          const d2 = (x - c.x) ** 2 + (y - c.y) ** 2;
          if (d2 < 16 * c.r * c.r) v += (300 + 1500 * traces[k][f]) * Math.exp(-d2 / (2 * c.r * c.r));
        });
        buf.writeUInt16LE(Math.min(65535, Math.round(v)), data + 2 * (y * w + x));
      }
    const ifd = data + page;
    const entries: Array<[number, number, number, number]> = [
      [256, 4, 1, w],
      [257, 4, 1, h],
      [258, 3, 1, 16],
      [259, 3, 1, 1],
      [262, 3, 1, 1],
      [273, 4, 1, data],
      [278, 4, 1, h],
      [279, 4, 1, page],
    ];
    buf.writeUInt16LE(entries.length, ifd);
    entries.forEach(([tag, type, count, value], i) => {
      const at = ifd + 2 + i * 12;
      buf.writeUInt16LE(tag, at);
      buf.writeUInt16LE(type, at + 2);
      buf.writeUInt32LE(count, at + 4);
      if (type === 3) buf.writeUInt16LE(value, at + 8);
      else buf.writeUInt32LE(value, at + 8);
    });
    buf.writeUInt32LE(f + 1 < t ? 8 + (f + 1) * pageBytes + page : 0, ifd + 2 + entries.length * 12);
  }
  return buf;
}

export async function writeSyntheticMovie(path: string, spec: MovieSpec): Promise<void> {
  await writeFile(path, syntheticMovie(spec));
}
