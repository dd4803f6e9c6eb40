//! Writing a [`PipelineOutput`] as a results folder, up to the step a command stops at, with
//! the output module's writers (so `output` does not depend on the pipeline).

use std::path::Path;

use super::PipelineOutput;
use crate::output::{write_clustering, write_registration, write_rois, write_traces, OutputError};
use crate::register::Registration;

/// How far the analysis went; each step writes its own files and those of the steps before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Register,
    Detect,
    Extract,
    Cluster,
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
