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
    /// Cell score in [0, 1].
    pub score: f32,
}

/// Drops candidates that share more than `max_overlap` of their pixels with earlier (stronger)
/// ones, then removes pixels claimed by several kept ROIs from all of them (kept only where that
/// would leave fewer than 4 pixels). Order is preserved.
#[must_use]
pub fn resolve_overlaps(cands: Vec<Candidate>, n_pixels: usize, max_overlap: f32) -> Vec<Candidate> {
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
        .map(|&p| (((p as usize / w) as f32 - cy).powi(2) + ((p as usize % w) as f32 - cx).powi(2)).sqrt())
        .sum::<f32>()
        / n;
    // a disk of area n: mean distance to centre = 2/3 r, r = sqrt(n / pi); the 0.5 px accounts
    // for pixel discreteness of small disks
    let disk = (2.0 / 3.0) * (n / std::f32::consts::PI).sqrt();
    (mean_d + 0.5) / (disk + 0.5)
}

/// Scores ROIs: the product of a size term (log-normal around `expected_npix`), a compactness
/// term and a strength term (activity peak relative to `peak_ref`).
#[must_use]
pub fn score(cands: &[Candidate], w: usize, expected_npix: f32, peak_ref: f32) -> Vec<CellFeatures> {
    cands
        .iter()
        .map(|c| {
            let npix = c.pixels.len();
            let compact = compactness(&c.pixels, w);
            let npix_norm = npix as f32 / expected_npix.max(1.0);
            let s_size = (-(npix_norm.ln().powi(2)) / (2.0 * 0.7f32.powi(2))).exp();
            let s_compact = (-(compact - 1.05).max(0.0) / 0.25).exp();
            let s_peak = 1.0 - (-c.peak / peak_ref.max(1e-6)).exp();
            CellFeatures { npix, compact, npix_norm, peak: c.peak, score: s_size * s_compact * s_peak }
        })
        .collect()
}
