/**
 * A small dF/F line plot on a 2D canvas (HiDPI aware), coloured like the ROI's cluster, with a
 * time cursor (seconds) when `cursor` is given.
 */
export interface TraceStyle {
  line: string;
  axis: string;
  text: string;
}

export function drawTrace(canvas: HTMLCanvasElement, trace: Float32Array, fs: number, style: TraceStyle, cursor: number | null = null): void {
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  const w = canvas.clientWidth,
    h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  if (trace.length < 2) return;
  const padL = 40,
    padB = 20,
    padT = 6,
    padR = 6;
  let lo = Infinity,
    hi = -Infinity;
  for (const v of trace) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi - lo < 1e-6) hi = lo + 1;
  const y = (v: number) => padT + (1 - (v - lo) / (hi - lo)) * (h - padT - padB);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = style.text;
  ctx.strokeStyle = style.axis;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(padL, padT);
  ctx.lineTo(padL, h - padB);
  ctx.lineTo(w - padR, h - padB);
  ctx.stroke();
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
  // Min/max per pixel column keeps spikes visible however long the trace is.
  const cols = Math.max(1, Math.floor(w - padL - padR));
  const per = trace.length / cols;
  for (let c = 0; c < cols; c++) {
    const a = Math.floor(c * per),
      b = Math.max(a + 1, Math.floor((c + 1) * per));
    let mn = Infinity,
      mx = -Infinity;
    for (let i = a; i < b && i < trace.length; i++) {
      if (trace[i] < mn) mn = trace[i];
      if (trace[i] > mx) mx = trace[i];
    }
    const px = padL + c + 0.5;
    if (c === 0) ctx.moveTo(px, y(mn));
    else ctx.lineTo(px, y(mn));
    if (mx !== mn) ctx.lineTo(px, y(mx));
  }
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
