//! `README.txt`: a short, plain-text guide to a results folder: what each file written holds
//! and which tools open it. Generated from the files the command wrote and those already in the
//! folder (several single steps may share one folder), so it names every file there; the same
//! files give the same bytes, whatever the order.

use std::collections::BTreeSet;
use std::path::Path;

use super::{commit, create_tmp, schema, OutputError};
use std::io::Write as _;

/// What a file holds and what opens it, by its path relative to the results folder.
fn describe(name: &str) -> &'static str {
    let base = name.rsplit('/').next().unwrap_or(name);
    if name.starts_with("suite2p/") {
        return "";
    }
    if name.starts_with("projections/") {
        return match base {
            "projections.json" => "list of the projection images (JSON)",
            b if b.ends_with(".gif") => "animated projection (any image viewer, web browser)",
            _ => {
                "image of a plane: a projection (mean, max, std) or its first frame (image viewer)"
            }
        };
    }
    match base {
        "summary.json" => {
            "parameters, counts, timings, the list of files and what the input's metadata \
             states (input.voxel_size: pixel size and plane step, null where it does not or the \
             input files disagree) \
             (JSON, written last)"
        }
        "rois.json" => {
            "one record per ROI: id, plane, x, y, z, pixels, score, iscell, cluster (JSON)"
        }
        "regions.json" => "every ROI's pixels as [row, col] (neurofinder format, JSON)",
        "iscell.npy" => "float64 (ROIs, 2): is cell 0/1, cell score (numpy.load; suite2p layout)",
        "F.npy" => "float32 (ROIs, frames): ROI fluorescence (numpy.load)",
        "Fneu.npy" => "float32 (ROIs, frames): neuropil fluorescence (numpy.load)",
        "spks.npy" => "float32 (ROIs, frames): deconvolved activity (numpy.load)",
        "dff.npy" => "float32 (ROIs, frames): dF/F of F - 0.7 Fneu (numpy.load)",
        "clusters.npy" => "int64 (ROIs,): activity cluster per ROI, -1 = none (numpy.load)",
        "covariance.png" => "ROI-by-ROI correlation sorted by cluster (any image viewer)",
        "registration.json" => "motion correction per plane: shifts and quality (JSON)",
        "traces.csv" => {
            "one row per ROI: id, plane, x, y, z, cluster, iscell, then dF/F per frame \
             (spreadsheet: LibreOffice, Excel; pandas.read_csv)"
        }
        "README.txt" => "this file",
        b if b.starts_with("nonrigid_plane") => {
            "float32 (frames, blocks, 2): non-rigid block shifts of that plane (numpy.load)"
        }
        b if b.ends_with(".json") => "step file (JSON)",
        b if b.ends_with(".npy") => "step array (numpy.load)",
        _ => "step file used by the next analysis step",
    }
}

/// The README text for the files `outputs` (paths relative to the folder).
#[must_use]
pub fn readme_text(outputs: &[String]) -> String {
    let files: BTreeSet<&str> = outputs.iter().map(String::as_str).collect();
    let mut s = String::from(
        "ScopeCloud analysis results\n\
         ===========================\n\n\
         Open the whole folder in ScopeCloud (Results view). Arrays are NumPy .npy files\n\
         (numpy.load in Python; allow_pickle=True for suite2p's stat.npy, ops.npy, db.npy and\n\
         settings.npy). Rows of every (ROIs, ...) array follow the ids in rois.json.\n\n\
         Files\n-----\n",
    );
    for f in files.iter().filter(|f| !f.starts_with("suite2p/")) {
        s.push_str(&format!("{f}: {}\n", describe(f)));
    }
    let planes: BTreeSet<&str> = files
        .iter()
        .filter(|f| f.starts_with("suite2p/"))
        .filter_map(|f| f.rsplit_once('/').map(|(d, _)| d))
        .collect();
    if !planes.is_empty() {
        s.push_str(
            "\nsuite2p folders (open stat.npy in the suite2p GUI, File > Load processed data;\n\
             or numpy.load): one per plane, rows = that plane's ROIs in id order\n",
        );
        for p in &planes {
            s.push_str(&format!("{p}/\n"));
        }
        for f in schema::SUITE2P_FILES {
            let what = match f {
                schema::SUITE2P_STAT => "per-ROI dicts: ypix, xpix, lam, med, npix, radius, ...",
                schema::SUITE2P_OPS => "a dict: image size, frames, fs, tau, mean images, ...",
                schema::SUITE2P_DB | schema::SUITE2P_SETTINGS => {
                    "the same dict as ops.npy, for suite2p 1.x (which reads these two)"
                }
                schema::ISCELL => "float64 (ROIs, 2): cell 0/1, score (edit in suite2p's GUI)",
                _ => "float32 (ROIs, frames)",
            };
            s.push_str(&format!("  {f}: {what}\n"));
        }
    }
    s.push_str(
        "\nAlso: an NWB file of these results (scopecloud results export <job> --nwb <file>) opens\n\
         in pynwb and NWB Widgets; curation.json, when present beside this folder's files, holds\n\
         curated cell labels (ScopeCloud).\n",
    );
    s
}

/// The files under `dir`, relative to it with `/` separators (unreadable folders are skipped).
fn files_in(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = format!("{prefix}{}", e.file_name().to_string_lossy());
        match e.file_type() {
            Ok(t) if t.is_dir() => files_in(&e.path(), &format!("{name}/"), out),
            Ok(_) if !name.ends_with(".partial") => out.push(name),
            _ => {}
        }
    }
}

/// Writes `README.txt` into `dir` for `outputs` (which should name `README.txt` and
/// `summary.json` when those are written) and every file already in `dir`.
///
/// # Errors
/// [`OutputError::Io`] when it cannot be written.
pub fn write_readme(dir: &Path, outputs: &[String]) -> Result<(), OutputError> {
    let path = dir.join(schema::README);
    let mut all = outputs.to_vec();
    files_in(dir, "", &mut all);
    let (mut w, tmp) = create_tmp(&path)?;
    w.write_all(readme_text(&all).as_bytes())
        .map_err(|e| OutputError::io(&tmp, e))?;
    commit(w, &tmp, &path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_file_once_whatever_the_order() {
        let a: Vec<String> = [
            "rois.json",
            "suite2p/plane1/F.npy",
            "suite2p/plane0/stat.npy",
        ]
        .map(String::from)
        .to_vec();
        let mut b = a.clone();
        b.reverse();
        let t = readme_text(&a);
        assert_eq!(t, readme_text(&b));
        assert!(t.contains("rois.json: "));
        assert!(t.contains("suite2p/plane0/\n") && t.contains("suite2p/plane1/\n"));
    }
}
