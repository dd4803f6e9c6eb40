//! Anatomical detection: somata visible in the mean image but silent during the recording.
//!
//! Many labelled cells of short recordings never fire. A cytosolic indicator (GCaMP) is excluded
//! from the nucleus, so a soma shows in the mean image as a bright ring around a darker centre
//! (a ring on a dark disk for dim cells, a filled disk for bright ones whose nucleus fills in).
//! The mean image is square-rooted (shot noise to ~uniform variance), high-passed and locally
//! contrast-normalised; two zero-mean, unit-norm templates matched to the expected diameter d
//! are correlated with it, a ring (centre disk of radius 0.35 d negative, annulus to 0.7 d
//! positive) and a filled disk (radius 0.5 d positive, surround to 0.8 d negative), and the
//! local maxima of the larger response above `threshold` become disk ROIs. The response is in
//! units of the local contrast: about N(0, 1) on texture-free noise.

use rayon::prelude::*;

use super::filters::gaussian_blur;

/// A soma candidate found in the mean image.
#[derive(Clone, Debug, PartialEq)]
pub struct Blob {
    /// Peak row.
    pub y: usize,
    /// Peak column.
    pub x: usize,
    /// Template response (contrast-normalised units).
    pub response: f32,
}

/// The mean image made comparable across the field: square root, high-pass (Gaussian of 0.9 d
/// subtracted), divided by the local RMS contrast (Gaussian window of 1.2 d).
#[must_use]
pub fn local_contrast(mean: &[f32], h: usize, w: usize, diameter: f32) -> Vec<f32> {
    let img: Vec<f32> = mean.iter().map(|&v| v.max(0.0).sqrt()).collect();
    let low = gaussian_blur(&img, h, w, 0.9 * diameter);
    let hp: Vec<f32> = img.iter().zip(&low).map(|(a, b)| a - b).collect();
    let sq: Vec<f32> = hp.iter().map(|v| v * v).collect();
    let var = gaussian_blur(&sq, h, w, 1.2 * diameter);
    hp.iter()
        .zip(&var)
        .map(|(v, s)| v / (s + 1e-6).sqrt())
        .collect()
}

/// A zero-mean, unit-norm radial template: offsets `(dy, dx, weight)` with weight `inner` for
/// radii below `r_mid`, `outer` from `r_mid` to `r_out`.
fn radial_template(r_mid: f32, r_out: f32, inner: f32, outer: f32) -> Vec<(isize, isize, f32)> {
    let r = r_out.ceil() as isize;
    let mut t = Vec::new();
    for dy in -r..=r {
        for dx in -r..=r {
            let rr = ((dy * dy + dx * dx) as f32).sqrt();
            if rr < r_mid {
                t.push((dy, dx, inner));
            } else if rr < r_out {
                t.push((dy, dx, outer));
            }
        }
    }
    let mean = t.iter().map(|a| a.2).sum::<f32>() / t.len().max(1) as f32;
    t.iter_mut().for_each(|a| a.2 -= mean);
    let norm = t.iter().map(|a| a.2 * a.2).sum::<f32>().sqrt().max(1e-12);
    t.iter_mut().for_each(|a| a.2 /= norm);
    t
}

/// The ring soma template for `diameter` (dark nucleus of radius 0.35 d inside a bright annulus
/// to 0.7 d): offsets `(dy, dx, weight)`, zero mean, unit norm.
#[must_use]
pub fn ring_template(diameter: f32) -> Vec<(isize, isize, f32)> {
    radial_template(0.35 * diameter, 0.7 * diameter, -1.0, 1.0)
}

/// The filled soma template for `diameter` (bright disk of radius 0.5 d inside a darker surround
/// to 0.8 d): offsets `(dy, dx, weight)`, zero mean, unit norm.
#[must_use]
pub fn filled_template(diameter: f32) -> Vec<(isize, isize, f32)> {
    radial_template(0.5 * diameter, 0.8 * diameter, 1.0, -1.0)
}

fn correlate(img: &[f32], h: usize, w: usize, t: &[(isize, isize, f32)]) -> Vec<f32> {
    let mut out = vec![0.0; h * w];
    out.par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(y, row)| {
            for (x, o) in row.iter_mut().enumerate() {
                let mut s = 0.0;
                for &(dy, dx, v) in t {
                    let (yy, xx) = (y as isize + dy, x as isize + dx);
                    if yy >= 0 && xx >= 0 && yy < h as isize && xx < w as isize {
                        s += v * img[yy as usize * w + xx as usize];
                    }
                }
                *o = s;
            }
        });
    out
}

/// A filled bright disk is less specific than a ring (vessel cross-sections, debris and neuropil
/// spots look alike), so its response counts at this weight: it needs a third more contrast.
pub const FILLED_WEIGHT: f32 = 0.75;

/// Soma-template response of the mean image for somata of `diameter` pixels: the larger of the
/// ring template's and [`FILLED_WEIGHT`] times the filled template's correlation with the
/// local-contrast image (taps outside the frame count as zero contrast).
#[must_use]
pub fn soma_response(mean: &[f32], h: usize, w: usize, diameter: f32) -> Vec<f32> {
    let img = local_contrast(mean, h, w, diameter);
    let ring = correlate(&img, h, w, &ring_template(diameter));
    let filled = correlate(&img, h, w, &filled_template(diameter));
    ring.into_iter()
        .zip(filled)
        .map(|(a, b)| a.max(FILLED_WEIGHT * b))
        .collect()
}

/// Local maxima of `resp` (in a square of side about 0.7 diameter) at or above `threshold`,
/// strongest first (ties by position).
#[must_use]
pub fn find_blobs(resp: &[f32], h: usize, w: usize, diameter: f32, threshold: f32) -> Vec<Blob> {
    let r = ((0.35 * diameter).round() as isize).max(1);
    let mut out = Vec::new();
    for y in 0..h as isize {
        for x in 0..w as isize {
            let v = resp[y as usize * w + x as usize];
            if v < threshold {
                continue;
            }
            let mut is_max = true;
            'n: for dy in -r..=r {
                for dx in -r..=r {
                    let (yy, xx) = (y + dy, x + dx);
                    if yy < 0
                        || xx < 0
                        || yy >= h as isize
                        || xx >= w as isize
                        || (dy, dx) == (0, 0)
                    {
                        continue;
                    }
                    let u = resp[yy as usize * w + xx as usize];
                    // strict on one side so plateaus yield exactly one maximum
                    if u > v || (u == v && (dy, dx) < (0, 0)) {
                        is_max = false;
                        break 'n;
                    }
                }
            }
            if is_max {
                out.push(Blob {
                    y: y as usize,
                    x: x as usize,
                    response: v,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        b.response
            .total_cmp(&a.response)
            .then((a.y, a.x).cmp(&(b.y, b.x)))
    });
    out
}

/// Flat pixel indices of the disk of `radius` around `(y, x)`, clipped to the frame.
#[must_use]
pub fn disk(y: usize, x: usize, radius: f32, h: usize, w: usize) -> Vec<u32> {
    let r = radius.ceil() as isize;
    let mut px = Vec::new();
    for dy in -r..=r {
        for dx in -r..=r {
            let (yy, xx) = (y as isize + dy, x as isize + dx);
            if yy >= 0
                && xx >= 0
                && yy < h as isize
                && xx < w as isize
                && ((dy * dy + dx * dx) as f32) <= radius * radius
            {
                px.push((yy as usize * w + xx as usize) as u32);
            }
        }
    }
    px
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat image with ring somata (bright annulus, dark centre) at the given centres.
    fn ring_image(h: usize, w: usize, d: f32, centres: &[(usize, usize)]) -> Vec<f32> {
        let mut img = vec![100.0f32; h * w];
        for &(cy, cx) in centres {
            for y in 0..h {
                for x in 0..w {
                    let r =
                        ((y as f32 - cy as f32).powi(2) + (x as f32 - cx as f32).powi(2)).sqrt();
                    if r < 0.3 * d {
                        img[y * w + x] = 90.0;
                    } else if r < 0.55 * d {
                        img[y * w + x] = 160.0;
                    }
                }
            }
        }
        img
    }

    #[test]
    fn template_is_zero_mean_and_unit_norm() {
        for (d, t) in [6.0f32, 9.0, 14.0]
            .into_iter()
            .flat_map(|d| [(d, ring_template(d)), (d, filled_template(d))])
        {
            let sum: f32 = t.iter().map(|a| a.2).sum();
            let norm: f32 = t.iter().map(|a| a.2 * a.2).sum();
            assert!(sum.abs() < 1e-4, "d {d}: sum {sum}");
            assert!((norm - 1.0).abs() < 1e-4, "d {d}: norm {norm}");
        }
        // ring: centre negative, annulus positive; filled: the reverse
        let at = |t: &[(isize, isize, f32)], dx: isize| {
            t.iter().find(|a| (a.0, a.1) == (0, dx)).unwrap().2
        };
        let (ring, filled) = (ring_template(9.0), filled_template(9.0));
        assert!(at(&ring, 0) < 0.0 && at(&ring, 5) > 0.0);
        assert!(at(&filled, 0) > 0.0 && at(&filled, 6) < 0.0);
    }

    #[test]
    fn a_filled_soma_is_found_at_its_centre() {
        let (h, w, d) = (64usize, 64usize, 9.0f32);
        let mut img = vec![100.0f32; h * w];
        for y in 0..h {
            for x in 0..w {
                if ((y as f32 - 30.0).powi(2) + (x as f32 - 35.0).powi(2)).sqrt() < 0.45 * d {
                    img[y * w + x] = 180.0;
                }
            }
        }
        let resp = soma_response(&img, h, w, d);
        let blobs = find_blobs(&resp, h, w, d, 1.0);
        let top = &blobs[0];
        assert!(
            (top.y as isize - 30).abs() <= 1 && (top.x as isize - 35).abs() <= 1,
            "{blobs:?}"
        );
    }

    #[test]
    fn ring_somata_respond_most_at_their_centres() {
        let (h, w, d) = (96usize, 96usize, 9.0f32);
        let centres = [(20usize, 22usize), (60, 70), (75, 25)];
        let img = ring_image(h, w, d, &centres);
        let resp = soma_response(&img, h, w, d);
        let blobs = find_blobs(&resp, h, w, d, 1.0);
        assert!(blobs.len() >= centres.len(), "{blobs:?}");
        // the side lobes (template half on a ring) stay well below the weakest centre
        let weakest = blobs[centres.len() - 1].response;
        assert!(
            blobs[centres.len()..]
                .iter()
                .all(|b| b.response < 0.6 * weakest),
            "{blobs:?}"
        );
        for &(cy, cx) in &centres {
            assert!(
                blobs[..centres.len()]
                    .iter()
                    .any(|b| (b.y as isize - cy as isize).abs() <= 1
                        && (b.x as isize - cx as isize).abs() <= 1),
                "no blob at ({cy}, {cx}): {blobs:?}"
            );
        }
    }

    #[test]
    fn a_flat_image_gives_no_somata() {
        let (h, w) = (48usize, 48usize);
        let resp = soma_response(&vec![100.0; h * w], h, w, 9.0);
        assert!(find_blobs(&resp, h, w, 9.0, 3.0).is_empty());
    }
}
