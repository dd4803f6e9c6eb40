//! OASIS for a non-negative AR(1) calcium model (Friedrich, Zhou & Paninski 2017):
//! minimise ½‖c − y‖² + λ‖s‖₁ subject to s_t = c_t − g·c_{t−1} ≥ 0, solved exactly by pooling
//! adjacent violators.

/// Returns `(c, s)`: the denoised calcium and the inferred spike train (`s ≥ 0`).
#[must_use]
pub fn oasis_ar1(y: &[f32], g: f32, lambda: f32) -> (Vec<f32>, Vec<f32>) {
    let n = y.len();
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    let g = f64::from(g.clamp(0.0, 0.9999));
    let lam = f64::from(lambda.max(0.0));
    // pool: (value, weight, start, length)
    let mut pools: Vec<(f64, f64, usize, usize)> = Vec::with_capacity(n);
    for (t, &yt) in y.iter().enumerate() {
        // the λ‖s‖₁ term shifts the data: interior points by λ(1−g), the last by λ
        let shift = if t + 1 == n { lam } else { lam * (1.0 - g) };
        pools.push((f64::from(yt) - shift, 1.0, t, 1));
        while pools.len() > 1 {
            let k = pools.len() - 1;
            let (v1, w1, _, l1) = pools[k];
            let (v0, w0, t0, l0) = pools[k - 1];
            let gl = g.powi(l0 as i32);
            if v0 * gl <= v1 {
                break;
            }
            let w = w0 + w1 * gl * gl;
            let v = (w0 * v0 + w1 * gl * v1) / w;
            pools.pop();
            pools[k - 1] = (v, w, t0, l0 + l1);
        }
    }
    let mut c = vec![0.0f32; n];
    for &(v, _, t0, l) in &pools {
        let v = v.max(0.0);
        let mut cur = v;
        for j in 0..l {
            c[t0 + j] = cur as f32;
            cur *= g;
        }
    }
    let mut s = vec![0.0f32; n];
    s[0] = c[0];
    for t in 1..n {
        s[t] = (c[t] - g as f32 * c[t - 1]).max(0.0);
    }
    (c, s)
}
