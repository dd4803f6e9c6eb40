//! `cluster --traces <npy>`: k-means on the rows of already extracted traces (for example the
//! merged dF/F of a fanned-out job), writing `clusters.npy`, `covariance.png` and `summary.json`.
//! No movie is read.

use super::Log;
use crate::args::ClusterArgs;
use crate::exit::CliError;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;
use worker_core::cluster::{cluster, ClusterOptions};
use worker_core::extract::Traces;
use worker_core::output::{read_npy, write_clustering, write_json, NpyData, SCHEMA_VERSION};

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

pub fn run(a: &ClusterArgs, log: &Log) -> Result<(), CliError> {
    let t0 = Instant::now();
    let path = a.traces.as_deref().expect("cluster_traces::run needs --traces");
    if a.k == 0 || a.threads == Some(0) {
        return Err(CliError::Usage(
            "--k and --threads must be at least 1".into(),
        ));
    }
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
    let cells: Vec<bool> = match &a.iscell {
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
            as_f64(c.data)
                .chunks(cols)
                .map(|r| r[0] > 0.5)
                .collect()
        }
    };
    std::fs::create_dir_all(&a.out)
        .map_err(|e| CliError::Output(format!("cannot create {}: {}", a.out.display(), e)))?;
    let ids: Vec<usize> = (0..rois).filter(|&i| cells[i]).collect();
    let mut sub = Traces {
        rois: ids.len(),
        frames,
        data: Vec::with_capacity(ids.len() * frames),
    };
    for &i in &ids {
        sub.data.extend(data[i * frames..(i + 1) * frames].iter().map(|&v| {
            if v.is_finite() {
                v as f32
            } else {
                0.0
            }
        }));
    }
    let opts = ClusterOptions {
        k: a.k,
        seed: a.seed,
        ..ClusterOptions::default()
    };
    // --threads is recorded but clustering uses the default pool (one thread per core).
    let c = cluster(&sub, &opts);
    let mut labels = vec![-1i64; rois];
    for (row, &id) in ids.iter().enumerate() {
        if let Some(&l) = c.labels.get(row) {
            labels[id] = l as i64;
        }
    }
    let t_cluster = t0.elapsed().as_secs_f64();
    let mut outputs = write_clustering(&a.out, &labels, &c)?;
    outputs.push("summary.json".into());
    let clusters = c.labels.iter().max().map_or(0, |m| m + 1);
    let summary = Summary {
        schema: SCHEMA_VERSION,
        worker_version: env!("CARGO_PKG_VERSION"),
        parameters: Parameters {
            step: "cluster-traces",
            traces: path,
            iscell: a.iscell.as_deref(),
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
