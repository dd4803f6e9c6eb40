//! Bilinear warps: `out(y, x) = frame(y + dy, x + dx)`, sampled with edge clamping.

/// Samples `frame` (row-major `h x w`) at a real position, clamping to the border.
#[inline]
#[must_use]
pub fn bilinear(frame: &[f32], h: usize, w: usize, y: f32, x: f32) -> f32 {
    let y = y.clamp(0.0, (h - 1) as f32);
    let x = x.clamp(0.0, (w - 1) as f32);
    let y0 = y.floor() as usize;
    let x0 = x.floor() as usize;
    let y1 = (y0 + 1).min(h - 1);
    let x1 = (x0 + 1).min(w - 1);
    let fy = y - y0 as f32;
    let fx = x - x0 as f32;
    let a = frame[y0 * w + x0] * (1.0 - fx) + frame[y0 * w + x1] * fx;
    let b = frame[y1 * w + x0] * (1.0 - fx) + frame[y1 * w + x1] * fx;
    a * (1.0 - fy) + b * fy
}

/// Rigid sub-pixel translation: `out(p) = frame(p + (dy, dx))`.
pub fn shift_rigid(frame: &[f32], h: usize, w: usize, dy: f32, dx: f32, out: &mut [f32]) {
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = bilinear(frame, h, w, y as f32 + dy, x as f32 + dx);
        }
    }
}

/// Dense warp with a per-pixel displacement field (`dy`, `dx` each `h*w`).
pub fn warp_field(frame: &[f32], h: usize, w: usize, dy: &[f32], dx: &[f32], out: &mut [f32]) {
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            out[i] = bilinear(frame, h, w, y as f32 + dy[i], x as f32 + dx[i]);
        }
    }
}
