/**
 * Lasso selection over the 3D view: a polygon drawn on the canvas (in lasso mode, or with Shift
 * held) and the ROIs whose projected centres fall inside it, in the current camera.
 */
import { projectRoi, type ScreenPoint } from './roi-picking.ts';

export interface Point {
  x: number;
  y: number;
}

/** Even-odd rule; points on an edge may land on either side. */
export function pointInPolygon(x: number, y: number, poly: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[i],
      b = poly[j];
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

/**
 * ROIs (not `hidden`) whose centre, projected by the column-major `viewProj` onto a `width` ×
 * `height` canvas, is inside `poly` (canvas pixels) and in front of the camera; in ROI order.
 */
export function roisInPolygon(
  world: Float32Array,
  count: number,
  viewProj: ArrayLike<number>,
  width: number,
  height: number,
  poly: readonly Point[],
  hidden: Uint8Array | null = null,
): number[] {
  if (poly.length < 3) return [];
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const p of poly) {
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const p: ScreenPoint = { x: 0, y: 0, depth: 0 };
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (hidden?.[i]) continue;
    if (!projectRoi(world, i, viewProj, width, height, p)) continue;
    if (p.x < minX || p.x > maxX || p.y < minY || p.y > maxY) continue;
    if (pointInPolygon(p.x, p.y, poly)) out.push(i);
  }
  return out;
}

export interface LassoOptions {
  /** Lasso without Shift (the mode button is on). */
  active: () => boolean;
  /** The finished polygon (canvas pixels); not called for a bare click. */
  onLasso: (poly: Point[]) => void;
}

const SVG = 'http://www.w3.org/2000/svg';

/**
 * Draws the lasso over `canvas` (an SVG laid over it in `wrap`, which must be positioned). It
 * takes the pointer before the orbit controls do (capture phase on `wrap`), and swallows the
 * click that ends a drag so it does not pin an ROI.
 */
export class LassoTool {
  readonly svg: SVGSVGElement;
  private readonly path: SVGPolygonElement;
  private readonly marks: SVGGElement;
  private points: Point[] = [];
  private drawing = false;
  private swallowClick = false;
  private readonly wrap: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly opts: LassoOptions;

  constructor(wrap: HTMLElement, canvas: HTMLCanvasElement, opts: LassoOptions) {
    this.wrap = wrap;
    this.canvas = canvas;
    this.opts = opts;
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('class', 'lasso-layer');
    this.svg.setAttribute('aria-hidden', 'true');
    this.path = document.createElementNS(SVG, 'polygon');
    this.path.setAttribute('class', 'lasso-path');
    this.marks = document.createElementNS(SVG, 'g');
    this.marks.setAttribute('class', 'lasso-marks');
    this.svg.append(this.marks, this.path);
    wrap.append(this.svg);
    wrap.addEventListener('pointerdown', this.onDown, true);
    wrap.addEventListener('pointermove', this.onMove, true);
    wrap.addEventListener('pointerup', this.onUp, true);
    wrap.addEventListener('pointercancel', this.onCancel, true);
    wrap.addEventListener('click', this.onClick, true);
  }

  private local(e: PointerEvent): Point {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private readonly onDown = (e: PointerEvent) => {
    // Over the canvas or an overlay on it (the legend), never a control.
    const t = e.target as Element | null;
    if (!t || t.closest('button, input, select, textarea, a, label') || e.button !== 0 || !(e.shiftKey || this.opts.active())) return;
    e.stopPropagation();
    e.preventDefault();
    this.drawing = true;
    this.points = [this.local(e)];
    this.wrap.setPointerCapture?.(e.pointerId);
    this.draw();
  };

  private readonly onMove = (e: PointerEvent) => {
    if (!this.drawing) return;
    e.stopPropagation();
    const p = this.local(e);
    const last = this.points[this.points.length - 1];
    if (Math.hypot(p.x - last.x, p.y - last.y) < 3) return;
    this.points.push(p);
    this.draw();
  };

  private readonly onUp = (e: PointerEvent) => {
    if (!this.drawing) return;
    e.stopPropagation();
    this.drawing = false;
    this.wrap.releasePointerCapture?.(e.pointerId);
    const poly = this.points;
    this.points = [];
    this.draw();
    // A drag ends in a click that must not pin an ROI; a bare click still pins.
    if (poly.length < 3) return;
    this.swallowClick = true;
    setTimeout(() => (this.swallowClick = false), 0);
    this.opts.onLasso(poly);
  };

  private readonly onCancel = () => {
    this.drawing = false;
    this.points = [];
    this.draw();
  };

  private readonly onClick = (e: MouseEvent) => {
    if (!this.swallowClick) return;
    this.swallowClick = false;
    e.stopPropagation();
  };

  private draw(): void {
    this.path.setAttribute('points', this.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' '));
  }

  /** Rings at `points` (canvas pixels): the selected ROIs. */
  showMarks(points: readonly Point[]): void {
    const rings = this.marks.children;
    while (rings.length > points.length) rings[rings.length - 1].remove();
    while (rings.length < points.length) {
      const c = document.createElementNS(SVG, 'circle');
      c.setAttribute('r', '6');
      this.marks.append(c);
    }
    points.forEach((p, i) => {
      rings[i].setAttribute('cx', p.x.toFixed(1));
      rings[i].setAttribute('cy', p.y.toFixed(1));
    });
  }

  dispose(): void {
    this.wrap.removeEventListener('pointerdown', this.onDown, true);
    this.wrap.removeEventListener('pointermove', this.onMove, true);
    this.wrap.removeEventListener('pointerup', this.onUp, true);
    this.wrap.removeEventListener('pointercancel', this.onCancel, true);
    this.wrap.removeEventListener('click', this.onClick, true);
    this.svg.remove();
  }
}
