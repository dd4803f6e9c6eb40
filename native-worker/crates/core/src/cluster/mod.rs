//! Clustering ROIs by their activity covariance, without forming the N x N matrix.
//!
//! With `X` the z-scored traces (ROIs x time), the covariance is `C = X Xᵀ / T`. Row `i` of `C`
//! is `(U S²)_i Uᵀ / T` and `Uᵀ` has orthonormal rows, so distances between rows of `C` equal
//! distances between rows of `U S²` (up to the constant `1/T`, and exactly in the full-rank
//! limit; truncation keeps the dominant structure). k-means therefore runs on the rows of `U S²`
//! from a randomized truncated SVD of `X`.

pub mod kmeans;
pub mod linalg;
pub mod svd;

use rayon::prelude::*;

use crate::extract::Traces;

/// Clustering parameters.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// Number of clusters.
    pub k: usize,
    /// SVD rank kept (`None` = min(32, N, T)).
    pub rank: Option<usize>,
    /// k-means restarts.
    pub restarts: usize,
    /// Lloyd iterations per restart.
    pub max_iter: usize,
    /// Seed for the SVD's random projection and k-means++.
    pub seed: u64,
    /// Largest side of the covariance image.
    pub image_size: usize,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            k: 4,
            rank: None,
            restarts: 10,
            max_iter: 300,
            seed: 0,
            image_size: 1024,
        }
    }
}

/// Result of clustering.
#[derive(Clone, Debug, Default)]
pub struct Clustering {
    /// Cluster of each ROI (`0..k`, numbered in order of each cluster's first ROI).
    pub labels: Vec<usize>,
    /// ROI indices sorted by cluster, then by their first singular-vector coordinate.
    pub order: Vec<usize>,
    /// Cluster-sorted correlation matrix binned to `image_size x image_size`, row-major,
    /// values in [-1, 1].
    pub image: Vec<f32>,
    /// Side of `image`.
    pub image_size: usize,
}

/// Z-scores every row (zero mean, unit variance; constant rows become zeros).
#[must_use]
pub fn zscore_rows(x: &Traces) -> Vec<f32> {
    let t = x.frames.max(1);
    let mut out = x.data.clone();
    out.par_chunks_mut(t).for_each(|r| {
        let m = r.iter().map(|&v| f64::from(v)).sum::<f64>() / t as f64;
        let sd = (r.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / t as f64).sqrt();
        for v in r.iter_mut() {
            *v = if sd > 0.0 {
                ((f64::from(*v) - m) / sd) as f32
            } else {
                0.0
            };
        }
    });
    out
}

/// Clusters the rows of `x` (e.g. dF/F or deconvolved spikes) into `opts.k` groups.
#[must_use]
pub fn cluster(x: &Traces, opts: &ClusterOptions) -> Clustering {
    let (n, t) = (x.rois, x.frames);
    if n == 0 || t == 0 {
        return Clustering::default();
    }
    let z = zscore_rows(x);
    let rank = opts.rank.unwrap_or(32).min(n).min(t).max(1);
    let svd = svd::randomized_svd(&z, n, t, rank, 10, 4, opts.seed);
    let r = svd.rank;
    let mut pts = vec![0.0f64; n * r];
    for i in 0..n {
        for k in 0..r {
            pts[i * r + k] = svd.u[i * r + k] * svd.s[k] * svd.s[k] / t as f64;
        }
    }
    let km = kmeans::kmeans(
        &pts,
        n,
        r,
        opts.k,
        opts.restarts,
        opts.max_iter,
        opts.seed ^ 0x5EED,
    );
    // renumber clusters by first appearance so labels do not depend on seeding order
    let mut map = vec![usize::MAX; opts.k.max(1)];
    let mut next = 0;
    let labels: Vec<usize> = km
        .labels
        .iter()
        .map(|&l| {
            if map[l] == usize::MAX {
                map[l] = next;
                next += 1;
            }
            map[l]
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        labels[a]
            .cmp(&labels[b])
            .then(svd.u[a * r].total_cmp(&svd.u[b * r]))
            .then(a.cmp(&b))
    });
    let (image, image_size) = covariance_image(&z, n, t, &order, opts.image_size);
    Clustering {
        labels,
        order,
        image,
        image_size,
    }
}

/// The correlation matrix of z-scored rows `z` (`n x t`), rows and columns permuted by `order`,
/// averaged over `s x s` equal bins with `s = min(n, max_size)`. Exact: the mean of a block of
/// `C` is the dot product of the blocks' summed rows, so `C` itself is never formed.
#[must_use]
pub fn covariance_image(
    z: &[f32],
    n: usize,
    t: usize,
    order: &[usize],
    max_size: usize,
) -> (Vec<f32>, usize) {
    let s = n.min(max_size.max(1));
    if s == 0 {
        return (Vec::new(), 0);
    }
    let bounds: Vec<usize> = (0..=s).map(|a| a * n / s).collect();
    let sums: Vec<Vec<f64>> = (0..s)
        .into_par_iter()
        .map(|a| {
            let mut acc = vec![0.0f64; t];
            for &i in &order[bounds[a]..bounds[a + 1]] {
                for (o, &v) in acc.iter_mut().zip(&z[i * t..(i + 1) * t]) {
                    *o += f64::from(v);
                }
            }
            let cnt = (bounds[a + 1] - bounds[a]).max(1) as f64;
            acc.iter_mut().for_each(|v| *v /= cnt);
            acc
        })
        .collect();
    let mut img = vec![0.0f32; s * s];
    img.par_chunks_mut(s).enumerate().for_each(|(a, row)| {
        for (b, o) in row.iter_mut().enumerate() {
            let d: f64 = sums[a].iter().zip(&sums[b]).map(|(x, y)| x * y).sum();
            *o = (d / t as f64) as f32;
        }
    });
    (img, s)
}
