//! Cell detection from a registered plane.
//!
//! Pipeline: bin frames in time (about one indicator decay per bin), high-pass in time and space,
//! normalise each pixel by its noise, build multi-scale activity maps, peel ROIs off one at a
//! time (see [`peel`]), resolve overlaps, score each ROI as cell or not (size, compactness,
//! strength, sign of the transients; see [`classify`]), then add the silent somata that the mean
//! image shows (see [`anatomy`]).

pub mod anatomy;
pub mod binning;
pub mod classify;
pub mod filters;
pub mod maps;
pub mod peel;

use std::io;

pub use classify::CellFeatures;
pub use peel::Candidate;

use crate::source::FrameSource;

/// Detection parameters.
#[derive(Clone, Debug)]
pub struct DetectOptions {
    /// Frame rate (Hz).
    pub fs: f32,
    /// Indicator decay time (s).
    pub tau: f32,
    /// Frames per bin; `None` = `round(tau * fs)`, raised so that at most `max_bins` bins remain.
    pub bin_size: Option<usize>,
    /// Upper bound on bins held in memory.
    pub max_bins: usize,
    /// Temporal high-pass chunk, in bins.
    pub highpass_bins: usize,
    /// Side of the box mean subtracted for spatial high-pass (pixels; ~2-3 cell diameters).
    pub neuropil_box: usize,
    /// Box sizes of the activity-map scales (pixels).
    pub scales: Vec<usize>,
    /// Activity threshold (noise units).
    pub theta: f32,
    /// Peeling stops when the strongest remaining activity peak is below this.
    pub min_peak: f32,
    /// At most this many ROIs per plane.
    pub max_rois: usize,
    /// Footprint pixels keep at least this fraction of the footprint's peak weight.
    pub mask_threshold: f32,
    /// Candidates sharing more than this fraction of pixels with a stronger one are dropped.
    pub max_overlap: f32,
    /// Expected soma diameter (pixels), like suite2p's `diameter`; `None` = estimated from the
    /// median activity ROI (unreliable when few cells fire).
    pub diameter: Option<f32>,
    /// ROIs scoring at least this are cells.
    pub iscell_threshold: f32,
    /// Also add silent somata found in the mean image (see [`anatomy`]).
    pub anatomical: bool,
    /// Soma-template response (local-contrast units, see [`anatomy`]) a mean-image soma needs.
    pub anatomical_threshold: f32,
    /// Frames read per batch.
    pub batch: usize,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            fs: 30.0,
            tau: 1.0,
            bin_size: None,
            max_bins: 2000,
            highpass_bins: 100,
            neuropil_box: 25,
            scales: vec![3, 5, 7, 10, 14],
            theta: 3.0,
            min_peak: 6.0,
            max_rois: 5000,
            mask_threshold: 0.2,
            max_overlap: 0.75,
            diameter: Some(10.0),
            iscell_threshold: 0.4,
            anatomical: true,
            anatomical_threshold: 6.0,
            batch: 500,
        }
    }
}

/// One detected ROI in one plane.
#[derive(Clone, Debug, PartialEq)]
pub struct Roi {
    /// Flat pixel indices `y * width + x`, ascending.
    pub pixels: Vec<u32>,
    /// Footprint weight per pixel.
    pub weights: Vec<f32>,
    /// Centroid `(row, col)` (unweighted).
    pub centroid: (f32, f32),
    /// Features and score.
    pub features: CellFeatures,
    /// Score passed the threshold.
    pub iscell: bool,
    /// Which detector found it.
    pub origin: RoiOrigin,
}

/// Which detector produced an ROI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoiOrigin {
    /// Peeled from the activity maps.
    Activity,
    /// A silent soma found in the mean image.
    MeanImage,
}

/// Detection result for one plane.
#[derive(Clone, Debug, Default)]
pub struct Detection {
    /// ROIs in extraction order (strongest first).
    pub rois: Vec<Roi>,
    /// Mean image of the plane.
    pub mean_image: Vec<f32>,
    /// Best-scale activity map before peeling.
    pub activity_map: Vec<f32>,
    /// Per-pixel maximum of the binned movie (before filtering).
    pub max_image: Vec<f32>,
    /// Frames per bin used.
    pub bin_size: usize,
}

/// Appends disk ROIs for mean-image somata that no cell ROI already covers: a blob is skipped
/// when an existing cell's centroid lies within one diameter or when more than half its disk is
/// already claimed by cells. Activity candidates scored as non-cells claim nothing: a weak or
/// oddly shaped activity footprint on a soma must not hide the soma the mean image shows.
fn add_mean_image_somata(
    rois: &mut Vec<Roi>,
    mean: &[f32],
    h: usize,
    w: usize,
    d: f32,
    threshold: f32,
) {
    let resp = anatomy::soma_response(mean, h, w, d);
    let blobs = anatomy::find_blobs(&resp, h, w, d, threshold);
    let mut owned = vec![false; h * w];
    for r in rois.iter().filter(|r| r.iscell) {
        for &p in &r.pixels {
            owned[p as usize] = true;
        }
    }
    let expected = std::f32::consts::PI * d * d / 4.0;
    for b in blobs {
        let near = rois.iter().filter(|r| r.iscell).any(|r| {
            ((r.centroid.0 - b.y as f32).powi(2) + (r.centroid.1 - b.x as f32).powi(2)).sqrt() < d
        });
        if near {
            continue;
        }
        let disk = anatomy::disk(b.y, b.x, 0.45 * d, h, w);
        let free: Vec<u32> = disk
            .iter()
            .copied()
            .filter(|&p| !owned[p as usize])
            .collect();
        if free.len() * 2 < disk.len() {
            continue;
        }
        for &p in &free {
            owned[p as usize] = true;
        }
        let n = free.len().max(1) as f32;
        let cy = free.iter().map(|&p| (p as usize / w) as f32).sum::<f32>() / n;
        let cx = free.iter().map(|&p| (p as usize % w) as f32).sum::<f32>() / n;
        let score = (b.response / (2.0 * threshold)).min(1.0);
        rois.push(Roi {
            weights: vec![1.0; free.len()],
            centroid: (cy, cx),
            features: CellFeatures {
                npix: free.len(),
                compact: classify::compactness(&free, w),
                npix_norm: free.len() as f32 / expected,
                peak: b.response,
                skew: 0.0,
                score,
            },
            pixels: free,
            iscell: true,
            origin: RoiOrigin::MeanImage,
        });
    }
}

/// Detects ROIs in a registered plane.
///
/// # Errors
/// Read errors from `src`.
pub fn detect(src: &dyn FrameSource, opts: &DetectOptions) -> io::Result<Detection> {
    let (t, h, w) = (src.frames(), src.height(), src.width());
    let mut bin = opts
        .bin_size
        .unwrap_or_else(|| (opts.tau * opts.fs).round().max(1.0) as usize);
    bin = bin.max(t.div_ceil(opts.max_bins.max(1))).max(1);
    let mut b = binning::bin_movie(src, bin, opts.batch)?;
    let n = h * w;
    let mut max_image = vec![f32::NEG_INFINITY; n];
    for bin in b.data.chunks(n.max(1)) {
        for (m, &v) in max_image.iter_mut().zip(bin) {
            *m = m.max(v);
        }
    }
    binning::prepare(&mut b, opts.highpass_bins, opts.neuropil_box);
    let maps = maps::activity_maps(&b.data, b.bins, h, w, &opts.scales, opts.theta);
    let activity_map: Vec<f32> = (0..h * w)
        .map(|p| maps.iter().map(|m| m[p]).fold(f32::NEG_INFINITY, f32::max))
        .collect();
    let params = peel::PeelParams {
        scales: opts.scales.clone(),
        theta: opts.theta,
        min_peak: opts.min_peak,
        max_rois: opts.max_rois,
        mask_threshold: opts.mask_threshold,
    };
    let bins = b.bins;
    let cands = peel::peel(&mut b.data, bins, h, w, maps, &params);
    let cands = classify::resolve_overlaps(cands, h * w, opts.max_overlap);
    let expected = opts.diameter.map_or_else(
        || {
            let mut s: Vec<usize> = cands.iter().map(|c| c.pixels.len()).collect();
            s.sort_unstable();
            s.get(s.len() / 2).copied().unwrap_or(50) as f32
        },
        |d| std::f32::consts::PI * d * d / 4.0,
    );
    let feats = classify::score(&cands, w, expected, 2.0 * opts.min_peak);
    let rois = cands
        .into_iter()
        .zip(feats)
        .map(|(c, f)| {
            let n = c.pixels.len().max(1) as f32;
            let cy = c
                .pixels
                .iter()
                .map(|&p| (p as usize / w) as f32)
                .sum::<f32>()
                / n;
            let cx = c
                .pixels
                .iter()
                .map(|&p| (p as usize % w) as f32)
                .sum::<f32>()
                / n;
            Roi {
                pixels: c.pixels,
                weights: c.weights,
                centroid: (cy, cx),
                iscell: f.score >= opts.iscell_threshold,
                features: f,
                origin: RoiOrigin::Activity,
            }
        })
        .collect::<Vec<_>>();
    let mut rois = rois;
    if opts.anatomical {
        let d = opts.diameter.unwrap_or_else(|| {
            let mut s: Vec<usize> = rois
                .iter()
                .filter(|r| r.iscell)
                .map(|r| r.pixels.len())
                .collect();
            s.sort_unstable();
            s.get(s.len() / 2).map_or(10.0, |&n| {
                (2.0 * (n as f32 / std::f32::consts::PI).sqrt()).clamp(6.0, 24.0)
            })
        });
        if std::env::var_os("SCOPECLOUD_DEBUG").is_some() {
            eprintln!("detect: anatomical diameter {d:.1}");
        }
        add_mean_image_somata(&mut rois, &b.mean_image, h, w, d, opts.anatomical_threshold);
    }
    Ok(Detection {
        rois,
        mean_image: b.mean_image,
        activity_map,
        max_image,
        bin_size: bin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64 x 64 mean image with one filled bright soma of diameter 9 at (30, 34).
    fn one_soma() -> (Vec<f32>, usize, usize) {
        let (h, w) = (64usize, 64usize);
        let mut img = vec![100.0f32; h * w];
        for y in 0..h {
            for x in 0..w {
                if ((y as f32 - 30.0).powi(2) + (x as f32 - 34.0).powi(2)).sqrt() < 4.5 {
                    img[y * w + x] = 200.0;
                }
            }
        }
        (img, h, w)
    }

    fn activity_roi(pixels: Vec<u32>, w: usize, iscell: bool) -> Roi {
        let n = pixels.len() as f32;
        let cy = pixels.iter().map(|&p| (p as usize / w) as f32).sum::<f32>() / n;
        let cx = pixels.iter().map(|&p| (p as usize % w) as f32).sum::<f32>() / n;
        Roi {
            weights: vec![1.0; pixels.len()],
            centroid: (cy, cx),
            features: CellFeatures {
                npix: pixels.len(),
                compact: 1.0,
                npix_norm: 1.0,
                peak: 7.0,
                skew: 0.0,
                score: if iscell { 0.9 } else { 0.1 },
            },
            pixels,
            iscell,
            origin: RoiOrigin::Activity,
        }
    }

    #[test]
    fn a_non_cell_activity_candidate_does_not_hide_a_mean_image_soma() {
        let (img, h, w) = one_soma();
        let mut rois = vec![activity_roi(anatomy::disk(30, 34, 5.0, h, w), w, false)];
        add_mean_image_somata(&mut rois, &img, h, w, 9.0, 3.0);
        let added: Vec<&Roi> = rois
            .iter()
            .filter(|r| r.origin == RoiOrigin::MeanImage)
            .collect();
        assert_eq!(added.len(), 1, "{rois:?}");
        let (cy, cx) = added[0].centroid;
        assert!(
            (cy - 30.0).abs() <= 1.0 && (cx - 34.0).abs() <= 1.0,
            "{:?}",
            added[0].centroid
        );
    }

    #[test]
    fn a_cell_already_on_the_soma_is_not_duplicated() {
        let (img, h, w) = one_soma();
        let mut rois = vec![activity_roi(anatomy::disk(30, 34, 5.0, h, w), w, true)];
        add_mean_image_somata(&mut rois, &img, h, w, 9.0, 3.0);
        assert!(
            rois.iter().all(|r| r.origin == RoiOrigin::Activity),
            "{rois:?}"
        );
    }
}
