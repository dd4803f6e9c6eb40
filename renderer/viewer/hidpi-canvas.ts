/**
 * A 2D canvas sized to its CSS box at the device's pixel ratio (at most 2), cleared, its drawing
 * state reset (styles, dash, alpha), with the transform set so drawing is in CSS pixels. Null when
 * the canvas has no 2D context.
 */
export interface CssCanvas {
  ctx: CanvasRenderingContext2D;
  /** CSS width and height of the canvas. */
  w: number;
  h: number;
}

export function clearedCssCanvas(canvas: HTMLCanvasElement): CssCanvas | null {
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  const w = canvas.clientWidth,
    h = canvas.clientHeight;
  // Resizing reallocates the backing store (and resets the state); at an unchanged size (each
  // frame of playback) the state is reset without it.
  const resized = canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr);
  if (resized) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  if (!resized && typeof ctx.reset === 'function') ctx.reset();
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}
