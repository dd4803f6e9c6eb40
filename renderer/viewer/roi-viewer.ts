/**
 * The WebGL side of the 3D ROI view: renderer, camera, orbit controls, hover picking, the plane
 * slices under the ROIs and activity playback. Renders on demand (only after something moved or
 * changed), never from React state; playing advances one time uniform per animation frame.
 */
import { DirectionalLight, HemisphereLight, Matrix4, PerspectiveCamera, Vector3, WebGLRenderer } from 'three';
import type { PlaneAnatomy } from '../../preload/anatomy-binary.ts';
import { SliceLayer, type FootprintStyle } from './slice-layer.ts';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { fitDistance, fractionInView } from './camera-fit.ts';
import { pickNearest } from './roi-picking.ts';
import { roisInPolygon, type Point } from './lasso.ts';
import type { RoiShape } from './roi-materials.ts';
import { RoiScene, type ActivityColors, type ColorMode, type Placement } from './roi-scene.ts';

/** Where the default view looks from (unit vector; z is up): in front, a little to the side, above. */
const VIEW_DIRECTION = new Vector3(0.9, -1.6, 1.5).normalize();

/** 'slices': the planes' anatomy with footprints; 'spheres': one sphere per ROI (any ROI count). */
export type ViewMode = 'slices' | 'spheres';

export interface ViewerCallbacks {
  onHover?: (index: number) => void;
  onSelect?: (index: number) => void;
}

export interface ViewerInfo {
  shape: RoiShape;
  calls: number;
  triangles: number;
  instances: number;
  frames: number;
  /** Fraction of the drawn ROI centres inside the current view (1 = none cut off). */
  inView: number;
  /** ROIs drawn (instances less hidden non-cells). */
  shown: number;
  mode: ViewMode;
  /** Planes with a slice loaded. */
  slices: number;
  /** Current time in activity bins (fractional while playing). */
  time: number;
  playing: boolean;
}

export class RoiViewer {
  readonly roiScene = new RoiScene();
  private readonly renderer: WebGLRenderer;
  private readonly camera = new PerspectiveCamera(40, 1, 1, 100_000);
  private readonly controls: OrbitControls;
  private readonly viewProj = new Matrix4();
  private frameRequested = false;
  private frames = 0;
  private hoverIndex = -1;
  private pointer: { x: number; y: number } | null = null;
  private readonly resizeObserver: ResizeObserver;
  private readonly canvas: HTMLCanvasElement;
  private readonly cb: ViewerCallbacks;
  private lastCalls = 0;
  private lastTriangles = 0;
  /** The camera is where resetView put it: a resize reframes it. */
  private viewIsDefault = true;
  private readonly slices: SliceLayer;
  private viewMode: ViewMode = 'spheres';
  private place: Placement = { planeSpacing: 1, width: 1, height: 1 };
  private planes = 1;
  private playback: { raf: number; last: number; binsPerSecond: number; onTime: (bin: number) => void; lastBin: number } | null = null;

  constructor(canvas: HTMLCanvasElement, cb: ViewerCallbacks = {}) {
    this.canvas = canvas;
    this.cb = cb;
    this.renderer = new WebGLRenderer({ canvas, antialias: false, powerPreference: 'high-performance', preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.renderer.info.autoReset = true;
    const scene = this.roiScene.scene;
    this.slices = new SliceLayer(this.roiScene.uniforms);
    this.slices.group.visible = false;
    scene.add(this.slices.group);
    scene.add(new HemisphereLight(0xffffff, 0x445566, 1.6));
    const key = new DirectionalLight(0xffffff, 1.4);
    key.position.set(1, 1, 2);
    this.camera.add(key);
    scene.add(this.camera);
    this.applyTheme();

    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = false;
    this.controls.listenToKeyEvents(canvas);
    this.controls.addEventListener('change', () => this.requestRender());
    this.controls.addEventListener('start', () => {
      this.viewIsDefault = false;
    });

    canvas.addEventListener('pointermove', this.onPointerMove);
    canvas.addEventListener('pointerleave', this.onPointerLeave);
    canvas.addEventListener('click', this.onClick);
    canvas.addEventListener('keydown', this.onKey);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(canvas);
    this.resize();
  }

  setData(rois: RoiArrays, place: Placement, mode: ColorMode = 'cluster'): void {
    this.place = place;
    this.planes = rois.planes;
    this.slices.clear();
    this.roiScene.setData(rois, place, mode);
    this.resetView();
  }

  /** Shows (or replaces) one plane's slice; a volume's slices blend so deeper planes show through. */
  setAnatomy(anatomy: PlaneAnatomy): void {
    const cz = ((this.planes - 1) * this.place.planeSpacing) / 2;
    this.slices.setPlane(anatomy, anatomy.plane * this.place.planeSpacing - cz, { x: this.place.width / 2, y: this.place.height / 2 });
    this.slices.setOpacity(this.planes > 1 ? 0.82 : 1);
    this.requestRender();
  }

  /** Slices with footprints, or spheres. Switching resets the view when it was the default. */
  setViewMode(mode: ViewMode): void {
    if (mode === this.viewMode) return;
    this.viewMode = mode;
    this.slices.group.visible = mode === 'slices';
    this.roiScene.mesh.visible = mode === 'spheres';
    if (this.viewIsDefault) this.resetView();
    this.requestRender();
  }

  setFootprintStyle(style: FootprintStyle): void {
    this.slices.setStyle(style);
    this.requestRender();
  }

  /** Plays activity from the current time at `binsPerSecond`, looping; `onTime` hears each new whole bin. */
  play(binsPerSecond: number, onTime: (bin: number) => void): void {
    this.pause();
    const bins = this.roiScene.uniforms.uBins.value;
    if (bins < 1) return;
    if (this.roiScene.colorMode !== 'activity') this.roiScene.setFrame(this.roiScene.uniforms.uFrame.value);
    const step = (now: number) => {
      const p = this.playback;
      if (!p) return;
      const dt = Math.min(0.25, (now - p.last) / 1000);
      p.last = now;
      const u = this.roiScene.uniforms.uFrame;
      this.roiScene.setFrame((u.value + dt * p.binsPerSecond) % Math.max(1, bins - 1));
      const bin = Math.floor(u.value);
      if (bin !== p.lastBin) {
        p.lastBin = bin;
        p.onTime(bin);
      }
      this.render();
      p.raf = requestAnimationFrame(step);
    };
    this.playback = { raf: requestAnimationFrame(step), last: performance.now(), binsPerSecond, onTime, lastBin: -1 };
  }

  pause(): void {
    if (this.playback) cancelAnimationFrame(this.playback.raf);
    this.playback = null;
  }

  /** The current view as a PNG (rendered now, so it is the frame on screen). */
  async toPng(): Promise<Blob> {
    this.render();
    return new Promise((resolve, reject) => this.canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas gave no image'))), 'image/png'));
  }

  /** Hides or shows the ROIs that are not cells (see RoiScene.setNonCellsHidden). */
  setNonCellsHidden(hide: boolean): void {
    this.roiScene.setNonCellsHidden(hide);
    this.requestRender();
  }

  setColorMode(mode: ColorMode): void {
    this.roiScene.setColorMode(mode);
    this.requestRender();
  }

  setActivity(activity: ActivityColors | null): void {
    this.roiScene.setActivity(activity);
    this.requestRender();
  }

  /** Colours ROIs by their activity in time bin `bin` (rewrites instance colours only). */
  setFrame(bin: number): void {
    this.roiScene.setFrame(bin);
    this.requestRender();
  }

  /** Benchmarks compare shapes on the same data; the default is the impostor. */
  setShape(shape: RoiShape): void {
    this.roiScene.setShape(shape);
    this.requestRender();
  }

  /** Highlights an ROI chosen elsewhere (list, keyboard); −1 clears. */
  highlight(index: number): void {
    if (this.roiScene.highlight(index)) this.requestRender();
  }

  /**
   * The default view. Slices of one plane: straight down, the image filling the view. Otherwise
   * from the front, a little to the side and above, the whole cloud (or stack) framed.
   */
  resetView(): void {
    if (this.viewMode === 'slices' && this.planes === 1) {
      const half = (this.camera.fov * Math.PI) / 360;
      const d = Math.max(this.place.height / 2 / Math.tan(half), this.place.width / 2 / (Math.tan(half) * this.camera.aspect)) * 1.02;
      this.camera.near = Math.max(0.1, d / 100);
      this.camera.far = d * 4;
      this.camera.up.set(0, 1, 0);
      this.camera.position.set(0, 0, d);
      this.controls.target.set(0, 0, 0);
      this.camera.lookAt(0, 0, 0);
      this.camera.updateProjectionMatrix();
      this.controls.update();
      this.viewIsDefault = true;
      this.requestRender();
      return;
    }
    const stack = this.viewMode === 'slices' ? Math.hypot(this.place.width / 2, this.place.height / 2, ((this.planes - 1) * this.place.planeSpacing) / 2) : 0;
    const r = Math.max(this.roiScene.bounds.radius, stack);
    const d = fitDistance(r, this.camera.fov, this.camera.aspect);
    this.camera.near = Math.max(0.1, r / 100);
    this.camera.far = (d + r) * 4;
    this.camera.position.copy(VIEW_DIRECTION).multiplyScalar(d);
    this.camera.up.set(0, 0, 1);
    this.controls.target.set(0, 0, 0);
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.viewIsDefault = true;
    this.requestRender();
  }

  applyTheme(): void {
    const bg = getComputedStyle(this.canvas).getPropertyValue('--viewer-bg').trim() || '#11151c';
    this.renderer.setClearColor(bg, 1);
    this.requestRender();
  }

  requestRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.render();
    });
  }

  /** Renders one frame synchronously. */
  render(): void {
    this.renderer.render(this.roiScene.scene, this.camera);
    this.lastCalls = this.renderer.info.render.calls;
    this.lastTriangles = this.renderer.info.render.triangles;
    this.frames++;
  }

  info(): ViewerInfo {
    const inView = fractionInView(this.roiScene.world, this.roiScene.count, this.currentViewProj(), this.roiScene.hiddenMask);
    return {
      shape: this.roiScene.shape,
      calls: this.lastCalls,
      triangles: this.lastTriangles,
      instances: this.roiScene.count,
      frames: this.frames,
      inView,
      shown: this.roiScene.shownCount,
      mode: this.viewMode,
      slices: this.slices.planes.length,
      time: this.roiScene.uniforms.uFrame.value,
      playing: this.playback !== null,
    };
  }

  /**
   * Benchmark: `n` frames of activity playback, each one bin later, rendered and waited for with
   * gl.finish(); 'upload' recolours every instance on the CPU and uploads the colour buffer (the
   * way playback worked before), 'uniform' moves the time uniform only. Returns ms per frame, and
   * of that the CPU update before rendering (the buffer upload itself happens inside the render).
   */
  measurePlayback(n: number, how: 'upload' | 'uniform'): { frameMs: number[]; updateMs: number[] } {
    const gl = this.renderer.getContext();
    const bins = Math.max(1, this.roiScene.uniforms.uBins.value);
    const frameMs: number[] = [];
    const updateMs: number[] = [];
    this.roiScene.setColorMode('activity');
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      if (how === 'upload') this.roiScene.setFrameByUpload(i % bins);
      else this.roiScene.setFrame(i % bins);
      updateMs.push(performance.now() - t0);
      this.render();
      gl.finish();
      const px = new Uint8Array(4);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      frameMs.push(performance.now() - t0);
    }
    this.roiScene.setColorMode('activity');
    return { frameMs, updateMs };
  }

  /**
   * Benchmark: `n` picks at points spread over the canvas; 'centres' projects every ROI centre
   * (the sphere view's picking), 'labels' looks up the slices' label images. Returns ms per pick.
   */
  measurePicks(n: number, how: 'centres' | 'labels'): number[] {
    const w = this.canvas.clientWidth,
      h = this.canvas.clientHeight;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = ((i * 0.618) % 1) * w,
        y = ((i * 0.381 + 0.5) % 1) * h;
      const t0 = performance.now();
      if (how === 'centres') this.pickCentres(x, y);
      else this.pickFootprints(x, y);
      out.push(performance.now() - t0);
    }
    return out;
  }

  /** The ROI under canvas point (x, y) as the current view mode picks it; −1 for none. */
  pick(x: number, y: number): number {
    return this.pickAt(x, y);
  }

  /** Where ROI `i`'s centre is on the canvas (CSS pixels), for tests. */
  screenPosition(i: number): { x: number; y: number } {
    const v = new Vector3(this.roiScene.world[i * 3], this.roiScene.world[i * 3 + 1], this.roiScene.world[i * 3 + 2]);
    this.camera.updateMatrixWorld();
    v.project(this.camera);
    return { x: ((v.x + 1) / 2) * this.canvas.clientWidth, y: ((1 - v.y) / 2) * this.canvas.clientHeight };
  }

  /** The shown ROIs whose projected centres are inside `poly` (canvas CSS pixels), in the current camera. */
  roisInPolygon(poly: readonly Point[]): number[] {
    return roisInPolygon(
      this.roiScene.world,
      this.roiScene.count,
      this.currentViewProj(),
      this.canvas.clientWidth,
      this.canvas.clientHeight,
      poly,
      this.roiScene.hiddenMask,
    );
  }

  /**
   * Renders `n` frames orbiting the camera, each waited for with gl.finish(), and returns
   * the per-frame times in ms (used by bench/viewer.ts).
   */
  measureFrames(n: number): number[] {
    const gl = this.renderer.getContext();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      this.camera.position.applyAxisAngle(this.camera.up, (2 * Math.PI) / Math.max(n, 60));
      this.camera.lookAt(this.controls.target);
      this.render();
      gl.finish();
      const px = new Uint8Array(4);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      out.push(performance.now() - t0);
    }
    return out;
  }

  private resize(): void {
    const w = this.canvas.clientWidth,
      h = this.canvas.clientHeight;
    if (w === 0 || h === 0) return;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    if (this.viewIsDefault && this.roiScene.count > 0) this.resetView();
    this.requestRender();
  }

  /** The camera's view-projection matrix as it stands now (column-major elements). */
  private currentViewProj(): ArrayLike<number> {
    this.camera.updateMatrixWorld();
    return this.viewProj.multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse).elements;
  }

  private pickAt(x: number, y: number): number {
    return this.viewMode === 'slices' && this.slices.planes.length > 0 ? this.pickFootprints(x, y) : this.pickCentres(x, y);
  }

  private pickFootprints(x: number, y: number): number {
    this.camera.updateMatrixWorld();
    const ndc = new Vector3((x / this.canvas.clientWidth) * 2 - 1, 1 - (y / this.canvas.clientHeight) * 2, 0.5).unproject(this.camera);
    const o = this.camera.position;
    const d = ndc.sub(o).normalize();
    return this.slices.pick(o, d, this.roiScene.hiddenMask);
  }

  private pickCentres(x: number, y: number): number {
    return pickNearest(
      this.roiScene.world,
      this.roiScene.count,
      this.currentViewProj(),
      this.canvas.clientWidth,
      this.canvas.clientHeight,
      x,
      y,
      8,
      this.roiScene.hiddenMask,
    );
  }

  private hoverScheduled = false;
  private readonly onPointerMove = (e: PointerEvent) => {
    const rect = this.canvas.getBoundingClientRect();
    this.pointer = { x: e.clientX - rect.left, y: e.clientY - rect.top };
    if (e.buttons !== 0 || this.hoverScheduled) return;
    this.hoverScheduled = true;
    requestAnimationFrame(() => {
      this.hoverScheduled = false;
      if (!this.pointer) return;
      const i = this.pickAt(this.pointer.x, this.pointer.y);
      if (i !== this.hoverIndex) {
        this.hoverIndex = i;
        this.cb.onHover?.(i);
      }
    });
  };

  private readonly onPointerLeave = () => {
    this.pointer = null;
    if (this.hoverIndex !== -1) {
      this.hoverIndex = -1;
      this.cb.onHover?.(-1);
    }
  };

  private readonly onClick = (e: MouseEvent) => {
    const rect = this.canvas.getBoundingClientRect();
    const i = this.pickAt(e.clientX - rect.left, e.clientY - rect.top);
    this.cb.onSelect?.(i);
  };

  private readonly onKey = (e: KeyboardEvent) => {
    if (/^(\+|=|-|Arrow(Up|Down|Left|Right))$/.test(e.key)) this.viewIsDefault = false;
    if (e.key === '+' || e.key === '=') {
      this.camera.position.multiplyScalar(0.85);
      this.controls.update();
    } else if (e.key === '-') {
      this.camera.position.multiplyScalar(1 / 0.85);
      this.controls.update();
    } else if (e.key === '0') this.resetView();
    else return;
    e.preventDefault();
  };

  dispose(): void {
    this.pause();
    this.slices.dispose();
    this.resizeObserver.disconnect();
    this.canvas.removeEventListener('pointermove', this.onPointerMove);
    this.canvas.removeEventListener('pointerleave', this.onPointerLeave);
    this.canvas.removeEventListener('click', this.onClick);
    this.canvas.removeEventListener('keydown', this.onKey);
    this.controls.dispose();
    this.roiScene.dispose();
    this.renderer.dispose();
  }
}
