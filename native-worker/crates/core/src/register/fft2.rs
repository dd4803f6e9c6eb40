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

/// Real-input 2-D transform for one frame size, spectra kept in *column-major* half-spectrum
/// layout: `spec[kx * h + ky]` for `kx in 0..=w/2`, `ky in 0..h` (the other half follows from
/// Hermitian symmetry). Rows go through real-to-complex FFTs, columns through complex FFTs
/// processed as one contiguous batch. Share one between threads; each thread brings its own
/// [`Fft2Work`].
pub struct RealFft2 {
    h: usize,
    w: usize,
    wc: usize,
    r2c: Arc<dyn realfft::RealToComplex<f32>>,
    c2r: Arc<dyn realfft::ComplexToReal<f32>>,
    col_fwd: Arc<dyn Fft<f32>>,
    col_inv: Arc<dyn Fft<f32>>,
    scratch_len: usize,
}

/// Per-thread buffers of a [`RealFft2`] (allocated once, reused for every frame).
pub struct Fft2Work {
    /// Real input, `h x w` row-major; consumed (overwritten) by [`RealFft2::forward`].
    pub real: Vec<f32>,
    /// Spectrum, `(w/2+1) x h`, column-major (see [`RealFft2`]).
    pub spec: Vec<Complex32>,
    rows: Vec<Complex32>,
    line: Vec<Complex32>,
    out_row: Vec<f32>,
    scratch: Vec<Complex32>,
}

impl RealFft2 {
    /// Plans transforms for `h x w` real images.
    #[must_use]
    pub fn new(h: usize, w: usize) -> Self {
        let mut rp = realfft::RealFftPlanner::<f32>::new();
        let mut cp = FftPlanner::<f32>::new();
        let r2c = rp.plan_fft_forward(w);
        let c2r = rp.plan_fft_inverse(w);
        let col_fwd = cp.plan_fft_forward(h);
        let col_inv = cp.plan_fft_inverse(h);
        let scratch_len = r2c
            .get_scratch_len()
            .max(c2r.get_scratch_len())
            .max(col_fwd.get_inplace_scratch_len())
            .max(col_inv.get_inplace_scratch_len());
        RealFft2 {
            h,
            w,
            wc: w / 2 + 1,
            r2c,
            c2r,
            col_fwd,
            col_inv,
            scratch_len,
        }
    }

    /// Frame height.
    #[must_use]
    pub fn height(&self) -> usize {
        self.h
    }

    /// Frame width.
    #[must_use]
    pub fn width(&self) -> usize {
        self.w
    }

    /// Number of complex values of a half spectrum, `(w/2+1) * h`.
    #[must_use]
    pub fn spec_len(&self) -> usize {
        self.wc * self.h
    }

    /// Fresh work buffers for this size.
    #[must_use]
    pub fn work(&self) -> Fft2Work {
        let z = Complex32::new(0.0, 0.0);
        Fft2Work {
            real: vec![0.0; self.h * self.w],
            spec: vec![z; self.spec_len()],
            rows: vec![z; self.spec_len()],
            line: vec![z; self.wc],
            out_row: vec![0.0; self.w],
            scratch: vec![z; self.scratch_len],
        }
    }

    /// Forward transform of `work.real` (destroyed) into `work.spec`, unnormalised.
    pub fn forward(&self, work: &mut Fft2Work) {
        let (h, w, wc) = (self.h, self.w, self.wc);
        let Fft2Work {
            real,
            spec,
            rows,
            scratch,
            ..
        } = work;
        for (inp, out) in real.chunks_exact_mut(w).zip(rows.chunks_exact_mut(wc)) {
            // lengths always match the plan: cannot fail
            let _ = self.r2c.process_with_scratch(inp, out, scratch);
        }
        transpose(rows, spec, h, wc);
        self.col_fwd.process_with_scratch(spec, scratch);
    }

    /// Inverse transform of `work.spec` (destroyed), evaluated only at displacements
    /// `-m..=m` on both axes (wrapped), normalised by `h*w`. Writes `(2m+1)^2` values to `win`,
    /// row-major: `win[(dy+m)*(2m+1) + dx+m]`.
    pub fn inverse_window(&self, work: &mut Fft2Work, m: usize, win: &mut [f32]) {
        let (h, w, wc) = (self.h, self.w, self.wc);
        let n = 2 * m + 1;
        assert_eq!(win.len(), n * n, "window size");
        let Fft2Work {
            spec,
            line,
            out_row,
            scratch,
            ..
        } = work;
        self.col_inv.process_with_scratch(spec, scratch);
        let norm = 1.0 / (h * w) as f32;
        let mi = m as isize;
        for dy in -mi..=mi {
            let y = dy.rem_euclid(h as isize) as usize;
            for (kx, c) in line.iter_mut().enumerate() {
                *c = spec[kx * h + y];
            }
            // exact Hermitian symmetry makes these real; drop rounding residue
            line[0].im = 0.0;
            if w % 2 == 0 {
                line[wc - 1].im = 0.0;
            }
            let _ = self.c2r.process_with_scratch(line, out_row, scratch);
            let base = (dy + mi) as usize * n;
            for dx in -mi..=mi {
                let x = dx.rem_euclid(w as isize) as usize;
                win[base + (dx + mi) as usize] = out_row[x] * norm;
            }
        }
    }
}

/// `dst[c * rows + r] = src[r * cols + c]`, in cache-friendly tiles.
fn transpose(src: &[Complex32], dst: &mut [Complex32], rows: usize, cols: usize) {
    const T: usize = 16;
    for r0 in (0..rows).step_by(T) {
        let r1 = (r0 + T).min(rows);
        for c0 in (0..cols).step_by(T) {
            let c1 = (c0 + T).min(cols);
            for r in r0..r1 {
                let s = &src[r * cols..r * cols + cols];
                for c in c0..c1 {
                    dst[c * rows + r] = s[c];
                }
            }
        }
    }
}
