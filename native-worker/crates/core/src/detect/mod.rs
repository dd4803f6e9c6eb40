//! Cell detection from a registered plane.
//!
//! Pipeline: bin frames in time (about one indicator decay per bin), high-pass in time and space,
//! normalise each pixel by its noise, build multi-scale activity maps, peel ROIs off one at a
//! time (see [`peel`]), resolve overlaps, score each ROI as cell or not.

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
    /// Expected soma diameter (pixels); `None` = the median ROI size found.
    pub diameter: Option<f32>,
    /// ROIs scoring at least this are cells.
    pub iscell_threshold: f32,
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
            diameter: None,
            iscell_threshold: 0.3,
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
    /// Frames per bin used.
    pub bin_size: usize,
}

/// Detects ROIs in a registered plane.
///
/// # Errors
/// Read errors from `src`.
pub fn detect(src: &dyn FrameSource, opts: &DetectOptions) -> io::Result<Detection> {
    let (t, h, w) = (src.frames(), src.height(), src.width());
    let mut bin = opts.bin_size.unwrap_or_else(|| (opts.tau * opts.fs).round().max(1.0) as usize);
    bin = bin.max(t.div_ceil(opts.max_bins.max(1))).max(1);
    let mut b = binning::bin_movie(src, bin, opts.batch)?;
    binning::prepare(&mut b, opts.highpass_bins, opts.neuropil_box);
    let maps = maps::activity_maps(&b.data, b.bins, h, w, &opts.scales, opts.theta);
    let activity_map: Vec<f32> =
        (0..h * w).map(|p| maps.iter().map(|m| m[p]).fold(f32::NEG_INFINITY, f32::max)).collect();
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
            let cy = c.pixels.iter().map(|&p| (p as usize / w) as f32).sum::<f32>() / n;
            let cx = c.pixels.iter().map(|&p| (p as usize % w) as f32).sum::<f32>() / n;
            Roi { pixels: c.pixels, weights: c.weights, centroid: (cy, cx), iscell: f.score >= opts.iscell_threshold, features: f }
        })
        .collect();
    Ok(Detection { rois, mean_image: b.mean_image, activity_map, bin_size: bin })
}
