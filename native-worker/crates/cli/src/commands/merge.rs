//! `merge SHARD... --out OUT`: the results folders of a fanned-out analysis merged into one
//! ([`worker_core::merge`]), then `summary.json`, written last: a single run's summary (its
//! `parameters` those the shards share, `step` = `merge`) plus `layout`, `shards` (folder,
//! planes, ROI id range, frames, the shard's own summary) and `notes`.

use super::{check_at_least_one, Log};
use crate::args::MergeArgs;
use crate::exit::CliError;
use crate::progress::JsonProgress;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Instant;
use worker_core::merge::{merge, shared_parameter, Layout, MergeOptions, ShardReport};
use worker_core::output::{schema, write_json, write_readme, SCHEMA_VERSION};

#[derive(Serialize)]
struct Counts {
    planes: usize,
    frames: usize,
    rois: usize,
    cells: usize,
    clusters: usize,
}

#[derive(Serialize)]
struct Summary {
    schema: u32,
    worker_version: &'static str,
    /// What `info` printed for the shards' input, when they all read the same one.
    input: Value,
    parameters: Value,
    counts: Counts,
    timings: Vec<(String, f64)>,
    outputs: Vec<String>,
    layout: Layout,
    shards: Vec<ShardReport>,
    notes: Vec<String>,
}

pub fn run(a: &MergeArgs, log: &Log) -> Result<(), CliError> {
    let t0 = Instant::now();
    check_at_least_one("--k", a.k)?;
    check_at_least_one("--threads", a.threads)?;
    let opts = MergeOptions {
        k: a.k,
        seed: a.seed,
        threads: a.threads,
    };
    let mut progress = JsonProgress::new();
    let mut report = |s: &str, done: usize, total: usize| {
        progress.emit_raw(s, done as u64, total as u64);
    };
    let r = merge(&a.shards, &a.out, &opts, &mut report)?;
    let first = &r.shards[0].summary;
    let input = if r
        .shards
        .iter()
        .all(|s| s.summary["input"] == first["input"])
    {
        first["input"].clone()
    } else {
        Value::Null
    };
    let mut parameters = json!({ "step": "merge" });
    for key in ["fs", "fs_from", "tau", "channel", "planes", "channels"] {
        parameters[key] = shared_parameter(&r, key);
    }
    parameters["k"] = json!(r.k);
    parameters["seed"] = json!(r.seed);
    parameters["threads"] = json!(a.threads);
    parameters["plane"] = json!(r.planes);
    for n in &r.notes {
        log.info(format!("note: {n}"));
    }
    let mut outputs = r.outputs.clone();
    outputs.push(schema::README.into());
    outputs.push(schema::SUMMARY.into());
    write_readme(&a.out, &outputs)?;
    let summary = Summary {
        schema: SCHEMA_VERSION,
        worker_version: env!("CARGO_PKG_VERSION"),
        input,
        parameters,
        counts: Counts {
            planes: r.planes.len(),
            frames: r.frames,
            rois: r.rois,
            cells: r.cells,
            clusters: r.clusters,
        },
        timings: vec![("total".into(), t0.elapsed().as_secs_f64())],
        outputs,
        layout: r.layout,
        shards: r.shards.clone(),
        notes: r.notes.clone(),
    };
    write_json(&a.out.join(schema::SUMMARY), &summary)?;
    log.info(format!(
        "merged {} shard(s): {} ROIs ({} cells) in {} plane(s), {} clusters; wrote {}",
        r.shards.len(),
        r.rois,
        r.cells,
        r.planes.len(),
        r.clusters,
        a.out.display()
    ));
    Ok(())
}
