//! Merging the results folders of a fanned-out analysis (one shard per plane, or per
//! recording) into one results folder laid out as a single run's, clustering included.
//!
//! Contract: ROIs are numbered `0..n` in shard order (a shard's own order within it) and keep
//! their plane; every `(rois, ...)` array is stacked in that order, traces cut to the shortest
//! shard's frames (a note says so); clustering runs over all merged ROIs with the pipeline's own
//! [`cluster_cells`]. Since planes are analysed independently, shards `--plane 0`, `--plane 1`
//! ... of one recording, given in plane order with the same options, merge into exactly the
//! bytes `analyze` writes over all planes (every file but `summary.json`). Per-plane files are
//! placed as [`per_plane`] says (each plane's suite2p folder is its shard's, copied), and
//! `traces.csv` is written from the merged table and dF/F. `summary.json` is left to the caller, to be written last.

mod per_plane;
mod shard;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

pub use self::per_plane::Layout;
use self::shard::{read_traces, Shard};
use crate::extract::Traces;
use crate::output::schema::{self, DFF, F, FNEU, SPKS};
use crate::output::{write_clustering, write_npy, write_roi_table, write_traces_csv, OutputError};
use crate::pipeline::{cluster_cells, in_pool, PipelineOptions};

/// What the merge may be told; `None` takes the shards' own value (from their `summary.json`).
#[derive(Clone, Debug, Default)]
pub struct MergeOptions {
    /// Clusters (default: the shards' `k`, else 4).
    pub k: Option<usize>,
    /// Clustering seed (default: the shards' `seed`, else 0).
    pub seed: Option<u64>,
    /// Threads for clustering (`None`: all cores).
    pub threads: Option<usize>,
}

/// Why a merge failed.
#[derive(Debug)]
pub enum MergeError {
    /// The request cannot be served (no shards, the output is a shard, shards disagree on a
    /// default that must then be given).
    Usage(String),
    /// A shard folder is missing, damaged, of another schema or inconsistent.
    Input(String),
    /// The output could not be written.
    Output(OutputError),
    /// A bug or an unexpected failure (the thread pool could not be built).
    Internal(String),
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::Usage(m) | MergeError::Input(m) | MergeError::Internal(m) => f.write_str(m),
            MergeError::Output(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for MergeError {}

impl From<OutputError> for MergeError {
    fn from(e: OutputError) -> Self {
        MergeError::Output(e)
    }
}

/// One shard as it went into the merge.
#[derive(Clone, Debug, Serialize)]
pub struct ShardReport {
    pub dir: PathBuf,
    pub planes: Vec<usize>,
    /// Its ROIs are merged ids `first_roi .. first_roi + rois`.
    pub first_roi: usize,
    pub rois: usize,
    pub frames: usize,
    /// Its `summary.json` (null when it had none).
    pub summary: Value,
}

/// What the merge wrote.
#[derive(Clone, Debug, Serialize)]
pub struct MergeReport {
    pub rois: usize,
    pub cells: usize,
    pub clusters: usize,
    /// Frames of the merged traces.
    pub frames: usize,
    /// Planes of the shards, in shard order.
    pub planes: Vec<usize>,
    pub k: usize,
    pub seed: u64,
    pub layout: Layout,
    pub shards: Vec<ShardReport>,
    /// Files written, relative to the output folder, in a single run's order.
    pub outputs: Vec<String>,
    /// What the merge had to do that a single run would not (traces cut, ...).
    pub notes: Vec<String>,
}

/// The value every shard's summary gives `key` (`parameters.<key>`), when they all give the same.
fn common_parameter<'a>(shards: &'a [Shard], key: &str) -> Result<Option<&'a Value>, ()> {
    let first = shards[0].parameter(key);
    if shards.iter().all(|s| s.parameter(key) == first) {
        Ok(Some(first).filter(|v| !v.is_null()))
    } else {
        Err(())
    }
}

fn resolve_u64(
    given: Option<u64>,
    shards: &[Shard],
    key: &str,
    default: u64,
) -> Result<u64, MergeError> {
    if let Some(v) = given {
        return Ok(v);
    }
    match common_parameter(shards, key) {
        Ok(v) => Ok(v.and_then(Value::as_u64).unwrap_or(default)),
        Err(()) => Err(MergeError::Usage(format!(
            "the shards' summary.json give different --{key}: pass --{key}"
        ))),
    }
}

/// Stacks the `rows` of each shard's `name`, each cut to `frames`.
fn stack(shards: &[Shard], name: &str, frames: usize) -> Result<Traces, MergeError> {
    let mut t = Traces {
        rois: 0,
        frames,
        data: Vec::new(),
    };
    for s in shards {
        let (tf, data) = read_traces(&s.dir, name, s.rois.len())?;
        if tf < frames {
            return Err(MergeError::Input(format!(
                "{}: {} frames, fewer than the {} of the merged traces",
                s.dir.join(name).display(),
                tf,
                frames
            )));
        }
        for row in data.chunks(tf.max(1)).take(s.rois.len()) {
            t.data.extend_from_slice(&row[..frames]);
        }
        t.rois += s.rois.len();
    }
    Ok(t)
}

/// Merges the shard folders `dirs` into `out` (created if missing; files of the same names are
/// replaced, and a stale `summary.json` is removed first). `progress(step, done, total)`: `merge`
/// per shard read, then `cluster`.
///
/// # Errors
/// See [`MergeError`]. Every shard's ROI table, registration and dF/F are read and checked
/// before anything is written; a trace array found damaged later fails the merge part-way, and
/// `summary.json` (removed first, written last by the caller) is then absent.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    opts: &MergeOptions,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<MergeReport, MergeError> {
    if dirs.is_empty() {
        return Err(MergeError::Usage("no shard folders given".into()));
    }
    let out_abs = std::fs::canonicalize(out).ok();
    if let Some(d) = dirs
        .iter()
        .find(|d| out_abs.is_some() && std::fs::canonicalize(d).ok() == out_abs)
    {
        return Err(MergeError::Usage(format!(
            "--out {} is one of the shards: merge into another folder",
            d.display()
        )));
    }
    progress("merge", 0, dirs.len());
    let mut shards = Vec::with_capacity(dirs.len());
    for (i, d) in dirs.iter().enumerate() {
        shards.push(Shard::read(d)?);
        progress("merge", i + 1, dirs.len());
    }
    let k = resolve_u64(opts.k.map(|k| k as u64), &shards, "k", 4)? as usize;
    let seed = resolve_u64(opts.seed, &shards, "seed", 0)?;
    if k == 0 {
        return Err(MergeError::Usage("--k must be at least 1".into()));
    }

    // Frames: the shortest shard's (all equal for the planes of one recording).
    let mut shard_frames = Vec::with_capacity(shards.len());
    for s in &shards {
        shard_frames.push(read_traces(&s.dir, DFF, s.rois.len())?.0);
    }
    let frames = shard_frames.iter().copied().min().unwrap_or(0);
    let mut notes = Vec::new();
    if shard_frames.iter().any(|&f| f != frames) {
        notes.push(format!(
            "traces cut to the shortest shard: {frames} frames (shards have {shard_frames:?}); \
             each plane's suite2p folder keeps its shard's frames"
        ));
    }
    let without: Vec<String> = shards
        .iter()
        .flat_map(|s| {
            s.planes()
                .into_iter()
                .filter(|&p| !s.dir.join(schema::suite2p_dir(p)).is_dir())
                .map(|p| format!("{} plane {p}", s.dir.display()))
        })
        .collect();
    if !without.is_empty() {
        notes.push(format!(
            "no suite2p folder in the shard for {} (written by an older worker): the merged \
             folder has none for it",
            without.join(", ")
        ));
    }

    std::fs::create_dir_all(out).map_err(|e| OutputError::io(out, e))?;
    let stale = out.join(schema::SUMMARY);
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|e| OutputError::io(&stale, e))?;
    }

    let layout = per_plane::layout(&shards);
    let mut outputs = per_plane::write(out, &shards, layout)?;
    let (projections, registration): (Vec<String>, Vec<String>) = std::mem::take(&mut outputs)
        .into_iter()
        .partition(|f| f.contains(schema::PROJECTIONS_DIR));
    let (suite2p, registration): (Vec<String>, Vec<String>) = registration
        .into_iter()
        .partition(|f| f.contains("suite2p/"));

    // ROI table, renumbered in shard order.
    let mut rois = Vec::new();
    let mut regions = Vec::new();
    let mut reports = Vec::with_capacity(shards.len());
    for (s, &f) in shards.iter().zip(&shard_frames) {
        let first = rois.len();
        for (r, g) in s.rois.iter().zip(&s.regions) {
            let id = rois.len();
            rois.push(crate::output::RoiJson {
                id,
                cluster: None,
                ..r.clone()
            });
            regions.push(crate::output::Region { id, ..g.clone() });
        }
        reports.push(ShardReport {
            dir: s.dir.clone(),
            planes: s.planes(),
            first_roi: first,
            rois: s.rois.len(),
            frames: f,
            summary: s.summary.clone(),
        });
    }

    // Traces, one array at a time (dF/F kept for clustering).
    let mut trace_files = Vec::new();
    let mut dff = None;
    for name in [F, FNEU, SPKS, DFF] {
        let t = stack(&shards, name, frames)?;
        write_npy(&out.join(name), &[t.rois, t.frames], &t.data)?;
        trace_files.push(name.to_string());
        if name == DFF {
            dff = Some(t);
        }
    }
    let dff = dff.expect("dff.npy is stacked above");

    progress("cluster", 0, 1);
    let cells: Vec<bool> = rois.iter().map(|r| r.iscell).collect();
    let copts = PipelineOptions {
        k,
        seed,
        threads: opts.threads,
        ..PipelineOptions::default()
    };
    let (clustering, ids) = in_pool(opts.threads, || cluster_cells(&dff, &cells, &copts))
        .map_err(|e| MergeError::Internal(e.to_string()))?;
    let mut labels = vec![-1i64; rois.len()];
    for (row, &id) in ids.iter().enumerate() {
        if let Some(&l) = clustering.labels.get(row) {
            labels[id] = l as i64;
            rois[id].cluster = Some(l);
        }
    }
    progress("cluster", 1, 1);
    let cluster_files = write_clustering(out, &labels, &clustering)?;
    let roi_files = write_roi_table(out, &rois, &regions)?;
    write_traces_csv(&out.join(schema::TRACES_CSV), &rois, &dff)?;

    outputs.extend(registration);
    outputs.extend(roi_files);
    outputs.extend(trace_files);
    outputs.extend(cluster_files);
    outputs.push(schema::TRACES_CSV.into());
    outputs.extend(suite2p);
    outputs.extend(projections);
    Ok(MergeReport {
        rois: rois.len(),
        cells: cells.iter().filter(|&&c| c).count(),
        clusters: clustering.labels.iter().max().map_or(0, |m| m + 1),
        frames,
        planes: shards.iter().flat_map(Shard::planes).collect(),
        k,
        seed,
        layout,
        shards: reports,
        outputs,
        notes,
    })
}

/// `parameters.<key>` that every shard's summary gives alike (null when they differ or lack it):
/// for the merged summary's description of the analysis.
#[must_use]
pub fn shared_parameter(report: &MergeReport, key: &str) -> Value {
    let first = &report.shards[0].summary["parameters"][key];
    if report
        .shards
        .iter()
        .all(|s| &s.summary["parameters"][key] == first)
    {
        first.clone()
    } else {
        Value::Null
    }
}
