//! One shard's results folder as the merge reads it: its ROI table, the planes it registered,
//! its frame count and its `summary.json`, all checked against each other before anything is
//! written.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::MergeError;
use crate::output::schema::{self, TRACES};
use crate::output::{
    read_npy, read_registration, read_roi_table, NpyArray, NpyData, PlaneRegistration, Region,
    RoiJson,
};

/// A shard folder written by `analyze` (or `cluster --input`): every ROI array present.
pub struct Shard {
    pub dir: PathBuf,
    pub rois: Vec<RoiJson>,
    pub regions: Vec<Region>,
    /// Its `registration.json` planes, in its order.
    pub registration: Vec<PlaneRegistration>,
    /// Its `summary.json` (`Value::Null` when absent).
    pub summary: Value,
}

/// Reads a JSON file of `dir`.
pub fn read_json(dir: &Path, name: &str) -> Result<Value, MergeError> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| MergeError::Input(format!("cannot read {}: {}", path.display(), e)))?;
    serde_json::from_str(&text)
        .map_err(|e| MergeError::Input(format!("{} is not JSON: {}", path.display(), e)))
}

/// Reads `name` of `dir` as float32 `(rows, frames)`.
pub fn read_traces(dir: &Path, name: &str, rows: usize) -> Result<(usize, Vec<f32>), MergeError> {
    let path = dir.join(name);
    let NpyArray { shape, data } = read_npy(&path).map_err(|e| MergeError::Input(e.to_string()))?;
    match (shape.as_slice(), data) {
        ([n, t], NpyData::F32(v)) if *n == rows => Ok((*t, v)),
        (s, _) => Err(MergeError::Input(format!(
            "{}: expected float32 ({}, frames) for the {} ROIs of rois.json, found shape {:?}",
            path.display(),
            rows,
            rows,
            s
        ))),
    }
}

impl Shard {
    /// Reads and checks the shard in `dir`.
    ///
    /// # Errors
    /// [`MergeError::Input`] naming the file that is missing, damaged, of another schema, or
    /// inconsistent with the ROI table.
    pub fn read(dir: &Path) -> Result<Shard, MergeError> {
        if !dir.is_dir() {
            return Err(MergeError::Input(format!(
                "{} is not a folder: pass the results folders of `scopecloud-worker analyze` (one per shard)",
                dir.display()
            )));
        }
        let (rois, regions) = read_roi_table(dir).map_err(|e| MergeError::Input(e.to_string()))?;
        let registration = read_registration(dir).map_err(|e| MergeError::Input(e.to_string()))?;
        let planes: Vec<usize> = registration.iter().map(|p| p.plane).collect();
        if let Some(r) = rois.iter().find(|r| !planes.contains(&r.plane)) {
            return Err(MergeError::Input(format!(
                "{}: ROI {} is on plane {}, which {} does not list",
                dir.join(schema::ROIS).display(),
                r.id,
                r.plane,
                schema::REGISTRATION
            )));
        }
        if rois.iter().enumerate().any(|(i, r)| r.id != i) {
            return Err(MergeError::Input(format!(
                "{}: ROI ids are not 0..{}",
                dir.join(schema::ROIS).display(),
                rois.len()
            )));
        }
        for name in TRACES {
            if !dir.join(name).is_file() {
                return Err(MergeError::Input(format!(
                    "{} not found: a shard must be a finished `analyze` folder",
                    dir.join(name).display()
                )));
            }
        }
        let summary = if dir.join(schema::SUMMARY).is_file() {
            read_json(dir, schema::SUMMARY)?
        } else {
            Value::Null
        };
        Ok(Shard {
            dir: dir.to_path_buf(),
            rois,
            regions,
            registration,
            summary,
        })
    }

    /// The planes it registered, in its order.
    pub fn planes(&self) -> Vec<usize> {
        self.registration.iter().map(|p| p.plane).collect()
    }

    /// `parameters.<key>` of the shard's summary.
    pub fn parameter(&self, key: &str) -> &Value {
        &self.summary["parameters"][key]
    }
}
