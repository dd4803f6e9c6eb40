/**
 * The per-ROI data the shaders read, as GPU textures shared by the sphere impostors and the plane
 * slices: each ROI's colour (static colour modes; alpha 0 = hidden), the binned activity (ROI ×
 * time bin, uploaded once) and the activity ramp. Playing activity changes only `uFrame`.
 * Textures are TEX_WIDTH texels wide; ROI i (or activity cell i·bins + b) is texel (i % W, i / W).
 */
import { Color, DataTexture, NearestFilter, RedFormat, RGBAFormat, UnsignedByteType } from 'three';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { CLUSTER_COLORS, planeColor, UNASSIGNED } from './roi-colors.ts';

export const TEX_WIDTH = 4096;

export type StaticColorMode = 'cluster' | 'plane' | 'score';

/** Uniform objects shared (by reference) between every material that reads ROI data. */
export interface RoiUniforms {
  uRoiColors: { value: DataTexture };
  uActivity: { value: DataTexture };
  uRamp: { value: DataTexture };
  /** Time bins per ROI in uActivity (0: no activity loaded). */
  uBins: { value: number };
  /** Current time in bins (fractional: shaders interpolate between bins). */
  uFrame: { value: number };
  /** 1: colour by activity at uFrame; 0: by uRoiColors. */
  uByActivity: { value: number };
  /** ROI drawn white (−1: none). */
  uHighlight: { value: number };
}

/** GLSL shared by the shaders that read RoiUniforms (GLSL ES 3.00). */
export const ROI_DATA_GLSL = `
uniform sampler2D uRoiColors;
uniform sampler2D uActivity;
uniform sampler2D uRamp;
uniform float uBins;
uniform float uFrame;
uniform float uByActivity;
uniform float uHighlight;
ivec2 roiTexel(int i) { return ivec2(i % ${TEX_WIDTH}, i / ${TEX_WIDTH}); }
float roiActivity(int roi) {
  if (uBins < 1.0) return 0.0;
  float f = clamp(uFrame, 0.0, uBins - 1.0);
  int b0 = int(floor(f));
  int b1 = min(b0 + 1, int(uBins) - 1);
  int base = roi * int(uBins);
  float a0 = texelFetch(uActivity, roiTexel(base + b0), 0).r;
  float a1 = texelFetch(uActivity, roiTexel(base + b1), 0).r;
  return mix(a0, a1, f - floor(f));
}
/** sRGB colour and visibility (a = 0: hidden) of ROI roi. */
vec4 roiColor(int roi) {
  vec4 c = texelFetch(uRoiColors, roiTexel(roi), 0);
  if (float(roi) == uHighlight) return vec4(1.0, 1.0, 1.0, c.a);
  if (uByActivity > 0.5) return vec4(texture(uRamp, vec2(roiActivity(roi), 0.5)).rgb, c.a);
  return c;
}
`;

function dataTexture(data: Uint8Array, width: number, height: number, format: typeof RedFormat | typeof RGBAFormat): DataTexture {
  const t = new DataTexture(data, width, height, format, UnsignedByteType);
  t.minFilter = NearestFilter;
  t.magFilter = NearestFilter;
  t.unpackAlignment = 1;
  t.needsUpdate = true;
  return t;
}

const rowsFor = (n: number) => Math.max(1, Math.ceil(n / TEX_WIDTH));

/** The ramp of roi-colors.ts activityRamp, as sRGB bytes (256 × 1). */
function rampTexture(stops: readonly string[]): DataTexture {
  const cs = stops.map((c) => new Color(c));
  const out = new Uint8Array(256 * 4);
  const tmp = new Color();
  for (let v = 0; v < 256; v++) {
    const x = (v / 255) * (cs.length - 1);
    const i = Math.min(cs.length - 2, Math.floor(x));
    tmp.copy(cs[i]).lerp(cs[i + 1], x - i);
    const [r, g, b] = [tmp.r, tmp.g, tmp.b].map((c) => Math.round(linearToSrgb(c) * 255));
    out.set([r, g, b, 255], v * 4);
  }
  const t = dataTexture(out, 256, 1, RGBAFormat);
  return t;
}

function linearToSrgb(c: number): number {
  return c <= 0.0031308 ? c * 12.92 : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
}

export const ACTIVITY_STOPS = ['#1d2433', '#2b5d7d', '#23a39a', '#f2d43d', '#fff8e0'];

export function makeRoiUniforms(): RoiUniforms {
  return {
    uRoiColors: { value: dataTexture(new Uint8Array(4), 1, 1, RGBAFormat) },
    uActivity: { value: dataTexture(new Uint8Array(1), 1, 1, RedFormat) },
    uRamp: { value: rampTexture(ACTIVITY_STOPS) },
    uBins: { value: 0 },
    uFrame: { value: 0 },
    uByActivity: { value: 0 },
    uHighlight: { value: -1 },
  };
}

/** Per-ROI sRGB colours for a static mode; `hidden[i]` set → alpha 0. */
export function roiColorBytes(rois: RoiArrays, mode: StaticColorMode, hidden: Uint8Array | null): Uint8Array {
  const out = new Uint8Array(rowsFor(rois.count) * TEX_WIDTH * 4);
  const srgb = (c: Color) => [c.r, c.g, c.b].map((v) => Math.round(linearToSrgb(v) * 255));
  const paletteBytes = CLUSTER_COLORS.map((c) => srgb(new Color(c)));
  const unassigned = srgb(new Color(UNASSIGNED));
  const tmp = new Color();
  for (let i = 0; i < rois.count; i++) {
    let rgb: number[];
    if (mode === 'cluster') {
      const k = rois.clusters[i];
      rgb = k === 255 ? unassigned : paletteBytes[k % paletteBytes.length];
    } else if (mode === 'plane') {
      rgb = srgb(planeColor(rois.planes > 1 ? rois.centroids[i * 3 + 2] / (rois.planes - 1) : 0, tmp));
    } else {
      rgb = srgb(planeColor((rois.scores?.[i] ?? 0) / 255, tmp));
    }
    out[i * 4] = rgb[0];
    out[i * 4 + 1] = rgb[1];
    out[i * 4 + 2] = rgb[2];
    out[i * 4 + 3] = hidden?.[i] ? 0 : 255;
  }
  return out;
}

export function setRoiColors(u: RoiUniforms, rois: RoiArrays, mode: StaticColorMode, hidden: Uint8Array | null): void {
  u.uRoiColors.value.dispose();
  u.uRoiColors.value = dataTexture(roiColorBytes(rois, mode, hidden), TEX_WIDTH, rowsFor(rois.count), RGBAFormat);
}

/** Uploads activity (`values[i * bins + b]`, 0-255) once; null clears. */
export function setActivityTexture(u: RoiUniforms, activity: { count: number; bins: number; values: Uint8Array } | null): void {
  u.uActivity.value.dispose();
  if (!activity || activity.bins < 1 || activity.count < 1) {
    u.uActivity.value = dataTexture(new Uint8Array(1), 1, 1, RedFormat);
    u.uBins.value = 0;
    return;
  }
  const cells = activity.count * activity.bins;
  const data = new Uint8Array(rowsFor(cells) * TEX_WIDTH);
  data.set(activity.values.subarray(0, cells));
  u.uActivity.value = dataTexture(data, TEX_WIDTH, rowsFor(cells), RedFormat);
  u.uBins.value = activity.bins;
}
