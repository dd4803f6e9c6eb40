/**
 * A small line plot of one or more series over the same frames on a 2D canvas (HiDPI aware):
 * shared y range, min/max per pixel column (spikes stay visible however long the trace), the
 * y label on the left and a legend of the series' names at the top right.
 */
import { clearedCssCanvas } from './hidpi-canvas.ts';
import { minMaxPath } from './minmax-path.ts';
import { strokeAxes, yScale } from './plot-scale.ts';
export interface Series {
  name: string;
  values: Float32Array;
  color: string;
}

export interface PlotStyle {
  axis: string;
  text: string;
}

export function drawSeries(canvas: HTMLCanvasElement, series: readonly Series[], fs: number, yLabel: string, style: PlotStyle): void {
  const c = clearedCssCanvas(canvas);
  if (!c) return;
  const { ctx, w, h } = c;
  const n = Math.max(0, ...series.map((s) => s.values.length));
  const [padL, padB, padT, padR] = [52, 18, 16, 8];
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = style.text;
  if (n < 2) {
    ctx.fillText('no values', padL, padT + 12);
    return;
  }
  const { lo, hi, y } = yScale(
    series.map((s) => s.values),
    padT,
    h - padB,
  );
  strokeAxes(ctx, padL, padT, w - padR, h - padB, style.axis);
  const num = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  ctx.textAlign = 'right';
  ctx.fillText(num(hi), padL - 4, padT + 8);
  ctx.fillText(num(lo), padL - 4, h - padB);
  ctx.save();
  ctx.translate(11, padT + (h - padT - padB) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
  ctx.textAlign = 'left';
  ctx.fillText('0', padL, h - 4);
  ctx.textAlign = 'right';
  ctx.fillText(`${((n - 1) / Math.max(1e-9, fs)).toFixed(0)} s`, w - padR, h - 4);
  const cols = Math.max(1, Math.floor(w - padL - padR));
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    minMaxPath(ctx, s.values, padL, cols, y);
    ctx.stroke();
  }
  // Legend, right-aligned on the top edge.
  let x = w - padR;
  ctx.textAlign = 'right';
  for (const s of [...series].reverse()) {
    ctx.fillStyle = style.text;
    ctx.fillText(s.name, x, 11);
    x -= ctx.measureText(s.name).width + 4;
    ctx.fillStyle = s.color;
    ctx.fillRect(x - 12, 5, 12, 3);
    x -= 22;
  }
}
