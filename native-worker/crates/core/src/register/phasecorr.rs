//! Phase correlation with spectral whitening, the core of rigid and block-wise registration.
//!
//! Contract: for a frame that equals the reference translated by `(dy, dx)` (frame(p) = ref(p - d)),
//! [`PhaseCorrelator::shift`] returns approximately `(dy, dx)`; warping the frame by that displacement
//! (`out(p) = frame(p + d)`, see [`super::warp`]) aligns it to the reference.

use rustfft::num_complex::Complex32;

use super::fft2::Fft2;

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
    fft: Fft2,
    taper: Vec<f32>,
    /// conj(FFT(ref)) / |FFT(ref)| times a Gaussian low-pass (spatial sigma `smooth_sigma`).
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

impl PhaseCorrelator {
    /// Prepares the whitened, low-passed spectrum of `reference` (row-major `h x w`).
    #[must_use]
    pub fn new(reference: &[f32], h: usize, w: usize, smooth_sigma: f32, taper_width: f32) -> Self {
        let fft = Fft2::new(h, w);
        let taper = taper_mask(h, w, taper_width);
        let mut spec = prepare(reference, &taper);
        fft.forward(&mut spec);
        let gauss = fourier_gaussian(h, w, smooth_sigma);
        for (c, g) in spec.iter_mut().zip(&gauss) {
            let a = c.norm().max(1e-12);
            *c = c.conj() * (g / a);
        }
        PhaseCorrelator { h, w, fft, taper, ref_spec: spec }
    }

    /// Correlation surface (real part, unnormalised by size), indexed with wrap-around.
    #[must_use]
    pub fn surface(&self, frame: &[f32]) -> Vec<f32> {
        let mut spec = prepare(frame, &self.taper);
        self.fft.forward(&mut spec);
        for (c, r) in spec.iter_mut().zip(&self.ref_spec) {
            let a = c.norm().max(1e-12);
            *c = *c / a * r;
        }
        self.fft.inverse(&mut spec);
        let n = (self.h * self.w) as f32;
        spec.iter().map(|c| c.re / n).collect()
    }

    /// Best displacement within `max_shift` pixels (each axis), sub-pixel refined.
    #[must_use]
    pub fn shift(&self, frame: &[f32], max_shift: usize) -> Peak {
        let cc = self.surface(frame);
        let win = window(&cc, self.h, self.w, max_shift);
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
        let (h, w) = (self.h as isize, self.w as isize);
        let mut moved = vec![0.0f32; frame.len()];
        for y in 0..h {
            let sy = (y + iy).clamp(0, h - 1);
            for x in 0..w {
                let sx = (x + ix).clamp(0, w - 1);
                moved[(y * w + x) as usize] = frame[(sy * w + sx) as usize];
            }
        }
        let r = self.shift(&moved, 1);
        Peak { dy: iy as f32 + r.dy, dx: ix as f32 + r.dx, value: p.value.max(r.value) }
    }

    /// The `(2m+1)^2` window of the surface around zero displacement, row-major, `win[(dy+m)*(2m+1) + dx+m]`.
    #[must_use]
    pub fn window(&self, frame: &[f32], max_shift: usize) -> Vec<f32> {
        let cc = self.surface(frame);
        window(&cc, self.h, self.w, max_shift)
    }
}

fn prepare(img: &[f32], taper: &[f32]) -> Vec<Complex32> {
    let mean = img.iter().map(|&v| f64::from(v)).sum::<f64>() / img.len().max(1) as f64;
    img.iter().zip(taper).map(|(&v, &t)| Complex32::new((v - mean as f32) * t, 0.0)).collect()
}

/// Fourier transform of a unit-sum spatial Gaussian with standard deviation `sigma` pixels.
fn fourier_gaussian(h: usize, w: usize, sigma: f32) -> Vec<f32> {
    let freq = |i: usize, n: usize| -> f32 {
        let k = if i <= n / 2 { i as f32 } else { i as f32 - n as f32 };
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
    let sy = if iy > 0 && iy + 1 < n { refine(at(iy - 1, ix), best, at(iy + 1, ix)) } else { 0.0 };
    let sx = if ix > 0 && ix + 1 < n { refine(at(iy, ix - 1), best, at(iy, ix + 1)) } else { 0.0 };
    Peak { dy: iy as f32 - m as f32 + sy, dx: ix as f32 - m as f32 + sx, value: best }
}
