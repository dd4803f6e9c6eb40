//! The whole analysis for one recording: registration, detection, extraction, deconvolution,
//! clustering, over one or more planes.
//!
//! Planes are independent until clustering and run in parallel. Each plane's registered movie is
//! written to a temporary [`BinaryCache`] and streamed from there by detection and extraction,
//! so memory is bounded by the batch size and the binned detection movie (at most
//! `detect.max_bins` frames), not by the recording length. Same input, same options (seed
//! included): the same output, whatever the thread count.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use crate::cluster::{self, ClusterOptions, Clustering};
use crate::deconv::{self, DeconvOptions};
use crate::detect::{self, DetectOptions, Roi};
use crate::extract::{self, ExtractOptions, Mask, Traces};
use crate::register::{self, RegisterOptions, Registration};
use crate::source::{BinaryCache, FrameSource};
use crate::steps::masks::RoiMask;

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

/// Pipeline failure.
#[derive(Debug)]
pub enum PipelineError {
    /// Reading the input or the cache failed.
    Io(io::Error),
    /// The input cannot be analysed (no planes, empty or mismatched planes).
    InvalidInput(String),
    /// The thread pool could not be built.
    Threads(String),
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Io(e) => write!(f, "i/o error: {e}"),
            PipelineError::InvalidInput(s) => write!(f, "invalid input: {s}"),
            PipelineError::Threads(s) => write!(f, "thread pool: {s}"),
        }
    }
}

impl std::error::Error for PipelineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PipelineError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for PipelineError {
    fn from(e: io::Error) -> Self {
        PipelineError::Io(e)
    }
}

/// One ROI of the output (all planes numbered together).
#[derive(Clone, Debug, PartialEq)]
pub struct RoiRecord {
    /// Index in the output arrays.
    pub id: usize,
    /// Plane index.
    pub plane: usize,
    /// Centroid column (pixels).
    pub x: f32,
    /// Centroid row (pixels).
    pub y: f32,
    /// Depth: the plane index (plane spacing units).
    pub z: f32,
    /// Pixels `(row, col)`.
    pub pixels: Vec<(u32, u32)>,
    /// Footprint weights, one per pixel.
    pub weights: Vec<f32>,
    /// Cell score in [0, 1].
    pub score: f32,
    /// Classified as a cell.
    pub iscell: bool,
    /// Activity cluster (`None` when not clustered).
    pub cluster: Option<usize>,
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

/// Gives the ROIs of consecutive planes their output ids `0..n`, plane after plane.
#[must_use]
pub fn number_rois(per_plane: Vec<Vec<RoiRecord>>) -> Vec<RoiRecord> {
    let mut rois: Vec<RoiRecord> = per_plane.into_iter().flatten().collect();
    for (i, r) in rois.iter_mut().enumerate() {
        r.id = i;
    }
    rois
}

/// dF/F and deconvolved spikes of `F - c * Fneu` (the extraction step's derived traces).
#[must_use]
pub fn finish_traces(f: &Traces, fneu: &Traces, opts: &PipelineOptions) -> (Traces, Traces) {
    let fc = extract::corrected(f, fneu, opts.extract.neuropil_coefficient);
    let dff = extract::dff_all(&fc, f, opts.fs, &opts.extract);
    let dopts = DeconvOptions {
        fs: opts.fs,
        tau: opts.tau,
        lambda: opts.deconv_lambda,
        baseline_sigma_s: opts.extract.baseline_sigma_s,
        baseline_window_s: opts.extract.baseline_window_s,
    };
    let spks = deconv::deconvolve_all(&fc, &dopts);
    (dff, spks)
}

/// Clusters the rows of `dff` whose `cells` flag is set (all rows when
/// `opts.cluster_cells_only` is off) with `opts.k` and `opts.seed`; non-finite values count as 0.
/// Returns the clustering and the row ids clustered, in clustering order.
#[must_use]
pub fn cluster_cells(
    dff: &Traces,
    cells: &[bool],
    opts: &PipelineOptions,
) -> (Clustering, Vec<usize>) {
    let clustered: Vec<usize> = (0..dff.rois)
        .filter(|&i| cells.get(i).copied().unwrap_or(false) || !opts.cluster_cells_only)
        .collect();
    let mut sub = Traces {
        rois: clustered.len(),
        frames: dff.frames,
        data: Vec::with_capacity(clustered.len() * dff.frames),
    };
    for &i in &clustered {
        sub.data.extend(
            dff.row(i)
                .iter()
                .map(|&v| if v.is_finite() { v } else { 0.0 }),
        );
    }
    let copts = ClusterOptions {
        k: opts.k,
        seed: opts.seed,
        ..opts.cluster.clone()
    };
    (cluster::cluster(&sub, &copts), clustered)
}

/// Bytes of frames one streamed batch may hold (the registered copy doubles it).
const BATCH_BYTES: usize = 32 << 20;

/// The batch actually streamed for frames of `frame_len` pixels: at most `opts.batch` frames and
/// about [`BATCH_BYTES`], but enough frames to keep every thread busy. Results do not depend on it.
#[must_use]
pub fn plane_batch(opts: &PipelineOptions, frame_len: usize) -> usize {
    let by_memory = BATCH_BYTES / (frame_len.max(1) * 4);
    let floor = 2 * rayon::current_num_threads();
    opts.batch.max(1).min(by_memory.max(floor))
}

/// Step 1 for one plane: registers `src` into `cache` (appended, then finished), showing every
/// registered batch to `observe` first. `progress(done, total)` in frames.
///
/// # Errors
/// Read errors from `src`; write errors of the cache, wrapping an
/// [`OutputError`](crate::output::OutputError) that names the cache file.
pub fn register_plane(
    src: &dyn FrameSource,
    opts: &PipelineOptions,
    cache: &mut BinaryCache,
    observe: &mut dyn FnMut(&[f32]),
    progress: &dyn Fn(usize, usize),
) -> io::Result<Registration> {
    let batch = plane_batch(opts, src.frame_len());
    let path = cache.path().to_path_buf();
    let wrap = |e: io::Error| {
        io::Error::other(crate::output::OutputError::Io {
            path: path.clone(),
            source: e,
        })
    };
    let r = register::register_source(
        src,
        &opts.register,
        batch,
        &mut |_, data| {
            observe(data);
            cache.append(data).map_err(wrap)
        },
        progress,
    )?;
    cache.finish().map_err(wrap)?;
    Ok(r)
}

/// Step 2's result for one plane.
#[derive(Clone, Debug)]
pub struct PlaneDetection {
    /// The plane's ROIs, `id` numbered within the plane (see [`number_rois`]).
    pub rois: Vec<RoiRecord>,
    /// Mean image of the registered plane.
    pub mean_image: Vec<f32>,
    /// Detection's activity map.
    pub activity_map: Vec<f32>,
    /// Frames per detection bin.
    pub bin_size: usize,
}

/// Step 2 for plane `plane`: ROIs from its registered movie `reg`.
///
/// # Errors
/// Read errors from `reg`.
pub fn detect_plane(
    plane: usize,
    reg: &dyn FrameSource,
    opts: &PipelineOptions,
) -> io::Result<PlaneDetection> {
    let w = reg.width();
    let dopts = DetectOptions {
        fs: opts.fs,
        tau: opts.tau,
        batch: plane_batch(opts, reg.frame_len()),
        ..opts.detect.clone()
    };
    let det = detect::detect(reg, &dopts)?;
    let rois = det
        .rois
        .iter()
        .enumerate()
        .map(|(i, r)| roi_record(i, plane, w, r))
        .collect();
    Ok(PlaneDetection {
        rois,
        mean_image: det.mean_image,
        activity_map: det.activity_map,
        bin_size: det.bin_size,
    })
}

fn roi_record(id: usize, plane: usize, w: usize, r: &Roi) -> RoiRecord {
    RoiRecord {
        id,
        plane,
        x: r.centroid.1,
        y: r.centroid.0,
        z: plane as f32,
        pixels: r
            .pixels
            .iter()
            .map(|&p| ((p as usize / w) as u32, (p as usize % w) as u32))
            .collect(),
        weights: r.weights.clone(),
        score: r.features.score,
        iscell: r.iscell,
        cluster: None,
    }
}

/// Step 3 for one plane: `(F, Fneu)` of `rois` (all of this plane's ROIs, pixels inside `reg`'s
/// frame) streamed from the registered movie `reg`; neuropil annuli exclude every ROI given.
/// `progress(done, total)` in frames.
///
/// # Errors
/// Read errors from `reg`; `InvalidInput` when a pixel lies outside the frame.
pub fn extract_plane(
    reg: &dyn FrameSource,
    rois: &[RoiMask],
    opts: &PipelineOptions,
    progress: &dyn Fn(usize, usize),
) -> io::Result<(Traces, Traces)> {
    let (h, w) = (reg.height(), reg.width());
    let mut linear = Vec::with_capacity(rois.len());
    for r in rois {
        if let Some(&(y, x)) = r
            .pixels
            .iter()
            .find(|&&(y, x)| y as usize >= h || x as usize >= w)
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "ROI {} has pixel ({y}, {x}) outside the {h}x{w} frame",
                    r.id
                ),
            ));
        }
        linear.push(
            r.pixels
                .iter()
                .map(|&(y, x)| y * w as u32 + x)
                .collect::<Vec<u32>>(),
        );
    }
    let cell_masks: Vec<Mask> = rois
        .iter()
        .zip(&linear)
        .map(|(r, px)| Mask::new(px.clone(), Some(r.weights.clone())))
        .collect();
    let roi_px: Vec<&[u32]> = linear.iter().map(Vec::as_slice).collect();
    let np_masks: Vec<Mask> = extract::neuropil_masks(&roi_px, h, w, &opts.extract.neuropil)
        .into_iter()
        .map(|p| Mask::new(p, None))
        .collect();
    extract::extract(
        reg,
        &cell_masks,
        &np_masks,
        plane_batch(opts, h * w),
        progress,
    )
}

impl RoiRecord {
    /// The footprint extraction needs.
    #[must_use]
    pub fn mask(&self) -> RoiMask {
        RoiMask {
            id: self.id,
            plane: self.plane,
            pixels: self.pixels.clone(),
            weights: self.weights.clone(),
        }
    }
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
            bin_size: det.bin_size,
            timings,
        },
        rois: det.rois,
        f,
        fneu,
    })
}
