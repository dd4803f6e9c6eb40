//! A suite2p plane folder per plane (`suite2p/plane{p}/`), so the results open in suite2p's GUI
//! and in code written for suite2p's output: `stat.npy` and `ops.npy` (pickled NumPy object
//! arrays: load with `allow_pickle=True`), `db.npy` and `settings.npy` (byte for byte `ops.npy`:
//! suite2p 1.x reads those two instead), `F.npy`, `Fneu.npy`, `spks.npy` (float32, the plane's
//! ROIs x frames) and `iscell.npy` (float64 `(rois, 2)`: cell 0/1, score). Row `i` of a plane
//! folder is the plane's `i`-th ROI, i.e. ROI `first + i` of the results folder, where `first` is
//! the id of the plane's first ROI (ROIs are numbered plane after plane).
//!
//! A plane's folder depends on that plane's analysis only, so merging per-plane shards copies
//! them unchanged.

mod ops;
mod pickle;
mod stat;

use std::io::Write;
use std::path::Path;

pub use self::ops::{crop, enhanced_mean, valid_ranges};
pub use self::pickle::{pickle, NdArray, PyValue};
pub use self::stat::plane_stats;

use super::npy::header;
use super::{commit, create_tmp, schema, write_npy, OutputError};
use crate::register::FrameShift;
use crate::roi::RoiRecord;

/// One plane as its suite2p folder needs it.
pub struct PlaneInput<'a> {
    pub plane: usize,
    pub height: usize,
    pub width: usize,
    pub frames: usize,
    pub fs: f32,
    pub tau: f32,
    /// Planes of the recording.
    pub nplanes: usize,
    pub neuropil_coefficient: f32,
    pub mean_image: &'a [f32],
    pub reference: &'a [f32],
    /// Maximum of the binned registered movie (`height x width`).
    pub max_image: &'a [f32],
    /// Detection's activity (correlation) map (`height x width`).
    pub corr_image: &'a [f32],
    pub shifts: &'a [FrameShift],
    /// The plane's ROIs, in id order.
    pub rois: &'a [RoiRecord],
    /// Their rows of `F`, `Fneu` and `spks` (`rois.len() x frames`).
    pub f: &'a [f32],
    pub fneu: &'a [f32],
    pub spks: &'a [f32],
}

/// Writes `value` (an object array) as a `.npy` of dtype `|O` and `shape`.
fn write_pickled(path: &Path, shape: &[usize], value: &PyValue) -> Result<(), OutputError> {
    let (mut w, tmp) = create_tmp(path)?;
    w.write_all(&header("|O", shape))
        .and_then(|()| w.write_all(&pickle(value)))
        .map_err(|e| OutputError::io(&tmp, e))?;
    commit(w, &tmp, path)
}

/// Box side for the enhanced mean image: four typical ROI diameters (10 px when no ROI).
fn enhance_size(rois: &[RoiRecord]) -> usize {
    let mut n: Vec<usize> = rois.iter().map(|r| r.pixels.len()).collect();
    n.sort_unstable();
    let d = n
        .get(n.len() / 2)
        .map_or(10.0, |&m| 2.0 * (m as f32 / std::f32::consts::PI).sqrt());
    ((4.0 * d).round() as usize) | 1
}

/// Writes `suite2p/plane{p}/` for `p` into `dir`; returns the file names written (relative to
/// `dir`).
///
/// # Errors
/// [`OutputError::Invalid`] when the trace rows do not match the ROIs, [`OutputError::Io`] when a
/// file cannot be written.
pub fn write_plane(dir: &Path, p: &PlaneInput<'_>) -> Result<Vec<String>, OutputError> {
    let rel = schema::suite2p_dir(p.plane);
    let out = dir.join(&rel);
    let (n, t) = (p.rois.len(), p.frames);
    for (name, a) in [("F", p.f), ("Fneu", p.fneu), ("spks", p.spks)] {
        if a.len() != n * t {
            return Err(OutputError::invalid(
                &out,
                format!("{name} has {} values for {n} ROIs x {t} frames", a.len()),
            ));
        }
    }
    let refs: Vec<&RoiRecord> = p.rois.iter().collect();
    let stats = plane_stats(
        &refs,
        p.f,
        p.fneu,
        t,
        p.neuropil_coefficient,
        p.height,
        p.width,
    );
    let (yrange, xrange) = valid_ranges(p.shifts, p.height, p.width);
    let enhanced = enhanced_mean(p.mean_image, p.height, p.width, enhance_size(p.rois));
    let ops = ops::ops(&ops::OpsInput {
        plane: p,
        mean_enhanced: &enhanced,
        yrange,
        xrange,
        save_path: format!("./{rel}"),
    });
    write_pickled(
        &out.join(schema::SUITE2P_STAT),
        &[n],
        &PyValue::object_array(&[n], stats),
    )?;
    // suite2p 1.x reads db.npy and settings.npy merged (`{**db, **settings}`) where 0.x read
    // ops.npy; the ops dict holds every key either is read for, so all three hold it.
    let ops = PyValue::object_array(&[], vec![ops]);
    for name in [
        schema::SUITE2P_OPS,
        schema::SUITE2P_DB,
        schema::SUITE2P_SETTINGS,
    ] {
        write_pickled(&out.join(name), &[], &ops)?;
    }
    write_npy(&out.join(schema::F), &[n, t], p.f)?;
    write_npy(&out.join(schema::FNEU), &[n, t], p.fneu)?;
    write_npy(&out.join(schema::SPKS), &[n, t], p.spks)?;
    let iscell: Vec<f64> = p
        .rois
        .iter()
        .flat_map(|r| [f64::from(u8::from(r.iscell)), f64::from(r.score)])
        .collect();
    write_npy(&out.join(schema::ISCELL), &[n, 2], &iscell)?;
    Ok(schema::SUITE2P_FILES
        .iter()
        .map(|f| format!("{rel}/{f}"))
        .collect())
}
