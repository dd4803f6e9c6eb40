//! Trace, clustering and registration agreement measures.

/// Pearson correlation of two equal-length series (0 when either is constant).
#[must_use]
pub fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let ma = a[..n].iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let mb = b[..n].iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (f64::from(a[i]) - ma, f64::from(b[i]) - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// Adjusted Rand index between two labelings of the same items (1 = identical partitions,
/// ~0 = chance). Labels are arbitrary integers.
#[must_use]
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 1.0;
    }
    let ka = a[..n].iter().max().map_or(0, |m| m + 1);
    let kb = b[..n].iter().max().map_or(0, |m| m + 1);
    let mut table = vec![0u64; ka * kb];
    for i in 0..n {
        table[a[i] * kb + b[i]] += 1;
    }
    let c2 = |x: u64| (x * x.saturating_sub(1)) as f64 / 2.0;
    let sum_ij: f64 = table.iter().map(|&x| c2(x)).sum();
    let sum_a: f64 = (0..ka)
        .map(|i| c2(table[i * kb..(i + 1) * kb].iter().sum()))
        .sum();
    let sum_b: f64 = (0..kb)
        .map(|j| c2((0..ka).map(|i| table[i * kb + j]).sum()))
        .sum();
    let total = c2(n as u64);
    let expected = sum_a * sum_b / total;
    let max = 0.5 * (sum_a + sum_b);
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (sum_ij - expected) / (max - expected)
}

/// Registration error: root-mean-square distance between estimated and true displacements
/// after removing their mean difference (a reference is only defined up to a constant offset).
#[must_use]
pub fn registration_rmse(estimated: &[(f32, f32)], truth: &[(f32, f32)]) -> f64 {
    let n = estimated.len().min(truth.len());
    if n == 0 {
        return 0.0;
    }
    let (mut oy, mut ox) = (0.0f64, 0.0f64);
    for i in 0..n {
        oy += f64::from(estimated[i].0 - truth[i].0);
        ox += f64::from(estimated[i].1 - truth[i].1);
    }
    oy /= n as f64;
    ox /= n as f64;
    let mut s = 0.0;
    for i in 0..n {
        let ey = f64::from(estimated[i].0 - truth[i].0) - oy;
        let ex = f64::from(estimated[i].1 - truth[i].1) - ox;
        s += ey * ey + ex * ex;
    }
    (s / n as f64).sqrt()
}
