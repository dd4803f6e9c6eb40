//! The single steps of the pipeline for one plane (register, detect, extract) and over all
//! planes (dF/F and spikes, clustering). [`super::run_selected`] composes them in one process;
//! the CLI's `register`, `detect`, `extract` and `cluster` run them one at a time through files,
//! so both give the same bytes.

use std::io;

use super::PipelineOptions;
use crate::cluster::{self, ClusterOptions, Clustering};
use crate::deconv::{self, DeconvOptions};
use crate::detect::{self, DetectOptions};
use crate::extract::{self, Mask, Traces};
use crate::register::{self, Registration};
use crate::roi::{RoiMask, RoiRecord};
use crate::source::{BinaryCache, FrameSource};

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
    /// Maximum of the binned registered movie.
    pub max_image: Vec<f32>,
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
        .map(|(i, r)| RoiRecord::from_detected(i, plane, w, r))
        .collect();
    Ok(PlaneDetection {
        rois,
        mean_image: det.mean_image,
        activity_map: det.activity_map,
        max_image: det.max_image,
        bin_size: det.bin_size,
    })
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
