//! Benchmark helper (not part of the product CLI): writes synthetic movies with ground truth and
//! scores detected ROIs against it.
//!
//! ```text
//! synth write --out DIR [--frames N] [--height H] [--width W] [--planes P] [--cells C] [--fs HZ]
//!             [--max-shift PX] [--seed S]
//!     DIR/movie.tif   uint16, uncompressed, one page per frame and plane (t0z0, t0z1, ..., t1z0, ...)
//!     DIR/truth.json  [{"id", "plane", "coordinates": [[row, col], ...]}] (neurofinder format; a
//!                     cell is listed in every plane that images it at >= 20% brightness)
//! synth score --truth truth.json --regions regions.json [--rois rois.json]
//!     prints {"recall", "precision", "f1", "true", "detected"}: per-plane Hungarian matching of
//!     centroids within 10 px, summed over planes; with --rois only ROIs with "iscell": true count.
//! ```
//! The movie is built in memory (f32), so RAM must hold it once; it is written frame by frame.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use worker_core::score::score_rois;
use worker_core::synth::{generate, SynthOptions};

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("write") => write(&args),
        Some("score") => score(&args),
        _ => {
            eprintln!("usage: synth write --out DIR [...] | synth score --truth T --regions R [--rois rois.json]");
            std::process::exit(2);
        }
    }
}

fn write(args: &[String]) {
    let out: PathBuf = arg(args, "--out").expect("--out DIR");
    let so = SynthOptions {
        frames: arg(args, "--frames").unwrap_or(600),
        height: arg(args, "--height").unwrap_or(256),
        width: arg(args, "--width").unwrap_or(256),
        planes: arg(args, "--planes").unwrap_or(1),
        cells: arg(args, "--cells").unwrap_or(100),
        fs: arg(args, "--fs").unwrap_or(30.0),
        max_shift: arg(args, "--max-shift").unwrap_or(3.0),
        seed: arg(args, "--seed").unwrap_or(1),
        ..SynthOptions::default()
    };
    std::fs::create_dir_all(&out).expect("create output folder");
    let (movies, truth) = generate(&so);
    write_tiff(
        &out.join("movie.tif"),
        &movies,
        so.frames,
        so.height,
        so.width,
    );
    let mut regions = Vec::new();
    for p in 0..so.planes.max(1) {
        for (i, c) in truth.cells.iter().enumerate() {
            if (c.shape.z - p as f32).abs() <= 0.63 && !c.pixels.is_empty() {
                regions.push(serde_json::json!({"id": i, "plane": p, "coordinates": c.pixels}));
            }
        }
    }
    std::fs::write(
        out.join("truth.json"),
        serde_json::to_string(&regions).unwrap(),
    )
    .expect("write truth");
    println!(
        "{}",
        serde_json::json!({"frames": so.frames, "height": so.height, "width": so.width, "planes": so.planes, "cells": truth.cells.len(), "regions": regions.len()})
    );
}

/// Minimal little-endian classic TIFF writer: one uncompressed 16-bit strip per page.
fn write_tiff(path: &Path, movies: &[worker_core::Movie], frames: usize, h: usize, w: usize) {
    let planes = movies.len();
    let pages = frames * planes;
    let page_bytes = (h * w * 2) as u64;
    let ifd_bytes: u64 = 2 + 9 * 12 + 4;
    assert!(
        8 + pages as u64 * (page_bytes + ifd_bytes) < u32::MAX as u64,
        "movie too large for classic TIFF"
    );
    let mut f = BufWriter::with_capacity(1 << 22, File::create(path).expect("create tiff"));
    f.write_all(b"II*\0").unwrap();
    f.write_all(&8u32.to_le_bytes()).unwrap();
    let mut pos: u64 = 8;
    let mut buf = vec![0u8; h * w * 2];
    for t in 0..frames {
        for (p, m) in movies.iter().enumerate() {
            let last = t + 1 == frames && p + 1 == planes;
            let data_at = pos + ifd_bytes;
            let next = if last { 0 } else { data_at + page_bytes };
            let entry = |tag: u16, typ: u16, val: u32| {
                let mut e = Vec::with_capacity(12);
                e.extend_from_slice(&tag.to_le_bytes());
                e.extend_from_slice(&typ.to_le_bytes());
                e.extend_from_slice(&1u32.to_le_bytes());
                if typ == 3 {
                    e.extend_from_slice(&(val as u16).to_le_bytes());
                    e.extend_from_slice(&[0, 0]);
                } else {
                    e.extend_from_slice(&val.to_le_bytes());
                }
                e
            };
            f.write_all(&9u16.to_le_bytes()).unwrap();
            for e in [
                entry(256, 4, w as u32),
                entry(257, 4, h as u32),
                entry(258, 3, 16),
                entry(259, 3, 1),
                entry(262, 3, 1),
                entry(273, 4, data_at as u32),
                entry(277, 3, 1),
                entry(278, 4, h as u32),
                entry(279, 4, page_bytes as u32),
            ] {
                f.write_all(&e).unwrap();
            }
            f.write_all(&(next as u32).to_le_bytes()).unwrap();
            for (b, &v) in buf.chunks_exact_mut(2).zip(m.frame(t)) {
                b.copy_from_slice(&(v.round().clamp(0.0, 65535.0) as u16).to_le_bytes());
            }
            f.write_all(&buf).unwrap();
            pos = data_at + page_bytes;
        }
    }
    f.flush().unwrap();
}

type Regions = BTreeMap<usize, Vec<Vec<(usize, usize)>>>;

fn read_regions(path: &Path, keep: Option<&HashSet<u64>>) -> Regions {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read regions"))
            .expect("regions json");
    let mut out: Regions = BTreeMap::new();
    for r in v.as_array().expect("array of regions") {
        if let Some(k) = keep {
            if !r["id"].as_u64().is_some_and(|id| k.contains(&id)) {
                continue;
            }
        }
        let plane = r["plane"].as_u64().unwrap_or(0) as usize;
        let px = r["coordinates"]
            .as_array()
            .expect("coordinates")
            .iter()
            .map(|c| {
                (
                    c[0].as_u64().unwrap() as usize,
                    c[1].as_u64().unwrap() as usize,
                )
            })
            .collect();
        out.entry(plane).or_default().push(px);
    }
    out
}

fn score(args: &[String]) {
    let truth: PathBuf = arg(args, "--truth").expect("--truth");
    let regions: PathBuf = arg(args, "--regions").expect("--regions");
    let keep = arg::<PathBuf>(args, "--rois").map(|p| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(p).expect("read rois"))
                .expect("rois json");
        let list = v["rois"]
            .as_array()
            .or_else(|| v.as_array())
            .cloned()
            .unwrap_or_default();
        list.iter()
            .filter(|r| r["iscell"].as_bool() == Some(true))
            .filter_map(|r| r["id"].as_u64())
            .collect::<HashSet<u64>>()
    });
    let t = read_regions(&truth, None);
    let d = read_regions(&regions, keep.as_ref());
    let (mut m, mut nt, mut nd) = (0usize, 0usize, 0usize);
    let planes: HashSet<usize> = t.keys().chain(d.keys()).copied().collect();
    for p in planes {
        let empty = Vec::new();
        let (tp, dp) = (t.get(&p).unwrap_or(&empty), d.get(&p).unwrap_or(&empty));
        nt += tp.len();
        nd += dp.len();
        m += score_rois(tp, dp, 10.0).matches.len();
    }
    let recall = m as f64 / nt.max(1) as f64;
    let precision = m as f64 / nd.max(1) as f64;
    let f1 = if m > 0 {
        2.0 * recall * precision / (recall + precision)
    } else {
        0.0
    };
    println!(
        "{}",
        serde_json::json!({"recall": recall, "precision": precision, "f1": f1, "true": nt, "detected": nd, "matched": m})
    );
}
