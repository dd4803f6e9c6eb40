/**
 * The WebGL side of the 3D ROI view: renderer, camera, orbit controls, hover picking.
 * Renders on demand (only after something moved or changed), never from React state.
 */
import { DirectionalLight, HemisphereLight, Matrix4, PerspectiveCamera, Vector3, WebGLRenderer } from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { fitDistance, fractionInView } from './camera-fit.ts';
import { pickNearest } from './roi-picking.ts';
import type { RoiShape } from './roi-materials.ts';
import { RoiScene, type ActivityColors, type ColorMode, type Placement } from './roi-scene.ts';

/** Where the default view looks from (unit vector; z is up): in front, a little to the side, above. */
const VIEW_DIRECTION = new Vector3(0.9, -1.6, 1.5).normalize();

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

  constructor(canvas: HTMLCanvasElement, cb: ViewerCallbacks = {}) {
    this.canvas = canvas;
    this.cb = cb;
    this.renderer = new WebGLRenderer({ canvas, antialias: false, powerPreference: 'high-performance', preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.renderer.info.autoReset = true;
    const scene = this.roiScene.scene;
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
    this.roiScene.setData(rois, place, mode);
    this.resetView();
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

  /** The default view: from the front, below and above, the whole cloud framed. */
  resetView(): void {
    const r = this.roiScene.bounds.radius;
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
    };
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
