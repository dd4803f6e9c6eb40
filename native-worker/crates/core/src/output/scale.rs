//! Intensity scaling of f32 images to 8/16-bit for display.

use serde::{Deserialize, Serialize};

/// Linear map `lo..hi` -> full output range, recorded next to the images it produced.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    pub lo: f32,
    pub hi: f32,
}

impl Scale {
    /// Scale between two percentiles (0..=100) of the finite values of `v`.
    pub fn percentiles(v: &[f32], lo_pct: f64, hi_pct: f64) -> Scale {
        let mut s: Vec<f32> = v.iter().copied().filter(|x| x.is_finite()).collect();
        if s.is_empty() {
            return Scale { lo: 0.0, hi: 1.0 };
        }
        s.sort_unstable_by(|a, b| a.total_cmp(b));
        Scale {
            lo: percentile(&s, lo_pct),
            hi: percentile(&s, hi_pct),
        }
    }

    fn unit(&self, x: f32) -> f32 {
        let span = self.hi - self.lo;
        if span.is_nan() || span <= 0.0 || !x.is_finite() {
            return 0.0;
        }
        ((x - self.lo) / span).clamp(0.0, 1.0)
    }
}

/// Percentile (0..=100, linear interpolation) of an ascending-sorted, non-empty slice.
#[must_use]
pub fn percentile(sorted: &[f32], pct: f64) -> f32 {
    let pos = (pct.clamp(0.0, 100.0) / 100.0) * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos - pos.floor());
    let a = sorted[i];
    let b = sorted[(i + 1).min(sorted.len() - 1)];
    (a as f64 + (b as f64 - a as f64) * f) as f32
}

/// Maps values to 0..=255.
#[must_use]
pub fn to_u8(v: &[f32], s: Scale) -> Vec<u8> {
    v.iter()
        .map(|&x| (s.unit(x) * 255.0).round() as u8)
        .collect()
}

/// Maps values to 0..=65535.
#[must_use]
pub fn to_u16(v: &[f32], s: Scale) -> Vec<u16> {
    v.iter()
        .map(|&x| (s.unit(x) * 65535.0).round() as u16)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling() {
        let s = Scale::percentiles(&[0.0, 1.0, 2.0, 3.0, 4.0, f32::NAN], 0.0, 100.0);
        assert_eq!(s, Scale { lo: 0.0, hi: 4.0 });
        assert_eq!(
            to_u8(&[0.0, 2.0, 4.0, 9.0, f32::NAN], s),
            vec![0, 128, 255, 255, 0]
        );
        assert_eq!(to_u16(&[4.0], s), vec![65535]);
        assert_eq!(to_u8(&[5.0], Scale { lo: 1.0, hi: 1.0 }), vec![0]);
    }
}
