//! Soma-shaped footprints at random 3-D positions.

use crate::rng::Rng;

/// One simulated neuron's position and shape (plane-independent).
#[derive(Clone, Debug)]
pub struct SomaShape {
    /// Centre row (pixels).
    pub y: f32,
    /// Centre column (pixels).
    pub x: f32,
    /// Depth in plane units (plane `p` images depth `p`).
    pub z: f32,
    /// Semi-axes (pixels).
    pub ry: f32,
    /// Semi-axes (pixels).
    pub rx: f32,
    /// Orientation (radians).
    pub angle: f32,
}

impl SomaShape {
    /// Footprint weight at pixel `(py, px)`: ~1 inside the ellipse, a soft edge about one pixel
    /// wide, a slightly dimmer nucleus (GCaMP is excluded from it).
    #[must_use]
    pub fn weight(&self, py: f32, px: f32) -> f32 {
        let (s, c) = self.angle.sin_cos();
        let (dy, dx) = (py - self.y, px - self.x);
        let u = (c * dx + s * dy) / self.rx;
        let v = (-s * dx + c * dy) / self.ry;
        let r = (u * u + v * v).sqrt();
        let mean_r = 0.5 * (self.rx + self.ry);
        let edge = 1.0 / (1.0 + ((r - 1.0) * mean_r / 0.5).exp());
        let nucleus = 1.0 - 0.3 * (-(r * r) / (2.0 * 0.35 * 0.35)).exp();
        edge * nucleus
    }
}

/// Places `n` cells uniformly in the volume, centres at least `min_dist` apart (in-plane distance,
/// with depth scaled by `z_scale` pixels per plane), keeping `margin` pixels from the borders.
/// Fewer cells are returned when the volume is too crowded to place them all.
#[allow(clippy::too_many_arguments)]
#[must_use]
pub fn place_cells(
    rng: &mut Rng,
    n: usize,
    h: usize,
    w: usize,
    planes: usize,
    radius: f32,
    min_dist: f32,
    margin: f32,
    z_scale: f32,
) -> Vec<SomaShape> {
    let mut cells: Vec<SomaShape> = Vec::with_capacity(n);
    let mut tries = 0;
    while cells.len() < n && tries < n * 200 {
        tries += 1;
        let y = rng.range(f64::from(margin), h as f64 - f64::from(margin)) as f32;
        let x = rng.range(f64::from(margin), w as f64 - f64::from(margin)) as f32;
        let z = if planes > 1 {
            rng.range(-0.3, planes as f64 - 0.7) as f32
        } else {
            0.0
        };
        let ok = cells.iter().all(|c| {
            let dz = (c.z - z) * z_scale;
            ((c.y - y).powi(2) + (c.x - x).powi(2) + dz * dz).sqrt() >= min_dist
        });
        if !ok {
            continue;
        }
        let r = radius * rng.range(0.85, 1.15) as f32;
        let e = rng.range(0.85, 1.15) as f32;
        cells.push(SomaShape {
            y,
            x,
            z,
            ry: r * e,
            rx: r / e,
            angle: rng.range(0.0, std::f64::consts::PI) as f32,
        });
    }
    cells
}
