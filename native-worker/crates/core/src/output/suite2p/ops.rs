//! suite2p's per-plane `ops` dict, filled from the worker's own images and settings.
//!
//! * `meanImg` (float64): mean of the registered plane; `refImg` (int16): the registration
//!   reference, rounded and clamped to int16 as suite2p stores it.
//! * `meanImgE` (float32): the mean image high-passed (minus its local box mean) and divided by
//!   the local RMS of that, then scaled so its 1st..99th percentiles span 0..1 (clipped): the
//!   same enhancement idea as suite2p's, with box filters.
//! * `yrange`, `xrange`: the rows and columns every registered frame covers (the largest shift
//!   in each direction, rigid or per block, cut off), `[start, end)`.
//! * `Vcorr` (float64) and `max_proj` (float32): detection's activity map and the maximum of the
//!   binned registered movie, cropped to `yrange` x `xrange` as suite2p crops them.

use super::pickle::PyValue;
use super::PlaneInput;
use crate::detect::filters::box_mean;
use crate::output::percentile;
use crate::register::FrameShift;

/// `[ystart, yend)` and `[xstart, xend)` that every frame registered with `shifts` covers (an
/// output pixel `p` reads input `p + shift`, so a positive shift invalidates the far edge).
#[must_use]
pub fn valid_ranges(shifts: &[FrameShift], h: usize, w: usize) -> ([usize; 2], [usize; 2]) {
    let (mut ylo, mut yhi, mut xlo, mut xhi) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
    for s in shifts {
        let dys = std::iter::once(s.dy).chain(s.block_dy.iter().copied());
        for dy in dys {
            ylo = ylo.min(dy);
            yhi = yhi.max(dy);
        }
        let dxs = std::iter::once(s.dx).chain(s.block_dx.iter().copied());
        for dx in dxs {
            xlo = xlo.min(dx);
            xhi = xhi.max(dx);
        }
    }
    let range = |lo: f32, hi: f32, n: usize| {
        let start = ((-lo).ceil().max(0.0) as usize).min(n / 2);
        let end = n.saturating_sub(hi.ceil().max(0.0) as usize).max(start + 1);
        [start, end.min(n)]
    };
    (range(ylo, yhi, h), range(xlo, xhi, w))
}

/// `img` (`h x w`) cropped to rows `yr` and columns `xr`.
#[must_use]
pub fn crop(img: &[f32], w: usize, yr: [usize; 2], xr: [usize; 2]) -> Vec<f32> {
    (yr[0]..yr[1])
        .flat_map(|y| img[y * w + xr[0]..y * w + xr[1]].iter().copied())
        .collect()
}

/// The enhanced mean image (see the module comment); `size` is the box side in pixels.
#[must_use]
pub fn enhanced_mean(mean: &[f32], h: usize, w: usize, size: usize) -> Vec<f32> {
    let size = size.clamp(3, h.min(w).max(3));
    let local = box_mean(mean, h, w, size);
    let hp: Vec<f32> = mean.iter().zip(&local).map(|(m, l)| m - l).collect();
    let sq: Vec<f32> = hp.iter().map(|v| v * v).collect();
    let rms = box_mean(&sq, h, w, size);
    let e: Vec<f32> = hp
        .iter()
        .zip(&rms)
        .map(|(v, r)| v / r.max(0.0).sqrt().max(1e-6))
        .collect();
    let mut sorted: Vec<f32> = e.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return vec![0.0; e.len()];
    }
    sorted.sort_unstable_by(f32::total_cmp);
    let (lo, hi) = (percentile(&sorted, 1.0), percentile(&sorted, 99.0));
    let span = (hi - lo).max(1e-6);
    e.iter()
        .map(|v| ((v - lo) / span).clamp(0.0, 1.0))
        .collect()
}

/// What `ops.npy` holds for one plane: the plane itself and what is derived from it.
pub struct OpsInput<'a> {
    pub plane: &'a PlaneInput<'a>,
    pub mean_enhanced: &'a [f32],
    pub yrange: [usize; 2],
    pub xrange: [usize; 2],
    pub save_path: String,
}

/// The `ops` dict.
#[must_use]
pub fn ops(o: &OpsInput<'_>) -> PyValue {
    let p = o.plane;
    let (h, w) = (p.height, p.width);
    let (lyc, lxc) = (o.yrange[1] - o.yrange[0], o.xrange[1] - o.xrange[0]);
    let full = |img: &[f32]| {
        if img.len() == h * w {
            img.to_vec()
        } else {
            vec![0.0; h * w]
        }
    };
    let mean: Vec<f64> = full(p.mean_image).iter().map(|&v| f64::from(v)).collect();
    let reference: Vec<i16> = full(p.reference)
        .iter()
        .map(|&v| v.round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16)
        .collect();
    let vcorr: Vec<f64> = crop(&full(p.corr_image), w, o.yrange, o.xrange)
        .into_iter()
        .map(|v| if v.is_finite() { f64::from(v) } else { 0.0 })
        .collect();
    let max_proj = crop(&full(p.max_image), w, o.yrange, o.xrange);
    let int = |v: usize| PyValue::Int(v as i64);
    let range = |r: [usize; 2]| PyValue::List(vec![int(r[0]), int(r[1])]);
    PyValue::Dict(vec![
        ("Ly".into(), int(h)),
        ("Lx".into(), int(w)),
        ("Lyc".into(), int(lyc)),
        ("Lxc".into(), int(lxc)),
        ("nframes".into(), int(p.frames)),
        ("fs".into(), PyValue::Float(f64::from(p.fs))),
        ("tau".into(), PyValue::Float(f64::from(p.tau))),
        ("nplanes".into(), int(p.nplanes)),
        ("nchannels".into(), int(1)),
        ("functional_chan".into(), int(1)),
        (
            "neucoeff".into(),
            PyValue::Float((f64::from(p.neuropil_coefficient) * 1e6).round() / 1e6),
        ),
        ("diameter".into(), int(0)),
        ("aspect".into(), PyValue::Float(1.0)),
        ("meanImg".into(), PyValue::f64_array(&[h, w], &mean)),
        (
            "meanImgE".into(),
            PyValue::f32_array(&[h, w], &full(o.mean_enhanced)),
        ),
        ("refImg".into(), i16_array(&[h, w], &reference)),
        (
            "max_proj".into(),
            PyValue::f32_array(&[lyc, lxc], &max_proj),
        ),
        ("Vcorr".into(), PyValue::f64_array(&[lyc, lxc], &vcorr)),
        ("yrange".into(), range(o.yrange)),
        ("xrange".into(), range(o.xrange)),
        ("save_path".into(), PyValue::Str(o.save_path.clone())),
        (
            "ops_path".into(),
            PyValue::Str(format!("{}/ops.npy", o.save_path)),
        ),
    ])
}

fn i16_array(shape: &[usize], data: &[i16]) -> PyValue {
    PyValue::Array(super::pickle::NdArray {
        descr: "<i2",
        shape: shape.to_vec(),
        bytes: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        objects: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift(dy: f32, dx: f32) -> FrameShift {
        FrameShift {
            dy,
            dx,
            peak: 1.0,
            block_dy: Vec::new(),
            block_dx: Vec::new(),
        }
    }

    #[test]
    fn ranges_cut_the_largest_shift_on_each_side() {
        let s = [shift(2.4, -1.0), shift(-3.0, 0.5), shift(0.0, 0.0)];
        assert_eq!(valid_ranges(&s, 100, 50), ([3, 97], [1, 49]));
        assert_eq!(valid_ranges(&[], 100, 50), ([0, 100], [0, 50]));
    }

    #[test]
    fn enhanced_mean_spans_zero_to_one_and_keeps_a_bright_spot_bright() {
        let (h, w) = (32, 32);
        let mut img: Vec<f32> = (0..h * w).map(|i| (i % w) as f32 * 10.0).collect();
        img[16 * w + 16] += 500.0;
        let e = enhanced_mean(&img, h, w, 9);
        assert!(e.iter().all(|v| (0.0..=1.0).contains(v)));
        assert_eq!(e[16 * w + 16], 1.0);
    }
}
