//! `registration.json` (per-plane shifts and quality, schema [`SCHEMA_VERSION`]) and the
//! `nonrigid_plane{p}.npy` block shifts: written from a [`Registration`], and read back as plane
//! records (the merge of shards concatenates them).

use super::{schema, write_json, NpyWriter, OutputError, SCHEMA_VERSION};
use crate::register::Registration;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::Path;

/// One plane of `registration.json`. Non-finite values are written as `null` and read back as
/// NaN, so a document read and written again keeps its bytes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlaneRegistration {
    pub plane: usize,
    pub frames: usize,
    /// Mean per-frame correlation with the reference after / before registration.
    #[serde(deserialize_with = "f32_or_nan")]
    pub quality: f32,
    #[serde(deserialize_with = "f32_or_nan")]
    pub quality_before: f32,
    #[serde(deserialize_with = "f32s_or_nan")]
    pub dy: Vec<f32>,
    #[serde(deserialize_with = "f32s_or_nan")]
    pub dx: Vec<f32>,
    #[serde(deserialize_with = "f32s_or_nan")]
    pub peak: Vec<f32>,
    #[serde(deserialize_with = "f32s_or_nan")]
    pub corr_after: Vec<f32>,
    /// Non-rigid block shifts, if any, are in `nonrigid_plane{p}.npy` (frames x blocks x 2: dy, dx).
    pub nonrigid_blocks: usize,
}

#[derive(Serialize, Deserialize)]
struct RegistrationDoc {
    schema: u32,
    planes: Vec<PlaneRegistration>,
}

fn f32_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    Ok(Option::<f32>::deserialize(d)?.unwrap_or(f32::NAN))
}

fn f32s_or_nan<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
    let v = Vec::<Option<f32>>::deserialize(d)?;
    Ok(v.into_iter().map(|x| x.unwrap_or(f32::NAN)).collect())
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
            let name = schema::nonrigid_file(p);
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
            corr_after: r.corr_after.clone(),
            nonrigid_blocks: blocks,
        });
    }
    write_json(&dir.join(schema::REGISTRATION), &doc)?;
    files.push(schema::REGISTRATION.into());
    Ok(files)
}

/// Writes `registration.json` from its plane records (as [`write_registration`] does).
///
/// # Errors
/// When the file cannot be written.
pub fn write_registration_planes(
    dir: &Path,
    planes: Vec<PlaneRegistration>,
) -> Result<(), OutputError> {
    let doc = RegistrationDoc {
        schema: SCHEMA_VERSION,
        planes,
    };
    write_json(&dir.join(schema::REGISTRATION), &doc)
}

/// Reads the plane records of the `registration.json` in `dir`.
///
/// # Errors
/// [`OutputError::Io`] when it cannot be read, [`OutputError::Invalid`] when it does not parse
/// or has another schema version.
pub fn read_registration(dir: &Path) -> Result<Vec<PlaneRegistration>, OutputError> {
    let path = dir.join(schema::REGISTRATION);
    let text = std::fs::read_to_string(&path).map_err(|e| OutputError::io(&path, e))?;
    let doc: RegistrationDoc =
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
    Ok(doc.planes)
}
