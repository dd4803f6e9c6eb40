/**
 * The ROI scene: every ROI of every plane as one instance of ONE InstancedMesh (one draw call).
 * Typed arrays are written directly — no Object3D per ROI — and the mesh only grows (capacity
 * doubles) so new data never reallocates GPU buffers needlessly. No DOM, no WebGL: testable in Node.
 */
import { type BufferGeometry, Color, DynamicDrawUsage, InstancedBufferAttribute, InstancedMesh, type Material, Scene, Sphere, Vector3 } from 'three';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { activityRamp, CLUSTER_COLORS, HIGHLIGHT, planeColor, UNASSIGNED } from './roi-colors.ts';
import { makeShape, type RoiShape } from './roi-materials.ts';
import { makeRoiUniforms, setActivityTexture, setRoiColors, type RoiUniforms, type StaticColorMode } from './roi-textures.ts';

export type ColorMode = 'cluster' | 'plane' | 'score' | 'activity';

/** Activity over time for the 'activity' colour mode: `values[i * bins + bin]`, 0-255. */
export interface ActivityColors {
  count: number;
  bins: number;
  values: Uint8Array;
}

export interface Placement {
  /** Distance between planes, in the same pixel units as x and y. */
  planeSpacing: number;
  width: number;
  height: number;
}

export class RoiScene {
  readonly scene = new Scene();
  /** Per-ROI textures and the time uniform, shared with the plane slices. */
  readonly uniforms: RoiUniforms = makeRoiUniforms();
  mesh: InstancedMesh;
  /** World-space centres, xyz per ROI (for picking without touching matrices). */
  world = new Float32Array(0);
  readonly bounds = new Sphere(new Vector3(), 1);
  private rois: RoiArrays | null = null;
  private baseColors = new Float32Array(0);
  private highlighted = -1;
  private geometry: BufferGeometry;
  private material: Material;
  private shapeName: RoiShape;
  private mode: ColorMode = 'cluster';
  /** The colours uRoiColors holds (the last static mode; activity colours come from uActivity). */
  private textureMode: StaticColorMode = 'cluster';
  private activity: ActivityColors | null = null;
  private frame = 0;
  private readonly ramp = activityRamp();
  /** A full colour upload is queued; highlight() must not narrow it to a range. */
  private fullUploadPending = false;
  /** Drawn radius per ROI (its instance scale when shown). */
  private scales = new Float32Array(0);
  private nonCellsHidden = false;
  /** 1 for each ROI not drawn (non-cells while they are hidden); null when all are drawn. */
  private hidden: Uint8Array | null = null;

  constructor(capacity = 1024, shape: RoiShape = 'impostor') {
    this.shapeName = shape;
    ({ geometry: this.geometry, material: this.material } = makeShape(shape, this.uniforms));
    this.mesh = this.makeMesh(capacity);
  }

  get shape(): RoiShape {
    return this.shapeName;
  }

  /** Swaps the per-ROI shape; instance buffers (positions, colours) are kept as they are. */
  setShape(shape: RoiShape): void {
    if (shape === this.shapeName) return;
    const next = makeShape(shape, this.uniforms);
    this.geometry.dispose();
    this.material.dispose();
    this.geometry = next.geometry;
    this.material = next.material;
    this.mesh.geometry = next.geometry;
    this.mesh.material = next.material;
    this.shapeName = shape;
    if (this.mode === 'activity') this.setColorMode('activity');
  }

  get colorMode(): ColorMode {
    return this.mode;
  }

  /** Activity for the 'activity' colour mode (null clears); recolours if that mode is on. */
  setActivity(activity: ActivityColors | null): void {
    this.activity = activity;
    setActivityTexture(this.uniforms, activity);
    this.frame = Math.min(this.frame, Math.max(0, (activity?.bins ?? 1) - 1));
    if (this.mode === 'activity') this.setColorMode('activity');
  }

  /**
   * Colours every ROI by its activity at time `bin` (fractional: between bins; switching to the
   * 'activity' mode). With the impostor shape (and on the slices) this is one uniform update;
   * the lit mesh shapes rewrite and upload their instance colours.
   */
  setFrame(bin: number): void {
    const last = Math.max(0, (this.activity?.bins ?? 1) - 1);
    const t = Math.max(0, Math.min(bin, last));
    this.uniforms.uFrame.value = t;
    const whole = Math.round(t);
    if (this.mode === 'activity' && this.shapeName === 'impostor' && this.uniforms.uByActivity.value === 1) {
      this.frame = whole;
      return;
    }
    this.frame = whole;
    this.setColorMode('activity');
  }

  /**
   * The previous way to play activity, kept for the benchmark's "before": every ROI's colour for
   * bin `bin` computed on the CPU and the whole instance colour buffer uploaded.
   */
  setFrameByUpload(bin: number): void {
    this.frame = Math.max(0, Math.min(Math.round(bin), (this.activity?.bins ?? 1) - 1));
    this.uniforms.uFrame.value = this.frame;
    this.mode = 'activity';
    this.uniforms.uByActivity.value = 0;
    if (this.rois) this.paintActivity(this.rois.count);
  }

  get currentFrame(): number {
    return this.frame;
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
    mesh.onAfterRender = () => {
      this.fullUploadPending = false;
    };
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
    this.scales = new Float32Array(n);
    const m = this.mesh.instanceMatrix.array as Float32Array;
    const cx = place.width / 2,
      cy = place.height / 2,
      cz = ((rois.planes - 1) * place.planeSpacing) / 2;
    let maxR2 = 0;
    for (let i = 0; i < n; i++) {
      const x = rois.centroids[i * 3] - cx;
      const y = -(rois.centroids[i * 3 + 1] - cy);
      const z = rois.centroids[i * 3 + 2] * place.planeSpacing - cz;
      this.world[i * 3] = x;
      this.world[i * 3 + 1] = y;
      this.world[i * 3 + 2] = z;
      // Half the radius of a disc with the ROI's pixel count, so dense volumes stay see-through.
      const s = Math.max(0.6, Math.sqrt(Math.max(0, rois.sizes[i]) / Math.PI) * 0.5);
      this.scales[i] = s;
      const o = i * 16;
      m[o] = s;
      m[o + 1] = 0;
      m[o + 2] = 0;
      m[o + 3] = 0;
      m[o + 4] = 0;
      m[o + 5] = s;
      m[o + 6] = 0;
      m[o + 7] = 0;
      m[o + 8] = 0;
      m[o + 9] = 0;
      m[o + 10] = s;
      m[o + 11] = 0;
      m[o + 12] = x;
      m[o + 13] = y;
      m[o + 14] = z;
      m[o + 15] = 1;
      const r2 = x * x + y * y + z * z;
      if (r2 > maxR2) maxR2 = r2;
    }
    this.mesh.count = n;
    this.mesh.instanceMatrix.needsUpdate = true;
    this.bounds.set(new Vector3(0, 0, 0), Math.max(1, Math.sqrt(maxR2)));
    this.setNonCellsHidden(this.nonCellsHidden);
    this.setColorMode(mode);
  }

  /**
   * Hides (scale 0, never picked) or shows the ROIs that are not cells (iscell 0, the curated
   * label; cluster 255 when the arrays carry no iscell); kept across setData. Bounds stay those
   * of every ROI, so the view does not jump.
   */
  setNonCellsHidden(hide: boolean): void {
    this.nonCellsHidden = hide;
    const rois = this.rois;
    if (!rois) return;
    const m = this.mesh.instanceMatrix.array as Float32Array;
    let any = false;
    const mask = new Uint8Array(rois.count);
    for (let i = 0; i < rois.count; i++) {
      const off = hide && (rois.iscell ? rois.iscell[i] === 0 : rois.clusters[i] === 255);
      if (off) {
        mask[i] = 1;
        any = true;
      }
      const s = off ? 0 : this.scales[i];
      m[i * 16] = s;
      m[i * 16 + 5] = s;
      m[i * 16 + 10] = s;
    }
    this.hidden = any ? mask : null;
    this.mesh.instanceMatrix.needsUpdate = true;
    setRoiColors(this.uniforms, rois, this.textureMode, this.hidden);
  }

  get hiddenMask(): Uint8Array | null {
    return this.hidden;
  }

  /** ROIs drawn (all of them unless non-cells are hidden). */
  get shownCount(): number {
    const h = this.hidden;
    if (!h) return this.count;
    let n = 0;
    for (let i = 0; i < h.length; i++) n += h[i] ? 0 : 1;
    return n;
  }

  setColorMode(mode: ColorMode): void {
    this.mode = mode;
    const rois = this.rois;
    if (!rois) return;
    const n = rois.count;
    if (this.baseColors.length !== n * 3) this.baseColors = new Float32Array(n * 3);
    if (mode === 'activity') {
      this.uniforms.uByActivity.value = 1;
      // The impostor and the slices read activity from the texture; the lit shapes need instance colours.
      if (this.shapeName !== 'impostor') this.paintActivity(n);
      return;
    }
    this.uniforms.uByActivity.value = 0;
    if (mode !== this.textureMode) {
      this.textureMode = mode;
      setRoiColors(this.uniforms, rois, mode, this.hidden);
    }
    const palette = CLUSTER_COLORS.map((c) => new Color(c));
    const unassigned = new Color(UNASSIGNED);
    const tmp = new Color();
    for (let i = 0; i < n; i++) {
      let c: Color;
      if (mode === 'cluster') {
        const k = rois.clusters[i];
        c = k === 255 ? unassigned : palette[k % palette.length];
      } else if (mode === 'score') {
        c = planeColor((rois.scores?.[i] ?? 0) / 255, tmp);
      } else {
        c = planeColor(rois.planes > 1 ? rois.centroids[i * 3 + 2] / (rois.planes - 1) : 0, tmp);
      }
      this.baseColors[i * 3] = c.r;
      this.baseColors[i * 3 + 1] = c.g;
      this.baseColors[i * 3 + 2] = c.b;
    }
    this.uploadColors();
  }

  private paintActivity(n: number): void {
    const a = this.activity;
    const ramp = this.ramp;
    const base = this.baseColors;
    const rows = a ? Math.min(n, a.count) : 0;
    for (let i = 0; i < rows; i++) {
      const v = a!.values[i * a!.bins + this.frame] * 3;
      base[i * 3] = ramp[v];
      base[i * 3 + 1] = ramp[v + 1];
      base[i * 3 + 2] = ramp[v + 2];
    }
    // ROIs without a trace stay the ramp's floor.
    for (let i = rows; i < n; i++) {
      base[i * 3] = ramp[0];
      base[i * 3 + 1] = ramp[1];
      base[i * 3 + 2] = ramp[2];
    }
    this.uploadColors();
  }

  private uploadColors(): void {
    const attr = this.mesh.instanceColor!;
    const colors = attr.array as Float32Array;
    colors.set(this.baseColors);
    const h = this.highlighted;
    if (h >= 0 && h < this.count) {
      colors[h * 3] = HIGHLIGHT.r;
      colors[h * 3 + 1] = HIGHLIGHT.g;
      colors[h * 3 + 2] = HIGHLIGHT.b;
    }
    // The whole buffer changed: no partial ranges, one full upload (until the next render).
    attr.clearUpdateRanges();
    attr.needsUpdate = true;
    this.fullUploadPending = true;
  }

  /** Paints one ROI white (−1 clears); returns whether anything changed. */
  highlight(index: number): boolean {
    if (index === this.highlighted) return false;
    this.uniforms.uHighlight.value = index < this.count ? index : -1;
    const attr = this.mesh.instanceColor!;
    const colors = attr.array as Float32Array;
    const ranged = !this.fullUploadPending;
    if (ranged) attr.clearUpdateRanges();
    if (this.highlighted >= 0 && this.highlighted < this.count) {
      colors.set(this.baseColors.subarray(this.highlighted * 3, this.highlighted * 3 + 3), this.highlighted * 3);
      if (ranged) attr.addUpdateRange(this.highlighted * 3, 3);
    }
    if (index >= 0 && index < this.count) {
      colors[index * 3] = HIGHLIGHT.r;
      colors[index * 3 + 1] = HIGHLIGHT.g;
      colors[index * 3 + 2] = HIGHLIGHT.b;
      if (ranged) attr.addUpdateRange(index * 3, 3);
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
    this.uniforms.uRoiColors.value.dispose();
    this.uniforms.uActivity.value.dispose();
    this.uniforms.uRamp.value.dispose();
    this.mesh.dispose();
    this.geometry.dispose();
    this.material.dispose();
  }
}
