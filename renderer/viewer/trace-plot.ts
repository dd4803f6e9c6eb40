/**
 * A small dF/F line plot on a 2D canvas (HiDPI aware), coloured like the ROI's cluster, with a
 * time cursor (seconds) when `cursor` is given.
 */
import { clearedCssCanvas } from './hidpi-canvas.ts';
import { minMaxPath } from './minmax-path.ts';
import { strokeAxes, yScale } from './plot-scale.ts';
export interface TraceStyle {
  line: string;
  axis: string;
  text: string;
}

export function drawTrace(canvas: HTMLCanvasElement, trace: Float32Array, fs: number, style: TraceStyle, cursor: number | null = null): void {
  const c = clearedCssCanvas(canvas);
  if (!c) return;
  const { ctx, w, h } = c;
  if (trace.length < 2) return;
  const padL = 40,
    padB = 20,
    padT = 6,
    padR = 6;
  const { lo, hi, y } = yScale([trace], padT, h - padB);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = style.text;
  strokeAxes(ctx, padL, padT, w - padR, h - padB, style.axis);
  ctx.textAlign = 'right';
  ctx.fillText(hi.toFixed(1), padL - 4, padT + 9);
  ctx.fillText(lo.toFixed(1), padL - 4, h - padB);
  ctx.textAlign = 'center';
  const seconds = (trace.length - 1) / Math.max(1e-9, fs);
  ctx.fillText(`${seconds.toFixed(0)} s`, w - padR - 14, h - 5);
  ctx.fillText('0', padL, h - 5);
  ctx.save();
  ctx.translate(10, (h - padB) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('ΔF/F', 0, 0);
  ctx.restore();
  ctx.strokeStyle = style.line;
  ctx.lineWidth = 1.25;
  ctx.beginPath();
  const cols = Math.max(1, Math.floor(w - padL - padR));
  minMaxPath(ctx, trace, padL, cols, y);
  ctx.stroke();
  if (cursor !== null && seconds > 0) {
    const cx = padL + Math.max(0, Math.min(1, cursor / seconds)) * cols;
    ctx.strokeStyle = style.text;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(cx, padT);
    ctx.lineTo(cx, h - padB);
    ctx.stroke();
  }
}
