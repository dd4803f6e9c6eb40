//! The whole analysis for one recording: registration, detection, extraction, deconvolution,
//! clustering, over one or more planes.
//!
//! Planes are independent until clustering and run in parallel. Each plane's registered movie is
//! written to a temporary [`BinaryCache`] and streamed from there by detection and extraction,
//! so memory is bounded by the batch size and the binned detection movie (at most
//! `detect.max_bins` frames), not by the recording length. Same input, same options (seed
//! included): the same output, whatever the thread count.

mod error;
mod results;
mod stages;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use crate::cluster::{ClusterOptions, Clustering};
use crate::detect::DetectOptions;
use crate::extract::{ExtractOptions, Traces};
use crate::register::{RegisterOptions, Registration};
use crate::roi::{number_rois, RoiMask, RoiRecord};
use crate::source::{BinaryCache, FrameSource};

pub use self::error::PipelineError;
pub use self::results::{write_results, RunInfo, Stage};
pub use self::stages::{
    cluster_cells, detect_plane, extract_plane, finish_traces, plane_batch, register_plane,
    PlaneDetection,
};

/// Everything the pipeline can be told. `fs`, `tau` and `seed` override the per-stage copies.
#[derive(Clone, Debug)]
pub struct PipelineOptions {
    /// Frame rate per plane (Hz).
    pub fs: f32,
    /// Indicator decay time (s); GCaMP6s = 1.0.
    pub tau: f32,
    /// Number of activity clusters.
    pub k: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Worker threads (`None` = rayon's default, one per core).
    pub threads: Option<usize>,
    /// Frames per streamed batch.
    pub batch: usize,
    /// Run motion correction (off: the input is used as registered).
    pub do_registration: bool,
    /// Registration settings.
    pub register: RegisterOptions,
    /// Detection settings.
    pub detect: DetectOptions,
    /// Extraction settings.
    pub extract: ExtractOptions,
    /// Deconvolution sparsity penalty.
    pub deconv_lambda: f32,
    /// Clustering settings (`k` and `seed` come from above).
    pub cluster: ClusterOptions,
    /// Cluster only ROIs classified as cells (others get no cluster).
    pub cluster_cells_only: bool,
    /// Where registered-movie caches go (`None` = system temp dir).
    pub temp_dir: Option<PathBuf>,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            fs: 30.0,
            tau: 1.0,
            k: 4,
            seed: 0,
            threads: None,
            batch: 500,
            do_registration: true,
            register: RegisterOptions::default(),
            detect: DetectOptions::default(),
            extract: ExtractOptions::default(),
            deconv_lambda: 0.0,
            cluster: ClusterOptions::default(),
            cluster_cells_only: true,
            temp_dir: None,
        }
    }
}

/// Per-plane by-products.
#[derive(Clone, Debug, Default)]
pub struct PlaneResult {
    /// Plane index.
    pub plane: usize,
    /// Frames.
    pub frames: usize,
    /// Height.
    pub height: usize,
    /// Width.
    pub width: usize,
    /// Registration (reference, shifts, quality); default when registration is off.
    pub registration: Registration,
    /// Mean image of the registered plane.
    pub mean_image: Vec<f32>,
    /// Detection's activity map.
    pub activity_map: Vec<f32>,
    /// Maximum of the binned registered movie.
    pub max_image: Vec<f32>,
    /// Frames per detection bin.
    pub bin_size: usize,
    /// Wall time (s) of registration, detection and extraction for this plane.
    pub timings: Vec<(String, f64)>,
}

/// Everything the pipeline produced.
#[derive(Clone, Debug, Default)]
pub struct PipelineOutput {
    /// ROIs of all planes, plane by plane.
    pub rois: Vec<RoiRecord>,
    /// Fluorescence per ROI (`rois x frames`).
    pub f: Traces,
    /// Neuropil fluorescence per ROI.
    pub fneu: Traces,
    /// Deconvolved spikes per ROI.
    pub spks: Traces,
    /// dF/F of `F - c * Fneu`.
    pub dff: Traces,
    /// Cell classification per ROI.
    pub iscell: Vec<bool>,
    /// Clustering of the clustered ROIs; `clustered[i]` is the ROI id of row `i` of it.
    pub clustering: Clustering,
    /// ROI ids that were clustered, in clustering order.
    pub clustered: Vec<usize>,
    /// Per-plane results.
    pub planes: Vec<PlaneResult>,
    /// Wall time per step (s), in order.
    pub timings: Vec<(String, f64)>,
}

/// Progress callback: `(step, done, total)`; steps are `register`, `detect`, `extract`,
/// `deconvolve`, `cluster`. Called from worker threads.
pub type ProgressFn<'a> = &'a (dyn Fn(&str, usize, usize) + Sync);

struct PlaneOut {
    result: PlaneResult,
    rois: Vec<RoiRecord>,
    f: Traces,
    fneu: Traces,
}

/// Runs the pipeline over `planes` (one [`FrameSource`] per plane, same frame count expected).
///
/// # Errors
/// [`PipelineError::InvalidInput`] for no planes or an empty plane, I/O errors while streaming.
pub fn run(
    planes: &[&dyn FrameSource],
    opts: &PipelineOptions,
    progress: ProgressFn<'_>,
) -> Result<PipelineOutput, PipelineError> {
    let ids: Vec<usize> = (0..planes.len()).collect();
    run_selected(planes, &ids, opts, progress)
}

/// Checks that every plane can be analysed (frames, at least 8x8 pixels).
///
/// # Errors
/// [`PipelineError::InvalidInput`] naming the first bad plane.
pub fn check_planes(planes: &[&dyn FrameSource]) -> Result<(), PipelineError> {
    if planes.is_empty() {
        return Err(PipelineError::InvalidInput("no planes".into()));
    }
    for (i, p) in planes.iter().enumerate() {
        if p.frames() == 0 || p.height() < 8 || p.width() < 8 {
            return Err(PipelineError::InvalidInput(format!(
                "plane {i} is {}x{}x{}: need frames and at least 8x8 pixels",
                p.frames(),
                p.height(),
                p.width()
            )));
        }
    }
    Ok(())
}

/// Runs `f` on a rayon pool of `threads` threads (the global pool when `None`).
///
/// # Errors
/// [`PipelineError::Threads`] when the pool cannot be built.
pub fn in_pool<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> R + Send,
) -> Result<R, PipelineError> {
    match threads {
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build()
                .map_err(|e| PipelineError::Threads(e.to_string()))?;
            Ok(pool.install(f))
        }
        None => Ok(f()),
    }
}

/// Like [`run`] for a subset of a recording's planes: `planes[i]` is plane `ids[i]` of the
/// recording, and ROIs, `z` and per-plane results carry that true index. Planes are analysed
/// independently, so each plane's ROIs, traces, dF/F and spikes equal that plane's part of a run
/// over all planes (same options); only the clustering, which spans the planes given, differs.
///
/// The run is the composition of the single steps ([`register_plane`], [`detect_plane`],
/// [`extract_plane`], [`finish_traces`], [`cluster_cells`]) that the CLI also runs one by one
/// through files, so both give the same bytes.
///
/// # Errors
/// As [`run`]; [`PipelineError::InvalidInput`] when `ids` and `planes` differ in length.
pub fn run_selected(
    planes: &[&dyn FrameSource],
    ids: &[usize],
    opts: &PipelineOptions,
    progress: ProgressFn<'_>,
) -> Result<PipelineOutput, PipelineError> {
    if ids.len() != planes.len() {
        return Err(PipelineError::InvalidInput(format!(
            "{} plane ids for {} planes",
            ids.len(),
            planes.len()
        )));
    }
    check_planes(planes)?;
    in_pool(opts.threads, || run_inner(planes, ids, opts, progress))?
}

fn run_inner(
    planes: &[&dyn FrameSource],
    ids: &[usize],
    opts: &PipelineOptions,
    progress: ProgressFn<'_>,
) -> Result<PipelineOutput, PipelineError> {
    let total_frames: usize = planes.iter().map(|p| p.frames()).sum();
    let counters = [
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ];
    let t0 = Instant::now();
    let per_plane: Vec<Result<PlaneOut, PipelineError>> = planes
        .par_iter()
        .enumerate()
        .map(|(i, src)| {
            run_plane(
                ids[i],
                *src,
                opts,
                progress,
                &counters,
                total_frames,
                planes.len(),
            )
        })
        .collect();
    let mut outs = Vec::with_capacity(planes.len());
    for r in per_plane {
        outs.push(r?);
    }
    let mut timings = vec![("planes".to_string(), t0.elapsed().as_secs_f64())];

    // combine planes
    let f = Traces::concat(&outs.iter().map(|o| &o.f).collect::<Vec<_>>());
    let fneu = Traces::concat(&outs.iter().map(|o| &o.fneu).collect::<Vec<_>>());
    let mut rois = number_rois(
        outs.iter_mut()
            .map(|o| std::mem::take(&mut o.rois))
            .collect(),
    );
    let t1 = Instant::now();
    progress("deconvolve", 0, f.rois);
    let (dff, spks) = finish_traces(&f, &fneu, opts);
    progress("deconvolve", f.rois, f.rois);
    timings.push(("deconvolve".to_string(), t1.elapsed().as_secs_f64()));

    let t2 = Instant::now();
    progress("cluster", 0, 1);
    let iscell: Vec<bool> = rois.iter().map(|r| r.iscell).collect();
    let (clustering, clustered) = cluster_cells(&dff, &iscell, opts);
    for (row, &id) in clustered.iter().enumerate() {
        rois[id].cluster = clustering.labels.get(row).copied();
    }
    progress("cluster", 1, 1);
    timings.push(("cluster".to_string(), t2.elapsed().as_secs_f64()));

    Ok(PipelineOutput {
        rois,
        f,
        fneu,
        spks,
        dff,
        iscell,
        clustering,
        clustered,
        planes: outs.into_iter().map(|o| o.result).collect(),
        timings,
    })
}

/// `f` over `items` on the current rayon pool, results in item order (planes run in parallel).
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    items.par_iter().map(f).collect()
}

fn run_plane(
    pi: usize,
    src: &dyn FrameSource,
    opts: &PipelineOptions,
    progress: ProgressFn<'_>,
    counters: &[AtomicUsize; 3],
    total_frames: usize,
    n_planes: usize,
) -> Result<PlaneOut, PipelineError> {
    let (t, h, w) = (src.frames(), src.height(), src.width());
    let report = |step: usize, name: &str, delta: usize, total: usize| {
        let done = counters[step].fetch_add(delta, Ordering::Relaxed) + delta;
        progress(name, done, total);
    };
    let mut cache = None;
    let mut registration = Registration::default();
    let mut timings = Vec::new();
    let clock = Instant::now();
    if opts.do_registration {
        let mut c = BinaryCache::create(opts.temp_dir.as_deref(), h, w)?;
        let last = AtomicUsize::new(0);
        registration = register_plane(src, opts, &mut c, &mut |_| {}, &|done, _| {
            let prev = last.swap(done, Ordering::Relaxed);
            report(0, "register", done - prev, total_frames);
        })?;
        cache = Some(c);
    }
    let reg_src: &dyn FrameSource = match &cache {
        Some(c) => c,
        None => src,
    };
    timings.push(("register".to_string(), clock.elapsed().as_secs_f64()));
    let clock = Instant::now();
    let det = detect_plane(pi, reg_src, opts)?;
    report(1, "detect", 1, n_planes);
    timings.push(("detect".to_string(), clock.elapsed().as_secs_f64()));
    let clock = Instant::now();
    let last = AtomicUsize::new(0);
    let masks: Vec<RoiMask> = det.rois.iter().map(RoiRecord::mask).collect();
    let (f, fneu) = extract_plane(reg_src, &masks, opts, &|done, _| {
        let prev = last.swap(done, Ordering::Relaxed);
        report(2, "extract", done - prev, total_frames);
    })?;
    timings.push(("extract".to_string(), clock.elapsed().as_secs_f64()));
    Ok(PlaneOut {
        result: PlaneResult {
            plane: pi,
            frames: t,
            height: h,
            width: w,
            registration,
            mean_image: det.mean_image,
            activity_map: det.activity_map,
            max_image: det.max_image,
            bin_size: det.bin_size,
            timings,
        },
        rois: det.rois,
        f,
        fneu,
    })
}
