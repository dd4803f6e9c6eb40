//! Iterative ROI extraction ("peeling"): take the strongest activity peak, grow its footprint
//! from the pixels that follow its trace, subtract the footprint x trace from the movie on the
//! frames where it was active, update the activity maps locally, repeat.
//!
//! Subtracting each found source lets overlapping cells be found one after the other.

use std::collections::VecDeque;

use super::maps::{activity_in_window, box_in_window, Window};

/// Peeling parameters (see [`super::DetectOptions`] for their meaning).
#[derive(Clone, Debug)]
pub struct PeelParams {
    /// Box sizes of the scales, ascending.
    pub scales: Vec<usize>,
    /// Activity threshold in noise units.
    pub theta: f32,
    /// Stop when the best remaining activity peak is below this.
    pub min_peak: f32,
    /// At most this many ROIs.
    pub max_rois: usize,
    /// Footprint pixels keep at least this fraction of the footprint's peak weight.
    pub mask_threshold: f32,
}

/// A source found by peeling, before scoring.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// Flat pixel indices `y * width + x`, ascending.
    pub pixels: Vec<u32>,
    /// Footprint weight per pixel (positive).
    pub weights: Vec<f32>,
    /// Activity-map value at the seed.
    pub peak: f32,
    /// Box size of the seed's scale.
    pub scale: usize,
    /// Seed pixel.
    pub seed: (usize, usize),
    /// Bins in which the source was active.
    pub active_bins: usize,
    /// The source's trace over all bins (footprint projection of the prepared movie, before
    /// subtraction); one value per bin, so all candidates together hold at most
    /// `max_rois x bins` values.
    pub trace: Vec<f32>,
}

struct Maps {
    v: Vec<Vec<f32>>,
    best: Vec<f32>,
    best_scale: Vec<u8>,
}

impl Maps {
    fn refresh(&mut self, win: Window, w: usize) {
        for y in win.y0..win.y1 {
            for x in win.x0..win.x1 {
                let p = y * w + x;
                let (mut b, mut bs) = (f32::NEG_INFINITY, 0u8);
                for (s, v) in self.v.iter().enumerate() {
                    if v[p] > b {
                        b = v[p];
                        bs = s as u8;
                    }
                }
                self.best[p] = b;
                self.best_scale[p] = bs;
            }
        }
    }
}

/// Runs peeling on the prepared, bin-major movie `mov` (modified in place).
#[must_use]
pub fn peel(
    mov: &mut [f32],
    bins: usize,
    h: usize,
    w: usize,
    maps: Vec<Vec<f32>>,
    p: &PeelParams,
) -> Vec<Candidate> {
    let n = h * w;
    let mut m = Maps {
        v: maps,
        best: vec![0.0; n],
        best_scale: vec![0; n],
    };
    m.refresh(
        Window {
            y0: 0,
            y1: h,
            x0: 0,
            x1: w,
        },
        w,
    );
    let max_d = *p.scales.iter().max().unwrap_or(&3);
    let mut out = Vec::new();
    let mut guard = 0;
    while out.len() < p.max_rois && guard < 4 * p.max_rois.max(1) {
        guard += 1;
        let (mut bi, mut bv) = (0usize, f32::NEG_INFINITY);
        for (i, &v) in m.best.iter().enumerate() {
            if v > bv {
                bv = v;
                bi = i;
            }
        }
        if bv < p.min_peak {
            break;
        }
        let (y, x) = (bi / w, bi % w);
        let d = p.scales[m.best_scale[bi] as usize];
        let cand = grow(mov, bins, h, w, y, x, d, p);
        let r = d + 3 + max_d / 2 + 1;
        let upd = Window::around(y, x, r, h, w);
        if let Some(mut c) = cand {
            {
                c.peak = bv;
                for (s, &ds) in p.scales.iter().enumerate() {
                    let vals = activity_in_window(mov, bins, h, w, ds, p.theta, upd);
                    let ww = upd.width();
                    for (k, v) in vals.into_iter().enumerate() {
                        m.v[s][(upd.y0 + k / ww) * w + upd.x0 + k % ww] = v;
                    }
                }
                m.refresh(upd, w);
                out.push(c);
            }
        }
        if m.best[bi] >= 0.9 * bv {
            // the peak did not go away: never pick it (or its neighbours) again
            let sup = Window::around(y, x, 1, h, w);
            for yy in sup.y0..sup.y1 {
                for xx in sup.x0..sup.x1 {
                    for v in &mut m.v {
                        v[yy * w + xx] = 0.0;
                    }
                    m.best[yy * w + xx] = 0.0;
                }
            }
        }
    }
    out
}

/// Grows one footprint from seed `(y, x)` at box size `d`, subtracts it, returns it (or `None`
/// when the seed has no active bins or fewer than 4 pixels).
#[allow(clippy::too_many_arguments)]
fn grow(
    mov: &mut [f32],
    bins: usize,
    h: usize,
    w: usize,
    y: usize,
    x: usize,
    d: usize,
    p: &PeelParams,
) -> Option<Candidate> {
    let n = h * w;
    let seed_win = Window {
        y0: y,
        y1: y + 1,
        x0: x,
        x1: x + 1,
    };
    let mut tr: Vec<f32> = (0..bins)
        .map(|t| box_in_window(&mov[t * n..(t + 1) * n], h, w, d, seed_win)[0])
        .collect();
    let mut active: Vec<usize> = (0..bins).filter(|&t| tr[t] * d as f32 > p.theta).collect();
    if active.is_empty() {
        return None;
    }
    let win = Window::around(y, x, d + 3, h, w);
    let ww = win.width();
    let mut mask: Vec<usize> = Vec::new(); // window-local indices
    let mut lam = vec![0.0f32; win.len()];
    for _ in 0..3 {
        let den: f32 = active
            .iter()
            .map(|&t| tr[t] * tr[t])
            .sum::<f32>()
            .max(1e-12);
        lam.iter_mut().for_each(|l| *l = 0.0);
        for &t in &active {
            let f = &mov[t * n..(t + 1) * n];
            for yy in win.y0..win.y1 {
                for xx in win.x0..win.x1 {
                    lam[(yy - win.y0) * ww + xx - win.x0] += f[yy * w + xx] * tr[t];
                }
            }
        }
        lam.iter_mut().for_each(|l| *l /= den);
        // footprint peak: the largest weight within d/2 of the seed
        let core = Window::around(y, x, (d / 2).max(1), h, w);
        let (mut lmax, mut start) = (0.0f32, None);
        for yy in core.y0..core.y1 {
            for xx in core.x0..core.x1 {
                let k = (yy - win.y0) * ww + xx - win.x0;
                if lam[k] > lmax {
                    lmax = lam[k];
                    start = Some(k);
                }
            }
        }
        let start = start?;
        mask = connected(&lam, win.y1 - win.y0, ww, start, p.mask_threshold * lmax);
        if mask.len() < 4 {
            return None;
        }
        let l2: f32 = mask
            .iter()
            .map(|&k| lam[k] * lam[k])
            .sum::<f32>()
            .max(1e-12);
        for (t, trt) in tr.iter_mut().enumerate() {
            let f = &mov[t * n..(t + 1) * n];
            let mut s = 0.0;
            for &k in &mask {
                s += lam[k] * f[(win.y0 + k / ww) * w + win.x0 + k % ww];
            }
            *trt = s / l2;
        }
        let noise = 1.0 / l2.sqrt();
        let next: Vec<usize> = (0..bins).filter(|&t| tr[t] > p.theta * noise).collect();
        if next.is_empty() {
            break;
        }
        active = next;
    }
    for &t in &active {
        let f = &mut mov[t * n..(t + 1) * n];
        for &k in &mask {
            f[(win.y0 + k / ww) * w + win.x0 + k % ww] -= lam[k] * tr[t];
        }
    }
    let mut px: Vec<(u32, f32)> = mask
        .iter()
        .map(|&k| {
            (
                ((win.y0 + k / ww) * w + win.x0 + k % ww) as u32,
                lam[k].max(0.0),
            )
        })
        .collect();
    px.sort_by_key(|a| a.0);
    Some(Candidate {
        pixels: px.iter().map(|a| a.0).collect(),
        weights: px.iter().map(|a| a.1).collect(),
        peak: 0.0,
        scale: d,
        seed: (y, x),
        active_bins: active.len(),
        trace: tr,
    })
}

/// 4-connected component of `{k : vals[k] > thr}` containing `start` (`rows x cols` grid).
fn connected(vals: &[f32], rows: usize, cols: usize, start: usize, thr: f32) -> Vec<usize> {
    let mut seen = vec![false; rows * cols];
    let mut out = Vec::new();
    let mut q = VecDeque::from([start]);
    seen[start] = true;
    while let Some(k) = q.pop_front() {
        out.push(k);
        let (r, c) = (k / cols, k % cols);
        let mut push = |rr: usize, cc: usize| {
            let j = rr * cols + cc;
            if !seen[j] && vals[j] > thr {
                seen[j] = true;
                q.push_back(j);
            }
        };
        if r > 0 {
            push(r - 1, c);
        }
        if r + 1 < rows {
            push(r + 1, c);
        }
        if c > 0 {
            push(r, c - 1);
        }
        if c + 1 < cols {
            push(r, c + 1);
        }
    }
    out.sort_unstable();
    out
}
