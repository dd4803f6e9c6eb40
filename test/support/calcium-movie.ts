/**
 * A small synthetic two-photon movie as a 16-bit TIFF: Gaussian "cells" on a dim background,
 * each firing calcium transients (fast rise, exponential decay), cells of one group firing
 * together so clustering has something to find, plus shot-like noise. Deterministic per seed.
 */
import { encodeTiff, tiffLayout, type TiffSpec } from './synthetic-tiff.ts';
import { seededRandom } from './seeded-random.ts';

export interface MovieSpec {
  width: number;
  height: number;
  frames: number;
  cells: number;
  groups: number;
  seed: number;
}

export function calciumMovie(m: MovieSpec): Buffer {
  const rnd = seededRandom(m.seed);
  const cells = Array.from({ length: m.cells }, (_, i) => ({
    x: 6 + rnd() * (m.width - 12),
    y: 6 + rnd() * (m.height - 12),
    r: 2 + rnd() * 1.5,
    group: i % m.groups,
  }));
  // Shared events per group, own events per cell: calcium = sum of decaying spikes.
  const activity = cells.map(() => new Float32Array(m.frames));
  const groupEvents = Array.from({ length: m.groups }, () => Array.from({ length: m.frames }, () => rnd() < 0.03));
  cells.forEach((c, i) => {
    let ca = 0;
    for (let t = 0; t < m.frames; t++) {
      if (groupEvents[c.group][t]) ca += 1.5;
      if (rnd() < 0.005) ca += 1;
      ca *= 0.9;
      activity[i][t] = ca;
    }
  });
  const spec: TiffSpec = { width: m.width, height: m.height, pages: m.frames, bitsPerSample: 16 };
  const out = encodeTiff(spec);
  const { strips } = tiffLayout(spec);
  const frame = new Float32Array(m.width * m.height);
  for (let t = 0; t < m.frames; t++) {
    frame.fill(0);
    cells.forEach((c, i) => {
      const amp = 300 + 900 * activity[i][t];
      for (let y = Math.max(0, Math.floor(c.y - 3 * c.r)); y < Math.min(m.height, c.y + 3 * c.r); y++) {
        for (let x = Math.max(0, Math.floor(c.x - 3 * c.r)); x < Math.min(m.width, c.x + 3 * c.r); x++) {
          frame[y * m.width + x] += amp * Math.exp(-((x - c.x) ** 2 + (y - c.y) ** 2) / (2 * c.r * c.r));
        }
      }
    });
    const base = strips[t];
    for (let p = 0; p < frame.length; p++) {
      const v = 100 + frame[p] + (rnd() - 0.5) * 60;
      out.writeUInt16LE(Math.max(0, Math.min(65535, Math.round(v))), base + p * 2);
    }
  }
  return out;
}
