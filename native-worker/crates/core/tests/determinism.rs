//! Same input and seed give the same output, whatever the thread count; volumetric input runs
//! plane by plane and every ROI carries its plane.

mod common;

use common::score_synthetic;
use worker_core::pipeline::{run, PipelineOptions};
use worker_core::source::FrameSource;
use worker_core::synth::{generate, SynthOptions};

#[test]
fn same_seed_same_output_across_thread_counts() {
    let so = SynthOptions {
        frames: 300,
        height: 96,
        width: 96,
        cells: 20,
        groups: 2,
        max_shift: 2.0,
        seed: 21,
        ..SynthOptions::default()
    };
    let (m1, _) = generate(&so);
    let (m2, _) = generate(&so);
    assert_eq!(m1[0].data, m2[0].data, "the generator is deterministic");
    let srcs: Vec<&dyn FrameSource> = m1.iter().map(|m| m as &dyn FrameSource).collect();
    let a = run(
        &srcs,
        &PipelineOptions {
            threads: Some(1),
            k: 2,
            seed: 5,
            batch: 64,
            ..PipelineOptions::default()
        },
        &|_, _, _| {},
    )
    .unwrap();
    let b = run(
        &srcs,
        &PipelineOptions {
            threads: Some(2),
            k: 2,
            seed: 5,
            batch: 100,
            ..PipelineOptions::default()
        },
        &|_, _, _| {},
    )
    .unwrap();
    assert_eq!(a.rois, b.rois);
    assert_eq!(a.f, b.f);
    assert_eq!(a.spks, b.spks);
    assert_eq!(a.clustering.labels, b.clustering.labels);
    assert_eq!(a.clustering.image, b.clustering.image);
}

#[test]
fn volumetric_movie_is_processed_per_plane() {
    let so = SynthOptions {
        frames: 400,
        height: 96,
        width: 96,
        planes: 3,
        cells: 45,
        seed: 22,
        ..SynthOptions::default()
    };
    let (movies, truth) = generate(&so);
    let srcs: Vec<&dyn FrameSource> = movies.iter().map(|m| m as &dyn FrameSource).collect();
    let steps = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let out = run(
        &srcs,
        &PipelineOptions {
            seed: 1,
            ..PipelineOptions::default()
        },
        &|s, _, _| {
            steps.lock().unwrap().insert(s.to_string());
        },
    )
    .unwrap();
    assert_eq!(out.planes.len(), 3);
    for p in 0..3 {
        assert!(
            out.rois
                .iter()
                .any(|r| r.plane == p && (r.z - p as f32).abs() < 1e-6),
            "plane {p} has ROIs"
        );
    }
    let (s, _, _) = score_synthetic(&out, &truth, 3);
    println!(
        "volumetric: {} true cells, recall {:.3} precision {:.3} F1 {:.3}",
        truth.cells.len(),
        s.recall,
        s.precision,
        s.f1
    );
    assert!(s.f1 >= 0.8, "volumetric F1 {:.3}", s.f1);
    let steps = steps.into_inner().unwrap();
    for s in ["register", "detect", "extract", "deconvolve", "cluster"] {
        assert!(steps.contains(s), "progress for {s}");
    }
}
