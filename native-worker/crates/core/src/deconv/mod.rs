//! Spike inference: baseline removal then OASIS non-negative AR(1) deconvolution, with the AR
//! coefficient from the indicator decay `tau` and the frame rate: `g = exp(-1 / (tau * fs))`.

pub mod oasis;

use rayon::prelude::*;

use crate::extract::baseline::maximin;
use crate::extract::Traces;

/// Deconvolution parameters.
#[derive(Clone, Copy, Debug)]
pub struct DeconvOptions {
    /// Frame rate (Hz).
    pub fs: f32,
    /// Indicator decay time (s): GCaMP6s ≈ 1.0, GCaMP6m ≈ 0.7, GCaMP6f ≈ 0.4.
    pub tau: f32,
    /// Sparsity penalty λ (0 = suite2p's default behaviour).
    pub lambda: f32,
    /// Baseline smoothing sigma (s).
    pub baseline_sigma_s: f32,
    /// Baseline window (s).
    pub baseline_window_s: f32,
}

impl Default for DeconvOptions {
    fn default() -> Self {
        DeconvOptions {
            fs: 30.0,
            tau: 1.0,
            lambda: 0.0,
            baseline_sigma_s: 0.3,
            baseline_window_s: 60.0,
        }
    }
}

/// AR(1) coefficient for decay `tau` (s) at `fs` (Hz).
#[must_use]
pub fn ar_coefficient(tau: f32, fs: f32) -> f32 {
    (-1.0 / (tau * fs).max(1e-6)).exp()
}

/// Spike estimates for one neuropil-corrected trace (baseline removed first).
#[must_use]
pub fn deconvolve(fc: &[f32], opts: &DeconvOptions) -> Vec<f32> {
    let window = ((opts.baseline_window_s * opts.fs).round() as usize).max(1);
    let b = maximin(fc, opts.baseline_sigma_s * opts.fs, window);
    let y: Vec<f32> = fc.iter().zip(&b).map(|(v, b)| v - b).collect();
    oasis::oasis_ar1(&y, ar_coefficient(opts.tau, opts.fs), opts.lambda).1
}

/// Spike estimates for every row (suite2p's `spks.npy`).
#[must_use]
pub fn deconvolve_all(fc: &Traces, opts: &DeconvOptions) -> Traces {
    let t = fc.frames.max(1);
    let mut out = Traces::zeros(fc.rois, fc.frames);
    out.data
        .par_chunks_mut(t)
        .enumerate()
        .for_each(|(i, row)| row.copy_from_slice(&deconvolve(fc.row(i), opts)));
    out
}
