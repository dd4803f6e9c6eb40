/**
 * The ROI scene: every ROI of every plane as one instance of ONE InstancedMesh (one draw call).
 * Typed arrays are written directly — no Object3D per ROI — and the mesh only grows (capacity
 * doubles) so new data never reallocates GPU buffers needlessly. No DOM, no WebGL: testable in Node.
 */
import {
  Color, DynamicDrawUsage, IcosahedronGeometry, InstancedBufferAttribute, InstancedMesh, MeshLambertMaterial, Scene,
  Sphere, Vector3,
} from 'three';
import type { RoiArrays } from '../../preload/roi-binary.ts';

export type ColorMode = 'cluster' | 'plane';

/** Colour-blind-friendly cluster palette (Tableau 10 order). */
export const CLUSTER_COLORS: ReadonlyArray<string> = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];
const UNASSIGNED = '#8a8f98';
const HIGHLIGHT = new Color('#ffffff');

export interface Placement {
  /** Distance between planes, in the same pixel units as x and y. */
  planeSpacing: number;
  width: number;
  height: number;
}

export class RoiScene {
  readonly scene = new Scene();
  mesh: InstancedMesh;
  /** World-space centres, xyz per ROI (for picking without touching matrices). */
  world = new Float32Array(0);
  readonly bounds = new Sphere(new Vector3(), 1);
  private rois: RoiArrays | null = null;
  private baseColors = new Float32Array(0);
  private highlighted = -1;
  private readonly geometry = new IcosahedronGeometry(1, 0);
  private readonly material = new MeshLambertMaterial({ color: 0xffffff });

  constructor(capacity = 1024) {
    this.mesh = this.makeMesh(capacity);
  }

  get count(): number {
    return this.rois?.count ?? 0;
  }

  get capacity(): number {
    return this.mesh.instanceMatrix.count;
  }

  private makeMesh(capacity: number): InstancedMesh {
    const mesh = new InstancedMesh(this.geometry, this.material, capacity);
    mesh.instanceMatrix.setUsage(DynamicDrawUsage);
    mesh.instanceColor = new InstancedBufferAttribute(new Float32Array(capacity * 3), 3);
    mesh.instanceColor.setUsage(DynamicDrawUsage);
    mesh.count = 0;
    // Bounds are set from the data; three's per-frame instance bounding is not needed.
    mesh.frustumCulled = false;
    this.scene.add(mesh);
    return mesh;
  }

  setData(rois: RoiArrays, place: Placement, mode: ColorMode = 'cluster'): void {
    if (rois.count > this.capacity) {
      let cap = this.capacity;
      while (cap < rois.count) cap *= 2;
      this.scene.remove(this.mesh);
      this.mesh.dispose();
      this.mesh = this.makeMesh(cap);
    }
    this.rois = rois;
    this.highlighted = -1;
    const n = rois.count;
    this.world = new Float32Array(n * 3);
    const m = this.mesh.instanceMatrix.array as Float32Array;
    const cx = place.width / 2, cy = place.height / 2, cz = ((rois.planes - 1) * place.planeSpacing) / 2;
    let maxR2 = 0;
    for (let i = 0; i < n; i++) {
      const x = rois.centroids[i * 3] - cx;
      const y = -(rois.centroids[i * 3 + 1] - cy);
      const z = rois.centroids[i * 3 + 2] * place.planeSpacing - cz;
      this.world[i * 3] = x; this.world[i * 3 + 1] = y; this.world[i * 3 + 2] = z;
      // Half the radius of a disc with the ROI's pixel count, so dense volumes stay see-through.
      const s = Math.max(0.6, Math.sqrt(Math.max(0, rois.sizes[i]) / Math.PI) * 0.5);
      const o = i * 16;
      m[o] = s; m[o + 1] = 0; m[o + 2] = 0; m[o + 3] = 0;
      m[o + 4] = 0; m[o + 5] = s; m[o + 6] = 0; m[o + 7] = 0;
      m[o + 8] = 0; m[o + 9] = 0; m[o + 10] = s; m[o + 11] = 0;
      m[o + 12] = x; m[o + 13] = y; m[o + 14] = z; m[o + 15] = 1;
      const r2 = x * x + y * y + z * z;
      if (r2 > maxR2) maxR2 = r2;
    }
    this.mesh.count = n;
    this.mesh.instanceMatrix.needsUpdate = true;
    this.bounds.set(new Vector3(0, 0, 0), Math.max(1, Math.sqrt(maxR2)));
    this.setColorMode(mode);
  }

  setColorMode(mode: ColorMode): void {
    const rois = this.rois;
    if (!rois) return;
    const n = rois.count;
    this.baseColors = new Float32Array(n * 3);
    const palette = CLUSTER_COLORS.map((c) => new Color(c));
    const unassigned = new Color(UNASSIGNED);
    const tmp = new Color();
    for (let i = 0; i < n; i++) {
      let c: Color;
      if (mode === 'cluster') {
        const k = rois.clusters[i];
        c = k === 255 ? unassigned : palette[k % palette.length];
      } else {
        c = planeColor(rois.planes > 1 ? rois.centroids[i * 3 + 2] / (rois.planes - 1) : 0, tmp);
      }
      this.baseColors[i * 3] = c.r; this.baseColors[i * 3 + 1] = c.g; this.baseColors[i * 3 + 2] = c.b;
    }
    const colors = this.mesh.instanceColor!.array as Float32Array;
    colors.set(this.baseColors);
    this.mesh.instanceColor!.needsUpdate = true;
    const h = this.highlighted;
    this.highlighted = -1;
    this.highlight(h);
  }

  /** Paints one ROI white (−1 clears); returns whether anything changed. */
  highlight(index: number): boolean {
    if (index === this.highlighted) return false;
    const attr = this.mesh.instanceColor!;
    const colors = attr.array as Float32Array;
    attr.clearUpdateRanges();
    if (this.highlighted >= 0 && this.highlighted < this.count) {
      colors.set(this.baseColors.subarray(this.highlighted * 3, this.highlighted * 3 + 3), this.highlighted * 3);
      attr.addUpdateRange(this.highlighted * 3, 3);
    }
    if (index >= 0 && index < this.count) {
      colors[index * 3] = HIGHLIGHT.r; colors[index * 3 + 1] = HIGHLIGHT.g; colors[index * 3 + 2] = HIGHLIGHT.b;
      attr.addUpdateRange(index * 3, 3);
    }
    this.highlighted = index < this.count ? index : -1;
    attr.needsUpdate = true;
    return true;
  }

  get highlightedIndex(): number {
    return this.highlighted;
  }

  /** Cluster sizes for the legend. */
  clusterCounts(): Map<number, number> {
    const out = new Map<number, number>();
    if (!this.rois) return out;
    for (const k of this.rois.clusters) out.set(k, (out.get(k) ?? 0) + 1);
    return out;
  }

  dispose(): void {
    this.mesh.dispose();
    this.geometry.dispose();
    this.material.dispose();
  }
}

/** A perceptually ordered ramp (viridis-like) for depth colouring; t in [0, 1]. */
export function planeColor(t: number, out = new Color()): Color {
  const stops = [[0.267, 0.005, 0.329], [0.229, 0.322, 0.546], [0.128, 0.567, 0.551], [0.369, 0.789, 0.383], [0.993, 0.906, 0.144]];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return out.setRGB(
    stops[i][0] + (stops[i + 1][0] - stops[i][0]) * f,
    stops[i][1] + (stops[i + 1][1] - stops[i][1]) * f,
    stops[i][2] + (stops[i + 1][2] - stops[i][2]) * f,
  );
}

/**
 * The ROI whose projected centre is within `radiusPx` of (px, py), front-most first; −1 if none.
 * `viewProj` is the column-major camera projection × view matrix. O(N) over typed arrays:
 * ~1-2 ms for 100,000 ROIs, cheaper than raycasting every instance's triangles.
 */
export function pickNearest(world: Float32Array, count: number, viewProj: ArrayLike<number>, width: number, height: number, px: number, py: number, radiusPx: number): number {
  const e = viewProj;
  const r2 = radiusPx * radiusPx;
  let best = -1;
  let bestDepth = Infinity;
  for (let i = 0; i < count; i++) {
    const x = world[i * 3], y = world[i * 3 + 1], z = world[i * 3 + 2];
    const w = e[3] * x + e[7] * y + e[11] * z + e[15];
    if (w <= 1e-6) continue;
    const sx = ((e[0] * x + e[4] * y + e[8] * z + e[12]) / w + 1) * 0.5 * width;
    const sy = (1 - (e[1] * x + e[5] * y + e[9] * z + e[13]) / w) * 0.5 * height;
    const dx = sx - px, dy = sy - py;
    if (dx * dx + dy * dy > r2) continue;
    const depth = (e[2] * x + e[6] * y + e[10] * z + e[14]) / w;
    if (depth < -1 || depth > 1) continue;
    if (depth < bestDepth) { bestDepth = depth; best = i; }
  }
  return best;
}
