//! Streams a registered plane into a temporally binned movie and prepares it for detection.

use std::io;

use rayon::prelude::*;

use super::filters::box_mean;
use crate::source::{for_each_batch, FrameSource};

/// A temporally binned movie (`bins x height x width`, bin-major) and the plane's mean image.
#[derive(Clone, Debug)]
pub struct Binned {
    /// Number of bins.
    pub bins: usize,
    /// Frames averaged per bin.
    pub bin_size: usize,
    /// Height.
    pub h: usize,
    /// Width.
    pub w: usize,
    /// Bin means, bin-major.
    pub data: Vec<f32>,
    /// Mean over all frames.
    pub mean_image: Vec<f32>,
}

/// Reads `src` in batches of `batch` frames and averages consecutive `bin_size` frames (a last
/// partial bin is dropped unless it is the only one). Memory: the binned movie plus one batch.
///
/// # Errors
/// Read errors from `src`.
pub fn bin_movie(src: &dyn FrameSource, bin_size: usize, batch: usize) -> io::Result<Binned> {
    let (t, h, w) = (src.frames(), src.height(), src.width());
    let n = h * w;
    let bin_size = bin_size.clamp(1, t.max(1));
    let bins = (t / bin_size).max(1);
    let mut data = vec![0.0f32; bins * n];
    let mut mean = vec![0.0f64; n];
    for_each_batch(src, batch, |start, count, frames| -> io::Result<()> {
        for k in 0..count {
            let f = &frames[k * n..(k + 1) * n];
            for (m, &v) in mean.iter_mut().zip(f) {
                *m += f64::from(v);
            }
            let b = (start + k) / bin_size;
            if b < bins {
                let dst = &mut data[b * n..(b + 1) * n];
                for (d, &v) in dst.iter_mut().zip(f) {
                    *d += v;
                }
            }
        }
        Ok(())
    })?;
    let used = (bins * bin_size).min(t).max(1) as f32;
    let per_bin = used / bins as f32;
    data.par_iter_mut().for_each(|v| *v /= per_bin);
    let mean_image = mean
        .into_iter()
        .map(|m| (m / t.max(1) as f64) as f32)
        .collect();
    Ok(Binned {
        bins,
        bin_size,
        h,
        w,
        data,
        mean_image,
    })
}

/// Prepares a binned movie for detection, in place:
/// 1. temporal high-pass: subtract the mean of consecutive chunks of `highpass_bins` bins;
/// 2. spatial high-pass: subtract a `neuropil_box` box mean from every bin (removes neuropil);
/// 3. noise normalisation: divide each pixel by a robust noise level (median absolute temporal
///    difference / (0.6745 * sqrt 2)).
pub fn prepare(b: &mut Binned, highpass_bins: usize, neuropil_box: usize) {
    let (h, w, n, nb) = (b.h, b.w, b.h * b.w, b.bins);
    let chunk = highpass_bins.max(1);
    let mut start = 0;
    while start < nb {
        let end = (start + chunk).min(nb);
        // fold a too-short final chunk into its predecessor's statistics by using it alone anyway
        let mut mean = vec![0.0f64; n];
        for t in start..end {
            for (m, &v) in mean.iter_mut().zip(&b.data[t * n..(t + 1) * n]) {
                *m += f64::from(v);
            }
        }
        let k = (end - start) as f64;
        for t in start..end {
            for (v, m) in b.data[t * n..(t + 1) * n].iter_mut().zip(&mean) {
                *v -= (*m / k) as f32;
            }
        }
        start = end;
    }
    if neuropil_box > 1 {
        b.data.par_chunks_mut(n).for_each(|f| {
            let low = box_mean(f, h, w, neuropil_box);
            for (v, l) in f.iter_mut().zip(low) {
                *v -= l;
            }
        });
    }
    let data = &b.data;
    let sd: Vec<f32> = (0..n)
        .into_par_iter()
        .map(|p| {
            if nb < 3 {
                let v: f32 =
                    (0..nb).map(|t| data[t * n + p].powi(2)).sum::<f32>() / nb.max(1) as f32;
                return v.sqrt();
            }
            let mut d: Vec<f32> = (1..nb)
                .map(|t| (data[t * n + p] - data[(t - 1) * n + p]).abs())
                .collect();
            let mid = d.len() / 2;
            let (_, m, _) = d.select_nth_unstable_by(mid, f32::total_cmp);
            *m / (0.6745 * std::f32::consts::SQRT_2)
        })
        .collect();
    let mut sorted: Vec<f32> = sd.iter().copied().filter(|v| *v > 0.0).collect();
    sorted.sort_by(f32::total_cmp);
    let floor = sorted
        .get(sorted.len() / 10)
        .copied()
        .unwrap_or(1.0)
        .max(1e-6);
    b.data.par_chunks_mut(n).for_each(|f| {
        for (v, s) in f.iter_mut().zip(&sd) {
            *v /= s.max(floor);
        }
    });
}
