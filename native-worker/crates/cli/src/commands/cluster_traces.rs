//! `cluster --traces <dir|npy>`: k-means on the rows of already extracted traces (the `extract`
//! step's folder, or for example the merged dF/F of a fanned-out job), writing `clusters.npy`,
//! `covariance.png`, `summary.json` and, when the ROIs' `rois.json` is known, `rois.json` with
//! each ROI's cluster. No movie is read. Clustering is the pipeline's own
//! ([`worker_core::pipeline::cluster_cells`]), so the chain of steps gives `analyze`'s bytes.

use super::{check_at_least_one, Log};
use crate::args::ClusterArgs;
use crate::exit::CliError;
use crate::progress::JsonProgress;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;
use worker_core::extract::Traces;
use worker_core::output::{
    read_npy, relabel_rois, schema, write_clustering, write_json, write_readme, NpyData,
    SCHEMA_VERSION,
};
use worker_core::pipeline::{cluster_cells, in_pool, PipelineOptions};

#[derive(Serialize)]
struct Summary<'a> {
    schema: u32,
    worker_version: &'static str,
    parameters: Parameters<'a>,
    counts: Counts,
    timings: Vec<(String, f64)>,
    outputs: Vec<String>,
}

#[derive(Serialize)]
struct Parameters<'a> {
    step: &'static str,
    traces: &'a Path,
    iscell: Option<&'a Path>,
    rois: Option<&'a Path>,
    k: usize,
    seed: u64,
    threads: Option<usize>,
}

#[derive(Serialize)]
struct Counts {
    rois: usize,
    frames: usize,
    clustered: usize,
    clusters: usize,
}

fn as_f64(d: NpyData) -> Vec<f64> {
    match d {
        NpyData::F32(v) => v.into_iter().map(f64::from).collect(),
        NpyData::F64(v) => v,
        NpyData::I64(v) => v.into_iter().map(|x| x as f64).collect(),
        NpyData::Bool(v) => v.into_iter().map(|b| if b { 1.0 } else { 0.0 }).collect(),
    }
}

/// `name` in `dir` when that file exists.
fn existing(dir: Option<&Path>, name: &str) -> Option<PathBuf> {
    dir.map(|d| d.join(name)).filter(|p| p.is_file())
}

pub fn run(a: &ClusterArgs, log: &Log) -> Result<(), CliError> {
    let t0 = Instant::now();
    let given = a
        .traces
        .as_deref()
        .expect("cluster_traces::run needs --traces");
    check_at_least_one("--k", Some(a.k))?;
    check_at_least_one("--threads", a.threads)?;
    let traces_dir = given.is_dir().then_some(given);
    let path_buf = match traces_dir {
        Some(d) => d.join("dff.npy"),
        None => given.to_path_buf(),
    };
    let path = path_buf.as_path();
    if traces_dir.is_some() && !path.is_file() {
        return Err(CliError::Input(format!(
            "{} not found: run `scopecloud-worker extract --registered <cache> --rois <dir> --out <dir>` first and pass that <dir> to --traces",
            path.display()
        )));
    }
    if let Some(r) = a.rois.as_deref() {
        if !r.join("rois.json").is_file() {
            return Err(CliError::Input(format!(
                "{} not found: --rois must be a folder written by `scopecloud-worker detect`",
                r.join("rois.json").display()
            )));
        }
    }
    let iscell_path = a
        .iscell
        .clone()
        .or_else(|| existing(a.rois.as_deref(), "iscell.npy"))
        .or_else(|| existing(traces_dir, "iscell.npy"));
    let rois_json =
        existing(a.rois.as_deref(), "rois.json").or_else(|| existing(traces_dir, "rois.json"));
    let arr = read_npy(path).map_err(|e| CliError::Input(e.to_string()))?;
    let (rois, frames) = match arr.shape.as_slice() {
        [n, t] => (*n, *t),
        [n] => (*n, 1),
        s => {
            return Err(CliError::Input(format!(
                "{}: traces must be 2-D (ROIs x frames), shape is {:?}",
                path.display(),
                s
            )))
        }
    };
    let data = as_f64(arr.data);
    if data.iter().any(|v| !v.is_finite()) {
        log.info("warning: non-finite trace values are clustered as 0");
    }
    let cells: Vec<bool> = match &iscell_path {
        None => vec![true; rois],
        Some(p) => {
            let c = read_npy(p).map_err(|e| CliError::Input(e.to_string()))?;
            let cols = match c.shape.as_slice() {
                [n] if *n == rois => 1,
                [n, m] if *n == rois && *m >= 1 => *m,
                s => {
                    return Err(CliError::Input(format!(
                        "{}: shape {:?} does not match {} ROIs",
                        p.display(),
                        s,
                        rois
                    )))
                }
            };
            as_f64(c.data).chunks(cols).map(|r| r[0] > 0.5).collect()
        }
    };
    std::fs::create_dir_all(&a.out)
        .map_err(|e| CliError::Output(format!("cannot create {}: {}", a.out.display(), e)))?;
    let dff = Traces {
        rois,
        frames,
        data: data.iter().map(|&v| v as f32).collect(),
    };
    drop(data);
    let opts = PipelineOptions {
        k: a.k,
        seed: a.seed,
        threads: a.threads,
        ..PipelineOptions::default()
    };
    let mut progress = JsonProgress::new();
    progress.emit_raw("cluster", 0, 1);
    let (c, ids) = in_pool(a.threads, || cluster_cells(&dff, &cells, &opts))
        .map_err(|e| CliError::Internal(e.to_string()))?;
    progress.emit_raw("cluster", 1, 1);
    let mut labels = vec![-1i64; rois];
    for (row, &id) in ids.iter().enumerate() {
        if let Some(&l) = c.labels.get(row) {
            labels[id] = l as i64;
        }
    }
    let t_cluster = t0.elapsed().as_secs_f64();
    let mut outputs = write_clustering(&a.out, &labels, &c)?;
    if let Some(src) = &rois_json {
        relabel_rois(src, &a.out.join("rois.json"), &labels).map_err(|e| match &e {
            worker_core::output::OutputError::Io { path, .. } if path != src => {
                CliError::Output(e.to_string())
            }
            _ => CliError::Input(e.to_string()),
        })?;
        outputs.push("rois.json".into());
    }
    outputs.push(schema::README.into());
    outputs.push(schema::SUMMARY.into());
    write_readme(&a.out, &outputs)?;
    let clusters = c.labels.iter().max().map_or(0, |m| m + 1);
    let summary = Summary {
        schema: SCHEMA_VERSION,
        worker_version: env!("CARGO_PKG_VERSION"),
        parameters: Parameters {
            step: "cluster-traces",
            traces: path,
            iscell: iscell_path.as_deref(),
            rois: rois_json.as_deref(),
            k: a.k,
            seed: a.seed,
            threads: a.threads,
        },
        counts: Counts {
            rois,
            frames,
            clustered: ids.len(),
            clusters,
        },
        timings: vec![
            ("cluster".into(), t_cluster),
            ("total".into(), t0.elapsed().as_secs_f64()),
        ],
        outputs,
    };
    write_json(&a.out.join("summary.json"), &summary)?;
    log.info(format!(
        "{} of {} ROIs clustered into {} clusters; wrote {}",
        ids.len(),
        rois,
        clusters,
        a.out.display()
    ));
    Ok(())
}
