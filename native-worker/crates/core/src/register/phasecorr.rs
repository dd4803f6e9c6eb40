//! Phase correlation with spectral whitening, the core of rigid and block-wise registration.
//!
//! Contract: for a frame that equals the reference translated by `(dy, dx)` (frame(p) = ref(p - d)),
//! [`PhaseCorrelator::shift`] returns approximately `(dy, dx)`; warping the frame by that displacement
//! (`out(p) = frame(p + d)`, see [`super::warp`]) aligns it to the reference.

use rustfft::num_complex::Complex32;

use std::cell::RefCell;

use super::fft2::{Fft2Work, RealFft2};

/// Edge taper: 1 in the interior, falling smoothly to ~0 over `width` pixels at each border, so
/// the implicit periodic boundary of the FFT does not create a spurious zero-shift peak.
#[must_use]
pub fn taper_mask(h: usize, w: usize, width: f32) -> Vec<f32> {
    let f = |i: usize, n: usize| -> f32 {
        let d = (i.min(n - 1 - i)) as f32;
        let s = (width / 4.0).max(0.5);
        1.0 / (1.0 + (-(d - width) / s).exp())
    };
    let fy: Vec<f32> = (0..h).map(|y| f(y, h)).collect();
    let fx: Vec<f32> = (0..w).map(|x| f(x, w)).collect();
    let mut m = vec![0.0; h * w];
    for y in 0..h {
        for x in 0..w {
            m[y * w + x] = fy[y] * fx[x];
        }
    }
    m
}

/// Phase correlation against one fixed reference of size `h x w`.
pub struct PhaseCorrelator {
    h: usize,
    w: usize,
    fft: RealFft2,
    taper: Vec<f32>,
    /// conj(FFT(ref)) / |FFT(ref)| times a Gaussian low-pass (spatial sigma `smooth_sigma`),
    /// half spectrum in [`RealFft2`]'s column-major layout.
    ref_spec: Vec<Complex32>,
}

/// Result of one correlation: the displacement and the normalised peak height (0..1).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Peak {
    /// Displacement along rows.
    pub dy: f32,
    /// Displacement along columns.
    pub dx: f32,
    /// Phase-correlation peak height; higher is a more reliable match.
    pub value: f32,
}

thread_local! {
    /// FFT work buffers of this thread, one per frame size in use (reused across frames).
    static WORK: RefCell<Vec<((usize, usize), Fft2Work)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's work buffers for `fft`'s size (created on first use).
pub fn with_work<R>(fft: &RealFft2, f: impl FnOnce(&mut Fft2Work) -> R) -> R {
    let key = (fft.height(), fft.width());
    let mut work = WORK
        .with(|p| {
            let mut p = p.borrow_mut();
            p.iter()
                .position(|(k, _)| *k == key)
                .map(|i| p.swap_remove(i).1)
        })
        .unwrap_or_else(|| fft.work());
    let r = f(&mut work);
    WORK.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < 8 {
            p.push((key, work));
        }
    });
    r
}

impl PhaseCorrelator {
    /// Prepares the whitened, low-passed spectrum of `reference` (row-major `h x w`).
    #[must_use]
    pub fn new(reference: &[f32], h: usize, w: usize, smooth_sigma: f32, taper_width: f32) -> Self {
        let fft = RealFft2::new(h, w);
        let taper = taper_mask(h, w, taper_width);
        let mut work = fft.work();
        work.real.copy_from_slice(&reference[..h * w]);
        prepare_in_place(&mut work.real, &taper);
        fft.forward(&mut work);
        let gauss = fourier_gaussian_half(h, w, smooth_sigma);
        let mut spec = work.spec;
        for (c, g) in spec.iter_mut().zip(&gauss) {
            let a = c.norm_sqr().sqrt().max(1e-12);
            *c = c.conj() * (g / a);
        }
        PhaseCorrelator {
            h,
            w,
            fft,
            taper,
            ref_spec: spec,
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

    /// The `(2m+1)^2` correlation window around zero displacement of the image written by
    /// `fill` (which receives an `h x w` buffer to fill with raw pixels). No allocation: the
    /// FFT buffers are this thread's.
    pub fn window_with(&self, fill: impl FnOnce(&mut [f32]), m: usize, win: &mut [f32]) {
        with_work(&self.fft, |work| {
            fill(&mut work.real);
            prepare_in_place(&mut work.real, &self.taper);
            self.fft.forward(work);
            for (c, r) in work.spec.iter_mut().zip(&self.ref_spec) {
                let a2 = c.norm_sqr();
                let inv = if a2 > 1e-24 { 1.0 / a2.sqrt() } else { 0.0 };
                *c = *c * r * inv;
            }
            self.fft.inverse_window(work, m, win);
        });
    }

    /// Best displacement within `max_shift` pixels (each axis), sub-pixel refined.
    #[must_use]
    pub fn shift(&self, frame: &[f32], max_shift: usize) -> Peak {
        let win = self.window(frame, max_shift);
        peak_in_window(&win, max_shift)
    }

    /// Like [`Self::shift`], then a second pass on the frame moved by the integer part of the
    /// first estimate, so the residual measured is under a pixel. The fixed edge taper biases
    /// the estimate toward zero in proportion to the shift; measuring only a residual removes
    /// most of that bias. Costs a second transform only when the first shift is ≥ 0.5 px.
    #[must_use]
    pub fn shift_refined(&self, frame: &[f32], max_shift: usize) -> Peak {
        let p = self.shift(frame, max_shift);
        let (iy, ix) = (p.dy.round() as isize, p.dx.round() as isize);
        if iy == 0 && ix == 0 {
            return p;
        }
        let (h, w) = (self.h, self.w);
        let mut win = [0.0f32; 9];
        self.window_with(|buf| shifted_copy(frame, h, w, iy, ix, buf), 1, &mut win);
        let r = peak_in_window(&win, 1);
        Peak {
            dy: iy as f32 + r.dy,
            dx: ix as f32 + r.dx,
            value: p.value.max(r.value),
        }
    }

    /// The `(2m+1)^2` window of the surface around zero displacement, row-major, `win[(dy+m)*(2m+1) + dx+m]`.
    #[must_use]
    pub fn window(&self, frame: &[f32], max_shift: usize) -> Vec<f32> {
        let n = 2 * max_shift + 1;
        let mut win = vec![0.0; n * n];
        self.window_with(
            |buf| buf.copy_from_slice(&frame[..buf.len()]),
            max_shift,
            &mut win,
        );
        win
    }
}

/// `out(y, x) = frame(y + iy, x + ix)` with coordinates clamped to the frame.
pub fn shifted_copy(frame: &[f32], h: usize, w: usize, iy: isize, ix: isize, out: &mut [f32]) {
    for y in 0..h {
        let sy = (y as isize + iy).clamp(0, h as isize - 1) as usize;
        let src = &frame[sy * w..(sy + 1) * w];
        let dst = &mut out[y * w..(y + 1) * w];
        if ix == 0 {
            dst.copy_from_slice(src);
        } else {
            for (x, d) in dst.iter_mut().enumerate() {
                *d = src[(x as isize + ix).clamp(0, w as isize - 1) as usize];
            }
        }
    }
}

/// Subtracts the mean and applies the edge taper, in place.
fn prepare_in_place(img: &mut [f32], taper: &[f32]) {
    let mut s = 0.0f64;
    for c in img.chunks(256) {
        s += f64::from(c.iter().sum::<f32>());
    }
    let mean = (s / img.len().max(1) as f64) as f32;
    for (v, &t) in img.iter_mut().zip(taper) {
        *v = (*v - mean) * t;
    }
}

/// [`fourier_gaussian`] restricted to the half spectrum, in [`RealFft2`]'s column-major layout.
fn fourier_gaussian_half(h: usize, w: usize, sigma: f32) -> Vec<f32> {
    let full = fourier_gaussian(h, w, sigma);
    let wc = w / 2 + 1;
    let mut out = vec![0.0; wc * h];
    for kx in 0..wc {
        for ky in 0..h {
            out[kx * h + ky] = full[ky * w + kx];
        }
    }
    out
}

/// Fourier transform of a unit-sum spatial Gaussian with standard deviation `sigma` pixels.
fn fourier_gaussian(h: usize, w: usize, sigma: f32) -> Vec<f32> {
    let freq = |i: usize, n: usize| -> f32 {
        let k = if i <= n / 2 {
            i as f32
        } else {
            i as f32 - n as f32
        };
        k / n as f32
    };
    let s2 = 2.0 * std::f32::consts::PI * std::f32::consts::PI * sigma * sigma;
    let mut g = vec![0.0; h * w];
    for y in 0..h {
        let fy = freq(y, h);
        for x in 0..w {
            let fx = freq(x, w);
            g[y * w + x] = (-s2 * (fy * fy + fx * fx)).exp();
        }
    }
    g
}

/// Crops the wrapped correlation surface to displacements in `-m..=m` on both axes.
#[must_use]
pub fn window(cc: &[f32], h: usize, w: usize, m: usize) -> Vec<f32> {
    let mi = m as isize;
    let n = 2 * m + 1;
    let mut out = vec![0.0; n * n];
    for dy in -mi..=mi {
        let y = dy.rem_euclid(h as isize) as usize;
        for dx in -mi..=mi {
            let x = dx.rem_euclid(w as isize) as usize;
            out[(dy + mi) as usize * n + (dx + mi) as usize] = cc[y * w + x];
        }
    }
    out
}

/// Integer arg-max of a `(2m+1)^2` window, refined by a separable 3-point Gaussian (log-parabola)
/// fit, falling back to a plain parabola when a neighbour is not positive.
#[must_use]
pub fn peak_in_window(win: &[f32], m: usize) -> Peak {
    let n = 2 * m + 1;
    let (mut best, mut bi) = (f32::NEG_INFINITY, 0);
    for (i, &v) in win.iter().enumerate() {
        if v > best {
            best = v;
            bi = i;
        }
    }
    let (iy, ix) = (bi / n, bi % n);
    let at = |y: usize, x: usize| win[y * n + x];
    let refine = |a: f32, b: f32, c: f32| -> f32 {
        if a > 0.0 && b > 0.0 && c > 0.0 {
            let (la, lb, lc) = (a.ln(), b.ln(), c.ln());
            let den = la - 2.0 * lb + lc;
            if den < -1e-9 {
                return (0.5 * (la - lc) / den).clamp(-0.5, 0.5);
            }
        }
        let den = a - 2.0 * b + c;
        if den < -1e-12 {
            (0.5 * (a - c) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    };
    let sy = if iy > 0 && iy + 1 < n {
        refine(at(iy - 1, ix), best, at(iy + 1, ix))
    } else {
        0.0
    };
    let sx = if ix > 0 && ix + 1 < n {
        refine(at(iy, ix - 1), best, at(iy, ix + 1))
    } else {
        0.0
    };
    Peak {
        dy: iy as f32 - m as f32 + sy,
        dx: ix as f32 - m as f32 + sx,
        value: best,
    }
}
