//! Motion correction: rigid phase correlation against a reference, then block-wise non-rigid.
//!
//! Shift convention: a frame's displacement `d` means `frame(p) ≈ reference(p - d)`; the
//! registered frame is `out(p) = frame(p + d)`. Shifts are stored per frame (rigid, and per block
//! when non-rigid is on), with a quality metric: each frame's Pearson correlation with the
//! reference before and after registration.

pub mod blocks;
mod correlation;
pub mod fft2;
pub mod phasecorr;
pub mod reference;
pub mod warp;

use std::io;

use rayon::prelude::*;

pub use blocks::BlockGrid;
pub use correlation::pearson;
use correlation::{mean, RefCorr};
pub use phasecorr::{Peak, PhaseCorrelator};
pub use reference::build_reference;

use crate::source::FrameSource;

/// Registration parameters. Defaults follow suite2p's two-photon settings where they exist.
#[derive(Clone, Debug)]
pub struct RegisterOptions {
    /// Largest rigid shift searched, as a fraction of the smaller frame side.
    pub max_shift_frac: f32,
    /// Gaussian low-pass (pixels) applied to the whitened cross-spectrum.
    pub smooth_sigma: f32,
    /// Frames sampled to build the reference.
    pub ref_frames: usize,
    /// Refinement iterations of the reference.
    pub ref_iters: usize,
    /// Run block-wise non-rigid correction after the rigid step.
    pub nonrigid: bool,
    /// Block side in pixels for non-rigid correction.
    pub block_size: usize,
    /// Largest per-block shift searched (pixels), relative to the rigid shift.
    pub max_block_shift: usize,
    /// Blocks whose correlation peak-to-sidelobe ratio is below this borrow their neighbours' surfaces.
    pub snr_threshold: f32,
}

impl Default for RegisterOptions {
    fn default() -> Self {
        RegisterOptions {
            max_shift_frac: 0.1,
            smooth_sigma: 1.15,
            ref_frames: 200,
            ref_iters: 4,
            nonrigid: true,
            block_size: 128,
            max_block_shift: 5,
            snr_threshold: 1.2,
        }
    }
}

impl RegisterOptions {
    /// Largest rigid shift in pixels for an `h x w` frame (at least 1).
    #[must_use]
    pub fn max_shift(&self, h: usize, w: usize) -> usize {
        let m = (self.max_shift_frac * h.min(w) as f32).round() as usize;
        m.clamp(1, (h.min(w) / 2).saturating_sub(1).max(1))
    }

    fn taper_width(&self) -> f32 {
        3.0 * self.smooth_sigma
    }
}

/// Displacement found for one frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrameShift {
    /// Rigid displacement (rows), sub-pixel.
    pub dy: f32,
    /// Rigid displacement (columns), sub-pixel.
    pub dx: f32,
    /// Rigid phase-correlation peak height.
    pub peak: f32,
    /// Per-block total displacement (rows), empty when non-rigid is off.
    pub block_dy: Vec<f32>,
    /// Per-block total displacement (columns), empty when non-rigid is off.
    pub block_dx: Vec<f32>,
}

/// Registers frames against one reference. Build once, share between threads.
pub struct Registrar {
    h: usize,
    w: usize,
    opts: RegisterOptions,
    rigid: PhaseCorrelator,
    max_rigid: usize,
    grid: Option<BlockGrid>,
    blocks: Vec<PhaseCorrelator>,
}

impl Registrar {
    /// Prepares the reference spectra (whole frame and, if non-rigid, every block).
    #[must_use]
    pub fn new(reference: &[f32], h: usize, w: usize, opts: &RegisterOptions) -> Self {
        let tw = opts.taper_width();
        let rigid = PhaseCorrelator::new(reference, h, w, opts.smooth_sigma, tw);
        let grid = opts
            .nonrigid
            .then(|| BlockGrid::new(h, w, opts.block_size))
            .filter(|g| g.len() > 1);
        let blocks = grid
            .as_ref()
            .map(|g| {
                let mut v = Vec::with_capacity(g.len());
                for &y0 in &g.ys {
                    for &x0 in &g.xs {
                        let b = crop(reference, w, y0, x0, g.bh, g.bw, 0, 0, h);
                        v.push(PhaseCorrelator::new(&b, g.bh, g.bw, opts.smooth_sigma, tw));
                    }
                }
                v
            })
            .unwrap_or_default();
        Registrar {
            h,
            w,
            opts: opts.clone(),
            rigid,
            max_rigid: opts.max_shift(h, w),
            grid,
            blocks,
        }
    }

    /// The non-rigid block grid, if non-rigid correction is active.
    #[must_use]
    pub fn grid(&self) -> Option<&BlockGrid> {
        self.grid.as_ref()
    }

    /// Estimates the displacement of `frame` and writes the registered frame to `out`.
    pub fn register(&self, frame: &[f32], out: &mut [f32]) -> FrameShift {
        let (h, w) = (self.h, self.w);
        // with non-rigid on, the rigid shift only sets the blocks' integer offset: one pass suffices
        let p = if self.grid.is_some() {
            self.rigid.shift(frame, self.max_rigid)
        } else {
            self.rigid.shift_refined(frame, self.max_rigid)
        };
        let Some(g) = &self.grid else {
            warp::shift_rigid(frame, h, w, p.dy, p.dx, out);
            return FrameShift {
                dy: p.dy,
                dx: p.dx,
                peak: p.value,
                ..FrameShift::default()
            };
        };
        let (iy, ix) = (p.dy.round() as isize, p.dx.round() as isize);
        let m = self.block_shift(g);
        let nn = (2 * m + 1) * (2 * m + 1);
        let mut windows = vec![0.0f32; g.len() * nn];
        let mut b = 0;
        for &y0 in &g.ys {
            for &x0 in &g.xs {
                self.blocks[b].window_with(
                    |buf| crop_into(frame, w, y0, x0, g.bh, g.bw, iy, ix, h, buf),
                    m,
                    &mut windows[b * nn..(b + 1) * nn],
                );
                b += 1;
            }
        }
        let mut bdy = vec![0.0; g.len()];
        let mut bdx = vec![0.0; g.len()];
        let mut win = vec![0.0f32; nn];
        for bi in 0..g.len() {
            win.copy_from_slice(&windows[bi * nn..(bi + 1) * nn]);
            if peak_to_sidelobe(&win, m) < self.opts.snr_threshold {
                for nb in g.neighbours(bi) {
                    for (a, v) in win.iter_mut().zip(&windows[nb * nn..(nb + 1) * nn]) {
                        *a += v;
                    }
                }
            }
            let pk = phasecorr::peak_in_window(&win, m);
            bdy[bi] = iy as f32 + pk.dy;
            bdx[bi] = ix as f32 + pk.dx;
        }
        warp::warp_blocks(frame, g, &bdy, &bdx, out);
        FrameShift {
            dy: p.dy,
            dx: p.dx,
            peak: p.value,
            block_dy: bdy,
            block_dx: bdx,
        }
    }

    fn block_shift(&self, g: &BlockGrid) -> usize {
        self.opts.max_block_shift.min(g.bh.min(g.bw) / 4).max(1)
    }
}

/// Crop of `bh x bw` at `(y0 + oy, x0 + ox)` into `out`, clamping coordinates to the frame.
#[allow(clippy::too_many_arguments)]
fn crop_into(
    img: &[f32],
    w: usize,
    y0: usize,
    x0: usize,
    bh: usize,
    bw: usize,
    oy: isize,
    ox: isize,
    h: usize,
    out: &mut [f32],
) {
    let inside_x = x0 as isize + ox >= 0 && x0 as isize + ox + bw as isize <= w as isize;
    for y in 0..bh {
        let yy = (y0 as isize + y as isize + oy).clamp(0, h as isize - 1) as usize;
        let row = &img[yy * w..(yy + 1) * w];
        let dst = &mut out[y * bw..(y + 1) * bw];
        if inside_x {
            let s = (x0 as isize + ox) as usize;
            dst.copy_from_slice(&row[s..s + bw]);
        } else {
            for (x, d) in dst.iter_mut().enumerate() {
                *d = row[(x0 as isize + x as isize + ox).clamp(0, w as isize - 1) as usize];
            }
        }
    }
}

/// Crop of `bh x bw` at `(y0 + oy, x0 + ox)`, clamping coordinates to the frame.
#[allow(clippy::too_many_arguments)]
fn crop(
    img: &[f32],
    w: usize,
    y0: usize,
    x0: usize,
    bh: usize,
    bw: usize,
    oy: isize,
    ox: isize,
    h: usize,
) -> Vec<f32> {
    let mut out = vec![0.0; bh * bw];
    crop_into(img, w, y0, x0, bh, bw, oy, ox, h, &mut out);
    out
}

/// Peak height over the largest value farther than 2 px from the peak (∞ if none is positive).
fn peak_to_sidelobe(win: &[f32], m: usize) -> f32 {
    let n = 2 * m + 1;
    let (bi, &best) = win
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap_or((0, &0.0));
    let (py, px) = ((bi / n) as isize, (bi % n) as isize);
    let mut side = 0.0f32;
    for (i, &v) in win.iter().enumerate() {
        let (y, x) = ((i / n) as isize, (i % n) as isize);
        if (y - py).abs() > 2 || (x - px).abs() > 2 {
            side = side.max(v);
        }
    }
    if side <= 0.0 {
        f32::INFINITY
    } else {
        best / side
    }
}

/// Everything registration produced for one plane.
#[derive(Clone, Debug, Default)]
pub struct Registration {
    /// The reference image, `height x width`.
    pub reference: Vec<f32>,
    /// Per-frame displacement.
    pub shifts: Vec<FrameShift>,
    /// The non-rigid block grid used, if any.
    pub grid: Option<BlockGrid>,
    /// Per-frame Pearson correlation with the reference before registration.
    pub corr_before: Vec<f32>,
    /// Per-frame Pearson correlation with the reference after registration.
    pub corr_after: Vec<f32>,
}

impl Registration {
    /// Mean correlation with the reference before registration.
    #[must_use]
    pub fn mean_corr_before(&self) -> f32 {
        mean(&self.corr_before)
    }
    /// Mean correlation with the reference after registration (the quality metric).
    #[must_use]
    pub fn mean_corr_after(&self) -> f32 {
        mean(&self.corr_after)
    }
}

/// Registers a whole plane in batches of `batch` frames, handing each registered batch to `sink`
/// in frame order (`sink(first_frame, frames_data)`), and reporting `progress(done, total)`.
///
/// # Errors
/// Read errors from `src` and any error returned by `sink`.
pub fn register_source(
    src: &dyn FrameSource,
    opts: &RegisterOptions,
    batch: usize,
    sink: &mut dyn FnMut(usize, &[f32]) -> io::Result<()>,
    progress: &dyn Fn(usize, usize),
) -> io::Result<Registration> {
    let (t, h, w) = (src.frames(), src.height(), src.width());
    let clock = std::time::Instant::now();
    let reference = build_reference(src, opts)?;
    let debug = std::env::var_os("SCOPECLOUD_DEBUG").is_some();
    if debug {
        eprintln!("register: reference {:.3}s", clock.elapsed().as_secs_f64());
    }
    let reg = Registrar::new(&reference, h, w, opts);
    let n = h * w;
    let mut result = Registration {
        grid: reg.grid().cloned(),
        ..Registration::default()
    };
    let rc = RefCorr::new(&reference);
    let mut out = Vec::new();
    crate::source::for_each_batch(src, batch, |start, count, data| -> io::Result<()> {
        out.resize(count * n, 0.0);
        let per: Vec<(FrameShift, f32, f32)> = data
            .par_chunks(n)
            .zip(out.par_chunks_mut(n))
            .map(|(f, o)| {
                let s = reg.register(f, o);
                (s, rc.corr(f), rc.corr(o))
            })
            .collect();
        for (s, b, a) in per {
            result.shifts.push(s);
            result.corr_before.push(b);
            result.corr_after.push(a);
        }
        sink(start, &out)?;
        progress(start + count, t);
        Ok(())
    })?;
    if debug {
        eprintln!(
            "register: total {:.3}s for {t} frames",
            clock.elapsed().as_secs_f64()
        );
    }
    result.reference = reference;
    Ok(result)
}
