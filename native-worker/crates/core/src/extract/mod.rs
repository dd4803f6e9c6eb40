//! Fluorescence extraction: F per ROI (weighted mask), Fneu from a surrounding annulus that
//! excludes all ROIs, neuropil-corrected `F - c * Fneu`, and dF/F against a running baseline.

pub mod baseline;
pub mod neuropil;
pub mod traces;

pub use neuropil::{neuropil_masks, NeuropilOptions};
pub use traces::{extract, Mask, Traces};

/// Extraction parameters.
#[derive(Clone, Debug)]
pub struct ExtractOptions {
    /// Neuropil coefficient `c` in `F - c * Fneu` (suite2p: 0.7).
    pub neuropil_coefficient: f32,
    /// Annulus geometry.
    pub neuropil: NeuropilOptions,
    /// Baseline smoothing sigma (s).
    pub baseline_sigma_s: f32,
    /// Baseline window (s).
    pub baseline_window_s: f32,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            neuropil_coefficient: 0.7,
            neuropil: NeuropilOptions::default(),
            baseline_sigma_s: 0.3,
            baseline_window_s: 60.0,
        }
    }
}

/// `F - c * Fneu`, row by row.
#[must_use]
pub fn corrected(f: &Traces, fneu: &Traces, c: f32) -> Traces {
    let data = f
        .data
        .iter()
        .zip(&fneu.data)
        .map(|(&a, &b)| a - c * b)
        .collect();
    Traces {
        rois: f.rois,
        frames: f.frames,
        data,
    }
}

/// dF/F of every row of `fc` (see [`baseline::dff`]), with baseline parameters in seconds.
#[must_use]
pub fn dff_all(fc: &Traces, f: &Traces, fs: f32, opts: &ExtractOptions) -> Traces {
    use rayon::prelude::*;
    let sigma = opts.baseline_sigma_s * fs;
    let window = ((opts.baseline_window_s * fs).round() as usize).max(1);
    let t = fc.frames.max(1);
    let mut out = Traces::zeros(fc.rois, fc.frames);
    out.data.par_chunks_mut(t).enumerate().for_each(|(i, row)| {
        row.copy_from_slice(&baseline::dff(fc.row(i), f.row(i), sigma, window));
    });
    out
}
