/**
 * The ROI colours: the cluster palette, the activity ramp (256 linear-RGB entries) and the depth
 * ramp, plus the colours of unassigned and highlighted ROIs.
 */
import { Color } from 'three';

/** Activity 0..1 → a dark-to-bright ramp (slate → teal → yellow → white), 256 entries, linear RGB. */
export function activityRamp(): Float32Array {
  const stops = ['#1d2433', '#2b5d7d', '#23a39a', '#f2d43d', '#fff8e0'].map((c) => new Color(c));
  const out = new Float32Array(256 * 3);
  const tmp = new Color();
  for (let v = 0; v < 256; v++) {
    const x = (v / 255) * (stops.length - 1);
    const i = Math.min(stops.length - 2, Math.floor(x));
    tmp.copy(stops[i]).lerp(stops[i + 1], x - i);
    out[v * 3] = tmp.r;
    out[v * 3 + 1] = tmp.g;
    out[v * 3 + 2] = tmp.b;
  }
  return out;
}

/** Colour-blind-friendly cluster palette (Tableau 10 order). */
export const CLUSTER_COLORS: ReadonlyArray<string> = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
/** ROIs that are not cells (cluster 255). */
export const UNASSIGNED = '#8a8f98';
/** The highlighted (hovered or pinned) ROI. */
export const HIGHLIGHT = new Color('#ffffff');

/** A perceptually ordered ramp (viridis-like) for depth colouring; t in [0, 1]. */
export function planeColor(t: number, out = new Color()): Color {
  const stops = [
    [0.267, 0.005, 0.329],
    [0.229, 0.322, 0.546],
    [0.128, 0.567, 0.551],
    [0.369, 0.789, 0.383],
    [0.993, 0.906, 0.144],
  ];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return out.setRGB(
    stops[i][0] + (stops[i + 1][0] - stops[i][0]) * f,
    stops[i][1] + (stops[i + 1][1] - stops[i][1]) * f,
    stops[i][2] + (stops[i + 1][2] - stops[i][2]) * f,
  );
}
