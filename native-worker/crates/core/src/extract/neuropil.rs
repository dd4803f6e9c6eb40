//! Neuropil masks: an annulus around each ROI that avoids every ROI's pixels.

/// Annulus parameters.
#[derive(Clone, Copy, Debug)]
pub struct NeuropilOptions {
    /// Gap (pixels) between the ROI's outer edge and the annulus.
    pub inner_radius: f32,
    /// The annulus grows until it holds at least this many pixels...
    pub min_pixels: usize,
    /// ...or its outer radius reaches this many pixels beyond the ROI edge.
    pub max_extent: f32,
}

impl Default for NeuropilOptions {
    fn default() -> Self {
        NeuropilOptions {
            inner_radius: 2.0,
            min_pixels: 350,
            max_extent: 60.0,
        }
    }
}

/// For each ROI (flat pixel lists of an `h x w` plane), the flat indices of its neuropil pixels:
/// pixels whose distance to the ROI centroid exceeds the ROI's radius (farthest pixel) by more
/// than `inner_radius`, nearest first, not belonging to any ROI, at least `min_pixels` of them
/// when the frame allows.
#[must_use]
pub fn neuropil_masks(
    rois: &[&[u32]],
    h: usize,
    w: usize,
    opts: &NeuropilOptions,
) -> Vec<Vec<u32>> {
    let mut occupied = vec![false; h * w];
    for r in rois {
        for &p in *r {
            occupied[p as usize] = true;
        }
    }
    rois.iter()
        .map(|r| {
            let n = r.len().max(1) as f32;
            let cy = r.iter().map(|&p| (p as usize / w) as f32).sum::<f32>() / n;
            let cx = r.iter().map(|&p| (p as usize % w) as f32).sum::<f32>() / n;
            let rad = r
                .iter()
                .map(|&p| {
                    (((p as usize / w) as f32 - cy).powi(2)
                        + ((p as usize % w) as f32 - cx).powi(2))
                    .sqrt()
                })
                .fold(0.0f32, f32::max);
            let inner = rad + opts.inner_radius;
            // grow the search box until enough free pixels lie beyond `inner`
            let mut ext = (opts.min_pixels as f32 / std::f32::consts::PI + inner * inner)
                .sqrt()
                .ceil();
            loop {
                let y0 = (cy - ext).floor().max(0.0) as usize;
                let y1 = ((cy + ext).ceil() as usize).min(h - 1);
                let x0 = (cx - ext).floor().max(0.0) as usize;
                let x1 = ((cx + ext).ceil() as usize).min(w - 1);
                let mut cand: Vec<(f32, u32)> = Vec::new();
                for y in y0..=y1 {
                    for x in x0..=x1 {
                        let d = ((y as f32 - cy).powi(2) + (x as f32 - cx).powi(2)).sqrt();
                        let p = y * w + x;
                        if d > inner && d <= ext && !occupied[p] {
                            cand.push((d, p as u32));
                        }
                    }
                }
                if cand.len() >= opts.min_pixels
                    || ext >= rad + opts.max_extent
                    || (y0 == 0 && x0 == 0 && y1 == h - 1 && x1 == w - 1)
                {
                    cand.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    cand.truncate(opts.min_pixels.max(1));
                    let mut px: Vec<u32> = cand.into_iter().map(|c| c.1).collect();
                    px.sort_unstable();
                    return px;
                }
                ext += 4.0;
            }
        })
        .collect()
}
