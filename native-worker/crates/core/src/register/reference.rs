//! Reference image: the mean of the frames that agree best with each other, refined iteratively.
//!
//! 1. Sample up to `ref_frames` frames evenly over the movie.
//! 2. Seed: the frame whose top-k correlations with the other samples are highest, averaged with
//!    those k partners.
//! 3. Repeat `ref_iters` times: rigidly register every sample to the current reference, keep the
//!    best-matching fraction (growing from 1/10 to 1/2 of the samples) and average them, aligned.

use std::io;

use rayon::prelude::*;

use super::phasecorr::{Peak, PhaseCorrelator};
use super::warp::shift_rigid;
use super::RegisterOptions;
use crate::source::FrameSource;

/// Builds the registration reference of `src` (row-major, `height x width`).
///
/// # Errors
/// When frames cannot be read, or the movie is empty.
pub fn build_reference(src: &dyn FrameSource, opts: &RegisterOptions) -> io::Result<Vec<f32>> {
    let (t, h, w) = (src.frames(), src.height(), src.width());
    if t == 0 || h == 0 || w == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "empty movie: no reference can be built",
        ));
    }
    let s = opts.ref_frames.clamp(1, t);
    let idx: Vec<usize> = (0..s)
        .map(|i| if s == 1 { 0 } else { i * (t - 1) / (s - 1) })
        .collect();
    let mut samples = Vec::with_capacity(s);
    for &i in &idx {
        let mut f = vec![0.0; h * w];
        src.read_frames(i, &mut f)?;
        samples.push(f);
    }
    let mut reference = seed_reference(&samples, h, w);
    let max_shift = opts.max_shift(h, w);
    // all but the last refinement rank and align the samples at half resolution (4x fewer
    // pixels); shifts found there are doubled, the last pass measures at full resolution
    let half = h.min(w) >= 128 && opts.ref_iters > 1;
    let (hh, hw) = (h / 2, w / 2);
    let small: Vec<Vec<f32>> = if half {
        samples.par_iter().map(|f| downsample(f, h, w, 2)).collect()
    } else {
        Vec::new()
    };
    for it in 0..opts.ref_iters {
        let last = it + 1 == opts.ref_iters;
        let peaks: Vec<Peak> = if half && !last {
            let r = downsample(&reference, h, w, 2);
            let pc = PhaseCorrelator::new(
                &r,
                hh,
                hw,
                opts.smooth_sigma / 2.0,
                opts.taper_width() / 2.0,
            );
            let m = (max_shift / 2).max(1);
            small
                .par_iter()
                .map(|f| {
                    let p = pc.shift(f, m);
                    Peak {
                        dy: 2.0 * p.dy,
                        dx: 2.0 * p.dx,
                        value: p.value,
                    }
                })
                .collect()
        } else {
            let pc = PhaseCorrelator::new(&reference, h, w, opts.smooth_sigma, opts.taper_width());
            samples
                .par_iter()
                .map(|f| {
                    if last {
                        pc.shift_refined(f, max_shift)
                    } else {
                        pc.shift(f, max_shift)
                    }
                })
                .collect()
        };
        let mut order: Vec<usize> = (0..s).collect();
        order.sort_by(|&a, &b| peaks[b].value.total_cmp(&peaks[a].value).then(a.cmp(&b)));
        let frac = 0.1 + 0.4 * (it + 1) as f32 / opts.ref_iters as f32;
        let keep = ((s as f32 * frac).round() as usize).clamp(1, s);
        reference = aligned_mean(&samples, &order[..keep], &peaks, h, w);
    }
    Ok(reference)
}

/// Mean of `samples[i]` shifted by `peaks[i]` over `chosen`, summed in fixed chunks (same
/// result whatever the thread count) without holding every aligned frame.
fn aligned_mean(
    samples: &[Vec<f32>],
    chosen: &[usize],
    peaks: &[Peak],
    h: usize,
    w: usize,
) -> Vec<f32> {
    let n = h * w;
    let partial: Vec<Vec<f64>> = chosen
        .par_chunks(8)
        .map(|part| {
            let mut acc = vec![0.0f64; n];
            let mut buf = vec![0.0f32; n];
            for &i in part {
                shift_rigid(&samples[i], h, w, peaks[i].dy, peaks[i].dx, &mut buf);
                for (a, &v) in acc.iter_mut().zip(&buf) {
                    *a += f64::from(v);
                }
            }
            acc
        })
        .collect();
    let mut acc = vec![0.0f64; n];
    for p in partial {
        for (a, v) in acc.iter_mut().zip(p) {
            *a += v;
        }
    }
    let k = chosen.len().max(1) as f64;
    acc.into_iter().map(|a| (a / k) as f32).collect()
}

fn mean_of(frames: &[Vec<f32>], n: usize) -> Vec<f32> {
    let mut acc = vec![0.0f64; n];
    for f in frames {
        for (a, &v) in acc.iter_mut().zip(f) {
            *a += f64::from(v);
        }
    }
    let k = frames.len().max(1) as f64;
    acc.into_iter().map(|a| (a / k) as f32).collect()
}

/// Mean of the most mutually correlated samples (correlations on a downsampled copy).
fn seed_reference(samples: &[Vec<f32>], h: usize, w: usize) -> Vec<f32> {
    let s = samples.len();
    // correlations on a copy of at most ~64 px a side: enough to rank frames by agreement
    let factor = h.max(w).div_ceil(64).max(1);
    let small: Vec<Vec<f32>> = samples
        .par_iter()
        .map(|f| zscore(&downsample(f, h, w, factor)))
        .collect();
    let n = small[0].len() as f32;
    // upper triangle only, mirrored
    let upper: Vec<Vec<f32>> = (0..s)
        .into_par_iter()
        .map(|i| {
            (i..s)
                .map(|j| {
                    small[i]
                        .iter()
                        .zip(&small[j])
                        .map(|(a, b)| a * b)
                        .sum::<f32>()
                        / n
                })
                .collect()
        })
        .collect();
    let corr: Vec<Vec<f32>> = (0..s)
        .map(|i| {
            (0..s)
                .map(|j| {
                    if j >= i {
                        upper[i][j - i]
                    } else {
                        upper[j][i - j]
                    }
                })
                .collect()
        })
        .collect();
    let k = (s / 5).clamp(1, 20).min(s.saturating_sub(1)).max(1);
    let mut best = (f32::NEG_INFINITY, 0usize, Vec::new());
    for (i, row) in corr.iter().enumerate() {
        let mut others: Vec<(f32, usize)> = row
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(j, &c)| (c, j))
            .collect();
        others.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        others.truncate(k);
        let score = others.iter().map(|o| o.0).sum::<f32>() / others.len().max(1) as f32;
        if score > best.0 {
            best = (score, i, others.into_iter().map(|o| o.1).collect());
        }
    }
    let mut chosen: Vec<Vec<f32>> = vec![samples[best.1].clone()];
    chosen.extend(best.2.iter().map(|&j| samples[j].clone()));
    mean_of(&chosen, h * w)
}

fn downsample(f: &[f32], h: usize, w: usize, k: usize) -> Vec<f32> {
    if k == 1 {
        return f.to_vec();
    }
    let (hh, ww) = (h / k, w / k);
    let mut out = vec![0.0; hh * ww];
    for y in 0..hh * k {
        for x in 0..ww * k {
            out[(y / k) * ww + x / k] += f[y * w + x];
        }
    }
    out
}

/// Zero-mean, unit-variance copy (all zeros for a constant image).
#[must_use]
pub fn zscore(v: &[f32]) -> Vec<f32> {
    let n = v.len().max(1) as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = v
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n;
    let sd = var.sqrt();
    if sd <= 0.0 {
        return vec![0.0; v.len()];
    }
    v.iter()
        .map(|&x| ((f64::from(x) - mean) / sd) as f32)
        .collect()
}
