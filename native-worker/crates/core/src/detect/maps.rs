//! Multi-scale activity maps.
//!
//! For a box size `d`, the smoothed movie is `M_d = d * boxmean_d(mov)` (noise-normalised input,
//! so `M_d` has roughly unit noise at every scale), and the activity map is
//! `V_d(p) = sqrt(sum_t max(M_d(t, p) - theta, 0)^2)`: large where a cell-sized patch rises well
//! above noise in many bins. The scale whose `V_d` is largest at a pixel is that pixel's scale.

use rayon::prelude::*;

/// A rectangle `[y0, y1) x [x0, x1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// First row.
    pub y0: usize,
    /// One past the last row.
    pub y1: usize,
    /// First column.
    pub x0: usize,
    /// One past the last column.
    pub x1: usize,
}

impl Window {
    /// The window of radius `r` around `(y, x)`, clipped to `h x w`.
    #[must_use]
    pub fn around(y: usize, x: usize, r: usize, h: usize, w: usize) -> Self {
        Window {
            y0: y.saturating_sub(r),
            y1: (y + r + 1).min(h),
            x0: x.saturating_sub(r),
            x1: (x + r + 1).min(w),
        }
    }

    /// Width of the window.
    #[must_use]
    pub fn width(&self) -> usize {
        self.x1 - self.x0
    }

    /// Number of pixels.
    #[must_use]
    pub fn len(&self) -> usize {
        (self.y1 - self.y0) * (self.x1 - self.x0)
    }

    /// True for an empty window.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Box mean of side `d` (same border rule as [`super::filters::box_mean`]) evaluated at the pixels
/// of `win` only, row-major over the window.
#[must_use]
pub fn box_in_window(frame: &[f32], h: usize, w: usize, d: usize, win: Window) -> Vec<f32> {
    let r = d / 2;
    let rr = d - 1 - r;
    let ey0 = win.y0.saturating_sub(r);
    let ey1 = (win.y1 + rr).min(h);
    let ex0 = win.x0.saturating_sub(r);
    let ex1 = (win.x1 + rr).min(w);
    let ew = ex1 - ex0;
    // integral image over the extended window, (rows+1) x (cols+1)
    let mut ii = vec![0.0f64; (ey1 - ey0 + 1) * (ew + 1)];
    for y in ey0..ey1 {
        let mut run = 0.0f64;
        let iy = y - ey0 + 1;
        for x in ex0..ex1 {
            run += f64::from(frame[y * w + x]);
            ii[iy * (ew + 1) + (x - ex0 + 1)] = ii[(iy - 1) * (ew + 1) + (x - ex0 + 1)] + run;
        }
    }
    let mut out = Vec::with_capacity(win.len());
    for y in win.y0..win.y1 {
        let a = y.saturating_sub(r).max(ey0) - ey0;
        let b = (y + rr + 1).min(h) - ey0;
        for x in win.x0..win.x1 {
            let c = x.saturating_sub(r).max(ex0) - ex0;
            let e = (x + rr + 1).min(w) - ex0;
            let s = ii[b * (ew + 1) + e] - ii[a * (ew + 1) + e] - ii[b * (ew + 1) + c]
                + ii[a * (ew + 1) + c];
            out.push((s / ((b - a) * (e - c)) as f64) as f32);
        }
    }
    out
}

/// Activity map values of scale `d` over `win`, from the bin-major movie `mov` (`bins` frames).
#[must_use]
pub fn activity_in_window(
    mov: &[f32],
    bins: usize,
    h: usize,
    w: usize,
    d: usize,
    theta: f32,
    win: Window,
) -> Vec<f32> {
    let n = h * w;
    let mut acc = vec![0.0f32; win.len()];
    for t in 0..bins {
        let m = box_in_window(&mov[t * n..(t + 1) * n], h, w, d, win);
        for (a, v) in acc.iter_mut().zip(m) {
            let e = (v * d as f32 - theta).max(0.0);
            *a += e * e;
        }
    }
    acc.iter_mut().for_each(|a| *a = a.sqrt());
    acc
}

/// Full activity maps, one per scale (each `h x w`), computed in parallel over scales.
#[must_use]
pub fn activity_maps(
    mov: &[f32],
    bins: usize,
    h: usize,
    w: usize,
    scales: &[usize],
    theta: f32,
) -> Vec<Vec<f32>> {
    let full = Window {
        y0: 0,
        y1: h,
        x0: 0,
        x1: w,
    };
    scales
        .par_iter()
        .map(|&d| activity_in_window(mov, bins, h, w, d, theta, full))
        .collect()
}
