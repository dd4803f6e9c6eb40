/**
 * A plane's anatomy for synthetic ROIs (the in-memory services' getPlaneAnatomy): each ROI of the
 * plane a disc of its pixel count in the label image and a bright blob in the projection, over a
 * smooth background; max and std differ from the mean as the worker's do (brighter cells, other
 * contrast). Deterministic per (seed, plane, kind).
 */
import type { PlaneAnatomy, ProjectionKind } from '../../preload/anatomy-binary.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { seededRandom } from './seeded-random.ts';

export function syntheticAnatomy(rois: RoiArrays, width: number, height: number, plane: number, kind: ProjectionKind, seed: number): PlaneAnatomy {
  const labels = new Int32Array(width * height).fill(-1);
  const value = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) value[y * width + x] = 0.25 + 0.12 * Math.sin(x / 37 + plane) * Math.cos(y / 29) + 0.05 * Math.sin((x + y) / 7);
  const rnd = seededRandom(seed * 131 + plane * 7 + kind.length);
  const gain = kind === 'mean' ? 0.35 : kind === 'max' ? 0.7 : 0.5;
  for (let i = 0; i < rois.count; i++) {
    if (rois.centroids[i * 3 + 2] !== plane) continue;
    const cx = rois.centroids[i * 3],
      cy = rois.centroids[i * 3 + 1];
    const r = Math.max(1, Math.sqrt(rois.sizes[i] / Math.PI));
    const bright = gain * (0.5 + rnd());
    for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, Math.ceil(cy + r)); y++)
      for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++) {
        const d2 = ((x - cx) ** 2 + (y - cy) ** 2) / (r * r);
        if (d2 > 1) continue;
        labels[y * width + x] = i;
        value[y * width + x] += bright * (1 - 0.6 * d2);
      }
  }
  const noise = kind === 'std' ? 0.08 : 0.03;
  const pixels = new Uint16Array(width * height);
  for (let p = 0; p < pixels.length; p++) pixels[p] = Math.round(Math.max(0, Math.min(1, value[p] / 1.6 + (rnd() - 0.5) * noise)) * 65535);
  return { width, height, plane, kind, lo: 0, hi: 1.6, labels, pixels };
}
