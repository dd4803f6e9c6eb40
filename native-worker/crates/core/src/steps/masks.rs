//! The ROI masks that the `detect` step writes for `extract`.
//!
//! Next to `rois.json`, `regions.json` and `iscell.npy`, a detection folder holds
//! (format `scopecloud-roi-masks`, version [`FORMAT_VERSION`]):
//! - `detection.json`: the header ([`DetectionHeader`]): the registered planes it was detected on
//!   (plane, frames, height, width), ROIs per plane, `fs` and `tau`; written last;
//! - `roi_masks.npy`: float64 `(pixels, 5)`, one row per ROI pixel: `roi, plane, row, col,
//!   weight`, ROIs in id order (plane after plane), each ROI's pixels in footprint order. The
//!   weights are the detection footprint (float32 values, exact in float64).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::registered::RegisteredMovie;
use super::{StepError, WORKER_VERSION};
use crate::output::{read_npy, write_json, NpyData, NpyWriter, OutputError};
pub use crate::roi::RoiMask;
use crate::roi::RoiRecord;

/// Format name in the header.
pub const FORMAT: &str = "scopecloud-roi-masks";
/// Version of the layout above.
pub const FORMAT_VERSION: u32 = 1;
/// Header file name.
pub const HEADER: &str = "detection.json";
/// Mask array file name.
pub const MASKS: &str = "roi_masks.npy";

const HINT: &str = "run `scopecloud-worker detect --registered <cache> --out <dir>` first and pass that <dir> to --rois";

/// One plane the ROIs were detected on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectedPlane {
    pub plane: usize,
    pub frames: usize,
    pub height: usize,
    pub width: usize,
    /// ROIs of this plane.
    pub rois: usize,
}

/// `detection.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectionHeader {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub version: u32,
    /// Worker that detected the ROIs.
    pub worker_version: String,
    /// Frame rate (Hz) and indicator decay (s) used by detection.
    pub fs: f64,
    pub tau: f64,
    /// Total ROIs (rows of `iscell.npy`).
    pub rois: usize,
    /// Planes, in increasing plane order.
    pub planes: Vec<DetectedPlane>,
}

/// Writes `roi_masks.npy` for `rois` (numbered as in the output) and then the header.
///
/// # Errors
/// When a file cannot be written.
pub fn write(
    dir: &Path,
    planes: &[DetectedPlane],
    fs: f64,
    tau: f64,
    rois: &[RoiRecord],
) -> Result<Vec<String>, OutputError> {
    let total: usize = rois.iter().map(|r| r.pixels.len()).sum();
    let mut w = NpyWriter::<f64>::create(&dir.join(MASKS), &[total, 5])?;
    for r in rois {
        let mut rows = Vec::with_capacity(r.pixels.len() * 5);
        for (&(y, x), &wt) in r.pixels.iter().zip(&r.weights) {
            rows.extend_from_slice(&[
                r.id as f64,
                r.plane as f64,
                f64::from(y),
                f64::from(x),
                f64::from(wt),
            ]);
        }
        w.write(&rows)?;
    }
    w.finish()?;
    let header = DetectionHeader {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        worker_version: WORKER_VERSION.into(),
        fs,
        tau,
        rois: rois.len(),
        planes: planes.to_vec(),
    };
    write_json(&dir.join(HEADER), &header)?;
    Ok(vec![MASKS.into(), HEADER.into()])
}

/// Reads and checks `dir/detection.json`.
///
/// # Errors
/// [`StepError::Missing`] without it, [`StepError::Corrupt`] when unreadable,
/// [`StepError::Incompatible`] for another format, version or worker version.
pub fn read_header(dir: &Path) -> Result<DetectionHeader, StepError> {
    let path = dir.join(HEADER);
    let text = std::fs::read_to_string(&path).map_err(|e| StepError::read(&path, &e, HINT))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| StepError::corrupt(&path, e.to_string()))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(StepError::incompatible(
            &path,
            "not a detection header (format is not scopecloud-roi-masks)",
        ));
    }
    let version = v.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(StepError::incompatible(
            &path,
            format!("masks format version {} but this worker reads version {FORMAT_VERSION}; re-run detect", version.map_or("?".into(), |n| n.to_string())),
        ));
    }
    let h: DetectionHeader =
        serde_json::from_value(v).map_err(|e| StepError::corrupt(&path, e.to_string()))?;
    if h.worker_version != WORKER_VERSION {
        return Err(StepError::incompatible(
            &path,
            format!(
                "written by worker {} but this is worker {WORKER_VERSION}; re-run detect",
                h.worker_version
            ),
        ));
    }
    Ok(h)
}

/// Checks that the ROIs in `dir` were detected on planes of `movie` with the same dimensions.
///
/// # Errors
/// [`StepError::Incompatible`] naming the first plane that differs or is absent from the cache.
pub fn check_against(
    dir: &Path,
    header: &DetectionHeader,
    movie: &RegisteredMovie,
) -> Result<(), StepError> {
    let path = dir.join(HEADER);
    for d in &header.planes {
        let Some(i) = movie.index_of(d.plane) else {
            return Err(StepError::incompatible(
                &path,
                format!(
                    "ROIs of plane {} but the registered cache in {} has no such plane",
                    d.plane,
                    movie.dir.display()
                ),
            ));
        };
        let r = &movie.header.planes[i];
        if (r.frames, r.height, r.width) != (d.frames, d.height, d.width) {
            return Err(StepError::incompatible(
                &path,
                format!(
                    "ROIs detected on a {}x{} plane {} of {} frames but the registered cache has {}x{} with {} frames",
                    d.height, d.width, d.plane, d.frames, r.height, r.width, r.frames
                ),
            ));
        }
    }
    Ok(())
}

/// Reads `roi_masks.npy` of a folder whose header is `header`: ROIs `0..header.rois` in order.
///
/// # Errors
/// [`StepError::Missing`] without the file, [`StepError::Corrupt`] for a wrong shape, type,
/// id order, plane or a pixel outside its plane.
pub fn read_masks(dir: &Path, header: &DetectionHeader) -> Result<Vec<RoiMask>, StepError> {
    let path = dir.join(MASKS);
    let arr = read_npy(&path).map_err(|e| match &e {
        OutputError::Io { source, .. } => StepError::read(&path, source, HINT),
        OutputError::Invalid { .. } => StepError::corrupt(&path, e.to_string()),
    })?;
    let data = match (arr.shape.as_slice(), arr.data) {
        ([_, 5], NpyData::F64(d)) => d,
        (s, _) => {
            return Err(StepError::corrupt(
                &path,
                format!("expected float64 (pixels, 5), got shape {s:?}"),
            ))
        }
    };
    let mut rois: Vec<RoiMask> = Vec::with_capacity(header.rois);
    for row in data.chunks_exact(5) {
        let [id, plane, y, x, wt] = [row[0], row[1], row[2], row[3], row[4]];
        if ![id, plane, y, x]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0 && v.fract() == 0.0)
        {
            return Err(StepError::corrupt(
                &path,
                format!("row {row:?} is not roi, plane, row, col, weight"),
            ));
        }
        let (id, plane, y, x) = (id as usize, plane as usize, y as u32, x as u32);
        let Some(p) = header.planes.iter().find(|p| p.plane == plane) else {
            return Err(StepError::corrupt(
                &path,
                format!("ROI {id} on plane {plane}, which detection.json does not list"),
            ));
        };
        if y as usize >= p.height || x as usize >= p.width {
            return Err(StepError::corrupt(
                &path,
                format!(
                    "ROI {id} pixel ({y}, {x}) outside the {}x{} plane {plane}",
                    p.height, p.width
                ),
            ));
        }
        if rois.last().is_none_or(|r| r.id != id) {
            if id != rois.len() {
                return Err(StepError::corrupt(
                    &path,
                    format!(
                        "ROI {id} follows ROI {}: ids must run 0, 1, 2 ...",
                        rois.len() as i64 - 1
                    ),
                ));
            }
            rois.push(RoiMask {
                id,
                plane,
                pixels: Vec::new(),
                weights: Vec::new(),
            });
        }
        let r = rois.last_mut().expect("pushed above");
        if r.plane != plane {
            return Err(StepError::corrupt(
                &path,
                format!("ROI {id} spans planes {} and {plane}", r.plane),
            ));
        }
        r.pixels.push((y, x));
        r.weights.push(wt as f32);
    }
    if rois.len() != header.rois {
        return Err(StepError::corrupt(
            &path,
            format!(
                "{} ROIs but detection.json says {}; re-run detect",
                rois.len(),
                header.rois
            ),
        ));
    }
    for p in &header.planes {
        let n = rois.iter().filter(|r| r.plane == p.plane).count();
        if n != p.rois {
            return Err(StepError::corrupt(
                &path,
                format!(
                    "{n} ROIs on plane {} but detection.json says {}",
                    p.plane, p.rois
                ),
            ));
        }
    }
    if rois.windows(2).any(|w| w[1].plane < w[0].plane) {
        return Err(StepError::corrupt(&path, "ROIs are not in plane order"));
    }
    Ok(rois)
}
