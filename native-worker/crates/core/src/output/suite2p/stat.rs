//! suite2p's per-ROI statistics (`stat.npy`), computed from the worker's own ROIs and traces.
//!
//! Definitions (where suite2p's own differ, the field keeps suite2p's meaning and type):
//! * `ypix`, `xpix` (int64), `lam` (float32): the ROI's pixels and footprint weights.
//! * `med`: `[row, col]`, the medians of `ypix` and `xpix` (Python ints).
//! * `npix` (int): pixel count; `npix_norm` (float32): `npix` over the mean `npix` of the plane's
//!   cells (of all its ROIs when it has no cell).
//! * `radius`, `aspect_ratio` (float64): from the `lam`-weighted covariance of the pixel
//!   coordinates (plus 1/12, a pixel's own extent) with eigenvalues `l1 >= l2`: the ellipse of
//!   the same second moments has semi-axes `2 sqrt(l1)`, `2 sqrt(l2)`; `radius` is their geometric
//!   mean and `aspect_ratio` their ratio (1 for a disk).
//! * `compact` (float64): mean distance of the pixels from `med` over the mean distance of the
//!   `npix` grid points nearest a point (a disk of the same area): 1 for a disk, larger when
//!   spread out.
//! * `footprint` (float64): the `lam`-weighted mean distance of the pixels from the weighted
//!   centroid, in pixels (suite2p stores its detection scale index here; both say how large).
//! * `skew`, `std` (float32): skewness and standard deviation over frames of `F - c Fneu`
//!   (`c` the neuropil coefficient), as suite2p computes them.
//! * `overlap` (bool per pixel): the pixel belongs to another ROI of the plane too.
//! * `iplane` (int): the plane index.

use super::pickle::PyValue;
use crate::roi::RoiRecord;

/// The `stat` dict of each ROI of one plane: `rois` (all of the plane's ROIs), their `f` and
/// `fneu` rows (`rois.len() x frames`), `c` the neuropil coefficient, `h x w` the frame.
#[must_use]
pub fn plane_stats(
    rois: &[&RoiRecord],
    f: &[f32],
    fneu: &[f32],
    frames: usize,
    c: f32,
    h: usize,
    w: usize,
) -> Vec<PyValue> {
    let mut owners = vec![0u16; h * w];
    for r in rois {
        for &(y, x) in &r.pixels {
            let o = &mut owners[y as usize * w + x as usize];
            *o = o.saturating_add(1);
        }
    }
    let cells: Vec<usize> = rois
        .iter()
        .filter(|r| r.iscell)
        .map(|r| r.pixels.len())
        .collect();
    let sizes: Vec<usize> = if cells.is_empty() {
        rois.iter().map(|r| r.pixels.len()).collect()
    } else {
        cells
    };
    let mean_npix = (sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64).max(1.0);
    rois.iter()
        .enumerate()
        .map(|(i, r)| {
            let row = |a: &[f32]| a.get(i * frames..(i + 1) * frames).unwrap_or(&[]).to_vec();
            let (std, skew) = std_skew(&row(f), &row(fneu), c);
            roi_stat(r, &owners, w, mean_npix, std, skew)
        })
        .collect()
}

fn median(mut v: Vec<u32>) -> i64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        i64::from(v[n / 2])
    } else {
        (i64::from(v[n / 2 - 1]) + i64::from(v[n / 2])) / 2
    }
}

/// Standard deviation and skewness of `f - c fneu`.
fn std_skew(f: &[f32], fneu: &[f32], c: f32) -> (f32, f32) {
    let n = f.len().min(fneu.len());
    if n == 0 {
        return (0.0, 0.0);
    }
    let d: Vec<f64> = (0..n)
        .map(|t| f64::from(f[t]) - f64::from(c) * f64::from(fneu[t]))
        .collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    let (mut m2, mut m3) = (0.0, 0.0);
    for v in &d {
        let e = v - mean;
        m2 += e * e;
        m3 += e * e * e;
    }
    m2 /= n as f64;
    m3 /= n as f64;
    let sd = m2.sqrt();
    let skew = if sd > 0.0 { m3 / (sd * sd * sd) } else { 0.0 };
    (sd as f32, skew as f32)
}

/// Mean distance from a centre of the `n` grid points nearest it.
fn disk_mean_distance(n: usize) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let r = ((n as f64 / std::f64::consts::PI).sqrt()).ceil() as i64 + 2;
    let mut d: Vec<f64> = (-r..=r)
        .flat_map(|y| (-r..=r).map(move |x| ((y * y + x * x) as f64).sqrt()))
        .collect();
    d.sort_unstable_by(f64::total_cmp);
    d[..n.min(d.len())].iter().sum::<f64>() / n as f64
}

fn roi_stat(
    r: &RoiRecord,
    owners: &[u16],
    w: usize,
    mean_npix: f64,
    std: f32,
    skew: f32,
) -> PyValue {
    let n = r.pixels.len();
    let ypix: Vec<i64> = r.pixels.iter().map(|&(y, _)| i64::from(y)).collect();
    let xpix: Vec<i64> = r.pixels.iter().map(|&(_, x)| i64::from(x)).collect();
    let med = [
        median(r.pixels.iter().map(|p| p.0).collect()),
        median(r.pixels.iter().map(|p| p.1).collect()),
    ];
    let wsum: f64 = r.weights.iter().map(|&v| f64::from(v.max(0.0))).sum();
    let weight = |i: usize| {
        if wsum > 0.0 {
            f64::from(r.weights.get(i).copied().unwrap_or(0.0).max(0.0)) / wsum
        } else {
            1.0 / n.max(1) as f64
        }
    };
    let (mut cy, mut cx) = (0.0, 0.0);
    for i in 0..n {
        cy += weight(i) * ypix[i] as f64;
        cx += weight(i) * xpix[i] as f64;
    }
    let (mut vyy, mut vxx, mut vxy, mut spread) = (1.0 / 12.0, 1.0 / 12.0, 0.0, 0.0);
    for i in 0..n {
        let (dy, dx) = (ypix[i] as f64 - cy, xpix[i] as f64 - cx);
        vyy += weight(i) * dy * dy;
        vxx += weight(i) * dx * dx;
        vxy += weight(i) * dy * dx;
        spread += weight(i) * (dy * dy + dx * dx).sqrt();
    }
    let tr = vyy + vxx;
    let disc = (((vyy - vxx) / 2.0).powi(2) + vxy * vxy).sqrt();
    let (l1, l2) = (tr / 2.0 + disc, (tr / 2.0 - disc).max(1e-12));
    let (a, b) = (2.0 * l1.sqrt(), 2.0 * l2.sqrt());
    let mean_dist = (0..n)
        .map(|i| {
            let (dy, dx) = ((ypix[i] - med[0]) as f64, (xpix[i] - med[1]) as f64);
            (dy * dy + dx * dx).sqrt()
        })
        .sum::<f64>()
        / n.max(1) as f64;
    let compact = mean_dist / disk_mean_distance(n).max(1e-6);
    let overlap: Vec<bool> = r
        .pixels
        .iter()
        .map(|&(y, x)| owners[y as usize * w + x as usize] > 1)
        .collect();
    PyValue::Dict(vec![
        ("ypix".into(), PyValue::i64_array(&[n], &ypix)),
        ("xpix".into(), PyValue::i64_array(&[n], &xpix)),
        ("lam".into(), PyValue::f32_array(&[n], &r.weights)),
        (
            "med".into(),
            PyValue::List(vec![PyValue::Int(med[0]), PyValue::Int(med[1])]),
        ),
        ("npix".into(), PyValue::Int(n as i64)),
        ("radius".into(), PyValue::f64_scalar((a * b).sqrt())),
        ("aspect_ratio".into(), PyValue::f64_scalar(a / b)),
        ("compact".into(), PyValue::f64_scalar(compact)),
        ("footprint".into(), PyValue::f64_scalar(spread)),
        ("skew".into(), PyValue::f32_scalar(skew)),
        ("std".into(), PyValue::f32_scalar(std)),
        ("overlap".into(), PyValue::bool_array(&[n], &overlap)),
        (
            "npix_norm".into(),
            PyValue::f32_scalar((n as f64 / mean_npix) as f32),
        ),
        ("iplane".into(), PyValue::Int(r.plane as i64)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roi(pixels: Vec<(u32, u32)>) -> RoiRecord {
        RoiRecord {
            id: 0,
            plane: 0,
            x: 0.0,
            y: 0.0,
            z: 0.0,
            weights: vec![1.0; pixels.len()],
            pixels,
            score: 1.0,
            iscell: true,
            cluster: None,
        }
    }

    fn get<'a>(d: &'a PyValue, key: &str) -> &'a PyValue {
        let PyValue::Dict(items) = d else {
            panic!("not a dict")
        };
        &items.iter().find(|(k, _)| k == key).unwrap().1
    }

    fn f64_of(v: &PyValue) -> f64 {
        match v {
            PyValue::Scalar("<f8", b) => f64::from_le_bytes(b[..8].try_into().unwrap()),
            PyValue::Scalar("<f4", b) => f64::from(f32::from_le_bytes(b[..4].try_into().unwrap())),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_disk_is_compact_and_round_a_bar_is_elongated() {
        let disk: Vec<(u32, u32)> = (0..21u32)
            .flat_map(|y| (0..21u32).map(move |x| (y, x)))
            .filter(|&(y, x)| (y as f32 - 10.0).powi(2) + (x as f32 - 10.0).powi(2) <= 36.0)
            .collect();
        let bar: Vec<(u32, u32)> = (0..2u32)
            .flat_map(|y| (0..40u32).map(move |x| (y + 30, x)))
            .collect();
        let (a, b) = (roi(disk), roi(bar));
        let f = vec![0.0; 2 * 4];
        let s = plane_stats(&[&a, &b], &f, &f, 4, 0.7, 40, 40);
        assert!((f64_of(get(&s[0], "compact")) - 1.0).abs() < 0.05);
        assert!((f64_of(get(&s[0], "aspect_ratio")) - 1.0).abs() < 0.05);
        assert!((f64_of(get(&s[0], "radius")) - 6.0).abs() < 0.5);
        assert!(f64_of(get(&s[1], "compact")) > 1.5);
        assert!(f64_of(get(&s[1], "aspect_ratio")) > 10.0);
    }

    #[test]
    fn overlap_marks_shared_pixels_and_skew_follows_the_trace() {
        let a = roi(vec![(1, 1), (1, 2)]);
        let b = roi(vec![(1, 2), (1, 3)]);
        // ROI 0: one spike over a flat trace (positive skew); ROI 1: flat.
        let mut f = vec![1.0f32; 2 * 10];
        f[5] = 11.0;
        let fneu = vec![0.0f32; 2 * 10];
        let s = plane_stats(&[&a, &b], &f, &fneu, 10, 0.7, 4, 4);
        let PyValue::Array(o) = get(&s[0], "overlap") else {
            panic!()
        };
        assert_eq!(o.bytes, vec![0, 1]);
        assert!(f64_of(get(&s[0], "skew")) > 2.0);
        assert_eq!(f64_of(get(&s[1], "std")), 0.0);
        assert_eq!(
            get(&s[0], "med"),
            &PyValue::List(vec![PyValue::Int(1), PyValue::Int(1)])
        );
    }
}
