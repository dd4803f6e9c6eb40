/**
 * A trace as a path of one min/max segment per pixel column, so spikes stay visible however many
 * samples fall into a column. Adds to the context's current path; the caller strokes it.
 */
export function minMaxPath(ctx: CanvasRenderingContext2D, values: ArrayLike<number>, left: number, cols: number, y: (v: number) => number): void {
  const per = values.length / cols;
  for (let c = 0; c < cols; c++) {
    const a = Math.floor(c * per),
      b = Math.max(a + 1, Math.floor((c + 1) * per));
    let mn = Infinity,
      mx = -Infinity;
    for (let i = a; i < b && i < values.length; i++) {
      if (values[i] < mn) mn = values[i];
      if (values[i] > mx) mx = values[i];
    }
    if (mn === Infinity) continue;
    const px = left + c + 0.5;
    if (c === 0) ctx.moveTo(px, y(mn));
    else ctx.lineTo(px, y(mn));
    if (mx !== mn) ctx.lineTo(px, y(mx));
  }
}
