//! Small dense linear algebra for the randomized SVD (row-major `f64` matrices).

/// Orthonormalises the columns of the `rows x cols` matrix `a` in place (modified Gram-Schmidt,
/// twice for stability). Columns that become numerically zero are left as zeros.
pub fn orthonormalize_columns(a: &mut [f64], rows: usize, cols: usize) {
    for _pass in 0..2 {
        for j in 0..cols {
            for k in 0..j {
                let dot: f64 = (0..rows).map(|i| a[i * cols + j] * a[i * cols + k]).sum();
                for i in 0..rows {
                    a[i * cols + j] -= dot * a[i * cols + k];
                }
            }
            let norm: f64 = (0..rows)
                .map(|i| a[i * cols + j].powi(2))
                .sum::<f64>()
                .sqrt();
            let inv = if norm > 1e-12 { 1.0 / norm } else { 0.0 };
            for i in 0..rows {
                a[i * cols + j] *= inv;
            }
        }
    }
}

/// Eigen-decomposition of the symmetric `n x n` matrix `a` (cyclic Jacobi).
/// Returns `(eigenvalues, eigenvectors)` sorted by descending eigenvalue; eigenvector `k` is
/// column `k` of the row-major `n x n` result.
#[must_use]
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j].powi(2))
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| m[b * n + b].total_cmp(&m[a * n + a]).then(a.cmp(&b)));
    let vals = order.iter().map(|&k| m[k * n + k]).collect();
    let mut vecs = vec![0.0; n * n];
    for (newk, &k) in order.iter().enumerate() {
        for i in 0..n {
            vecs[i * n + newk] = v[i * n + k];
        }
    }
    (vals, vecs)
}
