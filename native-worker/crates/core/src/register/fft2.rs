//! 2-D complex FFT of a row-major `h x w` buffer, built from rustfft 1-D plans.

use std::sync::Arc;

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

/// Forward and inverse 2-D transforms for one frame size. Cheap to share between threads.
pub struct Fft2 {
    h: usize,
    w: usize,
    row_fwd: Arc<dyn Fft<f32>>,
    row_inv: Arc<dyn Fft<f32>>,
    col_fwd: Arc<dyn Fft<f32>>,
    col_inv: Arc<dyn Fft<f32>>,
}

impl Fft2 {
    /// Plans transforms for `h x w` buffers.
    #[must_use]
    pub fn new(h: usize, w: usize) -> Self {
        let mut p = FftPlanner::<f32>::new();
        Fft2 {
            h,
            w,
            row_fwd: p.plan_fft_forward(w),
            row_inv: p.plan_fft_inverse(w),
            col_fwd: p.plan_fft_forward(h),
            col_inv: p.plan_fft_inverse(h),
        }
    }

    /// In-place forward transform (unnormalised). `buf.len()` must be `h*w`.
    pub fn forward(&self, buf: &mut [Complex32]) {
        self.run(buf, &self.row_fwd, &self.col_fwd);
    }

    /// In-place inverse transform, unnormalised (divide by `h*w` for the true inverse).
    pub fn inverse(&self, buf: &mut [Complex32]) {
        self.run(buf, &self.row_inv, &self.col_inv);
    }

    fn run(&self, buf: &mut [Complex32], row: &Arc<dyn Fft<f32>>, col: &Arc<dyn Fft<f32>>) {
        let (h, w) = (self.h, self.w);
        assert_eq!(buf.len(), h * w, "Fft2 buffer size");
        row.process(buf);
        let mut t = vec![Complex32::new(0.0, 0.0); h * w];
        for y in 0..h {
            for x in 0..w {
                t[x * h + y] = buf[y * w + x];
            }
        }
        col.process(&mut t);
        for x in 0..w {
            for y in 0..h {
                buf[y * w + x] = t[x * h + y];
            }
        }
    }
}
