//! Seeded synthetic calcium-imaging movies with ground truth, for tests and benchmarks.
//!
//! The model: soma-shaped cells at random 3-D positions (each plane sees cells within about one
//! plane of its depth), spike trains (independent plus planted correlated groups) through a
//! GCaMP-like kernel, a smooth neuropil background modulated by population activity, slow drift,
//! rigid and non-rigid motion, shot (Poisson) and read (Gaussian) noise. Same options, same seed:
//! the same movies, bit for bit.

pub mod activity;
pub mod cells;
pub mod motion;

use rayon::prelude::*;

use crate::register::warp::bilinear;
use crate::rng::Rng;
use crate::Movie;
pub use cells::SomaShape;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SynthOptions {
    /// Frames per plane.
    pub frames: usize,
    /// Frame height.
    pub height: usize,
    /// Frame width.
    pub width: usize,
    /// Number of imaging planes (1 = a single-plane movie).
    pub planes: usize,
    /// Number of cells in the volume.
    pub cells: usize,
    /// Mean soma radius (pixels).
    pub radius: f32,
    /// Frame rate (Hz).
    pub fs: f32,
    /// Indicator decay time (s); GCaMP6s ≈ 1.0.
    pub tau: f32,
    /// Independent firing rate (Hz).
    pub rate: f32,
    /// Planted correlated groups (0 = none); cells are assigned to groups round-robin.
    pub groups: usize,
    /// Rate of each group's shared events (Hz).
    pub group_rate: f32,
    /// Resting brightness of a cell above background (photons/frame/pixel).
    pub cell_brightness: f32,
    /// Fractional brightness increase at the peak of one spike's transient (ΔF/F per spike).
    pub dff_per_spike: f32,
    /// Background (neuropil) brightness (photons/frame/pixel).
    pub background: f32,
    /// Fractional neuropil modulation by population activity.
    pub neuropil_mod: f32,
    /// Shot noise on (Poisson photon counts).
    pub shot_noise: bool,
    /// Read noise standard deviation (photons).
    pub read_noise: f32,
    /// Slow multiplicative drift amplitude (fraction, e.g. 0.05).
    pub drift: f32,
    /// Largest rigid displacement (pixels; 0 = no rigid motion).
    pub max_shift: f32,
    /// Non-rigid displacement amplitude (pixels; 0 = none).
    pub nonrigid: f32,
    /// Seed.
    pub seed: u64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            frames: 600,
            height: 128,
            width: 128,
            planes: 1,
            cells: 40,
            radius: 5.0,
            fs: 30.0,
            tau: 1.0,
            rate: 0.3,
            groups: 0,
            group_rate: 0.3,
            cell_brightness: 60.0,
            dff_per_spike: 1.0,
            background: 100.0,
            neuropil_mod: 0.2,
            shot_noise: true,
            read_noise: 5.0,
            drift: 0.05,
            max_shift: 0.0,
            nonrigid: 0.0,
            seed: 1,
        }
    }
}

/// One true cell as seen by the pipeline's outputs.
#[derive(Clone, Debug)]
pub struct TrueCell {
    /// Plane whose depth is nearest the cell.
    pub plane: usize,
    /// Shape and 3-D position.
    pub shape: SomaShape,
    /// Pixels `(row, col)` in its plane where the footprint weight is at least 0.5.
    pub pixels: Vec<(usize, usize)>,
    /// Planted group, if any.
    pub group: Option<usize>,
}

/// Ground truth of a synthetic recording.
#[derive(Clone, Debug, Default)]
pub struct GroundTruth {
    /// Every cell.
    pub cells: Vec<TrueCell>,
    /// Spike counts per cell per frame.
    pub spikes: Vec<Vec<f32>>,
    /// Calcium (ΔF/F of the cell, noise-free) per cell per frame.
    pub calcium: Vec<Vec<f32>>,
    /// Rigid motion per plane per frame, `(dy, dx)` in the registration convention
    /// (`frame(p) = scene(p - d)`).
    pub rigid: Vec<Vec<(f32, f32)>>,
    /// Per-plane non-rigid fields (added to the rigid displacement).
    pub nonrigid: Vec<motion::NonRigid>,
}

impl GroundTruth {
    /// Total true displacement at pixel `(y, x)` of frame `t` in `plane`.
    #[must_use]
    pub fn displacement(&self, plane: usize, t: usize, y: f32, x: f32) -> (f32, f32) {
        let (ry, rx) = self.rigid[plane][t];
        let (ny, nx) = self.nonrigid[plane].at(t, y, x);
        (ry + ny, rx + nx)
    }
}

/// Depth falloff (plane units): a cell contributes to planes within about ±1 of its depth.
fn depth_gain(dz: f32) -> f32 {
    (-(dz * dz) / (2.0 * 0.35 * 0.35)).exp()
}

/// Generates one movie per plane and the ground truth.
#[must_use]
pub fn generate(opts: &SynthOptions) -> (Vec<Movie>, GroundTruth) {
    let mut rng = Rng::new(opts.seed);
    let (h, w, t_n) = (opts.height, opts.width, opts.frames);
    let planes = opts.planes.max(1);
    let shapes = cells::place_cells(
        &mut rng,
        opts.cells,
        h,
        w,
        planes,
        opts.radius,
        2.2 * opts.radius,
        opts.radius + 2.0 + opts.max_shift + opts.nonrigid,
        4.0 * opts.radius,
    );
    let groups: Vec<Option<usize>> = (0..shapes.len())
        .map(|i| (opts.groups > 0).then_some(i % opts.groups.max(1)))
        .collect();
    let spikes = activity::spike_trains(
        &mut rng,
        &groups,
        t_n,
        opts.fs,
        opts.rate,
        opts.group_rate,
        0.9,
    );
    let calcium: Vec<Vec<f32>> = spikes
        .iter()
        .map(|s| activity::calcium(s, opts.fs, opts.tau, 0.07))
        .collect();
    let population: Vec<f32> = (0..t_n)
        .map(|t| calcium.iter().map(|c| c[t]).sum::<f32>() / calcium.len().max(1) as f32)
        .collect();

    let mut true_cells = Vec::with_capacity(shapes.len());
    for (i, s) in shapes.iter().enumerate() {
        let plane = (s.z.round().max(0.0) as usize).min(planes - 1);
        let mut pixels = Vec::new();
        for y in 0..h {
            for x in 0..w {
                if s.weight(y as f32, x as f32) >= 0.5 {
                    pixels.push((y, x));
                }
            }
        }
        true_cells.push(TrueCell {
            plane,
            shape: s.clone(),
            pixels,
            group: groups[i],
        });
    }

    let mut movies = Vec::with_capacity(planes);
    let mut truth = GroundTruth {
        cells: true_cells,
        spikes,
        calcium,
        ..GroundTruth::default()
    };
    for p in 0..planes {
        let mut prng = rng.fork(p as u64);
        let rigid = motion::rigid_path(&mut prng, t_n, opts.max_shift);
        let nonrigid = motion::NonRigid::new(&mut prng, t_n, h, w, opts.nonrigid);
        // static scene: background image and per-cell footprints in this plane
        let blobs: Vec<(f32, f32, f32, f32)> = (0..6)
            .map(|_| {
                (
                    prng.range(0.0, h as f64) as f32,
                    prng.range(0.0, w as f64) as f32,
                    prng.range(0.15, 0.4) as f32 * h.max(w) as f32,
                    prng.range(-0.25, 0.25) as f32,
                )
            })
            .collect();
        let bg: Vec<f32> = (0..h * w)
            .map(|i| {
                let (y, x) = ((i / w) as f32, (i % w) as f32);
                let v: f32 = blobs
                    .iter()
                    .map(|&(by, bx, s, a)| {
                        a * (-((y - by).powi(2) + (x - bx).powi(2)) / (2.0 * s * s)).exp()
                    })
                    .sum();
                opts.background * (1.0 + v).max(0.2)
            })
            .collect();
        let footprints: Vec<(usize, Vec<(usize, f32)>)> = shapes
            .iter()
            .enumerate()
            .filter_map(|(ci, s)| {
                let g = depth_gain(s.z - p as f32);
                if g < 0.05 {
                    return None;
                }
                let r = s.rx.max(s.ry) + 3.0;
                let (y0, y1) = (
                    (s.y - r).floor().max(0.0) as usize,
                    ((s.y + r).ceil() as usize).min(h - 1),
                );
                let (x0, x1) = (
                    (s.x - r).floor().max(0.0) as usize,
                    ((s.x + r).ceil() as usize).min(w - 1),
                );
                let mut px = Vec::new();
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        let v = s.weight(y as f32, x as f32) * g;
                        if v > 0.01 {
                            px.push((y * w + x, v));
                        }
                    }
                }
                Some((ci, px))
            })
            .collect();
        let drift_phase = prng.range(0.0, std::f64::consts::TAU) as f32;
        let frame_seeds: Vec<u64> = (0..t_n).map(|_| prng.next_u64()).collect();
        let mut movie = Movie::new(t_n, h, w);
        let cal = &truth.calcium;
        movie
            .data
            .par_chunks_mut(h * w)
            .enumerate()
            .for_each(|(t, out)| {
                let mut frng = Rng::new(frame_seeds[t]);
                let drift = 1.0
                    + opts.drift
                        * (std::f32::consts::TAU * t as f32 / t_n.max(1) as f32 * 0.5
                            + drift_phase)
                            .sin();
                let np = 1.0 + opts.neuropil_mod * population[t];
                let mut scene: Vec<f32> = bg.iter().map(|&b| b * np).collect();
                for (ci, px) in &footprints {
                    let f = opts.cell_brightness * (1.0 + opts.dff_per_spike * cal[*ci][t]);
                    for &(i, v) in px {
                        scene[i] += v * f;
                    }
                }
                for y in 0..h {
                    for x in 0..w {
                        let (dy, dx) = {
                            let (ry, rx) = rigid[t];
                            let (ny, nx) = nonrigid.at(t, y as f32, x as f32);
                            (ry + ny, rx + nx)
                        };
                        let lam = drift * bilinear(&scene, h, w, y as f32 - dy, x as f32 - dx);
                        let mut v = if opts.shot_noise {
                            frng.poisson(f64::from(lam.max(0.0))) as f32
                        } else {
                            lam
                        };
                        if opts.read_noise > 0.0 {
                            v += opts.read_noise * frng.normal() as f32;
                        }
                        out[y * w + x] = v;
                    }
                }
            });
        movies.push(movie);
        truth.rigid.push(rigid);
        truth.nonrigid.push(nonrigid);
    }
    (movies, truth)
}
