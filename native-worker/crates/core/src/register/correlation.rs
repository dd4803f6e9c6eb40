//! Registration's quality metric: Pearson correlation of frames with the reference (the
//! reference's centring and norm computed once for a whole plane).

pub(super) fn mean(v: &[f32]) -> f32 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f32>() / v.len() as f32
    }
}

/// Pearson correlation of two equal-length images (0 if either is constant).
#[must_use]
pub fn pearson(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().max(1) as f64;
    let ma = a.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let mb = b.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x) - ma, f64::from(y) - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        (sab / (saa * sbb).sqrt()) as f32
    }
}

/// Pearson correlation against one fixed image, its centring and norm computed once.
pub(super) struct RefCorr {
    centred: Vec<f32>,
    norm2: f64,
}

impl RefCorr {
    pub(super) fn new(r: &[f32]) -> Self {
        let n = r.len().max(1) as f64;
        let m = r.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let centred: Vec<f32> = r.iter().map(|&v| (f64::from(v) - m) as f32).collect();
        let norm2 = centred.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        RefCorr { centred, norm2 }
    }

    /// Same value as [`pearson`]`(a, reference)`.
    pub(super) fn corr(&self, a: &[f32]) -> f32 {
        let n = a.len().max(1) as f64;
        let (mut s, mut ss, mut sr) = (0.0f64, 0.0f64, 0.0f64);
        for (ca, cr) in a.chunks(64).zip(self.centred.chunks(64)) {
            let (mut s1, mut ss1, mut sr1) = (0.0f64, 0.0f64, 0.0f64);
            for (&x, &r) in ca.iter().zip(cr) {
                let x = f64::from(x);
                s1 += x;
                ss1 += x * x;
                sr1 += x * f64::from(r);
            }
            s += s1;
            ss += ss1;
            sr += sr1;
        }
        let var = ss - s * s / n;
        if var <= 0.0 || self.norm2 <= 0.0 {
            0.0
        } else {
            (sr / (var * self.norm2).sqrt()) as f32
        }
    }
}
