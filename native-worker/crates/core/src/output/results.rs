//! Writing the analysis results folder (schema 1, documented in the README):
//! `summary.json`, `rois.json`, `regions.json` (neurofinder format), suite2p-compatible
//! `F.npy`, `Fneu.npy`, `spks.npy`, `iscell.npy`, plus `dff.npy`, `clusters.npy`,
//! `covariance.png` and `registration.json`. Which files are written depends on the step.

use super::{write_json, write_npy, write_png_u8, NpyWriter, OutputError, SCHEMA_VERSION};
use crate::extract::Traces;
use crate::pipeline::PipelineOutput;
use crate::register::Registration;
use crate::roi::RoiRecord;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How far the analysis went; each step writes its own files and those of the steps before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Register,
    Detect,
    Extract,
    Cluster,
}

#[derive(Serialize, Deserialize)]
struct RoiJson {
    id: usize,
    plane: usize,
    x: f32,
    y: f32,
    z: f32,
    pixels: usize,
    score: f32,
    iscell: bool,
    cluster: Option<usize>,
}

#[derive(Serialize, Deserialize)]
struct RoisDoc {
    schema: u32,
    rois: Vec<RoiJson>,
}

#[derive(Serialize)]
struct RegionJson<'a> {
    id: usize,
    plane: usize,
    coordinates: &'a [(u32, u32)],
}

#[derive(Serialize)]
struct PlaneRegistration<'a> {
    plane: usize,
    frames: usize,
    /// Mean per-frame correlation with the reference after / before registration.
    quality: f32,
    quality_before: f32,
    dy: Vec<f32>,
    dx: Vec<f32>,
    peak: Vec<f32>,
    corr_after: &'a [f32],
    /// Non-rigid block shifts, if any, are in `nonrigid_plane{p}.npy` (frames x blocks x 2: dy, dx).
    nonrigid_blocks: usize,
}

#[derive(Serialize)]
struct RegistrationDoc<'a> {
    schema: u32,
    planes: Vec<PlaneRegistration<'a>>,
}

/// Writes `registration.json` (and `nonrigid_plane{p}.npy` where blocks were used) for
/// `(plane, registration)` pairs; returns the file names written.
pub fn write_registration(
    dir: &Path,
    planes: &[(usize, &Registration)],
) -> Result<Vec<String>, OutputError> {
    let mut files = Vec::new();
    let mut doc = RegistrationDoc {
        schema: SCHEMA_VERSION,
        planes: Vec::new(),
    };
    for &(p, r) in planes {
        let blocks = r.shifts.first().map_or(0, |s| s.block_dy.len());
        if blocks > 0 {
            let name = format!("nonrigid_plane{}.npy", p);
            let mut w = NpyWriter::<f32>::create(&dir.join(&name), &[r.shifts.len(), blocks, 2])?;
            for s in &r.shifts {
                let mut row = Vec::with_capacity(blocks * 2);
                for b in 0..blocks {
                    row.push(s.block_dy.get(b).copied().unwrap_or(0.0));
                    row.push(s.block_dx.get(b).copied().unwrap_or(0.0));
                }
                w.write(&row)?;
            }
            w.finish()?;
            files.push(name);
        }
        doc.planes.push(PlaneRegistration {
            plane: p,
            frames: r.shifts.len(),
            quality: r.mean_corr_after(),
            quality_before: r.mean_corr_before(),
            dy: r.shifts.iter().map(|s| s.dy).collect(),
            dx: r.shifts.iter().map(|s| s.dx).collect(),
            peak: r.shifts.iter().map(|s| s.peak).collect(),
            corr_after: &r.corr_after,
            nonrigid_blocks: blocks,
        });
    }
    write_json(&dir.join("registration.json"), &doc)?;
    files.push("registration.json".into());
    Ok(files)
}

/// Writes the result files of `out` up to `stage`; returns the file names written.
pub fn write_results(
    dir: &Path,
    out: &PipelineOutput,
    stage: Stage,
) -> Result<Vec<String>, OutputError> {
    let regs: Vec<(usize, &Registration)> = out
        .planes
        .iter()
        .map(|p| (p.plane, &p.registration))
        .collect();
    let mut files = write_registration(dir, &regs)?;
    if stage >= Stage::Detect {
        files.extend(write_rois(dir, &out.rois)?);
    }
    if stage >= Stage::Extract {
        files.extend(write_traces(dir, &out.f, &out.fneu, &out.spks, &out.dff)?);
    }
    if stage >= Stage::Cluster {
        let labels: Vec<i64> = out
            .rois
            .iter()
            .map(|r| r.cluster.map_or(-1, |c| c as i64))
            .collect();
        files.extend(write_clustering(dir, &labels, &out.clustering)?);
    }
    Ok(files)
}

fn roi_json(r: &RoiRecord) -> RoiJson {
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
    write_json(
        &dir.join("rois.json"),
        &RoisDoc {
            schema: SCHEMA_VERSION,
            rois: rois.iter().map(roi_json).collect(),
        },
    )?;
    let regions: Vec<RegionJson> = rois
        .iter()
        .map(|r| RegionJson {
            id: r.id,
            plane: r.plane,
            coordinates: &r.pixels,
        })
        .collect();
    write_json(&dir.join("regions.json"), &regions)?;
    let iscell: Vec<f64> = rois
        .iter()
        .flat_map(|r| [if r.iscell { 1.0 } else { 0.0 }, r.score as f64])
        .collect();
    write_npy(&dir.join("iscell.npy"), &[rois.len(), 2], &iscell)?;
    Ok(vec![
        "rois.json".to_string(),
        "regions.json".to_string(),
        "iscell.npy".to_string(),
    ])
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
    for (name, t) in [
        ("F.npy", f),
        ("Fneu.npy", fneu),
        ("spks.npy", spks),
        ("dff.npy", dff),
    ] {
        write_npy(&dir.join(name), &[t.rois, t.frames], &t.data)?;
        files.push(name.into());
    }
    Ok(files)
}

/// Rewrites the `rois.json` at `src` into `dst` with each ROI's `cluster` from `labels` (one per
/// ROI, -1 = none), byte for byte what [`write_results`] writes for the same clustering.
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
    write_npy(&dir.join("clusters.npy"), &[labels.len()], labels)?;
    files.push("clusters.npy".into());
    if c.image_size > 0 && c.image.len() == c.image_size * c.image_size {
        // Correlation -1..1 mapped to 0..255 (0 correlation = 128).
        let px: Vec<u8> = c
            .image
            .iter()
            .map(|&v| (((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round()) as u8)
            .collect();
        write_png_u8(&dir.join("covariance.png"), c.image_size, c.image_size, &px)?;
        files.push("covariance.png".into());
    }
    Ok(files)
}
