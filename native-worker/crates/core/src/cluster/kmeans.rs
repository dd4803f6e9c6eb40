//! k-means with k-means++ seeding and restarts; deterministic for a given seed.

use crate::rng::Rng;

/// A clustering of `n` points.
#[derive(Clone, Debug, PartialEq)]
pub struct KMeans {
    /// Cluster of each point, `0..k`.
    pub labels: Vec<usize>,
    /// Centroids, row-major `k x dim`.
    pub centroids: Vec<f64>,
    /// Sum of squared distances of points to their centroid.
    pub inertia: f64,
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}

/// Clusters the rows of the row-major `n x dim` matrix `pts` into `k` clusters, keeping the best
/// (lowest inertia) of `restarts` runs of at most `max_iter` Lloyd iterations each.
#[must_use]
pub fn kmeans(
    pts: &[f64],
    n: usize,
    dim: usize,
    k: usize,
    restarts: usize,
    max_iter: usize,
    seed: u64,
) -> KMeans {
    let k = k.clamp(1, n.max(1));
    let mut rng = Rng::new(seed);
    let mut best: Option<KMeans> = None;
    for _ in 0..restarts.max(1) {
        let run = lloyd(pts, n, dim, k, max_iter, &mut rng);
        if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
            best = Some(run);
        }
    }
    best.unwrap_or(KMeans {
        labels: vec![0; n],
        centroids: vec![0.0; dim],
        inertia: 0.0,
    })
}

fn lloyd(pts: &[f64], n: usize, dim: usize, k: usize, max_iter: usize, rng: &mut Rng) -> KMeans {
    let row = |i: usize| &pts[i * dim..(i + 1) * dim];
    // k-means++ seeding
    let mut cent = Vec::with_capacity(k * dim);
    cent.extend_from_slice(row(rng.below(n)));
    let mut d2: Vec<f64> = (0..n).map(|i| dist2(row(i), &cent[0..dim])).collect();
    for c in 1..k {
        let total: f64 = d2.iter().sum();
        let pick = if total <= 0.0 {
            rng.below(n)
        } else {
            let mut r = rng.uniform() * total;
            let mut idx = n - 1;
            for (i, &d) in d2.iter().enumerate() {
                r -= d;
                if r <= 0.0 {
                    idx = i;
                    break;
                }
            }
            idx
        };
        cent.extend_from_slice(row(pick));
        for (i, d) in d2.iter_mut().enumerate() {
            *d = d.min(dist2(row(i), &cent[c * dim..(c + 1) * dim]));
        }
    }
    let mut labels = vec![0usize; n];
    for _ in 0..max_iter.max(1) {
        let mut changed = false;
        for (i, label) in labels.iter_mut().enumerate() {
            let (mut bj, mut bd) = (0, f64::INFINITY);
            for j in 0..k {
                let d = dist2(row(i), &cent[j * dim..(j + 1) * dim]);
                if d < bd {
                    bd = d;
                    bj = j;
                }
            }
            if *label != bj {
                *label = bj;
                changed = true;
            }
        }
        let mut sums = vec![0.0; k * dim];
        let mut counts = vec![0usize; k];
        for i in 0..n {
            counts[labels[i]] += 1;
            for (s, v) in sums[labels[i] * dim..(labels[i] + 1) * dim]
                .iter_mut()
                .zip(row(i))
            {
                *s += v;
            }
        }
        for j in 0..k {
            if counts[j] > 0 {
                for d in 0..dim {
                    cent[j * dim + d] = sums[j * dim + d] / counts[j] as f64;
                }
            } else {
                // empty cluster: re-seed at the point farthest from its centroid
                let far = (0..n)
                    .max_by(|&a, &b| {
                        let da = dist2(row(a), &cent[labels[a] * dim..(labels[a] + 1) * dim]);
                        let db = dist2(row(b), &cent[labels[b] * dim..(labels[b] + 1) * dim]);
                        da.total_cmp(&db).then(b.cmp(&a))
                    })
                    .unwrap_or(0);
                cent[j * dim..(j + 1) * dim].copy_from_slice(row(far));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let inertia = (0..n)
        .map(|i| dist2(row(i), &cent[labels[i] * dim..(labels[i] + 1) * dim]))
        .sum();
    KMeans {
        labels,
        centroids: cent,
        inertia,
    }
}
