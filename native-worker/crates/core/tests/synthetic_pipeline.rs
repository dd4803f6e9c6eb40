//! End-to-end pipeline on synthetic movies with ground truth.

mod common;

use common::{mean, score_synthetic};
use worker_core::pipeline::{run, PipelineOptions};
use worker_core::score::adjusted_rand_index;
use worker_core::source::FrameSource;
use worker_core::synth::{generate, SynthOptions};

fn quiet(_: &str, _: usize, _: usize) {}

#[test]
fn clean_movie_rois_traces_and_clusters_are_recovered() {
    let so = SynthOptions {
        frames: 900,
        height: 128,
        width: 128,
        cells: 40,
        groups: 4,
        seed: 7,
        max_shift: 3.0,
        ..SynthOptions::default()
    };
    let (movies, truth) = generate(&so);
    let srcs: Vec<&dyn FrameSource> = movies.iter().map(|m| m as &dyn FrameSource).collect();
    let opts = PipelineOptions {
        fs: so.fs,
        tau: so.tau,
        k: 4,
        seed: 3,
        batch: 200,
        ..PipelineOptions::default()
    };
    let out = run(&srcs, &opts, &quiet).expect("pipeline");
    let (s, corrs, pairs) = score_synthetic(&out, &truth, 1);
    println!(
        "synthetic clean: {} true, {} detected ({} cells): recall {:.3} precision {:.3} F1 {:.3}; trace r mean {:.3} min {:.3}",
        truth.cells.len(),
        out.rois.len(),
        out.iscell.iter().filter(|&&c| c).count(),
        s.recall,
        s.precision,
        s.f1,
        mean(&corrs),
        corrs.iter().copied().fold(1.0, f64::min)
    );
    assert!(s.f1 >= 0.9, "ROI F1 {:.3} < 0.9", s.f1);
    assert!(
        mean(&corrs) >= 0.9,
        "mean trace correlation {:.3} < 0.9",
        mean(&corrs)
    );
    // clusters of matched cells against the planted groups
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for &(tid, did) in &pairs {
        if let (Some(g), Some(c)) = (truth.cells[tid].group, out.rois[did].cluster) {
            a.push(g);
            b.push(c);
        }
    }
    let ari = adjusted_rand_index(&a, &b);
    println!(
        "synthetic clean: ARI {ari:.3} over {} matched cells",
        a.len()
    );
    assert!(ari >= 0.9, "ARI {ari:.3} < 0.9");
    let q = &out.planes[0].registration;
    println!(
        "registration quality: corr before {:.3} after {:.3}",
        q.mean_corr_before(),
        q.mean_corr_after()
    );
    assert!(q.mean_corr_after() > q.mean_corr_before());
}
