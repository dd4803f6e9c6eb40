//! Writing the analysis results folder (schema 1, documented in the README):
//! `summary.json`, `rois.json`, `regions.json` (neurofinder format), suite2p-compatible
//! `F.npy`, `Fneu.npy`, `spks.npy`, `iscell.npy`, plus `dff.npy`, `clusters.npy`,
//! `covariance.png` (`registration.json` is in `registration.rs`). Which files are written
//! depends on the step (`pipeline::write_results` writes a whole run's).

use super::{schema, write_json, write_npy, write_png_u8, OutputError, SCHEMA_VERSION};
use crate::extract::Traces;
use crate::roi::RoiRecord;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A record of `rois.json` (the fields of [`schema::ROI_FIELDS`], in that order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoiJson {
    pub id: usize,
    pub plane: usize,
    pub x: f32,
    pub y: f32,
    pub z: f32,
    /// Pixel count; the pixels are in `regions.json`.
    pub pixels: usize,
    pub score: f32,
    pub iscell: bool,
    pub cluster: Option<usize>,
}

#[derive(Serialize, Deserialize)]
struct RoisDoc {
    schema: u32,
    rois: Vec<RoiJson>,
}

/// A record of `regions.json` (neurofinder format): the ROI's pixels as `[row, col]`, and
/// whether it is a cell. Every ROI is listed, cells or not: a neurofinder score of the worker's
/// cells keeps only the records with `iscell` (neurofinder's own tools read `coordinates` only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub id: usize,
    pub plane: usize,
    pub coordinates: Vec<(u32, u32)>,
    /// As `iscell` in `rois.json`; false when a file written before this field lacks it.
    #[serde(default)]
    pub iscell: bool,
}

/// The `rois.json` record of `r`.
#[must_use]
pub fn roi_json(r: &RoiRecord) -> RoiJson {
    RoiJson {
        id: r.id,
        plane: r.plane,
        x: r.x,
        y: r.y,
        z: r.z,
        pixels: r.pixels.len(),
        score: r.score,
        iscell: r.iscell,
        cluster: r.cluster,
    }
}

/// Writes `rois.json`, `regions.json` and `iscell.npy` (cell flag, score) for `rois`; returns
/// the file names written.
pub fn write_rois(dir: &Path, rois: &[RoiRecord]) -> Result<Vec<String>, OutputError> {
    let regions: Vec<Region> = rois
        .iter()
        .map(|r| Region {
            id: r.id,
            plane: r.plane,
            coordinates: r.pixels.clone(),
            iscell: r.iscell,
        })
        .collect();
    let table: Vec<RoiJson> = rois.iter().map(roi_json).collect();
    write_roi_table(dir, &table, &regions)
}

/// Writes `rois.json`, `regions.json` and `iscell.npy` from their records (as
/// [`write_rois`] does); returns the file names written.
pub fn write_roi_table(
    dir: &Path,
    rois: &[RoiJson],
    regions: &[Region],
) -> Result<Vec<String>, OutputError> {
    write_json(
        &dir.join(schema::ROIS),
        &RoisDoc {
            schema: SCHEMA_VERSION,
            rois: rois.to_vec(),
        },
    )?;
    write_json(&dir.join(schema::REGIONS), regions)?;
    let iscell: Vec<f64> = rois
        .iter()
        .flat_map(|r| [if r.iscell { 1.0 } else { 0.0 }, r.score as f64])
        .collect();
    write_npy(&dir.join(schema::ISCELL), &[rois.len(), 2], &iscell)?;
    Ok(vec![
        schema::ROIS.to_string(),
        schema::REGIONS.to_string(),
        schema::ISCELL.to_string(),
    ])
}

/// Reads `rois.json` and `regions.json` of a results folder.
///
/// # Errors
/// [`OutputError::Io`] when a file cannot be read; [`OutputError::Invalid`] when it does not
/// parse, `rois.json` has another schema version, or the two files disagree on ids, planes or
/// pixel counts.
pub fn read_roi_table(dir: &Path) -> Result<(Vec<RoiJson>, Vec<Region>), OutputError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path)
            .map_err(|e| OutputError::io(&path, e))
            .map(|t| (path, t))
    };
    let (path, text) = read(schema::ROIS)?;
    let doc: RoisDoc =
        serde_json::from_str(&text).map_err(|e| OutputError::invalid(&path, e.to_string()))?;
    if doc.schema != SCHEMA_VERSION {
        return Err(OutputError::invalid(
            &path,
            format!(
                "schema {} but this worker reads schema {}",
                doc.schema, SCHEMA_VERSION
            ),
        ));
    }
    let (rpath, rtext) = read(schema::REGIONS)?;
    let regions: Vec<Region> =
        serde_json::from_str(&rtext).map_err(|e| OutputError::invalid(&rpath, e.to_string()))?;
    let agree = regions.len() == doc.rois.len()
        && regions
            .iter()
            .zip(&doc.rois)
            .all(|(g, r)| g.id == r.id && g.plane == r.plane && g.coordinates.len() == r.pixels);
    if !agree {
        return Err(OutputError::invalid(
            &rpath,
            format!(
                "does not match the {} ROIs of {}",
                doc.rois.len(),
                path.display()
            ),
        ));
    }
    Ok((doc.rois, regions))
}

/// Writes `F.npy`, `Fneu.npy`, `spks.npy` and `dff.npy` (float32, ROIs x frames).
pub fn write_traces(
    dir: &Path,
    f: &Traces,
    fneu: &Traces,
    spks: &Traces,
    dff: &Traces,
) -> Result<Vec<String>, OutputError> {
    let mut files = Vec::new();
    for (name, t) in schema::TRACES.into_iter().zip([f, fneu, spks, dff]) {
        write_npy(&dir.join(name), &[t.rois, t.frames], &t.data)?;
        files.push(name.into());
    }
    Ok(files)
}

/// Rewrites the `rois.json` at `src` into `dst` with each ROI's `cluster` from `labels` (one per
/// ROI, -1 = none), byte for byte what `pipeline::write_results` writes for the same clustering.
///
/// # Errors
/// [`OutputError::Invalid`] when `src` is not a `rois.json` or has another ROI count.
pub fn relabel_rois(src: &Path, dst: &Path, labels: &[i64]) -> Result<(), OutputError> {
    let text = std::fs::read_to_string(src).map_err(|e| OutputError::io(src, e))?;
    let mut doc: RoisDoc =
        serde_json::from_str(&text).map_err(|e| OutputError::invalid(src, e.to_string()))?;
    if doc.rois.len() != labels.len() {
        return Err(OutputError::invalid(
            src,
            format!(
                "{} ROIs but {} cluster labels",
                doc.rois.len(),
                labels.len()
            ),
        ));
    }
    for (r, &l) in doc.rois.iter_mut().zip(labels) {
        r.cluster = usize::try_from(l).ok();
    }
    write_json(dst, &doc)
}

/// Writes `clusters.npy` (one label per ROI, -1 = not clustered) and, when the clustering has
/// an image, `covariance.png`; returns the file names written.
pub fn write_clustering(
    dir: &Path,
    labels: &[i64],
    c: &crate::cluster::Clustering,
) -> Result<Vec<String>, OutputError> {
    let mut files = Vec::new();
    write_npy(&dir.join(schema::CLUSTERS), &[labels.len()], labels)?;
    files.push(schema::CLUSTERS.into());
    if c.image_size > 0 && c.image.len() == c.image_size * c.image_size {
        // Correlation -1..1 mapped to 0..255 (0 correlation = 128).
        let px: Vec<u8> = c
            .image
            .iter()
            .map(|&v| (((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round()) as u8)
            .collect();
        write_png_u8(
            &dir.join(schema::COVARIANCE),
            c.image_size,
            c.image_size,
            &px,
        )?;
        files.push(schema::COVARIANCE.into());
    }
    Ok(files)
}
