/**
 * The traces-by-cluster raster: binned dF/F of the ROIs as rows sorted by cluster, drawn on a 2D
 * canvas. With more ROIs than pixel rows each row shows one ROI sampled evenly from its share of
 * the sorted order (a mean would wash single-cell events into the cluster average), so every
 * cluster keeps rows in proportion to its size. The pure parts are testable without a DOM.
 */
import type { ActivityMatrix } from '../../preload/activity-binary.ts';
import { clearedCssCanvas } from './hidpi-canvas.ts';

/** Same stops as the 3D view's activity ramp (roi-colors.ts), in sRGB for the canvas. */
export const ACTIVITY_STOPS: ReadonlyArray<string> = ['#1d2433', '#2b5d7d', '#23a39a', '#f2d43d', '#fff8e0'];

/** ROI indices sorted by cluster (unassigned, 255, last), stable within a cluster. */
export function clusterOrder(clusters: Uint8Array, count: number): Uint32Array {
  const n = Math.min(count, clusters.length);
  const tally = new Uint32Array(257);
  for (let i = 0; i < n; i++) tally[clusters[i] + 1]++;
  for (let k = 1; k < 257; k++) tally[k] += tally[k - 1];
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[tally[clusters[i]]++] = i;
  return out;
}

export interface RasterRows {
  rows: number;
  bins: number;
  /** rows × bins means, 0-255. */
  values: Uint8Array;
  /** The cluster of each row's first ROI. */
  cluster: Uint8Array;
}

/** At most `maxRows` rows: the ROI in the middle of each row's share of `order`. */
export function rasterRows(a: ActivityMatrix, order: Uint32Array, clusters: Uint8Array, maxRows: number): RasterRows {
  const sorted = Array.from(order).filter((i) => i < a.count);
  const n = sorted.length;
  const rows = Math.max(1, Math.min(n, Math.floor(maxRows)));
  const values = new Uint8Array(rows * a.bins);
  const cluster = new Uint8Array(rows).fill(255);
  for (let r = 0; r < rows && n; r++) {
    const i = sorted[Math.min(n - 1, Math.floor(((r + 0.5) * n) / rows))];
    values.set(a.values.subarray(i * a.bins, (i + 1) * a.bins), r * a.bins);
    cluster[r] = clusters[i];
  }
  return { rows, bins: a.bins, values, cluster };
}

function hexRgb(h: string): [number, number, number] {
  const v = parseInt(h.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function rampRgb(): Uint8ClampedArray {
  const stops = ACTIVITY_STOPS.map(hexRgb);
  const out = new Uint8ClampedArray(256 * 3);
  for (let v = 0; v < 256; v++) {
    const x = (v / 255) * (stops.length - 1);
    const i = Math.min(stops.length - 2, Math.floor(x));
    const f = x - i;
    for (let c = 0; c < 3; c++) out[v * 3 + c] = stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f;
  }
  return out;
}

export interface RasterStyle {
  clusterColor: (k: number) => string;
  text: string;
  cursor: string;
}

export const RASTER_PAD = { left: 14, right: 6, top: 4, bottom: 18 } as const;

/**
 * Paints the raster into an offscreen canvas once (`prepare`), then composites it with the time
 * cursor on every `draw` so scrubbing costs one drawImage.
 */
export class ActivityRaster {
  private image: HTMLCanvasElement | null = null;
  private rows: RasterRows | null = null;

  prepare(a: ActivityMatrix, clusters: Uint8Array, heightPx: number): RasterRows {
    const order = clusterOrder(clusters, a.count);
    const rows = rasterRows(a, order, clusters, heightPx);
    const img = document.createElement('canvas');
    img.width = rows.bins;
    img.height = rows.rows;
    const ctx = img.getContext('2d')!;
    const data = ctx.createImageData(rows.bins, rows.rows);
    const ramp = rampRgb();
    for (let j = 0; j < rows.values.length; j++) {
      const v = rows.values[j] * 3;
      data.data[j * 4] = ramp[v];
      data.data[j * 4 + 1] = ramp[v + 1];
      data.data[j * 4 + 2] = ramp[v + 2];
      data.data[j * 4 + 3] = 255;
    }
    ctx.putImageData(data, 0, 0);
    this.image = img;
    this.rows = rows;
    return rows;
  }

  /** Draws the prepared raster scaled to the canvas, cluster bars on the left and a cursor at `bin`. */
  draw(canvas: HTMLCanvasElement, bin: number, seconds: number, style: RasterStyle): void {
    const c = clearedCssCanvas(canvas);
    if (!c || !this.image || !this.rows) return;
    const { ctx, w, h } = c;
    const { left, right, top, bottom } = RASTER_PAD;
    const pw = w - left - right,
      ph = h - top - bottom;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.image, left, top, pw, ph);
    // Cluster bars and boundaries.
    const r = this.rows;
    const rowH = ph / r.rows;
    let start = 0;
    for (let i = 1; i <= r.rows; i++) {
      if (i < r.rows && r.cluster[i] === r.cluster[start]) continue;
      ctx.fillStyle = style.clusterColor(r.cluster[start]);
      ctx.fillRect(2, top + start * rowH, left - 5, (i - start) * rowH);
      if (i < r.rows) {
        ctx.fillStyle = 'rgba(255,255,255,0.55)';
        ctx.fillRect(left, top + i * rowH - 0.5, pw, 1);
      }
      start = i;
    }
    // Time axis and cursor.
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = style.text;
    ctx.textAlign = 'left';
    ctx.fillText('0 s', left, h - 5);
    ctx.textAlign = 'right';
    ctx.fillText(`${seconds.toFixed(0)} s`, w - right, h - 5);
    const x = left + ((bin + 0.5) / r.bins) * pw;
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(x - 2, top, 4, ph);
    ctx.fillStyle = style.cursor;
    ctx.fillRect(x - 1, top, 2, ph);
  }

  /** The time bin under canvas x (CSS pixels). */
  binAt(canvas: HTMLCanvasElement, x: number): number {
    const bins = this.rows?.bins ?? 1;
    const pw = canvas.clientWidth - RASTER_PAD.left - RASTER_PAD.right;
    return Math.max(0, Math.min(bins - 1, Math.floor(((x - RASTER_PAD.left) / Math.max(1, pw)) * bins)));
  }
}
