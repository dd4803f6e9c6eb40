/**
 * One ROI's footprint zoomed on its plane's projection: a square crop around the pixels the label
 * image gives the ROI (around its centre when it owns none), contrast-stretched over the crop,
 * drawn pixelated to fill the canvas, with the footprint's outline on top.
 */
import type { PlaneAnatomy } from '../../preload/anatomy-binary.ts';
import { clearedCssCanvas } from './hidpi-canvas.ts';

export interface Crop {
  x0: number;
  y0: number;
  size: number;
  /** Pixels the ROI owns in the label image. */
  owned: number;
}

/** The crop for ROI `roi` centred near (cx, cy): its bounding box padded to at least 24 px, square, inside the image. */
export function cropFor(a: PlaneAnatomy, roi: number, cx: number, cy: number): Crop {
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity,
    owned = 0;
  for (let i = 0; i < a.labels.length; i++) {
    if (a.labels[i] !== roi) continue;
    const x = i % a.width,
      y = (i - x) / a.width;
    owned++;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  if (owned === 0) [minX, maxX, minY, maxY] = [cx, cx, cy, cy];
  const extent = Math.max(maxX - minX + 1, maxY - minY + 1);
  const size = Math.min(Math.max(a.width, a.height), Math.max(24, Math.ceil(extent * 2)));
  const clamp = (v: number, n: number) => Math.max(0, Math.min(Math.max(0, n - size), v));
  const x0 = clamp(Math.round((minX + maxX) / 2 - size / 2), a.width);
  const y0 = clamp(Math.round((minY + maxY) / 2 - size / 2), a.height);
  return { x0, y0, size, owned };
}

export function drawFootprint(canvas: HTMLCanvasElement, a: PlaneAnatomy, roi: number, crop: Crop, outline: string): void {
  const c = clearedCssCanvas(canvas);
  if (!c) return;
  const { ctx, w, h } = c;
  const { x0, y0, size } = crop;
  const cw = Math.min(size, a.width - x0),
    ch = Math.min(size, a.height - y0);
  let lo = Infinity,
    hi = -Infinity;
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      const v = a.pixels[(y0 + y) * a.width + x0 + x];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  if (hi <= lo) hi = lo + 1;
  const img = new ImageData(Math.max(1, cw), Math.max(1, ch));
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      const g = Math.round(((a.pixels[(y0 + y) * a.width + x0 + x] - lo) / (hi - lo)) * 255);
      img.data.set([g, g, g, 255], (y * cw + x) * 4);
    }
  const off = document.createElement('canvas');
  off.width = img.width;
  off.height = img.height;
  off.getContext('2d')!.putImageData(img, 0, 0);
  const scale = Math.min(w / size, h / size);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, 0, 0, cw * scale, ch * scale);
  // The outline: every pixel edge between the ROI and anything else.
  ctx.strokeStyle = outline;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  const own = (x: number, y: number) => x >= 0 && y >= 0 && x < a.width && y < a.height && a.labels[y * a.width + x] === roi;
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      const [gx, gy] = [x0 + x, y0 + y];
      if (!own(gx, gy)) continue;
      const [l, t, r, b] = [x * scale, y * scale, (x + 1) * scale, (y + 1) * scale];
      if (!own(gx - 1, gy)) (ctx.moveTo(l, t), ctx.lineTo(l, b));
      if (!own(gx + 1, gy)) (ctx.moveTo(r, t), ctx.lineTo(r, b));
      if (!own(gx, gy - 1)) (ctx.moveTo(l, t), ctx.lineTo(r, t));
      if (!own(gx, gy + 1)) (ctx.moveTo(l, b), ctx.lineTo(r, b));
    }
  ctx.stroke();
}
