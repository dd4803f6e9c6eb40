//! Separable image filters used by detection (border handling: averages over the in-frame part).

/// Box mean of side `size` (odd sizes are centred; even sizes lean up-left) over an `h x w` image.
#[must_use]
pub fn box_mean(img: &[f32], h: usize, w: usize, size: usize) -> Vec<f32> {
    let r = size / 2;
    let rr = size - 1 - r;
    let mut tmp = vec![0.0f32; h * w];
    for y in 0..h {
        let row = &img[y * w..(y + 1) * w];
        let mut pre = vec![0.0f64; w + 1];
        for x in 0..w {
            pre[x + 1] = pre[x] + f64::from(row[x]);
        }
        for x in 0..w {
            let a = x.saturating_sub(r);
            let b = (x + rr + 1).min(w);
            tmp[y * w + x] = ((pre[b] - pre[a]) / (b - a) as f64) as f32;
        }
    }
    let mut out = vec![0.0f32; h * w];
    let mut pre = vec![0.0f64; h + 1];
    for x in 0..w {
        for y in 0..h {
            pre[y + 1] = pre[y] + f64::from(tmp[y * w + x]);
        }
        for y in 0..h {
            let a = y.saturating_sub(r);
            let b = (y + rr + 1).min(h);
            out[y * w + x] = ((pre[b] - pre[a]) / (b - a) as f64) as f32;
        }
    }
    out
}

/// Gaussian blur with standard deviation `sigma` pixels (truncated at 3 sigma).
#[must_use]
pub fn gaussian_blur(img: &[f32], h: usize, w: usize, sigma: f32) -> Vec<f32> {
    if sigma <= 0.0 {
        return img.to_vec();
    }
    let r = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let pass = |src: &[f32], out: &mut [f32], along_x: bool| {
        for y in 0..h {
            for x in 0..w {
                let (mut s, mut ws) = (0.0f32, 0.0f32);
                for (ki, &kv) in k.iter().enumerate() {
                    let o = ki as isize - r;
                    let (yy, xx) = if along_x {
                        (y as isize, x as isize + o)
                    } else {
                        (y as isize + o, x as isize)
                    };
                    if yy >= 0 && yy < h as isize && xx >= 0 && xx < w as isize {
                        s += kv * src[yy as usize * w + xx as usize];
                        ws += kv;
                    }
                }
                out[y * w + x] = s / ws;
            }
        }
    };
    let mut tmp = vec![0.0; h * w];
    let mut out = vec![0.0; h * w];
    pass(img, &mut tmp, true);
    pass(&tmp, &mut out, false);
    out
}

/// 1-D Gaussian smoothing of a series (sigma in samples), edges renormalised.
#[must_use]
pub fn gaussian_1d(x: &[f32], sigma: f32) -> Vec<f32> {
    if sigma <= 0.0 || x.is_empty() {
        return x.to_vec();
    }
    let r = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let n = x.len() as isize;
    (0..n)
        .map(|t| {
            let (mut s, mut ws) = (0.0f32, 0.0f32);
            for (ki, &kv) in k.iter().enumerate() {
                let j = t + ki as isize - r;
                if j >= 0 && j < n {
                    s += kv * x[j as usize];
                    ws += kv;
                }
            }
            s / ws
        })
        .collect()
}

/// Sliding-window minimum (`is_min`) or maximum over a centred window of `win` samples (O(n)).
#[must_use]
pub fn sliding_extreme(x: &[f32], win: usize, is_min: bool) -> Vec<f32> {
    let n = x.len();
    let half = win / 2;
    let better = |a: f32, b: f32| if is_min { a <= b } else { a >= b };
    let mut out = vec![0.0; n];
    let mut dq: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut next = 0;
    for (i, o) in out.iter_mut().enumerate() {
        let hi = (i + half).min(n.saturating_sub(1));
        while next <= hi && next < n {
            while let Some(&b) = dq.back() {
                if better(x[next], x[b]) {
                    dq.pop_back();
                } else {
                    break;
                }
            }
            dq.push_back(next);
            next += 1;
        }
        let lo = i.saturating_sub(half);
        while let Some(&f) = dq.front() {
            if f < lo {
                dq.pop_front();
            } else {
                break;
            }
        }
        *o = x[*dq.front().expect("window is never empty")];
    }
    out
}
