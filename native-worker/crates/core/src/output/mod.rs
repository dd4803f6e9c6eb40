//! Writers for the worker's outputs: `.npy` arrays (suite2p-compatible), 8/16-bit PNG,
//! animated GIF and JSON documents, `traces.csv`, `README.txt` and suite2p plane folders. Every
//! file is written to a temporary name in the same folder and renamed into place, so a crash never leaves a half-written output behind.

mod csv;
mod error;
mod gif;
mod json;
mod npy;
mod png;
mod readme;
mod registration;
mod results;
mod scale;
pub mod schema;
pub mod suite2p;
mod tiff;

pub use self::csv::write_traces_csv;
pub use self::error::OutputError;
pub use self::gif::write_gif;
pub use self::json::{write_json, SCHEMA_VERSION};
pub use self::npy::{read_npy, write_npy, NpyArray, NpyData, NpyElement, NpyWriter};
pub use self::png::{write_png_u16, write_png_u8};
pub use self::readme::{readme_text, write_readme};
pub use self::registration::{
    read_registration, write_registration, write_registration_planes, PlaneRegistration,
};
pub use self::results::{
    read_roi_table, relabel_rois, roi_json, write_clustering, write_roi_table, write_rois,
    write_traces, Region, RoiJson,
};
pub use self::scale::{percentile, to_u16, to_u8, Scale};
pub use self::tiff::{TiffSample, TiffWriter};

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Creates `path`'s folder if needed and a buffered temporary file beside `path`.
pub(crate) fn create_tmp(path: &Path) -> Result<(BufWriter<File>, PathBuf), OutputError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| OutputError::io(dir, e))?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    let tmp = path.with_file_name(name);
    let f = File::create(&tmp).map_err(|e| OutputError::io(&tmp, e))?;
    Ok((BufWriter::new(f), tmp))
}

/// Flushes `w` and renames `tmp` to `path`.
pub(crate) fn commit(w: BufWriter<File>, tmp: &Path, path: &Path) -> Result<(), OutputError> {
    let f = w
        .into_inner()
        .map_err(|e| OutputError::io(tmp, e.into_error()))?;
    f.sync_all().map_err(|e| OutputError::io(tmp, e))?;
    drop(f);
    std::fs::rename(tmp, path).map_err(|e| OutputError::io(path, e))
}
