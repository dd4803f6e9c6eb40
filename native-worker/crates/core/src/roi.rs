//! The ROI as the analysis outputs it ([`RoiRecord`], all planes numbered together) and the
//! footprint extraction reads ([`RoiMask`]). It depends on detection's [`Roi`] only, so the
//! pipeline and the step files (`steps::masks`) both use it without depending on each other.

use crate::detect::Roi;

/// One ROI of the output (all planes numbered together).
#[derive(Clone, Debug, PartialEq)]
pub struct RoiRecord {
    /// Index in the output arrays.
    pub id: usize,
    /// Plane index.
    pub plane: usize,
    /// Centroid column (pixels).
    pub x: f32,
    /// Centroid row (pixels).
    pub y: f32,
    /// Depth: the plane index (plane spacing units).
    pub z: f32,
    /// Pixels `(row, col)`.
    pub pixels: Vec<(u32, u32)>,
    /// Footprint weights, one per pixel.
    pub weights: Vec<f32>,
    /// Cell score in [0, 1].
    pub score: f32,
    /// Classified as a cell.
    pub iscell: bool,
    /// Activity cluster (`None` when not clustered).
    pub cluster: Option<usize>,
}

/// A ROI footprint as extraction reads it (`roi_masks.npy` holds these, see `steps::masks`).
#[derive(Clone, Debug, PartialEq)]
pub struct RoiMask {
    /// Output id (row of `F.npy`).
    pub id: usize,
    pub plane: usize,
    /// Pixels `(row, col)`.
    pub pixels: Vec<(u32, u32)>,
    /// Footprint weight per pixel.
    pub weights: Vec<f32>,
}

impl RoiRecord {
    /// Detected ROI `r` of plane `plane` (frames `w` pixels wide) as output ROI `id`, not yet
    /// clustered; its linear pixel indices become `(row, col)`.
    #[must_use]
    pub fn from_detected(id: usize, plane: usize, w: usize, r: &Roi) -> RoiRecord {
        RoiRecord {
            id,
            plane,
            x: r.centroid.1,
            y: r.centroid.0,
            z: plane as f32,
            pixels: r
                .pixels
                .iter()
                .map(|&p| ((p as usize / w) as u32, (p as usize % w) as u32))
                .collect(),
            weights: r.weights.clone(),
            score: r.features.score,
            iscell: r.iscell,
            cluster: None,
        }
    }

    /// The footprint extraction needs.
    #[must_use]
    pub fn mask(&self) -> RoiMask {
        RoiMask {
            id: self.id,
            plane: self.plane,
            pixels: self.pixels.clone(),
            weights: self.weights.clone(),
        }
    }
}

/// Gives the ROIs of consecutive planes their output ids `0..n`, plane after plane.
#[must_use]
pub fn number_rois(per_plane: Vec<Vec<RoiRecord>>) -> Vec<RoiRecord> {
    let mut rois: Vec<RoiRecord> = per_plane.into_iter().flatten().collect();
    for (i, r) in rois.iter_mut().enumerate() {
        r.id = i;
    }
    rois
}
