/**
 * What the small 2D line plots share: one y scale over every value shown (a flat trace gets a
 * range of 1, so it is drawn, not divided by zero) and the L-shaped axis at the plot's left and
 * bottom edges.
 */
export interface YScale {
  lo: number;
  hi: number;
  /** Canvas y of value `v`: `hi` at `top`, `lo` at `bottom`. */
  y: (v: number) => number;
}

export function yScale(arrays: readonly ArrayLike<number>[], top: number, bottom: number): YScale {
  let lo = Infinity,
    hi = -Infinity;
  for (const a of arrays)
    for (let i = 0; i < a.length; i++) {
      if (a[i] < lo) lo = a[i];
      if (a[i] > hi) hi = a[i];
    }
  if (hi - lo < 1e-6) hi = lo + 1;
  return { lo, hi, y: (v) => top + (1 - (v - lo) / (hi - lo)) * (bottom - top) };
}

/** Strokes the left and bottom axis lines of the box [left, right] × [top, bottom]. */
export function strokeAxes(ctx: CanvasRenderingContext2D, left: number, top: number, right: number, bottom: number, color: string): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(left, top);
  ctx.lineTo(left, bottom);
  ctx.lineTo(right, bottom);
  ctx.stroke();
}
