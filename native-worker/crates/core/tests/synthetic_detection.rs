//! Detection quality on the benchmark's synthetic movies (`bench/worker.ts`: `synth write` with
//! `--seed 7`, default generator settings, the worker's default options), scored like the bench.
//! Slow in debug builds, so ignored; run with
//! `cargo test --release -p scopecloud-worker-core --test synthetic_detection -- --ignored --nocapture`.

mod common;

use common::score_synthetic;
use worker_core::pipeline::{run, PipelineOptions};
use worker_core::source::FrameSource;
use worker_core::synth::{generate, SynthOptions};

fn bench_f1(frames: usize, side: usize, cells: usize, planes: usize) -> f64 {
    let so = SynthOptions {
        frames,
        height: side,
        width: side,
        planes,
        cells,
        fs: 30.0,
        max_shift: 3.0,
        seed: 7,
        ..SynthOptions::default()
    };
    let (movies, truth) = generate(&so);
    let srcs: Vec<&dyn FrameSource> = movies.iter().map(|m| m as &dyn FrameSource).collect();
    let opts = PipelineOptions {
        fs: so.fs,
        ..PipelineOptions::default()
    };
    let t0 = std::time::Instant::now();
    let out = run(&srcs, &opts, &|_, _, _| {}).expect("pipeline");
    let (s, _, pairs) = score_synthetic(&out, &truth, planes);
    // the first false positives, for diagnosis: id, centroid, size, score, distance to the nearest
    // true cell (any plane)
    for r in out
        .rois
        .iter()
        .filter(|r| r.iscell && !pairs.iter().any(|p| p.1 == r.id))
        .take(20)
    {
        let near = truth
            .cells
            .iter()
            .map(|c| ((c.shape.y - r.y).powi(2) + (c.shape.x - r.x).powi(2)).sqrt())
            .fold(f32::INFINITY, f32::min);
        println!(
            "  unmatched ROI {} at ({:.0}, {:.0}): {} px, score {:.2}, nearest cell {near:.1} px",
            r.id,
            r.y,
            r.x,
            r.pixels.len(),
            r.score
        );
    }
    println!(
        "synthetic {side}x{side}x{frames}, {planes} plane(s), {cells} cells: {} cells reported: recall {:.3} precision {:.3} F1 {:.3} ({:.1} s; {:?})",
        out.iscell.iter().filter(|&&c| c).count(),
        s.recall,
        s.precision,
        s.f1,
        t0.elapsed().as_secs_f64(),
        out.planes[0].timings
    );
    s.f1
}

/// The bench's quick 256 x 256 case (1500 frames, 100 cells). suite2p 1.1.0 scored F1 0.969 on it
/// (bench/results/worker.json); the issue asks for equal or better. Measured: F1 1.000 (100 cells,
/// all matched); 0.943 before the skewness term of the cell score (12 negatively skewed patches).
#[test]
#[ignore]
fn synthetic_256_bench_f1() {
    let f1 = bench_f1(1500, 256, 100, 1);
    assert!(f1 >= 0.969, "F1 {f1:.3} below suite2p's 0.969");
}

/// The bench's quick 512 x 512 case (500 frames, 300 cells; suite2p F1 0.921). Measured: F1 0.985
/// (0.977 before).
#[test]
#[ignore]
fn synthetic_512_bench_f1() {
    let f1 = bench_f1(500, 512, 300, 1);
    assert!(f1 >= 0.921, "F1 {f1:.3} below suite2p's 0.921");
}

/// The bench's 30-plane volume (128 x 128, 400 time points, 600 cells; suite2p fails on it).
/// Measured: F1 0.893 (0.888 before non-cell activity candidates stopped hiding mean-image somata,
/// 0.887 before the soma templates and the skewness term). Its `--quick`
/// variant (100 time points: 3 bins, so no usable activity and only the mean image) scores 0.852
/// (0.892 before): filled disks now need more contrast than rings (see `detect::anatomy`).
#[test]
#[ignore]
fn synthetic_volume_bench_f1() {
    let f1 = bench_f1(400, 128, 600, 30);
    // suite2p on the same volume in bench:worker (bench/results/worker.json): F1 0.780
    assert!(f1 >= 0.780, "F1 {f1:.3} below suite2p's 0.780");
}
