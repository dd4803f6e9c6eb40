//! The block grid of non-rigid registration and the upsampling of block shifts to a dense field.

/// Overlapping square-ish blocks covering a frame; block `(by, bx)` has its top-left corner at
/// `(ys[by], xs[bx])`, size `bh x bw`, and its centre at `(ys[by] + bh/2, xs[bx] + bw/2)`.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockGrid {
    /// Frame height.
    pub h: usize,
    /// Frame width.
    pub w: usize,
    /// Block height.
    pub bh: usize,
    /// Block width.
    pub bw: usize,
    /// Top rows of the block rows.
    pub ys: Vec<usize>,
    /// Left columns of the block columns.
    pub xs: Vec<usize>,
}

fn starts(len: usize, block: usize) -> (usize, Vec<usize>) {
    if block >= len {
        return (len, vec![0]);
    }
    // ~1.5 blocks per block length of frame: neighbouring blocks overlap by about a third.
    let n = ((1.5 * len as f32 / block as f32).ceil() as usize).max(2);
    let span = (len - block) as f32;
    (
        block,
        (0..n)
            .map(|i| (span * i as f32 / (n - 1) as f32).round() as usize)
            .collect(),
    )
}

impl BlockGrid {
    /// A grid of blocks of (at most) `block x block` pixels for an `h x w` frame.
    #[must_use]
    pub fn new(h: usize, w: usize, block: usize) -> Self {
        let (bh, ys) = starts(h, block.max(8));
        let (bw, xs) = starts(w, block.max(8));
        BlockGrid {
            h,
            w,
            bh,
            bw,
            ys,
            xs,
        }
    }

    /// Number of blocks.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ys.len() * self.xs.len()
    }

    /// True when the grid has no block (never, for a non-empty frame).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Indices of the (up to 8) neighbours of block `b`.
    #[must_use]
    pub fn neighbours(&self, b: usize) -> Vec<usize> {
        let (ny, nx) = (self.ys.len() as isize, self.xs.len() as isize);
        let (by, bx) = ((b / self.xs.len()) as isize, (b % self.xs.len()) as isize);
        let mut v = Vec::new();
        for dy in -1..=1 {
            for dx in -1..=1 {
                let (y, x) = (by + dy, bx + dx);
                if (dy, dx) != (0, 0) && y >= 0 && y < ny && x >= 0 && x < nx {
                    v.push((y * nx + x) as usize);
                }
            }
        }
        v
    }

    /// Per-row `(block row below, block row above, fraction)` of the bilinear interpolation
    /// between block centres.
    #[must_use]
    pub fn row_brackets(&self) -> Vec<(usize, usize, f32)> {
        let cy: Vec<f32> = self
            .ys
            .iter()
            .map(|&y| y as f32 + (self.bh as f32 - 1.0) / 2.0)
            .collect();
        (0..self.h).map(|y| bracket(&cy, y as f32)).collect()
    }

    /// Per-column `(block column left, block column right, fraction)`, as [`Self::row_brackets`].
    #[must_use]
    pub fn col_brackets(&self) -> Vec<(usize, usize, f32)> {
        let cx: Vec<f32> = self
            .xs
            .iter()
            .map(|&x| x as f32 + (self.bw as f32 - 1.0) / 2.0)
            .collect();
        (0..self.w).map(|x| bracket(&cx, x as f32)).collect()
    }

    /// Dense per-pixel field from per-block values (`vals[by * nx + bx]`), bilinear between block
    /// centres and constant beyond the outermost centres.
    #[must_use]
    pub fn upsample(&self, vals: &[f32]) -> Vec<f32> {
        let cy: Vec<f32> = self
            .ys
            .iter()
            .map(|&y| y as f32 + (self.bh as f32 - 1.0) / 2.0)
            .collect();
        let cx: Vec<f32> = self
            .xs
            .iter()
            .map(|&x| x as f32 + (self.bw as f32 - 1.0) / 2.0)
            .collect();
        let ty: Vec<(usize, usize, f32)> = (0..self.h).map(|y| bracket(&cy, y as f32)).collect();
        let tx: Vec<(usize, usize, f32)> = (0..self.w).map(|x| bracket(&cx, x as f32)).collect();
        let nx = self.xs.len();
        let mut out = vec![0.0; self.h * self.w];
        for (y, &(y0, y1, fy)) in ty.iter().enumerate() {
            for (x, &(x0, x1, fx)) in tx.iter().enumerate() {
                let a = vals[y0 * nx + x0] * (1.0 - fx) + vals[y0 * nx + x1] * fx;
                let b = vals[y1 * nx + x0] * (1.0 - fx) + vals[y1 * nx + x1] * fx;
                out[y * self.w + x] = a * (1.0 - fy) + b * fy;
            }
        }
        out
    }
}

/// Interval of sorted `centres` containing `p` and the fractional position inside it (clamped).
fn bracket(centres: &[f32], p: f32) -> (usize, usize, f32) {
    let n = centres.len();
    if n == 1 || p <= centres[0] {
        return (0, 0, 0.0);
    }
    if p >= centres[n - 1] {
        return (n - 1, n - 1, 0.0);
    }
    let i = centres.iter().position(|&c| c > p).unwrap_or(n - 1) - 1;
    let f = (p - centres[i]) / (centres[i + 1] - centres[i]);
    (i, i + 1, f)
}
