//! What a labelled ROI looks like in a registered movie: its size, how much brighter than its
//! surround it is in the mean image, and its strongest transient; and the same measures at
//! unlabelled background positions, so a labelled cell can be called indistinguishable from the
//! background it sits in. Used to show, per missed cell, what limits detection on real data.
#![allow(dead_code)] // each test file uses its own subset

use worker_core::Movie;

/// Measures of one pixel set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Appearance {
    /// Pixel count.
    pub size: usize,
    /// Mean-image brightness of the set over that of its surround, minus 1 (0.10 = 10% brighter).
    pub brightness: f64,
    /// Largest 1-s bin of the neuropil-corrected trace (set minus 0.7 x surround) above its
    /// median, in robust noise SDs (median absolute bin-to-bin difference / (0.6745 sqrt 2)).
    pub activity_z: f64,
}

/// A registered movie binned to about one second per bin, with its mean image and a mask of the
/// labelled pixels (excluded from every surround).
pub struct Measurer {
    h: usize,
    w: usize,
    bins: usize,
    binned: Vec<f32>,
    mean: Vec<f64>,
    labelled: Vec<bool>,
}

/// Surround of a pixel set: pixels 3 to 6 px (Chebyshev) from the set, not in any label.
const SURROUND: (usize, usize) = (3, 6);

impl Measurer {
    /// Bins `movie` by `bin` frames; `labels` are every labelled ROI (as `(row, col)` lists).
    pub fn new(movie: &Movie, bin: usize, labels: &[Vec<(usize, usize)>]) -> Self {
        let (h, w) = (movie.height, movie.width);
        let n = h * w;
        let bins = (movie.frames / bin).max(1);
        let mut binned = vec![0.0f32; bins * n];
        let mut mean = vec![0.0f64; n];
        for t in 0..movie.frames {
            let f = movie.frame(t);
            for (m, &v) in mean.iter_mut().zip(f) {
                *m += f64::from(v) / movie.frames as f64;
            }
            let b = t / bin;
            if b < bins {
                for (d, &v) in binned[b * n..(b + 1) * n].iter_mut().zip(f) {
                    *d += v / bin as f32;
                }
            }
        }
        let mut labelled = vec![false; n];
        for l in labels {
            for &(y, x) in l {
                labelled[y * w + x] = true;
            }
        }
        Measurer {
            h,
            w,
            bins,
            binned,
            mean,
            labelled,
        }
    }

    fn surround(&self, set: &[(usize, usize)]) -> Vec<usize> {
        let (h, w) = (self.h, self.w);
        let mut dist = vec![usize::MAX; h * w];
        for &(y, x) in set {
            let (r0, r1) = (y.saturating_sub(SURROUND.1), (y + SURROUND.1 + 1).min(h));
            let (c0, c1) = (x.saturating_sub(SURROUND.1), (x + SURROUND.1 + 1).min(w));
            for yy in r0..r1 {
                for xx in c0..c1 {
                    let d = yy.abs_diff(y).max(xx.abs_diff(x));
                    let p = yy * w + xx;
                    dist[p] = dist[p].min(d);
                }
            }
        }
        (0..h * w)
            .filter(|&p| dist[p] >= SURROUND.0 && dist[p] <= SURROUND.1 && !self.labelled[p])
            .collect()
    }

    /// Measures one pixel set (`None` when it has no unlabelled surround).
    pub fn measure(&self, set: &[(usize, usize)]) -> Option<Appearance> {
        let sur = self.surround(set);
        if sur.is_empty() || set.is_empty() {
            return None;
        }
        let n = self.h * self.w;
        let inside: Vec<usize> = set.iter().map(|&(y, x)| y * self.w + x).collect();
        let avg = |px: &[usize], img: &dyn Fn(usize) -> f64| {
            px.iter().map(|&p| img(p)).sum::<f64>() / px.len() as f64
        };
        let m_in = avg(&inside, &|p| self.mean[p]);
        let m_out = avg(&sur, &|p| self.mean[p]);
        let trace: Vec<f64> = (0..self.bins)
            .map(|b| {
                let f = &self.binned[b * n..(b + 1) * n];
                avg(&inside, &|p| f64::from(f[p])) - 0.7 * avg(&sur, &|p| f64::from(f[p]))
            })
            .collect();
        Some(Appearance {
            size: set.len(),
            brightness: m_in / m_out.max(1e-9) - 1.0,
            activity_z: robust_peak_z(&trace),
        })
    }

    /// Disks of `radius` on a grid of `step` px that touch no labelled pixel (with a 2 px
    /// margin): the unlabelled background the labelled cells are compared with.
    pub fn background_disks(&self, radius: f64, step: usize) -> Vec<Vec<(usize, usize)>> {
        let r = radius.ceil() as usize + 2;
        let mut out = Vec::new();
        let mut y = r;
        while y + r < self.h {
            let mut x = r;
            while x + r < self.w {
                let mut disk = Vec::new();
                let mut clear = true;
                for yy in y - r..=y + r {
                    for xx in x - r..=x + r {
                        let d2 = (yy as f64 - y as f64).powi(2) + (xx as f64 - x as f64).powi(2);
                        if self.labelled[yy * self.w + xx] {
                            clear = false;
                        }
                        if d2 <= radius * radius {
                            disk.push((yy, xx));
                        }
                    }
                }
                if clear {
                    out.push(disk);
                }
                x += step;
            }
            y += step;
        }
        out
    }
}

/// Largest value above the median, in robust noise SDs of the series' bin-to-bin differences.
#[must_use]
pub fn robust_peak_z(x: &[f64]) -> f64 {
    if x.len() < 3 {
        return 0.0;
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let m = med(&mut x.to_vec());
    let sd = med(&mut x.windows(2).map(|p| (p[1] - p[0]).abs()).collect()) / (0.6745 * 2f64.sqrt());
    let top = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (top - m) / sd.max(1e-12)
}

/// Fraction of `values` strictly below `v`.
#[must_use]
pub fn rank(values: &[f64], v: f64) -> f64 {
    values.iter().filter(|&&u| u < v).count() as f64 / values.len().max(1) as f64
}

/// The `q` quantile (0..1) of `values`, nearest rank.
#[must_use]
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)]
}
