//! The per-plane files of the shards: `registration.json`, `nonrigid_plane{p}.npy`,
//! `suite2p/plane{p}/` (copied unchanged: a plane's suite2p folder depends on that plane only)
//! and `projections/`. Shards of distinct planes (one recording fanned out by plane) merge into the
//! single-run layout: one `registration.json` listing every plane, one `projections.json`
//! listing every image, the plane-named files side by side. Shards sharing a plane (several
//! recordings) cannot share those names: each shard's go under `shard-<i>/` instead.

use std::path::Path;

use serde::Serialize;

use super::shard::Shard;
use super::MergeError;
use crate::output::schema::{self, PROJECTIONS, PROJECTIONS_DIR};
use crate::output::{write_json, write_registration_planes, OutputError};
use crate::project::ProjectionsSummary;

/// Where the per-plane files go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Every plane in one shard only: the single-run layout.
    Planes,
    /// Some plane in several shards: shard `i`'s files under `shard-<i>/`.
    Shards,
}

/// [`Layout::Planes`] when no plane is in two shards.
#[must_use]
pub fn layout(shards: &[Shard]) -> Layout {
    let mut all: Vec<usize> = shards.iter().flat_map(Shard::planes).collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    if all.len() == n {
        Layout::Planes
    } else {
        Layout::Shards
    }
}

fn copy(src: &Path, dst: &Path) -> Result<(), MergeError> {
    if let Some(d) = dst.parent() {
        std::fs::create_dir_all(d).map_err(|e| MergeError::Output(OutputError::io(d, e)))?;
    }
    std::fs::copy(src, dst).map_err(|e| {
        if src.is_file() {
            MergeError::Output(OutputError::io(dst, e))
        } else {
            MergeError::Input(format!("cannot read {}: {}", src.display(), e))
        }
    })?;
    Ok(())
}

fn read_projections(dir: &Path) -> Result<Option<ProjectionsSummary>, MergeError> {
    let path = dir.join(PROJECTIONS);
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| MergeError::Input(format!("cannot read {}: {}", path.display(), e)))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| MergeError::Input(format!("{}: {}", path.display(), e)))
}

/// Copies the `nonrigid_plane{p}.npy` of the shard's planes that have one into `out`.
fn copy_nonrigid(shard: &Shard, out: &Path, files: &mut Vec<String>) -> Result<(), MergeError> {
    for p in shard.registration.iter().filter(|p| p.nonrigid_blocks > 0) {
        let name = schema::nonrigid_file(p.plane);
        copy(&shard.dir.join(&name), &out.join(&name))?;
        files.push(name);
    }
    Ok(())
}

/// Copies the `suite2p/plane{p}/` folders the shard has for its planes into `out` (a shard
/// written before these folders existed has none, and the merge then has none for its planes).
/// A shard written before `db.npy` and `settings.npy` gets them from its `ops.npy`, as the
/// worker writes them.
fn copy_suite2p(shard: &Shard, out: &Path, files: &mut Vec<String>) -> Result<(), MergeError> {
    for p in &shard.registration {
        let rel = schema::suite2p_dir(p.plane);
        if !shard.dir.join(&rel).is_dir() {
            continue;
        }
        for f in schema::SUITE2P_FILES {
            let name = format!("{rel}/{f}");
            let mut src = shard.dir.join(&name);
            if !src.exists() && (f == schema::SUITE2P_DB || f == schema::SUITE2P_SETTINGS) {
                src = shard.dir.join(&rel).join(schema::SUITE2P_OPS);
            }
            copy(&src, &out.join(&name))?;
            files.push(name);
        }
    }
    Ok(())
}

/// Writes the per-plane files of `shards` into `out` in `layout`; returns the names written
/// (relative to `out`), registration files first, then projections, as a single run lists them.
///
/// # Errors
/// [`MergeError::Input`] for a damaged shard file, [`MergeError::Output`] when writing fails.
pub fn write(out: &Path, shards: &[Shard], layout: Layout) -> Result<Vec<String>, MergeError> {
    let mut files = Vec::new();
    if layout == Layout::Shards {
        for (i, s) in shards.iter().enumerate() {
            let sub = format!("shard-{i}");
            let dir = out.join(&sub);
            let mut own = Vec::new();
            copy_nonrigid(s, &dir, &mut own)?;
            copy_suite2p(s, &dir, &mut own)?;
            write_registration_planes(&dir, s.registration.clone())?;
            own.push(schema::REGISTRATION.into());
            if let Some(p) = read_projections(&s.dir)? {
                for img in &p.images {
                    let name = format!("{PROJECTIONS_DIR}/{}", img.file);
                    copy(&s.dir.join(&name), &dir.join(&name))?;
                    own.push(name);
                }
                copy(&s.dir.join(PROJECTIONS), &dir.join(PROJECTIONS))?;
                own.push(PROJECTIONS.into());
            }
            files.extend(own.into_iter().map(|f| format!("{sub}/{f}")));
        }
        return Ok(files);
    }
    for s in shards {
        copy_nonrigid(s, out, &mut files)?;
        copy_suite2p(s, out, &mut files)?;
    }
    let planes = shards
        .iter()
        .flat_map(|s| s.registration.iter().cloned())
        .collect();
    write_registration_planes(out, planes)?;
    files.push(schema::REGISTRATION.into());
    let mut merged: Option<ProjectionsSummary> = None;
    let mut images = Vec::new();
    for s in shards {
        let Some(p) = read_projections(&s.dir)? else {
            continue;
        };
        for img in &p.images {
            let name = format!("{PROJECTIONS_DIR}/{}", img.file);
            copy(&s.dir.join(&name), &out.join(&name))?;
            images.push(name);
        }
        match &mut merged {
            None => merged = Some(p),
            Some(m) => m.images.extend(p.images),
        }
    }
    if let Some(m) = merged {
        write_json(&out.join(PROJECTIONS), &m)?;
        files.extend(images);
        files.push(PROJECTIONS.into());
    }
    Ok(files)
}
