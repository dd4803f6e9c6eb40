/**
 * The anatomy under the ROIs: each plane's projection as a textured slice at its depth, with the
 * ROI footprints (a label image per plane) drawn on it as outlines or fills in the ROI colours of
 * RoiUniforms. Contrast is a percentile clip done once per image on the CPU; per frame nothing is
 * uploaded. Also answers "which ROI's footprint is at this world point" for picking.
 */
import {
  DataTexture,
  DoubleSide,
  FloatType,
  GLSL3,
  Group,
  LinearFilter,
  Mesh,
  NearestFilter,
  PlaneGeometry,
  RedFormat,
  ShaderMaterial,
  UnsignedByteType,
} from 'three';
import type { PlaneAnatomy } from '../../preload/anatomy-binary.ts';
import { ROI_DATA_GLSL, type RoiUniforms } from './roi-textures.ts';

export type FootprintStyle = 'outline' | 'fill' | 'none';

const VERTEX = `
varying vec2 vUv;
void main() {
  vUv = uv;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}`;

const FRAGMENT = `
${ROI_DATA_GLSL}
uniform sampler2D uImage;
uniform sampler2D uLabels;
uniform vec2 uSize;
uniform float uStyle;
uniform float uOpacity;
varying vec2 vUv;
int labelAt(ivec2 p) {
  p = clamp(p, ivec2(0), ivec2(uSize) - 1);
  return int(texelFetch(uLabels, p, 0).r);
}
void main() {
  vec2 px = vec2(vUv.x, 1.0 - vUv.y) * uSize;
  float grey = texture(uImage, vec2(vUv.x, 1.0 - vUv.y)).r;
  vec3 colour = vec3(grey);
  ivec2 ip = ivec2(floor(px));
  int label = labelAt(ip);
  if (uStyle > 0.5 && label >= 0) {
    vec4 rc = roiColor(label);
    if (rc.a > 0.5) {
      // Outline: a neighbouring pixel within ~1.5 screen pixels belongs to another ROI (or none).
      vec2 f = fract(px);
      vec2 w = clamp(fwidth(px) * 1.5, 0.0, 0.5);
      bool edge = (f.x < w.x && labelAt(ip + ivec2(-1, 0)) != label) || (f.x > 1.0 - w.x && labelAt(ip + ivec2(1, 0)) != label)
        || (f.y < w.y && labelAt(ip + ivec2(0, -1)) != label) || (f.y > 1.0 - w.y && labelAt(ip + ivec2(0, 1)) != label);
      if (uStyle > 1.5) colour = mix(colour, rc.rgb, edge ? 0.95 : 0.55);
      else if (edge) colour = rc.rgb;
    }
  }
  gl_FragColor = vec4(colour, uOpacity);
}`;

/** Image values at these percentiles map to black and white. */
export const CLIP_PERCENTILES = [0.5, 99.5] as const;

/** The [lo, hi] pixel values at percentiles (p in 0-100) of a 16-bit image, by histogram. */
export function percentileRange(pixels: Uint16Array, pLo: number, pHi: number): [number, number] {
  const hist = new Uint32Array(65536);
  for (const v of pixels) hist[v]++;
  const at = (p: number) => {
    const target = (p / 100) * (pixels.length - 1);
    let seen = 0;
    for (let v = 0; v < 65536; v++) {
      seen += hist[v];
      if (seen > target) return v;
    }
    return 65535;
  };
  const lo = at(pLo);
  return [lo, Math.max(lo + 1, at(pHi))];
}

/** 8-bit greyscale of `pixels`, clipped to the CLIP_PERCENTILES range. */
export function contrastBytes(pixels: Uint16Array): Uint8Array {
  const [lo, hi] = percentileRange(pixels, CLIP_PERCENTILES[0], CLIP_PERCENTILES[1]);
  const out = new Uint8Array(pixels.length);
  const k = 255 / (hi - lo);
  for (let i = 0; i < pixels.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((pixels[i] - lo) * k)));
  return out;
}

interface Slice {
  mesh: Mesh;
  material: ShaderMaterial;
  anatomy: PlaneAnatomy;
  z: number;
}

export class SliceLayer {
  readonly group = new Group();
  private readonly slices = new Map<number, Slice>();
  private style: FootprintStyle = 'outline';
  private opacity = 1;

  private readonly roi: RoiUniforms;

  constructor(roi: RoiUniforms) {
    this.roi = roi;
  }

  /** Shows `anatomy` at depth z (world units), replacing that plane's slice; `offset` centres it. */
  setPlane(anatomy: PlaneAnatomy, z: number, offset: { x: number; y: number }): void {
    const old = this.slices.get(anatomy.plane);
    if (old) this.disposeSlice(old);
    const { width: w, height: h } = anatomy;
    const image = new DataTexture(contrastBytes(anatomy.pixels), w, h, RedFormat, UnsignedByteType);
    image.minFilter = LinearFilter;
    image.magFilter = LinearFilter;
    image.unpackAlignment = 1;
    image.needsUpdate = true;
    const labels = new DataTexture(Float32Array.from(anatomy.labels), w, h, RedFormat, FloatType);
    labels.minFilter = NearestFilter;
    labels.magFilter = NearestFilter;
    labels.needsUpdate = true;
    const material = new ShaderMaterial({
      vertexShader: VERTEX,
      fragmentShader: FRAGMENT,
      side: DoubleSide,
      transparent: this.opacity < 1,
      depthWrite: this.opacity >= 1,
      uniforms: {
        ...this.roi,
        uImage: { value: image },
        uLabels: { value: labels },
        uSize: { value: [w, h] },
        uStyle: { value: styleCode(this.style) },
        uOpacity: { value: this.opacity },
      },
    });
    const mesh = new Mesh(new PlaneGeometry(w, h), material);
    // Pixel (col, row)'s centre lands on (col − offset.x, offset.y − row), as the ROI centroids do.
    mesh.position.set(w / 2 - 0.5 - offset.x, offset.y - h / 2 + 0.5, z);
    mesh.renderOrder = -1;
    this.group.add(mesh);
    this.slices.set(anatomy.plane, { mesh, material, anatomy, z });
  }

  get planes(): number[] {
    return [...this.slices.keys()].sort((a, b) => a - b);
  }

  anatomyOf(plane: number): PlaneAnatomy | null {
    return this.slices.get(plane)?.anatomy ?? null;
  }

  setStyle(style: FootprintStyle): void {
    this.style = style;
    for (const s of this.slices.values()) s.material.uniforms.uStyle.value = styleCode(style);
  }

  get footprintStyle(): FootprintStyle {
    return this.style;
  }

  /** Below 1, slices blend (a stacked volume stays see-through). */
  setOpacity(opacity: number): void {
    this.opacity = opacity;
    for (const s of this.slices.values()) {
      s.material.uniforms.uOpacity.value = opacity;
      s.material.transparent = opacity < 1;
      s.material.depthWrite = opacity >= 1;
      s.material.needsUpdate = true;
    }
  }

  /**
   * The ROI whose footprint a ray (origin o, direction d, world space) meets first, skipping
   * hidden ones; −1 if none. One label lookup per slice: cost independent of the ROI count.
   */
  pick(o: { x: number; y: number; z: number }, d: { x: number; y: number; z: number }, hidden: Uint8Array | null): number {
    let best = -1,
      bestT = Infinity;
    if (Math.abs(d.z) < 1e-9) return -1;
    for (const s of this.slices.values()) {
      const t = (s.z - o.z) / d.z;
      if (t <= 0 || t >= bestT) continue;
      const a = s.anatomy;
      const col = Math.floor(o.x + t * d.x - (s.mesh.position.x - a.width / 2));
      const row = Math.floor(s.mesh.position.y + a.height / 2 - (o.y + t * d.y));
      if (col < 0 || row < 0 || col >= a.width || row >= a.height) continue;
      const id = a.labels[row * a.width + col];
      if (id < 0 || hidden?.[id]) continue;
      best = id;
      bestT = t;
    }
    return best;
  }

  clear(): void {
    for (const s of this.slices.values()) this.disposeSlice(s);
    this.slices.clear();
  }

  private disposeSlice(s: Slice): void {
    this.group.remove(s.mesh);
    s.mesh.geometry.dispose();
    (s.material.uniforms.uImage.value as DataTexture).dispose();
    (s.material.uniforms.uLabels.value as DataTexture).dispose();
    s.material.dispose();
  }

  dispose(): void {
    this.clear();
  }
}

function styleCode(s: FootprintStyle): number {
  return s === 'none' ? 0 : s === 'outline' ? 1 : 2;
}
