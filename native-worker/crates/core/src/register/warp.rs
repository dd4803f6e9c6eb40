//! Bilinear warps: `out(y, x) = frame(y + dy, x + dx)`, sampled with edge clamping.

use super::blocks::BlockGrid;

/// Samples `frame` (row-major `h x w`) at a real position, clamping to the border.
#[inline]
#[must_use]
pub fn bilinear(frame: &[f32], h: usize, w: usize, y: f32, x: f32) -> f32 {
    let y = y.clamp(0.0, (h - 1) as f32);
    let x = x.clamp(0.0, (w - 1) as f32);
    // non-negative after the clamp: truncation is floor (and avoids a libm call)
    let y0 = y as usize;
    let x0 = x as usize;
    let y1 = (y0 + 1).min(h - 1);
    let x1 = (x0 + 1).min(w - 1);
    let fy = y - y0 as f32;
    let fx = x - x0 as f32;
    let a = frame[y0 * w + x0] * (1.0 - fx) + frame[y0 * w + x1] * fx;
    let b = frame[y1 * w + x0] * (1.0 - fx) + frame[y1 * w + x1] * fx;
    a * (1.0 - fy) + b * fy
}

/// Position `p` clamped to `0..=n-1`, as `(i0, i1, frac)` for linear interpolation.
#[inline]
fn tap(p: f32, n: usize) -> (usize, usize, f32) {
    let p = p.clamp(0.0, (n - 1) as f32);
    let i0 = p as usize;
    (i0, (i0 + 1).min(n - 1), p - i0 as f32)
}

/// Rigid sub-pixel translation: `out(p) = frame(p + (dy, dx))`.
pub fn shift_rigid(frame: &[f32], h: usize, w: usize, dy: f32, dx: f32, out: &mut [f32]) {
    let tx: Vec<(usize, usize, f32)> = (0..w).map(|x| tap(x as f32 + dx, w)).collect();
    for y in 0..h {
        let (y0, y1, fy) = tap(y as f32 + dy, h);
        let (r0, r1) = (&frame[y0 * w..(y0 + 1) * w], &frame[y1 * w..(y1 + 1) * w]);
        for (o, &(x0, x1, fx)) in out[y * w..(y + 1) * w].iter_mut().zip(&tx) {
            let a = r0[x0] * (1.0 - fx) + r0[x1] * fx;
            let b = r1[x0] * (1.0 - fx) + r1[x1] * fx;
            *o = a * (1.0 - fy) + b * fy;
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

/// Non-rigid warp from per-block displacements (`bdy[by * nx + bx]`), the field interpolated
/// bilinearly between block centres on the fly (same field as [`BlockGrid::upsample`]).
pub fn warp_blocks(frame: &[f32], g: &BlockGrid, bdy: &[f32], bdx: &[f32], out: &mut [f32]) {
    let (h, w) = (g.h, g.w);
    let nx = g.xs.len();
    let ty = g.row_brackets();
    let tx = g.col_brackets();
    let (mut ry, mut rx) = (vec![0.0f32; nx], vec![0.0f32; nx]);
    for (y, &(y0, y1, fy)) in ty.iter().enumerate() {
        for bx in 0..nx {
            ry[bx] = bdy[y0 * nx + bx] * (1.0 - fy) + bdy[y1 * nx + bx] * fy;
            rx[bx] = bdx[y0 * nx + bx] * (1.0 - fy) + bdx[y1 * nx + bx] * fy;
        }
        let row = &mut out[y * w..(y + 1) * w];
        for (x, (o, &(x0, x1, fx))) in row.iter_mut().zip(&tx).enumerate() {
            let dyv = ry[x0] * (1.0 - fx) + ry[x1] * fx;
            let dxv = rx[x0] * (1.0 - fx) + rx[x1] * fx;
            *o = bilinear(frame, h, w, y as f32 + dyv, x as f32 + dxv);
        }
    }
}
