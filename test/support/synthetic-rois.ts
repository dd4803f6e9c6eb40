/**
 * Synthetic analysis results for tests and benchmarks: ROIs filling a brain-like ellipsoid across
 * planes, grouped into spatially coherent clusters, and their binned activity. Deterministic per
 * seed.
 */
import type { RoiArrays } from '../../preload/roi-binary.ts';
import type { ActivityMatrix } from '../../preload/activity-binary.ts';
import { seededRandom } from './seeded-random.ts';

export function syntheticRois(count: number, seed: number, planes = 30, size = 512, k = 4): RoiArrays {
  const rnd = seededRandom(seed);
  const centroids = new Float32Array(count * 3);
  const sizes = new Float32Array(count);
  const clusters = new Uint8Array(count);
  const scores = new Uint8Array(count);
  // Scores from their own stream, so the positions and clusters stay those of earlier runs.
  const scoreRnd = seededRandom(seed * 7919 + 17);
  const centres = Array.from({ length: k }, () => [size * (0.25 + 0.5 * rnd()), size * (0.25 + 0.5 * rnd()), planes * rnd()]);
  for (let i = 0; i < count; i++) {
    let x = 0,
      y = 0,
      z = 0;
    // Brain-like ellipsoid: rejection-sample the unit ball.
    for (;;) {
      x = rnd() * 2 - 1;
      y = rnd() * 2 - 1;
      z = rnd() * 2 - 1;
      if (x * x + y * y + z * z <= 1) break;
    }
    const px = size / 2 + x * size * 0.45;
    const py = size / 2 + y * size * 0.3;
    const plane = Math.min(planes - 1, Math.max(0, Math.round(((z + 1) / 2) * (planes - 1))));
    centroids[i * 3] = px;
    centroids[i * 3 + 1] = py;
    centroids[i * 3 + 2] = plane;
    sizes[i] = 40 + rnd() * 120;
    let best = 0,
      bestD = Infinity;
    for (let c = 0; c < k; c++) {
      const d = (px - centres[c][0]) ** 2 + (py - centres[c][1]) ** 2 + ((plane - centres[c][2]) * 12) ** 2 + rnd() * 40000;
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    clusters[i] = best;
    scores[i] = Math.round(255 * (0.35 + 0.65 * scoreRnd()));
  }
  return { count, planes, centroids, sizes, clusters, scores };
}

/**
 * Binned activity without generating every frame: each cluster shares bursts (so the raster shows
 * cluster structure), each ROI adds its own events, both decaying across bins.
 */
export function syntheticActivity(rois: RoiArrays, seed: number, frames: number, bins: number): ActivityMatrix {
  const b = Math.max(1, Math.min(bins, frames));
  const shared = new Map<number, Float32Array>();
  const sharedOf = (k: number) => {
    let row = shared.get(k);
    if (!row) {
      const rnd = seededRandom(seed * 31 + k);
      row = new Float32Array(b);
      let a = 0;
      for (let t = 0; t < b; t++) {
        if (rnd() < 0.08) a += 1 + rnd();
        a *= 0.7;
        row[t] = a;
      }
      shared.set(k, row);
    }
    return row;
  };
  const values = new Uint8Array(rois.count * b);
  const hi = 2.5;
  for (let i = 0; i < rois.count; i++) {
    const own = seededRandom(seed * 7919 + i);
    const row = sharedOf(rois.clusters[i]);
    const gain = 0.5 + own();
    let e = 0;
    for (let t = 0; t < b; t++) {
      if (own() < 0.03) e += 0.8;
      e *= 0.6;
      const v = row[t] * gain + e + own() * 0.1;
      values[i * b + t] = Math.max(0, Math.min(255, Math.round((v / hi) * 255)));
    }
  }
  return { count: rois.count, bins: b, frames, lo: 0, hi, values };
}
