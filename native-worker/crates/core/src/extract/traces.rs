//! Streaming fluorescence extraction: weighted ROI means and neuropil means per frame.

use std::io;

use rayon::prelude::*;

use crate::source::{for_each_batch, FrameSource};

/// Per-ROI time series, row-major `rois x frames` (the layout of suite2p's `F.npy`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Traces {
    /// Number of ROIs (rows).
    pub rois: usize,
    /// Number of frames (columns).
    pub frames: usize,
    /// Values, `data[roi * frames + t]`.
    pub data: Vec<f32>,
}

impl Traces {
    /// Zero traces.
    #[must_use]
    pub fn zeros(rois: usize, frames: usize) -> Self {
        Traces {
            rois,
            frames,
            data: vec![0.0; rois * frames],
        }
    }
    /// Row of ROI `i`.
    #[must_use]
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.frames..(i + 1) * self.frames]
    }
    /// Mutable row of ROI `i`.
    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data[i * self.frames..(i + 1) * self.frames]
    }
    /// Stacks several trace sets with the same frame count (rows in order).
    #[must_use]
    pub fn concat(parts: &[&Traces]) -> Traces {
        let frames = parts.iter().map(|p| p.frames).max().unwrap_or(0);
        let mut out = Traces {
            rois: 0,
            frames,
            data: Vec::new(),
        };
        for p in parts {
            for i in 0..p.rois {
                let mut r = p.row(i).to_vec();
                r.resize(frames, *r.last().unwrap_or(&0.0));
                out.data.extend(r);
                out.rois += 1;
            }
        }
        out
    }
}

/// A weighted pixel set: weights are normalised to sum to 1 on construction.
#[derive(Clone, Debug, PartialEq)]
pub struct Mask {
    /// Flat pixel indices.
    pub pixels: Vec<u32>,
    /// Weights summing to 1.
    pub weights: Vec<f32>,
}

impl Mask {
    /// A weighted mask; non-positive or missing weights fall back to uniform.
    #[must_use]
    pub fn new(pixels: Vec<u32>, weights: Option<Vec<f32>>) -> Self {
        let n = pixels.len().max(1) as f32;
        let mut wts = weights
            .filter(|w| w.len() == pixels.len())
            .unwrap_or_else(|| vec![1.0; pixels.len()]);
        wts.iter_mut().for_each(|v| *v = v.max(0.0));
        let s: f32 = wts.iter().sum();
        if s > 0.0 {
            wts.iter_mut().for_each(|v| *v /= s);
        } else {
            wts = vec![1.0 / n; pixels.len()];
        }
        Mask {
            pixels,
            weights: wts,
        }
    }

    fn apply(&self, frame: &[f32]) -> f32 {
        self.pixels
            .iter()
            .zip(&self.weights)
            .map(|(&p, &w)| frame[p as usize] * w)
            .sum()
    }
}

/// Reads `src` once in batches, returning `(F, Fneu)`: each ROI's weighted mean and each
/// neuropil mask's mean per frame. `progress(done, total)` after every batch.
///
/// # Errors
/// Read errors from `src`.
pub fn extract(
    src: &dyn FrameSource,
    cells: &[Mask],
    neuropil: &[Mask],
    batch: usize,
    progress: &dyn Fn(usize, usize),
) -> io::Result<(Traces, Traces)> {
    let (t, n) = (src.frames(), src.frame_len());
    let mut f = Traces::zeros(cells.len(), t);
    let mut fneu = Traces::zeros(neuropil.len(), t);
    for_each_batch(src, batch, |start, count, data| -> io::Result<()> {
        let fill = |tr: &mut Traces, masks: &[Mask]| {
            tr.data
                .par_chunks_mut(t.max(1))
                .zip(masks.par_iter())
                .for_each(|(row, m)| {
                    for k in 0..count {
                        row[start + k] = m.apply(&data[k * n..(k + 1) * n]);
                    }
                });
        };
        fill(&mut f, cells);
        fill(&mut fneu, neuropil);
        progress(start + count, t);
        Ok(())
    })?;
    Ok((f, fneu))
}
