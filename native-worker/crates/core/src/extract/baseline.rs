//! Running baselines and dF/F.

use crate::detect::filters::{gaussian_1d, sliding_extreme};

/// "Maximin" baseline: Gaussian-smooth (`sigma` frames), running minimum then running maximum
/// over `window` frames. Tracks slow drift, ignores transients shorter than the window.
#[must_use]
pub fn maximin(x: &[f32], sigma: f32, window: usize) -> Vec<f32> {
    let s = gaussian_1d(x, sigma);
    let lo = sliding_extreme(&s, window.max(1), true);
    sliding_extreme(&lo, window.max(1), false)
}

/// dF/F of a neuropil-corrected trace `fc` (= F - c * Fneu) with its raw trace `f`:
/// `(fc - B(fc)) / max(B(fc), 0.1 * B(f))`, `B` the [`maximin`] baseline. The floor keeps the
/// ratio finite where neuropil subtraction brings the corrected baseline close to zero.
#[must_use]
pub fn dff(fc: &[f32], f: &[f32], sigma: f32, window: usize) -> Vec<f32> {
    let b = maximin(fc, sigma, window);
    let bf = maximin(f, sigma, window);
    fc.iter()
        .zip(b.iter().zip(&bf))
        .map(|(&v, (&b0, &b1))| {
            let den = b0.max(0.1 * b1.abs()).max(1e-6);
            (v - b0) / den
        })
        .collect()
}
