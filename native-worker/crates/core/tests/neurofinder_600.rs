//! Cell detection on real recordings: all 600 frames of two 256 x 256 quarters (top-left, TL,
//! 99 labelled cells; top-right, TR, 52) of a neurofinder training recording (CodeNeuro; as
//! committed in neuhofmo/calcium-imaging-neuron-detection), in `../shared/data/neurofinder-600`,
//! analysed at their 7 Hz with default options and scored the neurofinder way (worker's cells,
//! `iscell`; Hungarian on centroids within 10 px).
//!
//! The target, F1 >= 0.80 on both, is printed, not asserted: it is not reached, and the
//! second test prints why, per missed cell (size, brightness, activity) against the unlabelled
//! background of the same quarter.

mod common;
mod label_evidence;
mod shared_data;

use std::sync::OnceLock;

use common::{detected_pixels, read_regions, read_simple_tiff_u16};
use label_evidence::{quantile, rank, Appearance, Measurer};
use worker_core::pipeline::{run, PipelineOptions};
use worker_core::register::{register_source, RegisterOptions};
use worker_core::score::{centroid, score_rois, RoiScore};
use worker_core::source::FrameSource;
use worker_core::Movie;

const QUARTERS: [&str; 2] = ["TL", "TR"];
/// suite2p's F1 on each quarter, the floor the worker must stay above: suite2p 1.1.0 (CPU) run by
/// `npm run bench:worker -- --only=neurofinder` (bench/suite2p_run.py: default settings except
/// fs 7, tau 1, torch_device cpu), its `iscell` ROIs scored the same way; recorded in
/// bench/results/worker-only-neurofinder.json (TL recall 0.525 precision 0.286, TR 0.462 0.186).
const SUITE2P_F1: [f64; 2] = [0.370, 0.265];
const TARGET_F1: f64 = 0.80;
/// neurofinder 00-series: about 7 Hz, GCaMP6s.
const FS: f32 = 7.0;

struct Quarter {
    movie: Movie,
    truth: Vec<Vec<(usize, usize)>>,
    cells: Vec<Vec<(usize, usize)>>,
    score: RoiScore,
}

/// Each quarter analysed once for both tests (`None` where the data is absent outside CI).
fn analysed(name: &str) -> Option<&'static Quarter> {
    static RUNS: OnceLock<Vec<Option<Quarter>>> = OnceLock::new();
    let runs = RUNS.get_or_init(|| QUARTERS.iter().map(|q| analyse(q)).collect());
    runs[QUARTERS.iter().position(|q| *q == name)?].as_ref()
}

fn analyse(name: &str) -> Option<Quarter> {
    let rel = |f: &str| format!("neurofinder-600/{name}/{f}");
    let data = shared_data::data_dir_with(&[&rel("movie.tif"), &rel("regions.json")])?;
    let movie = read_simple_tiff_u16(&data.join(rel("movie.tif")));
    let truth = read_regions(&data.join(rel("regions.json")));
    let opts = PipelineOptions {
        fs: FS,
        tau: 1.0,
        seed: 0,
        ..PipelineOptions::default()
    };
    let srcs: [&dyn FrameSource; 1] = [&movie];
    let out = run(&srcs, &opts, &|_, _, _| {}).expect("pipeline");
    let (_, cells) = detected_pixels(&out, 0, true);
    let score = score_rois(&truth, &cells, 10.0);
    Some(Quarter {
        movie,
        truth,
        cells,
        score,
    })
}

/// The public leaderboard's own figure (neurofinder 1.1.1 `evaluate`), stricter than the
/// Hungarian 10 px matching: each true ROI in file order takes the nearest detected centroid not
/// yet taken, if it lies closer than 5 px. Returns (recall, precision, F1).
fn leaderboard_score(
    truth: &[Vec<(usize, usize)>],
    detected: &[Vec<(usize, usize)>],
) -> (f64, f64, f64) {
    let mut free: Vec<(f64, f64)> = detected.iter().map(|d| centroid(d)).collect();
    let mut matched = 0usize;
    for t in truth {
        let c = centroid(t);
        let best = free
            .iter()
            .enumerate()
            .map(|(i, d)| (i, ((d.0 - c.0).powi(2) + (d.1 - c.1).powi(2)).sqrt()))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, dist)) = best {
            if dist < 5.0 {
                free.remove(i);
                matched += 1;
            }
        }
    }
    let r = matched as f64 / truth.len().max(1) as f64;
    let p = matched as f64 / detected.len().max(1) as f64;
    (
        r,
        p,
        if matched > 0 {
            2.0 * r * p / (r + p)
        } else {
            0.0
        },
    )
}

/// The best F1 of a regular grid of points (spacing 10 to 30 px), which sees no image at all.
fn blind_grid_f1(truth: &[Vec<(usize, usize)>], h: usize, w: usize) -> (f64, usize) {
    (10..=30)
        .map(|s| {
            let mut pts = Vec::new();
            let mut y = s / 2;
            while y < h {
                let mut x = s / 2;
                while x < w {
                    pts.push(vec![(y, x)]);
                    x += s;
                }
                y += s;
            }
            (score_rois(truth, &pts, 10.0).f1, s)
        })
        .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
}

#[test]
fn neurofinder_600_quarters_beat_suite2p_and_a_blind_grid() {
    for (name, s2p) in QUARTERS.into_iter().zip(SUITE2P_F1) {
        let Some(q) = analysed(name) else { return };
        let s = &q.score;
        let (grid, spacing) = blind_grid_f1(&q.truth, q.movie.height, q.movie.width);
        let (lr, lp, lf) = leaderboard_score(&q.truth, &q.cells);
        println!(
            "neurofinder-600/{name}: {} labelled, {} cells: recall {:.3} precision {:.3} F1 {:.3} \
             (suite2p {s2p:.3}, blind {spacing} px grid {grid:.3}; target {TARGET_F1:.2}{})",
            q.truth.len(),
            q.cells.len(),
            s.recall,
            s.precision,
            s.f1,
            if s.f1 >= TARGET_F1 {
                ""
            } else {
                ", NOT reached"
            },
        );
        println!(
            "neurofinder-600/{name}: leaderboard figure (greedy, 5 px): recall {lr:.3} precision {lp:.3} F1 {lf:.3}"
        );
        assert!(
            s.f1 > s2p,
            "{name}: F1 {:.3} below suite2p's {s2p:.3}",
            s.f1
        );
        assert!(
            s.f1 > grid + 0.05,
            "{name}: F1 {:.3} not clearly above a blind grid's {grid:.3}",
            s.f1
        );
    }
}

fn registered(movie: &Movie) -> Movie {
    let mut reg = Movie::new(movie.frames, movie.height, movie.width);
    let mut pos = 0;
    register_source(
        movie,
        &RegisterOptions::default(),
        100,
        &mut |_, d| {
            reg.data[pos..pos + d.len()].copy_from_slice(d);
            pos += d.len();
            Ok(())
        },
        &|_, _| {},
    )
    .expect("register");
    reg
}

fn nearest(c: (f64, f64), others: &[Vec<(usize, usize)>]) -> f64 {
    others
        .iter()
        .map(|o| {
            let d = centroid(o);
            ((d.0 - c.0).powi(2) + (d.1 - c.1).powi(2)).sqrt()
        })
        .fold(f64::INFINITY, f64::min)
}

/// How far a labelled cell stands out from the unlabelled background: the fraction of
/// background disks less extreme than it in activity (`activity_z`) or in brightness (two-sided),
/// whichever is larger. 0.9 = only a tenth of the background is as active, or as bright or dark.
fn distinctness(a: &Appearance, bg_z: &[f64], bg_b: &[f64]) -> f64 {
    rank(bg_z, a.activity_z).max((2.0 * rank(bg_b, a.brightness) - 1.0).abs())
}

/// What limits F1 on these quarters, measured. Every labelled cell, and disks of a soma's size
/// (radius 4.5 px) on a 9 px grid over the unlabelled rest of the quarter (no two overlap), are
/// measured alike (size, mean-image brightness against the surround, strongest transient; see
/// `label_evidence`). Printed: each missed cell with its measures and their rank among the
/// background disks; and how well brightness and activity separate labelled cells from
/// background at all: the best F1 of an oracle that knows every labelled footprint and keeps
/// whatever stands out at least as much as a threshold (tried at every value), counting each
/// background disk that passes as a false positive. Asserted: the worker finds at least 80% of
/// the labelled cells more active than 90% of the background (what activity can be held to).
#[test]
fn neurofinder_600_what_limits_f1() {
    for name in QUARTERS {
        let Some(q) = analysed(name) else { return };
        let reg = registered(&q.movie);
        let m = Measurer::new(&reg, FS.round() as usize, &q.truth);
        let bg: Vec<Appearance> = m
            .background_disks(4.5, 9)
            .iter()
            .filter_map(|d| m.measure(d))
            .collect();
        let bg_z: Vec<f64> = bg.iter().map(|a| a.activity_z).collect();
        let bg_b: Vec<f64> = bg.iter().map(|a| a.brightness).collect();
        let z90 = quantile(&bg_z, 0.9);
        println!(
            "{name}: {} background disks: activity z median {:.1}, 90th pct {z90:.1}; brightness 5-95% {:+.1}%..{:+.1}%",
            bg.len(),
            quantile(&bg_z, 0.5),
            100.0 * quantile(&bg_b, 0.05),
            100.0 * quantile(&bg_b, 0.95)
        );
        let mut found = vec![false; q.truth.len()];
        for &(t, _) in &q.score.matches {
            found[t] = true;
        }
        let measured: Vec<(usize, Appearance)> = q
            .truth
            .iter()
            .enumerate()
            .filter_map(|(i, t)| m.measure(t).map(|a| (i, a)))
            .collect();
        println!("{name}: missed labelled cells: size px, brightness vs surround (rank among background), strongest transient z (rank), distance to the nearest cell found:");
        for &(i, a) in measured.iter().filter(|(i, _)| !found[*i]) {
            let c = centroid(&q.truth[i]);
            println!(
                "  #{i:<3} ({:5.1},{:5.1}) size {:3}  brightness {:+6.1}% ({:4.2})  activity z {:5.1} ({:4.2})  nearest {:5.1}",
                c.0,
                c.1,
                a.size,
                100.0 * a.brightness,
                rank(&bg_b, a.brightness),
                a.activity_z,
                rank(&bg_z, a.activity_z),
                nearest(c, &q.cells),
            );
        }
        let missed: Vec<&Appearance> = measured
            .iter()
            .filter(|(i, _)| !found[*i])
            .map(|(_, a)| a)
            .collect();
        let plain = missed
            .iter()
            .filter(|a| distinctness(a, &bg_z, &bg_b) < 0.9)
            .count();
        println!(
            "{name}: {} missed; {plain} of them stand out from less than 90% of the background in both activity and brightness; median missed size {} px",
            missed.len(),
            {
                let mut s: Vec<usize> = missed.iter().map(|a| a.size).collect();
                s.sort_unstable();
                s.get(s.len() / 2).copied().unwrap_or(0)
            }
        );
        let median = |found_flag: bool, f: &dyn Fn(&Appearance) -> f64| {
            let v: Vec<f64> = measured
                .iter()
                .filter(|(i, _)| found[*i] == found_flag)
                .map(|(_, a)| f(a))
                .collect();
            if v.is_empty() {
                f64::NAN
            } else {
                quantile(&v, 0.5)
            }
        };
        println!(
            "{name}: medians, found vs missed: size {:.0} vs {:.0} px, brightness {:+.1}% vs {:+.1}%, activity z {:.1} vs {:.1}",
            median(true, &|a| a.size as f64),
            median(false, &|a| a.size as f64),
            100.0 * median(true, &|a| a.brightness),
            100.0 * median(false, &|a| a.brightness),
            median(true, &|a| a.activity_z),
            median(false, &|a| a.activity_z)
        );
        // separability (not a bound on the worker's F1, which also gains from chance matches
        // within 10 px of dense labels: see the blind grid above)
        let cell_d: Vec<f64> = measured
            .iter()
            .map(|(_, a)| distinctness(a, &bg_z, &bg_b))
            .collect();
        let bg_d: Vec<f64> = bg.iter().map(|a| distinctness(a, &bg_z, &bg_b)).collect();
        let n = q.truth.len() as f64;
        let (best, tau) = cell_d
            .iter()
            .map(|&tau| {
                let tp = cell_d.iter().filter(|&&d| d >= tau).count() as f64;
                let fp = bg_d.iter().filter(|&&d| d >= tau).count() as f64;
                (2.0 * tp / (n + tp + fp), tau)
            })
            .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
        println!(
            "{name}: labelled footprints against background disks, keeping what stands out from >= {:.0}% of the background: best F1 {best:.3} (worker {:.3}, target {TARGET_F1:.2})",
            100.0 * tau,
            q.score.f1
        );
        // precision: the worker's cells that match no label
        let mut matched = vec![false; q.cells.len()];
        for &(_, d) in &q.score.matches {
            matched[d] = true;
        }
        let unmatched: Vec<&Vec<(usize, usize)>> = q
            .cells
            .iter()
            .zip(&matched)
            .filter(|(_, &mm)| !mm)
            .map(|(c, _)| c)
            .collect();
        let un_active = unmatched
            .iter()
            .filter(|c| m.measure(c).is_some_and(|a| a.activity_z > z90))
            .count();
        let un_far = unmatched
            .iter()
            .filter(|c| nearest(centroid(c), &q.truth) > 20.0)
            .count();
        println!(
            "{name}: {} of {} cells match no label: {un_active} are more active than 90% of the background, {un_far} lie > 20 px from every label",
            unmatched.len(),
            q.cells.len()
        );
        let active: Vec<usize> = measured
            .iter()
            .filter(|(_, a)| a.activity_z > z90)
            .map(|(i, _)| *i)
            .collect();
        let active_found = active.iter().filter(|&&i| found[i]).count();
        println!("{name}: {} labelled cells more active than 90% of the background, {active_found} found", active.len());
        assert!(
            active_found as f64 >= 0.8 * active.len() as f64,
            "{name}: only {active_found} of {} active labelled cells found",
            active.len()
        );
    }
}
