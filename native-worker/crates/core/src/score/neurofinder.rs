//! ROI detection scoring the neurofinder way.
//!
//! True and detected ROIs are matched one-to-one by centroid distance (Hungarian assignment);
//! a pair counts only if its centroids are within `max_dist` pixels (10 in neurofinder).
//! Recall = matched / true, precision = matched / detected, F1 their harmonic mean. For matched
//! pairs, inclusion = |A∩B| / |B| and exclusion = |A∩B| / |A| (A = true, B = detected), averaged.

use std::collections::HashSet;

use super::hungarian::assign;

/// Scores of one detection against ground truth.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoiScore {
    /// Matched / true.
    pub recall: f64,
    /// Matched / detected.
    pub precision: f64,
    /// Harmonic mean of recall and precision.
    pub f1: f64,
    /// Mean over matched pairs of overlap / detected size.
    pub inclusion: f64,
    /// Mean over matched pairs of overlap / true size.
    pub exclusion: f64,
    /// Matched pairs `(true index, detected index)`.
    pub matches: Vec<(usize, usize)>,
}

/// Centroid `(row, col)` of a pixel list.
#[must_use]
pub fn centroid(pixels: &[(usize, usize)]) -> (f64, f64) {
    let n = pixels.len().max(1) as f64;
    let (sy, sx) = pixels
        .iter()
        .fold((0.0, 0.0), |(a, b), &(y, x)| (a + y as f64, b + x as f64));
    (sy / n, sx / n)
}

/// Matches `detected` ROIs to `truth` ROIs (each a pixel list) and scores them.
#[must_use]
pub fn score_rois(
    truth: &[Vec<(usize, usize)>],
    detected: &[Vec<(usize, usize)>],
    max_dist: f64,
) -> RoiScore {
    let (nt, nd) = (truth.len(), detected.len());
    if nt == 0 || nd == 0 {
        return RoiScore::default();
    }
    let ct: Vec<(f64, f64)> = truth.iter().map(|p| centroid(p)).collect();
    let cd: Vec<(f64, f64)> = detected.iter().map(|p| centroid(p)).collect();
    let big = 1e6;
    let mut cost = vec![0.0; nt * nd];
    for (i, a) in ct.iter().enumerate() {
        for (j, b) in cd.iter().enumerate() {
            let d = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
            cost[i * nd + j] = if d <= max_dist { d } else { big };
        }
    }
    let asg = assign(&cost, nt, nd);
    let mut matches = Vec::new();
    for (i, a) in asg.iter().enumerate() {
        if let Some(j) = a {
            if cost[i * nd + j] < big {
                matches.push((i, *j));
            }
        }
    }
    let m = matches.len() as f64;
    let recall = m / nt as f64;
    let precision = m / nd as f64;
    let f1 = if m > 0.0 {
        2.0 * recall * precision / (recall + precision)
    } else {
        0.0
    };
    let (mut inc, mut exc) = (0.0, 0.0);
    for &(i, j) in &matches {
        let a: HashSet<_> = truth[i].iter().collect();
        let inter = detected[j].iter().filter(|p| a.contains(p)).count() as f64;
        inc += inter / detected[j].len().max(1) as f64;
        exc += inter / truth[i].len().max(1) as f64;
    }
    let k = m.max(1.0);
    RoiScore {
        recall,
        precision,
        f1,
        inclusion: inc / k,
        exclusion: exc / k,
        matches,
    }
}
