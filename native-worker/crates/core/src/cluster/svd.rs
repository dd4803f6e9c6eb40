//! Randomized truncated SVD (Halko, Martinsson & Tropp 2011) of a tall or wide `f32` matrix.

use rayon::prelude::*;

use super::linalg::{orthonormalize_columns, symmetric_eigen};
use crate::rng::Rng;

/// Top `rank` singular triplets: `u` is `rows x rank` (row-major), `s` descending.
#[derive(Clone, Debug)]
pub struct Svd {
    /// Left singular vectors, row-major `rows x rank`.
    pub u: Vec<f64>,
    /// Singular values, descending.
    pub s: Vec<f64>,
    /// Rank kept.
    pub rank: usize,
}

/// Truncated SVD of the row-major `rows x cols` matrix `x`, keeping `rank` components, with
/// `oversample` extra random directions and `power_iters` subspace iterations. Deterministic for
/// a given `seed`. Cost O(rows * cols * (rank + oversample) * (2 * power_iters + 2)).
#[must_use]
pub fn randomized_svd(
    x: &[f32],
    rows: usize,
    cols: usize,
    rank: usize,
    oversample: usize,
    power_iters: usize,
    seed: u64,
) -> Svd {
    let rank = rank.min(rows).min(cols).max(1);
    let l = (rank + oversample).min(rows).min(cols).max(1);
    let mut rng = Rng::new(seed);
    let omega: Vec<f64> = (0..cols * l).map(|_| rng.normal()).collect();
    // Y = X Ω (rows x l)
    let mut y = mul_x(x, rows, cols, &omega, l);
    orthonormalize_columns(&mut y, rows, l);
    for _ in 0..power_iters {
        let mut z = mul_xt(x, rows, cols, &y, l); // cols x l
        orthonormalize_columns(&mut z, cols, l);
        y = mul_x(x, rows, cols, &z, l);
        orthonormalize_columns(&mut y, rows, l);
    }
    // B = Qᵀ X (l x cols); B Bᵀ = W Σ² Wᵀ; U = Q W
    let bt = mul_xt(x, rows, cols, &y, l); // cols x l  (= Bᵀ)
    let mut bbt = vec![0.0; l * l];
    for i in 0..l {
        for j in i..l {
            let s: f64 = (0..cols).map(|c| bt[c * l + i] * bt[c * l + j]).sum();
            bbt[i * l + j] = s;
            bbt[j * l + i] = s;
        }
    }
    let (vals, vecs) = symmetric_eigen(&bbt, l);
    let mut u = vec![0.0; rows * rank];
    u.par_chunks_mut(rank).enumerate().for_each(|(r, row)| {
        for (k, o) in row.iter_mut().enumerate() {
            *o = (0..l).map(|j| y[r * l + j] * vecs[j * l + k]).sum();
        }
    });
    let s = vals.iter().take(rank).map(|v| v.max(0.0).sqrt()).collect();
    Svd { u, s, rank }
}

/// X (rows x cols) times M (cols x l).
fn mul_x(x: &[f32], rows: usize, cols: usize, m: &[f64], l: usize) -> Vec<f64> {
    let mut out = vec![0.0; rows * l];
    out.par_chunks_mut(l).enumerate().for_each(|(r, o)| {
        let xr = &x[r * cols..(r + 1) * cols];
        for (c, &xv) in xr.iter().enumerate() {
            let xv = f64::from(xv);
            let mr = &m[c * l..(c + 1) * l];
            for k in 0..l {
                o[k] += xv * mr[k];
            }
        }
    });
    out
}

/// Xᵀ (cols x rows) times M (rows x l), computed in fixed row blocks summed in order (deterministic).
fn mul_xt(x: &[f32], rows: usize, cols: usize, m: &[f64], l: usize) -> Vec<f64> {
    const BLOCK: usize = 256;
    let parts: Vec<Vec<f64>> = (0..rows.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut acc = vec![0.0; cols * l];
            for r in b * BLOCK..((b + 1) * BLOCK).min(rows) {
                let mr = &m[r * l..(r + 1) * l];
                for (c, &xv) in x[r * cols..(r + 1) * cols].iter().enumerate() {
                    let xv = f64::from(xv);
                    let a = &mut acc[c * l..(c + 1) * l];
                    for k in 0..l {
                        a[k] += xv * mr[k];
                    }
                }
            }
            acc
        })
        .collect();
    let mut out = vec![0.0; cols * l];
    for p in parts {
        for (o, v) in out.iter_mut().zip(p) {
            *o += v;
        }
    }
    out
}
