//! Overlap handling and the cell score that separates somata from other sources.

use super::peel::Candidate;

/// Shape and strength features of an ROI, and its score.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CellFeatures {
    /// Pixel count.
    pub npix: usize,
    /// Mean pixel distance from the centroid over that of a disk of the same area (1 = disk,
    /// larger = elongated or ragged).
    pub compact: f32,
    /// Pixel count over the expected soma area.
    pub npix_norm: f32,
    /// Activity-map peak at the seed.
    pub peak: f32,
    /// Skewness of the ROI's binned trace: calcium transients rise above a baseline, so a soma's
    /// trace is positively skewed; negative skew marks a residual or a dimming patch.
    pub skew: f32,
    /// Cell score in [0, 1].
    pub score: f32,
}

/// Drops candidates that share more than `max_overlap` of their pixels with earlier (stronger)
/// ones, then removes pixels claimed by several kept ROIs from all of them (kept only where that
/// would leave fewer than 4 pixels). Order is preserved.
#[must_use]
pub fn resolve_overlaps(
    cands: Vec<Candidate>,
    n_pixels: usize,
    max_overlap: f32,
) -> Vec<Candidate> {
    let mut owner = vec![0u16; n_pixels];
    let mut kept: Vec<Candidate> = Vec::with_capacity(cands.len());
    for c in cands {
        let shared = c.pixels.iter().filter(|&&p| owner[p as usize] > 0).count();
        if shared as f32 > max_overlap * c.pixels.len() as f32 {
            continue;
        }
        for &p in &c.pixels {
            owner[p as usize] = owner[p as usize].saturating_add(1);
        }
        kept.push(c);
    }
    for c in &mut kept {
        let keep: Vec<bool> = c.pixels.iter().map(|&p| owner[p as usize] == 1).collect();
        if keep.iter().filter(|&&k| k).count() >= 4 {
            let (mut px, mut wt) = (Vec::new(), Vec::new());
            for ((&p, &w), k) in c.pixels.iter().zip(&c.weights).zip(keep) {
                if k {
                    px.push(p);
                    wt.push(w);
                }
            }
            c.pixels = px;
            c.weights = wt;
        }
    }
    kept
}

/// Compactness of a pixel set (see [`CellFeatures::compact`]).
#[must_use]
pub fn compactness(pixels: &[u32], w: usize) -> f32 {
    let n = pixels.len().max(1) as f32;
    let (mut sy, mut sx) = (0.0f32, 0.0f32);
    for &p in pixels {
        sy += (p as usize / w) as f32;
        sx += (p as usize % w) as f32;
    }
    let (cy, cx) = (sy / n, sx / n);
    let mean_d: f32 = pixels
        .iter()
        .map(|&p| {
            (((p as usize / w) as f32 - cy).powi(2) + ((p as usize % w) as f32 - cx).powi(2)).sqrt()
        })
        .sum::<f32>()
        / n;
    // a disk of area n: mean distance to centre = 2/3 r, r = sqrt(n / pi); the 0.5 px accounts
    // for pixel discreteness of small disks
    let disk = (2.0 / 3.0) * (n / std::f32::consts::PI).sqrt();
    (mean_d + 0.5) / (disk + 0.5)
}

/// Sample skewness of a series (0 for fewer than 3 samples or a constant series).
#[must_use]
pub fn skewness(x: &[f32]) -> f32 {
    if x.len() < 3 {
        return 0.0;
    }
    let n = x.len() as f64;
    let m = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mut m2, mut m3) = (0.0f64, 0.0f64);
    for &v in x {
        let d = f64::from(v) - m;
        m2 += d * d;
        m3 += d * d * d;
    }
    let (m2, m3) = (m2 / n, m3 / n);
    if m2 <= 1e-20 {
        return 0.0;
    }
    (m3 / m2.powf(1.5)) as f32
}

/// Scores ROIs: the product of a size term (log-normal around `expected_npix`), a compactness
/// term, a strength term (activity peak relative to `peak_ref`) and a sign-of-activity term
/// (1 for a trace with skewness >= 0, falling linearly to 0 at two standard errors below 0).
#[must_use]
pub fn score(
    cands: &[Candidate],
    w: usize,
    expected_npix: f32,
    peak_ref: f32,
) -> Vec<CellFeatures> {
    cands
        .iter()
        .map(|c| {
            let npix = c.pixels.len();
            let compact = compactness(&c.pixels, w);
            let npix_norm = npix as f32 / expected_npix.max(1.0);
            let s_size = (-(npix_norm.ln().powi(2)) / (2.0 * 0.7f32.powi(2))).exp();
            let s_compact = (-(compact - 1.05).max(0.0) / 0.25).exp();
            let s_peak = 1.0 - (-c.peak / peak_ref.max(1e-6)).exp();
            let skew = skewness(&c.trace);
            // skewness of n Gaussian samples has standard error ~sqrt(6 / n): only a
            // significantly negative skew counts against a candidate
            let se = (6.0 / c.trace.len().max(1) as f32).sqrt();
            let s_skew = (1.0 + skew / (2.0 * se)).clamp(0.0, 1.0);
            CellFeatures {
                npix,
                compact,
                npix_norm,
                peak: c.peak,
                skew,
                score: s_size * s_compact * s_peak * s_skew,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(pixels: Vec<u32>, trace: Vec<f32>, peak: f32) -> Candidate {
        let n = pixels.len();
        Candidate {
            pixels,
            weights: vec![1.0; n],
            peak,
            scale: 5,
            seed: (0, 0),
            active_bins: 1,
            trace,
        }
    }

    fn disk_pixels(cy: usize, cx: usize, r: f32, w: usize) -> Vec<u32> {
        let mut px = Vec::new();
        for y in 0..w {
            for x in 0..w {
                if ((y as f32 - cy as f32).powi(2) + (x as f32 - cx as f32).powi(2)) <= r * r {
                    px.push((y * w + x) as u32);
                }
            }
        }
        px
    }

    #[test]
    fn skewness_sign_follows_the_tail() {
        let mut up = vec![0.0f32; 50];
        up[10] = 10.0;
        up[30] = 8.0;
        let down: Vec<f32> = up.iter().map(|v| -v).collect();
        assert!(skewness(&up) > 2.0);
        assert!(skewness(&down) < -2.0);
        assert_eq!(skewness(&[1.0, 1.0, 1.0, 1.0]), 0.0);
        assert_eq!(skewness(&[1.0, 2.0]), 0.0);
        let sym = [-2.0f32, -1.0, 0.0, 1.0, 2.0];
        assert!(skewness(&sym).abs() < 1e-6);
    }

    #[test]
    fn a_negatively_skewed_source_scores_zero_a_transient_one_does_not() {
        let w = 32;
        let px = disk_pixels(16, 16, 5.0, w);
        let expected = px.len() as f32;
        let mut rising = vec![0.0f32; 50];
        for t in [5, 6, 20, 21, 40] {
            rising[t] = 8.0;
        }
        let dimming: Vec<f32> = rising.iter().map(|v| -v).collect();
        let s = score(
            &[cand(px.clone(), rising, 60.0), cand(px, dimming, 60.0)],
            w,
            expected,
            12.0,
        );
        assert!(s[0].skew > 0.0 && s[1].skew < 0.0);
        assert!(
            s[0].score > 0.8,
            "a round soma-sized source with transients: {:?}",
            s[0]
        );
        assert_eq!(
            s[1].score, 0.0,
            "a significantly dimming source is not a cell: {:?}",
            s[1]
        );
    }

    #[test]
    fn mild_negative_skew_of_a_short_trace_is_not_penalised_fully() {
        // 16 bins: standard error of the skewness ~0.61, so -0.3 is within noise
        let w = 32;
        let px = disk_pixels(16, 16, 5.0, w);
        let expected = px.len() as f32;
        let tr: Vec<f32> = (0..16).map(|t| ((t * 7 % 16) as f32 - 7.5) / 4.0).collect();
        let mut tr2 = tr.clone();
        tr2[3] -= 1.5;
        let s = score(&[cand(px, tr2.clone(), 60.0)], w, expected, 12.0);
        let sk = skewness(&tr2);
        assert!(sk < 0.0 && sk > -0.6, "test trace skew {sk}");
        assert!(s[0].score > 0.4, "{:?}", s[0]);
    }
}
