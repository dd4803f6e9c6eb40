//! The single steps on files: `register` writes the registered-movie cache, `detect` reads it
//! and writes ROIs and their masks, `extract` reads both and writes traces. Each step runs the
//! same library functions `analyze` composes, so the chain gives `analyze`'s bytes. Every run
//! writes `summary.json`; a missing, damaged or incompatible earlier output exits 3 with one line.

use super::{
    check_at_least_one, check_channel, check_tau, open_input, open_planes, resolve_fs, Log,
};
use crate::args::{DetectArgs, ExtractArgs, RegisterArgs};
use crate::commands::pipeline::pipeline_error;
use crate::exit::CliError;
use crate::progress::JsonProgress;
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use worker_core::extract::Traces;
use worker_core::output::{
    schema, write_json, write_readme, write_registration, write_rois, write_traces, SCHEMA_VERSION,
};
use worker_core::pipeline::{self, PipelineError, PipelineOptions};
use worker_core::source::FrameSource;
use worker_core::steps::masks::{self, DetectedPlane, RoiMask};
use worker_core::steps::registered::{self, PixelStats, RegisteredPlane};
use worker_core::steps::StepError;

#[derive(Serialize)]
struct Summary<'a> {
    schema: u32,
    worker_version: &'static str,
    input: &'a serde_json::Value,
    parameters: serde_json::Value,
    counts: serde_json::Value,
    /// Wall time per step in seconds, in order.
    timings: Vec<(String, f64)>,
    outputs: Vec<String>,
}

impl From<StepError> for CliError {
    fn from(e: StepError) -> Self {
        CliError::Input(e.to_string())
    }
}

fn create_out(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::Output(format!("cannot create {}: {}", dir.display(), e)))
}

/// Removes a file an interrupted or earlier run may have left, so it is never mistaken for this
/// run's output.
fn remove_stale(path: &Path) -> Result<(), CliError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CliError::Output(format!(
            "cannot remove {}: {}",
            path.display(),
            e
        ))),
        _ => Ok(()),
    }
}

/// Shared progress printer: `report(step, done, total)` from any thread.
fn reporter() -> impl Fn(&str, usize, usize) + Sync {
    let progress = Mutex::new(JsonProgress::new());
    move |s: &str, done: usize, total: usize| {
        if let Ok(mut p) = progress.lock() {
            p.emit_raw(s, done as u64, total as u64);
        }
    }
}

fn write_summary(
    out: &Path,
    input: &serde_json::Value,
    parameters: serde_json::Value,
    counts: serde_json::Value,
    mut timings: Vec<(String, f64)>,
    mut outputs: Vec<String>,
    t0: Instant,
) -> Result<(), CliError> {
    outputs.push(schema::README.into());
    outputs.push(schema::SUMMARY.into());
    write_readme(out, &outputs)?;
    timings.push(("total".into(), t0.elapsed().as_secs_f64()));
    let s = Summary {
        schema: SCHEMA_VERSION,
        worker_version: env!("CARGO_PKG_VERSION"),
        input,
        parameters,
        counts,
        timings,
        outputs,
    };
    write_json(&out.join("summary.json"), &s)?;
    Ok(())
}

/// `register --input ... --out DIR`.
pub fn register(a: &RegisterArgs, log: &Log) -> Result<(), CliError> {
    let t0 = Instant::now();
    check_at_least_one("--threads", a.threads)?;
    let src = open_input(&a.input, log)?;
    let info = src.info().clone();
    check_channel(a.channel, info.channels)?;
    let (fs, fs_from) = resolve_fs(a.fs, info.frame_rate_hz.map(|f| (f, "metadata")))?;
    let (selected, planes) = open_planes(&a.input, &src, a.channel)?;
    let refs: Vec<&dyn FrameSource> = planes.iter().map(|p| p as &dyn FrameSource).collect();
    pipeline::check_planes(&refs).map_err(pipeline_error)?;
    registered::begin(&a.out)?;
    let opts = PipelineOptions {
        fs: fs as f32,
        threads: a.threads,
        ..PipelineOptions::default()
    };
    let report = reporter();
    let total: usize = refs.iter().map(|p| p.frames()).sum();
    let done = AtomicUsize::new(0);
    let t = Instant::now();
    let per_plane = pipeline::in_pool(a.threads, || {
        let items: Vec<(&dyn FrameSource, usize)> =
            refs.iter().copied().zip(selected.iter().copied()).collect();
        pipeline::par_map(&items, |&(src, p)| -> Result<_, CliError> {
            let (h, w) = (src.height(), src.width());
            let mut cache = registered::create_plane(&a.out, p, h, w).map_err(|e| {
                CliError::Output(format!(
                    "cannot create {}: {}",
                    a.out.join(registered::plane_file(p)).display(),
                    e
                ))
            })?;
            let mut stats = PixelStats::new(h * w);
            let last = AtomicUsize::new(0);
            let reg =
                pipeline::register_plane(src, &opts, &mut cache, &mut |d| stats.add(d), &|d, _| {
                    let prev = last.swap(d, Ordering::Relaxed);
                    report(
                        "register",
                        done.fetch_add(d - prev, Ordering::Relaxed) + d - prev,
                        total,
                    );
                })
                .map_err(|e| pipeline_error(PipelineError::Io(e)))?;
            let files = registered::write_plane_images(&a.out, p, h, w, &reg.reference, &stats)?;
            let header = RegisteredPlane {
                plane: p,
                file: registered::plane_file(p),
                frames: src.frames(),
                height: h,
                width: w,
                quality: reg.mean_corr_after(),
            };
            Ok((header, reg, files))
        })
    })
    .map_err(pipeline_error)?;
    let mut results = Vec::with_capacity(per_plane.len());
    for r in per_plane {
        results.push(r?);
    }
    let timings = vec![("register".to_string(), t.elapsed().as_secs_f64())];
    let pairs: Vec<_> = results.iter().map(|(h, r, _)| (h.plane, r)).collect();
    let mut outputs = write_registration(&a.out, &pairs)?;
    for (h, _, files) in &results {
        outputs.push(h.file.clone());
        outputs.extend(files.iter().cloned());
    }
    let input = serde_json::to_value(&info).map_err(|e| CliError::Internal(e.to_string()))?;
    let header = registered::new_header(
        fs,
        fs_from,
        a.channel,
        input.clone(),
        results.iter().map(|(h, _, _)| h.clone()).collect(),
    );
    registered::write_header(&a.out, &header)?;
    outputs.push(registered::HEADER.into());
    log.info(format!(
        "registered {} plane(s) of {} frames into {}",
        selected.len(),
        info.frames,
        a.out.display()
    ));
    write_summary(
        &a.out,
        &input,
        serde_json::json!({ "step": "register", "fs": fs, "fs_from": fs_from, "threads": a.threads, "channel": a.channel, "planes": a.input.planes, "channels": a.input.channels, "plane": selected }),
        serde_json::json!({ "planes": selected.len(), "frames": info.frames }),
        timings,
        outputs,
        t0,
    )
}

/// `detect --registered DIR --out DIR`.
pub fn detect(a: &DetectArgs, log: &Log) -> Result<(), CliError> {
    let t0 = Instant::now();
    check_at_least_one("--threads", a.threads)?;
    check_tau(a.tau)?;
    let dir = a
        .registered
        .as_deref()
        .expect("detect::run needs --registered");
    let sel = if a.plane.is_empty() {
        None
    } else {
        Some(a.plane.as_slice())
    };
    let movie = registered::open(dir, sel)?;
    let hd = &movie.header;
    let (fs, fs_from) = resolve_fs(a.fs, Some((hd.fs, "registered")))?;
    let opts = PipelineOptions {
        fs: fs as f32,
        tau: a.tau as f32,
        seed: a.seed,
        threads: a.threads,
        ..PipelineOptions::default()
    };
    create_out(&a.out)?;
    remove_stale(&a.out.join(masks::HEADER))?;
    let report = reporter();
    let n = movie.planes.len();
    let done = AtomicUsize::new(0);
    let t = Instant::now();
    let per_plane = pipeline::in_pool(a.threads, || {
        let items: Vec<(&worker_core::source::BinaryCache, usize)> = movie
            .planes
            .iter()
            .zip(hd.planes.iter().map(|q| q.plane))
            .collect();
        pipeline::par_map(&items, |&(c, p)| {
            let d = pipeline::detect_plane(p, c, &opts);
            report("detect", done.fetch_add(1, Ordering::Relaxed) + 1, n);
            d
        })
    })
    .map_err(pipeline_error)?;
    let mut dets = Vec::with_capacity(n);
    for d in per_plane {
        dets.push(d.map_err(|e| read_error(&movie.dir, e))?);
    }
    let timings = vec![("detect".to_string(), t.elapsed().as_secs_f64())];
    let planes: Vec<DetectedPlane> = hd
        .planes
        .iter()
        .zip(&dets)
        .map(|(q, d)| DetectedPlane {
            plane: q.plane,
            frames: q.frames,
            height: q.height,
            width: q.width,
            rois: d.rois.len(),
        })
        .collect();
    let rois = worker_core::roi::number_rois(dets.into_iter().map(|d| d.rois).collect());
    let cells = rois.iter().filter(|r| r.iscell).count();
    let mut outputs = write_rois(&a.out, &rois)?;
    outputs.extend(masks::write(&a.out, &planes, fs, a.tau, &rois)?);
    log.info(format!(
        "{} ROIs ({} cells) in {} plane(s); wrote {}",
        rois.len(),
        cells,
        n,
        a.out.display()
    ));
    let plane_ids: Vec<usize> = hd.planes.iter().map(|q| q.plane).collect();
    write_summary(
        &a.out,
        &hd.input,
        serde_json::json!({ "step": "detect", "registered": dir, "fs": fs, "fs_from": fs_from, "tau": a.tau, "seed": a.seed, "threads": a.threads, "plane": plane_ids }),
        serde_json::json!({ "planes": n, "frames": hd.planes.first().map_or(0, |q| q.frames), "rois": rois.len(), "cells": cells }),
        timings,
        outputs,
        t0,
    )
}

/// A read failure of a cache file during a step: the cache is damaged (exit 3).
fn read_error(dir: &Path, e: std::io::Error) -> CliError {
    CliError::Input(format!(
        "reading the registered cache in {}: {}; re-run register",
        dir.display(),
        e
    ))
}

/// `extract --registered DIR --rois DIR --out DIR`.
pub fn extract(a: &ExtractArgs, log: &Log) -> Result<(), CliError> {
    let t0 = Instant::now();
    check_at_least_one("--threads", a.threads)?;
    let reg_dir = a
        .registered
        .as_deref()
        .expect("extract::run needs --registered");
    let roi_dir = a.rois.as_deref().expect("extract::run needs --rois");
    let det = masks::read_header(roi_dir)?;
    let movie = registered::open(reg_dir, None)?;
    masks::check_against(roi_dir, &det, &movie)?;
    let all = masks::read_masks(roi_dir, &det)?;
    let (fs, fs_from) = resolve_fs(a.fs, Some((det.fs, "detection")))?;
    let tau = a.tau.unwrap_or(det.tau);
    check_tau(tau)?;
    let opts = PipelineOptions {
        fs: fs as f32,
        tau: tau as f32,
        seed: a.seed,
        threads: a.threads,
        ..PipelineOptions::default()
    };
    create_out(&a.out)?;
    let report = reporter();
    let total: usize = det.planes.iter().map(|p| p.frames).sum();
    let done = AtomicUsize::new(0);
    let t = Instant::now();
    let by_plane: Vec<(usize, Vec<RoiMask>)> = det
        .planes
        .iter()
        .map(|p| {
            (
                p.plane,
                all.iter().filter(|r| r.plane == p.plane).cloned().collect(),
            )
        })
        .collect();
    let per_plane = pipeline::in_pool(a.threads, || {
        pipeline::par_map(&by_plane, |(p, rois)| {
            let c = &movie.planes[movie.index_of(*p).expect("checked against the cache")];
            let last = AtomicUsize::new(0);
            pipeline::extract_plane(c, rois, &opts, &|d, _| {
                let prev = last.swap(d, Ordering::Relaxed);
                report(
                    "extract",
                    done.fetch_add(d - prev, Ordering::Relaxed) + d - prev,
                    total,
                );
            })
        })
    })
    .map_err(pipeline_error)?;
    let mut parts = Vec::with_capacity(per_plane.len());
    for r in per_plane {
        parts.push(r.map_err(|e| read_error(reg_dir, e))?);
    }
    let f = Traces::concat(&parts.iter().map(|(f, _)| f).collect::<Vec<_>>());
    let fneu = Traces::concat(&parts.iter().map(|(_, n)| n).collect::<Vec<_>>());
    drop(parts);
    let mut timings = vec![("extract".to_string(), t.elapsed().as_secs_f64())];
    let t = Instant::now();
    report("deconvolve", 0, f.rois);
    let (dff, spks) = pipeline::finish_traces(&f, &fneu, &opts);
    report("deconvolve", f.rois, f.rois);
    timings.push(("deconvolve".into(), t.elapsed().as_secs_f64()));
    let outputs = write_traces(&a.out, &f, &fneu, &spks, &dff)?;
    log.info(format!(
        "traces of {} ROIs x {} frames; wrote {}",
        f.rois,
        f.frames,
        a.out.display()
    ));
    let plane_ids: Vec<usize> = det.planes.iter().map(|q| q.plane).collect();
    write_summary(
        &a.out,
        &movie.header.input,
        serde_json::json!({ "step": "extract", "registered": reg_dir, "rois": roi_dir, "fs": fs, "fs_from": fs_from, "tau": tau, "seed": a.seed, "threads": a.threads, "plane": plane_ids }),
        serde_json::json!({ "planes": plane_ids.len(), "frames": f.frames, "rois": f.rois }),
        timings,
        outputs,
        t0,
    )
}
