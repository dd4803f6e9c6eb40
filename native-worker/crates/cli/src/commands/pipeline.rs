//! `analyze` (the whole pipeline, plus projections) and the `--input` conveniences of `detect`,
//! `extract` and `cluster`, which run the pipeline on a movie with a temporary registered cache
//! and write the outputs up to that step. The single steps on files are in `steps.rs`.
//! Every run writes `README.txt` and `summary.json`.

use super::{
    check_at_least_one, check_channel, check_tau, open_input, open_planes, resolve_fs, Log,
};
use crate::args::PipelineArgs;
use crate::exit::CliError;
use crate::progress::JsonProgress;
use serde::Serialize;
use std::sync::Mutex;
use std::time::Instant;
use worker_core::output::{write_json, write_readme, SCHEMA_VERSION};
use worker_core::pipeline::{write_results, PipelineError, PipelineOptions, RunInfo, Stage};
use worker_core::project::{write_projections_planes, ProjectOptions};
use worker_core::source::FrameSource;
use worker_core::tiff::{SourceInfo, TiffError};

#[derive(Serialize)]
struct Parameters {
    step: String,
    fs: f64,
    fs_from: &'static str,
    tau: f64,
    k: usize,
    seed: u64,
    threads: Option<usize>,
    channel: usize,
    planes: Option<usize>,
    channels: Option<usize>,
    /// Planes processed (true indices); all when --plane is not given.
    plane: Vec<usize>,
}

#[derive(Serialize)]
struct Counts {
    planes: usize,
    frames: usize,
    rois: usize,
    cells: usize,
    clusters: usize,
}

#[derive(Serialize)]
struct Summary<'a> {
    schema: u32,
    worker_version: &'static str,
    input: &'a SourceInfo,
    parameters: Parameters,
    counts: Counts,
    /// Wall time per step in seconds, in order.
    timings: Vec<(String, f64)>,
    outputs: Vec<String>,
}

/// Maps a pipeline failure to its exit code: unreadable input 3, an output that cannot be
/// written (the registered cache) 4, anything else 5.
pub fn pipeline_error(e: PipelineError) -> CliError {
    match e {
        PipelineError::Io(io) => {
            if io.get_ref().is_some_and(|inner| inner.is::<TiffError>()) {
                CliError::Input(io.to_string())
            } else if io
                .get_ref()
                .is_some_and(|inner| inner.is::<worker_core::output::OutputError>())
            {
                CliError::Output(io.to_string())
            } else {
                CliError::Internal(format!("i/o during analysis: {}", io))
            }
        }
        PipelineError::InvalidInput(m) => CliError::Input(m),
        other => CliError::Internal(other.to_string()),
    }
}

pub fn run(step: &str, a: &PipelineArgs, log: &Log) -> Result<(), CliError> {
    let t0 = Instant::now();
    let src = open_input(&a.input, log)?;
    let info = src.info().clone();
    check_channel(a.channel, info.channels)?;
    check_at_least_one("--k", Some(a.k))?;
    check_at_least_one("--threads", a.threads)?;
    let (fs, fs_from) = resolve_fs(a.fs, info.frame_rate_hz.map(|f| (f, "metadata")))?;
    check_tau(a.tau)?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| CliError::Output(format!("cannot create {}: {}", a.out.display(), e)))?;
    let (selected, planes) = open_planes(&a.input, &src, a.channel)?;
    let refs: Vec<&dyn FrameSource> = planes.iter().map(|p| p as &dyn FrameSource).collect();
    let opts = PipelineOptions {
        fs: fs as f32,
        tau: a.tau as f32,
        k: a.k,
        seed: a.seed,
        threads: a.threads,
        ..PipelineOptions::default()
    };
    let progress = Mutex::new(JsonProgress::new());
    let report = |s: &str, done: usize, total: usize| {
        if let Ok(mut p) = progress.lock() {
            p.emit_raw(s, done as u64, total as u64);
        }
    };
    let mut timings = vec![("read".to_string(), t0.elapsed().as_secs_f64())];
    let mut counts = Counts {
        planes: selected.len(),
        frames: info.frames,
        rois: 0,
        cells: 0,
        clusters: 0,
    };
    let mut outputs;
    {
        let stage = match step {
            "detect" => Stage::Detect,
            "extract" => Stage::Extract,
            _ => Stage::Cluster,
        };
        let out = worker_core::pipeline::run_selected(&refs, &selected, &opts, &report)
            .map_err(pipeline_error)?;
        timings.extend(out.timings.iter().cloned());
        counts.rois = out.rois.len();
        counts.cells = out.iscell.iter().filter(|&&c| c).count();
        counts.clusters = out
            .rois
            .iter()
            .filter_map(|r| r.cluster)
            .max()
            .map_or(0, |m| m + 1);
        let t = Instant::now();
        let run = RunInfo {
            fs: opts.fs,
            tau: opts.tau,
            nplanes: info.planes,
            neuropil_coefficient: opts.extract.neuropil_coefficient,
        };
        outputs = write_results(&a.out, &out, stage, &run)?;
        timings.push(("write".into(), t.elapsed().as_secs_f64()));
        log.info(format!(
            "{} ROIs ({} cells) in {} plane(s), {} clusters",
            counts.rois, counts.cells, counts.planes, counts.clusters
        ));
    }
    if step == "analyze" {
        let t = Instant::now();
        let popts = ProjectOptions {
            threads: a.threads.unwrap_or(ProjectOptions::default().threads),
            ..ProjectOptions::default()
        };
        let s = write_projections_planes(
            &src,
            &a.out.join("projections"),
            &popts,
            Some(&selected),
            &mut |e| report(e.step, e.done as usize, e.total as usize),
        )?;
        outputs.extend(s.images.iter().map(|i| format!("projections/{}", i.file)));
        outputs.push("projections/projections.json".into());
        timings.push(("project".into(), t.elapsed().as_secs_f64()));
    }
    outputs.push("README.txt".into());
    outputs.push("summary.json".into());
    write_readme(&a.out, &outputs)?;
    timings.push(("total".into(), t0.elapsed().as_secs_f64()));
    let summary = Summary {
        schema: SCHEMA_VERSION,
        worker_version: env!("CARGO_PKG_VERSION"),
        input: &info,
        parameters: Parameters {
            step: step.to_string(),
            fs,
            fs_from,
            tau: a.tau,
            k: a.k,
            seed: a.seed,
            threads: a.threads,
            channel: a.channel,
            planes: a.input.planes,
            channels: a.input.channels,
            plane: selected.clone(),
        },
        counts,
        timings,
        outputs,
    };
    write_json(&a.out.join("summary.json"), &summary)?;
    log.info(format!(
        "wrote {} in {:.1} s",
        a.out.display(),
        t0.elapsed().as_secs_f64()
    ));
    Ok(())
}
