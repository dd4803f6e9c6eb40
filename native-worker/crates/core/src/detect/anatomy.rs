//! Anatomical detection: somata visible in the mean image but silent during the recording.
//!
//! Many labelled cells of short recordings never fire; they show as round, ring-like somata in
//! the mean image. The mean image is square-rooted (shot noise to ~uniform variance), high-passed
//! and locally contrast-normalised; a Laplacian-of-Gaussian matched to the expected diameter
//! responds to soma-sized blobs, and its local maxima above `threshold` become disk ROIs.

use super::filters::gaussian_blur;

/// A soma candidate found in the mean image.
#[derive(Clone, Debug, PartialEq)]
pub struct Blob {
    /// Peak row.
    pub y: usize,
    /// Peak column.
    pub x: usize,
    /// LoG response (contrast-normalised units).
    pub response: f32,
}

/// Blob-filter response of the mean image for somata of `diameter` pixels.
#[must_use]
pub fn soma_response(mean: &[f32], h: usize, w: usize, diameter: f32) -> Vec<f32> {
    let img: Vec<f32> = mean.iter().map(|&v| v.max(0.0).sqrt()).collect();
    let low = gaussian_blur(&img, h, w, 0.6 * diameter);
    let hp: Vec<f32> = img.iter().zip(&low).map(|(a, b)| a - b).collect();
    let sq: Vec<f32> = hp.iter().map(|v| v * v).collect();
    let var = gaussian_blur(&sq, h, w, 1.2 * diameter);
    let ln: Vec<f32> = hp.iter().zip(&var).map(|(v, s)| v / (s + 1e-6).sqrt()).collect();
    let sigma = 0.3 * diameter;
    let g = gaussian_blur(&ln, h, w, sigma);
    let at = |y: isize, x: isize| g[(y.clamp(0, h as isize - 1) as usize) * w + x.clamp(0, w as isize - 1) as usize];
    let mut out = vec![0.0; h * w];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let lap = at(y - 1, x) + at(y + 1, x) + at(y, x - 1) + at(y, x + 1) - 4.0 * at(y, x);
            out[y as usize * w + x as usize] = -lap * sigma * sigma;
        }
    }
    out
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
                    if yy < 0 || xx < 0 || yy >= h as isize || xx >= w as isize || (dy, dx) == (0, 0) {
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
                out.push(Blob { y: y as usize, x: x as usize, response: v });
            }
        }
    }
    out.sort_by(|a, b| b.response.total_cmp(&a.response).then((a.y, a.x).cmp(&(b.y, b.x))));
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
            if yy >= 0 && xx >= 0 && yy < h as isize && xx < w as isize && ((dy * dy + dx * dx) as f32) <= radius * radius {
                px.push((yy as usize * w + xx as usize) as u32);
            }
        }
    }
    px
}
