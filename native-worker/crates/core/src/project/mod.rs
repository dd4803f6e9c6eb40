//! Projections for a first look at data quality: per-pixel mean, max and standard deviation
//! over time for every plane and channel, streamed batch by batch (memory: one batch plus a few
//! images), written as 16-bit and 8-bit PNG, plus animated GIFs of max and std projections over
//! consecutive time windows.
//!
//! Files (in `out_dir`, `_c{k}` added only when the movie has several channels):
//! `plane{p}_{mean,max,std}.png` (16-bit, min..max of the image mapped to 0..65535),
//! `plane{p}_{mean,max,std}_8bit.png` (0.5th..99.5th percentile mapped to 0..255),
//! `plane{p}_{max,std}.gif` (one frame per window, shared percentile scale),
//! `first_frame_plane{p}.png` (the first raw frame, 8-bit, 0.5th..99.5th percentile; listed
//! first for its plane, kind `first`), and `projections.json` listing every image with its scale.
//! The accumulation is here; writing one plane's images is in `images.rs`.

mod images;

pub use self::images::{listed_files, write_plane_images, ImageRecord, ProjectionsSummary};

use crate::output::{write_json, OutputError, SCHEMA_VERSION};
use crate::progress::Progress;
use crate::tiff::{Source, TiffError};
use std::path::Path;

/// Per-pixel running mean, max and variance (Welford, f64) over a stream of frames.
#[derive(Clone, Debug)]
pub struct Accumulator {
    n: u64,
    mean: Vec<f64>,
    m2: Vec<f64>,
    max: Vec<f32>,
}

impl Accumulator {
    /// An empty accumulator for frames of `pixels` values.
    pub fn new(pixels: usize) -> Self {
        Accumulator {
            n: 0,
            mean: vec![0.0; pixels],
            m2: vec![0.0; pixels],
            max: vec![f32::NEG_INFINITY; pixels],
        }
    }

    /// Adds one frame (`pixels` values).
    pub fn push(&mut self, frame: &[f32]) {
        self.n += 1;
        let inv = 1.0 / self.n as f64;
        for (i, &x) in frame.iter().enumerate().take(self.mean.len()) {
            let x64 = x as f64;
            let d = x64 - self.mean[i];
            self.mean[i] += d * inv;
            self.m2[i] += d * (x64 - self.mean[i]);
            if x > self.max[i] {
                self.max[i] = x;
            }
        }
    }

    /// Frames added so far.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// `(mean, max, std)` images; population standard deviation; zeros if no frame was added.
    #[must_use]
    pub fn finish(&self) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        if self.n == 0 {
            let z = vec![0.0; self.mean.len()];
            return (z.clone(), z.clone(), z);
        }
        let mean = self.mean.iter().map(|&v| v as f32).collect();
        let std = self
            .m2
            .iter()
            .map(|&v| (v / self.n as f64).max(0.0).sqrt() as f32)
            .collect();
        (mean, self.max.clone(), std)
    }
}

/// Settings for [`write_projections`].
#[derive(Clone, Debug)]
pub struct ProjectOptions {
    /// Frames read per batch.
    pub batch: usize,
    /// Time windows (GIF frames) per plane; fewer if the movie is shorter.
    pub windows: usize,
    /// GIF frame delay in hundredths of a second.
    pub gif_delay_cs: u16,
    /// Planes/channels projected at the same time.
    pub threads: usize,
}

impl Default for ProjectOptions {
    fn default() -> Self {
        ProjectOptions {
            batch: 64,
            windows: 20,
            gif_delay_cs: 20,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Projections of one plane and channel.
#[derive(Clone, Debug)]
pub struct PlaneProjection {
    pub plane: usize,
    pub channel: usize,
    pub width: usize,
    pub height: usize,
    pub frames: usize,
    pub mean: Vec<f32>,
    pub max: Vec<f32>,
    pub std: Vec<f32>,
    /// The first raw frame (empty if the movie has no frames).
    pub first: Vec<f32>,
    /// Max projection of each time window.
    pub window_max: Vec<Vec<f32>>,
    /// Std projection of each time window.
    pub window_std: Vec<Vec<f32>>,
}

/// Input or output failure while projecting.
#[derive(Debug)]
pub enum ProjectError {
    Input(TiffError),
    Output(OutputError),
}

impl std::fmt::Display for ProjectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProjectError::Input(e) => e.fmt(f),
            ProjectError::Output(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ProjectError {}

impl From<TiffError> for ProjectError {
    fn from(e: TiffError) -> Self {
        ProjectError::Input(e)
    }
}

impl From<OutputError> for ProjectError {
    fn from(e: OutputError) -> Self {
        ProjectError::Output(e)
    }
}

/// Computes the projections of one plane and channel; `tick(frames)` is called after each batch.
pub fn project_plane(
    src: &Source,
    plane: usize,
    channel: usize,
    opts: &ProjectOptions,
    tick: &mut dyn FnMut(u64),
) -> Result<PlaneProjection, TiffError> {
    let info = src.info();
    let (h, w, t) = (info.height, info.width, info.frames);
    let windows = opts.windows.clamp(1, t.max(1));
    let bounds: Vec<usize> = (0..=windows).map(|k| k * t / windows).collect();
    let mut all = Accumulator::new(h * w);
    let mut win = Accumulator::new(h * w);
    let (mut window_max, mut window_std) = (Vec::new(), Vec::new());
    let mut k = 0;
    let mut first = Vec::new();
    let mut r = src.reader();
    for b in r.batches(plane, channel, opts.batch) {
        let b = b?;
        for (i, f) in b.data.chunks_exact(h * w).enumerate() {
            if b.start + i == 0 {
                first = f.to_vec();
            }
            all.push(f);
            win.push(f);
            if b.start + i + 1 == bounds[k + 1] {
                let (_, mx, sd) = win.finish();
                window_max.push(mx);
                window_std.push(sd);
                win = Accumulator::new(h * w);
                k = (k + 1).min(windows - 1);
            }
        }
        tick(b.frames as u64);
    }
    let (mean, max, std) = all.finish();
    Ok(PlaneProjection {
        plane,
        channel,
        width: w,
        height: h,
        frames: t,
        mean,
        max,
        std,
        first,
        window_max,
        window_std,
    })
}

/// Projects every plane and channel of `src` (several at once, each with its own reader) and
/// writes the images and `projections.json` into `out_dir`. Progress step: `project`.
pub fn write_projections(
    src: &Source,
    out_dir: &Path,
    opts: &ProjectOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ProjectionsSummary, ProjectError> {
    write_projections_planes(src, out_dir, opts, None, progress)
}

/// [`write_projections`] for the planes in `planes` only (`None` = all; indices past the last
/// plane are skipped). Images keep the true plane index in their names and records.
pub fn write_projections_planes(
    src: &Source,
    out_dir: &Path,
    opts: &ProjectOptions,
    planes: Option<&[usize]>,
    progress: &mut dyn FnMut(Progress),
) -> Result<ProjectionsSummary, ProjectError> {
    let info = src.info().clone();
    let selected: Vec<usize> = match planes {
        Some(ps) => ps.iter().copied().filter(|&p| p < info.planes).collect(),
        None => (0..info.planes).collect(),
    };
    let jobs: Vec<(usize, usize)> = selected
        .into_iter()
        .flat_map(|p| (0..info.channels).map(move |c| (p, c)))
        .collect();
    let total = (jobs.len() * info.frames) as u64;
    let multi = info.channels > 1;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<Result<u64, ProjectError>>();
    let mut records: Vec<(usize, Vec<ImageRecord>)> = Vec::new();
    let records_mx = std::sync::Mutex::new(&mut records);
    let mut first_err = None;
    std::thread::scope(|s| {
        for _ in 0..opts.threads.clamp(1, jobs.len().max(1)) {
            let tx = tx.clone();
            let (jobs, next, records_mx, src) = (&jobs, &next, &records_mx, src);
            s.spawn(move || loop {
                let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(p, c)) = jobs.get(j) else { break };
                let mut tick = |n: u64| {
                    let _ = tx.send(Ok(n));
                };
                let r = project_plane(src, p, c, opts, &mut tick)
                    .map_err(ProjectError::from)
                    .and_then(|pp| {
                        write_plane_images(out_dir, &pp, multi, opts.gif_delay_cs)
                            .map_err(ProjectError::from)
                    });
                match r {
                    Ok(recs) => {
                        if let Ok(mut g) = records_mx.lock() {
                            g.push((j, recs));
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        next.store(usize::MAX / 2, std::sync::atomic::Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut done = 0u64;
        progress(Progress {
            step: "project",
            done,
            total,
        });
        for msg in rx {
            match msg {
                Ok(n) => {
                    done += n;
                    progress(Progress {
                        step: "project",
                        done,
                        total,
                    });
                }
                Err(e) => {
                    if first_err.is_none() {
                        first_err = Some(e);
                    }
                }
            }
        }
    });
    if let Some(e) = first_err {
        return Err(e);
    }
    records.sort_by_key(|(j, _)| *j);
    let summary = ProjectionsSummary {
        schema: SCHEMA_VERSION,
        width: info.width,
        height: info.height,
        frames: info.frames,
        windows: opts.windows.clamp(1, info.frames.max(1)),
        images: records.into_iter().flat_map(|(_, r)| r).collect(),
    };
    write_json(&out_dir.join("projections.json"), &summary)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulator_matches_direct_formulas() {
        let mut a = Accumulator::new(2);
        for f in [[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]] {
            a.push(&f);
        }
        let (mean, max, std) = a.finish();
        assert_eq!(mean, vec![3.0, 5.0]);
        assert_eq!(max, vec![5.0, 5.0]);
        assert!((std[0] - (8.0f32 / 3.0).sqrt()).abs() < 1e-6);
        assert_eq!(std[1], 0.0);
    }
}
