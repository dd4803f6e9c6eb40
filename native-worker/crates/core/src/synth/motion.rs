//! Simulated brain motion: a rigid random walk per frame plus a smooth non-rigid field.

use crate::rng::Rng;

/// Rigid displacements `(dy, dx)` per frame: a mean-reverting random walk with jitter, clipped to
/// `±max_shift`. All zeros when `max_shift` is 0.
#[must_use]
pub fn rigid_path(rng: &mut Rng, frames: usize, max_shift: f32) -> Vec<(f32, f32)> {
    if max_shift <= 0.0 {
        return vec![(0.0, 0.0); frames];
    }
    let (mut y, mut x) = (0.0f32, 0.0f32);
    (0..frames)
        .map(|_| {
            y = 0.9 * y + 0.35 * max_shift * rng.normal() as f32;
            x = 0.9 * x + 0.35 * max_shift * rng.normal() as f32;
            y = y.clamp(-max_shift, max_shift);
            x = x.clamp(-max_shift, max_shift);
            (y + 0.1 * rng.normal() as f32, x + 0.1 * rng.normal() as f32)
        })
        .collect()
}

/// Smooth non-rigid displacement: per frame an amplitude `a_t` (|a_t| ≤ amplitude) times fixed
/// sinusoidal patterns with a period of about the frame size.
#[derive(Clone, Debug)]
pub struct NonRigid {
    /// Per-frame amplitude (pixels).
    pub amp: Vec<f32>,
    phase_y: f32,
    phase_x: f32,
    h: f32,
    w: f32,
}

impl NonRigid {
    /// A field for `frames` frames of `h x w` (all zero when `amplitude` is 0).
    #[must_use]
    pub fn new(rng: &mut Rng, frames: usize, h: usize, w: usize, amplitude: f32) -> Self {
        let mut a = 0.0f32;
        let amp = (0..frames)
            .map(|_| {
                a = (0.8 * a + 0.5 * rng.normal() as f32).clamp(-1.0, 1.0);
                a * amplitude
            })
            .collect();
        NonRigid {
            amp,
            phase_y: rng.range(0.0, std::f64::consts::TAU) as f32,
            phase_x: rng.range(0.0, std::f64::consts::TAU) as f32,
            h: h as f32,
            w: w as f32,
        }
    }

    /// Non-rigid displacement `(dy, dx)` at pixel `(y, x)` of frame `t`.
    #[must_use]
    pub fn at(&self, t: usize, y: f32, x: f32) -> (f32, f32) {
        let a = self.amp[t];
        let tau = std::f32::consts::TAU;
        (
            a * (tau * x / self.w + self.phase_y).sin(),
            a * (tau * y / self.h + self.phase_x).cos(),
        )
    }
}
