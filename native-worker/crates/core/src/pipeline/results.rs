//! Writing a [`PipelineOutput`] as a results folder, up to the step a command stops at, with
//! the output module's writers (so `output` does not depend on the pipeline).

use std::path::Path;

use super::PipelineOutput;
use crate::output::schema::{self, TRACES_CSV};
use crate::output::suite2p::{write_plane, PlaneInput};
use crate::output::{
    roi_json, write_clustering, write_registration, write_rois, write_traces, write_traces_csv,
    OutputError, RoiJson,
};
use crate::register::Registration;

/// How far the analysis went; each step writes its own files and those of the steps before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Register,
    Detect,
    Extract,
    Cluster,
}

/// What the suite2p folders record about the run besides its outputs.
#[derive(Clone, Copy, Debug)]
pub struct RunInfo {
    /// Frame rate per plane (Hz).
    pub fs: f32,
    /// Indicator decay time (s).
    pub tau: f32,
    /// Planes of the recording (not only those analysed).
    pub nplanes: usize,
    /// `c` in `F - c Fneu`.
    pub neuropil_coefficient: f32,
}

/// Writes the result files of `out` up to `stage`; returns the file names written. A whole run
/// ([`Stage::Cluster`]) also writes `traces.csv` and a suite2p folder per plane.
pub fn write_results(
    dir: &Path,
    out: &PipelineOutput,
    stage: Stage,
    info: &RunInfo,
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
        let table: Vec<RoiJson> = out.rois.iter().map(roi_json).collect();
        write_traces_csv(&dir.join(TRACES_CSV), &table, &out.dff)?;
        files.push(schema::TRACES_CSV.into());
        files.extend(write_suite2p(dir, out, info)?);
    }
    Ok(files)
}

/// `suite2p/plane{p}/` for every plane of `out`.
fn write_suite2p(
    dir: &Path,
    out: &PipelineOutput,
    info: &RunInfo,
) -> Result<Vec<String>, OutputError> {
    let t = out.f.frames;
    let mut files = Vec::new();
    for p in &out.planes {
        let first = out.rois.iter().position(|r| r.plane == p.plane);
        let n = out.rois.iter().filter(|r| r.plane == p.plane).count();
        let first = first.unwrap_or(0);
        let span = first * t..(first + n) * t;
        files.extend(write_plane(
            dir,
            &PlaneInput {
                plane: p.plane,
                height: p.height,
                width: p.width,
                frames: t,
                fs: info.fs,
                tau: info.tau,
                nplanes: info.nplanes,
                neuropil_coefficient: info.neuropil_coefficient,
                mean_image: &p.mean_image,
                reference: &p.registration.reference,
                max_image: &p.max_image,
                corr_image: &p.activity_map,
                shifts: &p.registration.shifts,
                rois: &out.rois[first..first + n],
                f: &out.f.data[span.clone()],
                fneu: &out.fneu.data[span.clone()],
                spks: &out.spks.data[span],
            },
        )?);
    }
    Ok(files)
}
