//! Helpers shared by the integration tests.
#![allow(dead_code)]

use worker_core::pipeline::PipelineOutput;
use worker_core::score::{correlation, score_rois, RoiScore};
use worker_core::synth::GroundTruth;
use worker_core::Movie;

/// Reads an uncompressed, little-endian, multi-page grayscale uint16 TIFF (strips), as the
/// neurofinder crop is stored. Test-only: the product reader lives in `worker_core::tiff`.
pub fn read_simple_tiff_u16(path: &std::path::Path) -> Movie {
    let b = std::fs::read(path).expect("read tiff");
    assert_eq!(&b[0..2], b"II", "little-endian TIFF expected");
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as usize;
    let mut ifd = u32_at(4);
    let (mut h, mut w) = (0, 0);
    let mut data: Vec<f32> = Vec::new();
    let mut frames = 0;
    while ifd != 0 {
        let n = u16_at(ifd);
        let (mut offs, mut counts): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
        for e in 0..n {
            let o = ifd + 2 + 12 * e;
            let (tag, typ, cnt) = (u16_at(o), u16_at(o + 2), u32_at(o + 4));
            let val = |i: usize| -> usize {
                let size = if typ == 3 { 2 } else { 4 };
                let base = if cnt * size <= 4 {
                    o + 8
                } else {
                    u32_at(o + 8)
                };
                if typ == 3 {
                    u16_at(base + 2 * i)
                } else {
                    u32_at(base + 4 * i)
                }
            };
            match tag {
                256 => w = val(0),
                257 => h = val(0),
                258 => assert_eq!(val(0), 16, "16-bit expected"),
                259 => assert_eq!(val(0), 1, "uncompressed expected"),
                273 => offs = (0..cnt).map(val).collect(),
                279 => counts = (0..cnt).map(val).collect(),
                _ => {}
            }
        }
        for (&o, &c) in offs.iter().zip(&counts) {
            data.extend(
                b[o..o + c]
                    .chunks_exact(2)
                    .map(|p| f32::from(u16::from_le_bytes([p[0], p[1]]))),
            );
        }
        frames += 1;
        ifd = u32_at(ifd + 2 + 12 * n);
    }
    assert_eq!(data.len(), frames * h * w);
    Movie {
        frames,
        height: h,
        width: w,
        data,
    }
}

/// ROIs of a neurofinder `regions.json` as `(row, col)` pixel lists.
pub fn read_regions(path: &std::path::Path) -> Vec<Vec<(usize, usize)>> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("regions")).expect("json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|r| {
            r["coordinates"]
                .as_array()
                .expect("coordinates")
                .iter()
                .map(|c| {
                    (
                        c[0].as_u64().unwrap() as usize,
                        c[1].as_u64().unwrap() as usize,
                    )
                })
                .collect()
        })
        .collect()
}

/// Detected ROIs of one plane as `(row, col)` pixel lists (cells only when `cells_only`).
pub fn detected_pixels(
    out: &PipelineOutput,
    plane: usize,
    cells_only: bool,
) -> (Vec<usize>, Vec<Vec<(usize, usize)>>) {
    let mut ids = Vec::new();
    let mut px = Vec::new();
    for r in &out.rois {
        if r.plane == plane && (r.iscell || !cells_only) {
            ids.push(r.id);
            px.push(
                r.pixels
                    .iter()
                    .map(|&(y, x)| (y as usize, x as usize))
                    .collect(),
            );
        }
    }
    (ids, px)
}

/// Scores a pipeline run against synthetic truth (all planes), returning the ROI score and, for
/// matched pairs, the correlation of the neuropil-corrected trace with the true calcium.
pub fn score_synthetic(
    out: &PipelineOutput,
    truth: &GroundTruth,
    planes: usize,
) -> (RoiScore, Vec<f64>, Vec<(usize, usize)>) {
    let mut all = RoiScore::default();
    let (mut m, mut nt, mut nd) = (0usize, 0usize, 0usize);
    let mut corrs = Vec::new();
    let mut pairs = Vec::new();
    for p in 0..planes {
        // a plane's truth: cells it images at >= 20% brightness (|depth - plane| <= 0.63 planes;
        // the generator's depth falloff is Gaussian with sigma 0.35 plane), so a cell between two
        // planes counts in both
        let tids: Vec<usize> = (0..truth.cells.len())
            .filter(|&i| (truth.cells[i].shape.z - p as f32).abs() <= 0.63)
            .collect();
        let tpx: Vec<Vec<(usize, usize)>> = tids
            .iter()
            .map(|&i| truth.cells[i].pixels.clone())
            .collect();
        let (dids, dpx) = detected_pixels(out, p, true);
        let s = score_rois(&tpx, &dpx, 10.0);
        m += s.matches.len();
        nt += tpx.len();
        nd += dpx.len();
        for &(ti, di) in &s.matches {
            let (tid, did) = (tids[ti], dids[di]);
            let fc: Vec<f32> = out
                .f
                .row(did)
                .iter()
                .zip(out.fneu.row(did))
                .map(|(a, b)| a - 0.7 * b)
                .collect();
            corrs.push(correlation(&fc, &truth.calcium[tid]));
            pairs.push((tid, did));
        }
    }
    all.recall = m as f64 / nt.max(1) as f64;
    all.precision = m as f64 / nd.max(1) as f64;
    all.f1 = if m > 0 {
        2.0 * all.recall * all.precision / (all.recall + all.precision)
    } else {
        0.0
    };
    (all, corrs, pairs)
}

pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}
