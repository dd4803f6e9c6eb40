//! `traces.csv`: the ROI table and each ROI's dF/F, one row per ROI, for spreadsheets and any
//! CSV reader. Columns: `id, plane, x, y, z, cluster, iscell, dff_frame_0, dff_frame_1, ...`;
//! `cluster` is empty when the ROI was not clustered, `iscell` is 0 or 1, the values are the
//! rows of `dff.npy` (dF/F of `F - 0.7 Fneu`), written in the shortest form that reads back as
//! the same float32.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use super::{commit, create_tmp, OutputError, RoiJson};
use crate::extract::Traces;

/// Writes `traces.csv` for `rois` (row `i` of `dff` is ROI `rois[i]`).
///
/// # Errors
/// [`OutputError::Invalid`] when `dff` has another row count; [`OutputError::Io`].
pub fn write_traces_csv(path: &Path, rois: &[RoiJson], dff: &Traces) -> Result<(), OutputError> {
    if dff.rois != rois.len() || dff.data.len() != dff.rois * dff.frames {
        return Err(OutputError::invalid(
            path,
            format!(
                "{} ROIs but dF/F has {} rows of {} frames",
                rois.len(),
                dff.rois,
                dff.frames
            ),
        ));
    }
    let (mut w, tmp) = create_tmp(path)?;
    let mut line = String::from("id,plane,x,y,z,cluster,iscell");
    for t in 0..dff.frames {
        let _ = write!(line, ",dff_frame_{t}");
    }
    line.push('\n');
    for (r, row) in rois.iter().zip(dff.data.chunks(dff.frames.max(1))) {
        w.write_all(line.as_bytes())
            .map_err(|e| OutputError::io(&tmp, e))?;
        line.clear();
        let cluster = r.cluster.map(|c| c.to_string()).unwrap_or_default();
        let _ = write!(
            line,
            "{},{},{},{},{},{},{}",
            r.id,
            r.plane,
            r.x,
            r.y,
            r.z,
            cluster,
            u8::from(r.iscell)
        );
        for v in row.iter().take(dff.frames) {
            let _ = write!(line, ",{v}");
        }
        line.push('\n');
    }
    w.write_all(line.as_bytes())
        .map_err(|e| OutputError::io(&tmp, e))?;
    commit(w, &tmp, path)
}
