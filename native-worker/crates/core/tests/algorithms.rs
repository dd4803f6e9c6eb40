//! Exact and property checks of the individual algorithms on small inputs.

use rustfft::num_complex::Complex32;
use worker_core::cluster::{
    cluster, covariance_image, kmeans::kmeans, zscore_rows, ClusterOptions,
};
use worker_core::deconv::oasis::oasis_ar1;
use worker_core::detect::filters::{box_mean, sliding_extreme};
use worker_core::detect::maps::{box_in_window, Window};
use worker_core::extract::{neuropil_masks, NeuropilOptions, Traces};
use worker_core::register::fft2::Fft2;
use worker_core::register::phasecorr::PhaseCorrelator;
use worker_core::rng::Rng;
use worker_core::score::hungarian::assign;
use worker_core::score::{adjusted_rand_index, score_rois};
use worker_core::source::{BinaryCache, FrameSource};

#[test]
fn hungarian_finds_the_minimum_cost_assignment() {
    // optimum: row0->col1, row1->col0, row2->col2 (cost 1 + 2 + 2 = 5)
    let cost = [4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0];
    assert_eq!(assign(&cost, 3, 3), vec![Some(1), Some(0), Some(2)]);
    // more rows than columns: one row is left out
    let cost = [1.0, 9.0, 9.0, 1.0, 5.0, 5.0];
    let a = assign(&cost, 3, 2);
    assert_eq!((a[0], a[1], a[2]), (Some(0), Some(1), None));
}

#[test]
fn neurofinder_matching_respects_the_distance_limit() {
    let disk = |cy: usize, cx: usize| -> Vec<(usize, usize)> {
        (cy - 2..=cy + 2)
            .flat_map(|y| (cx - 2..=cx + 2).map(move |x| (y, x)))
            .collect()
    };
    let truth = vec![disk(10, 10), disk(40, 40)];
    let det = vec![disk(12, 11), disk(40, 55), disk(80, 80)];
    let s = score_rois(&truth, &det, 10.0);
    assert_eq!(s.matches, vec![(0, 0)]);
    assert!((s.recall - 0.5).abs() < 1e-9 && (s.precision - 1.0 / 3.0).abs() < 1e-9);
}

#[test]
fn adjusted_rand_index_is_one_for_relabelled_partitions_and_low_for_random() {
    assert!((adjusted_rand_index(&[0, 0, 1, 1, 2, 2], &[2, 2, 0, 0, 1, 1]) - 1.0).abs() < 1e-12);
    let mut rng = Rng::new(1);
    let a: Vec<usize> = (0..2000).map(|_| rng.below(4)).collect();
    let b: Vec<usize> = (0..2000).map(|_| rng.below(4)).collect();
    assert!(adjusted_rand_index(&a, &b).abs() < 0.02);
}

#[test]
fn oasis_recovers_isolated_spikes() {
    let g = 0.9f32;
    let mut s_true = vec![0.0f32; 200];
    for &t in &[20usize, 70, 71, 150] {
        s_true[t] = 1.0;
    }
    let mut c = 0.0;
    let y: Vec<f32> = s_true
        .iter()
        .map(|&s| {
            c = g * c + s;
            c
        })
        .collect();
    let (c_hat, s_hat) = oasis_ar1(&y, g, 0.0);
    for t in 0..200 {
        assert!(
            (c_hat[t] - y[t]).abs() < 1e-4,
            "noise-free data must be reproduced"
        );
        assert!((s_hat[t] - s_true[t]).abs() < 1e-4);
    }
    // negative excursions are clipped: s >= 0 always
    let noisy: Vec<f32> = y
        .iter()
        .enumerate()
        .map(|(i, v)| v + if i % 2 == 0 { 0.2 } else { -0.2 })
        .collect();
    assert!(oasis_ar1(&noisy, g, 0.0).1.iter().all(|&v| v >= 0.0));
}

#[test]
fn box_filters_agree_between_full_frame_and_window() {
    let (h, w) = (13, 17);
    let mut rng = Rng::new(3);
    let img: Vec<f32> = (0..h * w).map(|_| rng.normal() as f32).collect();
    for d in [3, 4, 7] {
        let full = box_mean(&img, h, w, d);
        let win = Window {
            y0: 2,
            y1: 11,
            x0: 0,
            x1: 9,
        };
        let part = box_in_window(&img, h, w, d, win);
        for y in win.y0..win.y1 {
            for x in win.x0..win.x1 {
                let a = full[y * w + x];
                let b = part[(y - win.y0) * win.width() + x - win.x0];
                assert!((a - b).abs() < 1e-4, "d {d} at ({y},{x}): {a} vs {b}");
            }
        }
    }
    assert_eq!(
        sliding_extreme(&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0], 3, true),
        vec![1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0]
    );
    assert_eq!(
        sliding_extreme(&[3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0], 3, false),
        vec![3.0, 4.0, 4.0, 5.0, 9.0, 9.0, 9.0]
    );
}

#[test]
fn phase_correlation_measures_a_known_translation() {
    let (h, w) = (64, 64);
    let mut rng = Rng::new(5);
    let noise: Vec<f32> = (0..h * w).map(|_| rng.normal() as f32).collect();
    let img = worker_core::detect::filters::gaussian_blur(&noise, h, w, 2.0);
    let pc = PhaseCorrelator::new(&img, h, w, 1.15, 3.45);
    // frame(p) = img(p - d), an exact (Fourier) sub-pixel translation
    let (dy, dx) = (2.3f32, -1.6f32);
    let fft = Fft2::new(h, w);
    let mut spec: Vec<Complex32> = img.iter().map(|&v| Complex32::new(v, 0.0)).collect();
    fft.forward(&mut spec);
    let freq = |i: usize, n: usize| {
        if i <= n / 2 {
            i as f32 / n as f32
        } else {
            i as f32 / n as f32 - 1.0
        }
    };
    for y in 0..h {
        for x in 0..w {
            let ph = -std::f32::consts::TAU * (freq(y, h) * dy + freq(x, w) * dx);
            spec[y * w + x] *= Complex32::new(ph.cos(), ph.sin());
        }
    }
    fft.inverse(&mut spec);
    let frame: Vec<f32> = spec.iter().map(|c| c.re / (h * w) as f32).collect();
    let p = pc.shift_refined(&frame, 8);
    assert!(
        (p.dy - dy).abs() < 0.2 && (p.dx - dx).abs() < 0.2,
        "got ({}, {})",
        p.dy,
        p.dx
    );
}

#[test]
fn binary_cache_round_trips_frames() {
    let mut c = BinaryCache::create(None, 3, 2).expect("cache");
    let data: Vec<f32> = (0..18).map(|v| v as f32 * 0.5).collect();
    c.append(&data[..12]).unwrap();
    c.append(&data[12..]).unwrap();
    c.finish().unwrap();
    assert_eq!(c.frames(), 3);
    let mut out = vec![0.0; 12];
    c.read_frames(1, &mut out).unwrap();
    assert_eq!(out, data[6..18].to_vec());
    assert!(
        c.read_frames(2, &mut out).is_err(),
        "reading past the end is an error"
    );
    let path = c.path().to_path_buf();
    drop(c);
    assert!(!path.exists(), "the cache file is removed on drop");
}

#[test]
fn neuropil_annulus_avoids_all_rois() {
    let (h, w) = (64, 64);
    let disk = |cy: i32, cx: i32, r: i32| -> Vec<u32> {
        let mut v = Vec::new();
        for y in 0..h as i32 {
            for x in 0..w as i32 {
                if (y - cy).pow(2) + (x - cx).pow(2) <= r * r {
                    v.push((y * w as i32 + x) as u32);
                }
            }
        }
        v
    };
    let a = disk(30, 30, 4);
    let b = disk(30, 42, 4);
    let masks = neuropil_masks(&[&a, &b], h, w, &NeuropilOptions::default());
    for m in &masks {
        assert!(m.len() >= 300);
        assert!(m.iter().all(|p| !a.contains(p) && !b.contains(p)));
    }
    // the inner gap: no neuropil pixel within 2 px of ROI a's edge (radius 4 around its centre)
    assert!(masks[0].iter().all(|&p| {
        let (y, x) = ((p as usize / w) as f32, (p as usize % w) as f32);
        ((y - 30.0).powi(2) + (x - 30.0).powi(2)).sqrt() > 6.0
    }));
}

#[test]
fn covariance_clustering_separates_planted_groups_and_bins_the_image() {
    // 3 groups x 30 ROIs sharing a group signal, plus noise
    let (n, t) = (90, 400);
    let mut rng = Rng::new(9);
    let sig: Vec<Vec<f32>> = (0..3)
        .map(|_| (0..t).map(|_| rng.normal() as f32).collect())
        .collect();
    let mut data = Vec::with_capacity(n * t);
    let truth: Vec<usize> = (0..n).map(|i| i % 3).collect();
    for &g in &truth {
        for &v in &sig[g] {
            data.push(v + 0.8 * rng.normal() as f32);
        }
    }
    let x = Traces {
        rois: n,
        frames: t,
        data,
    };
    let c = cluster(
        &x,
        &ClusterOptions {
            k: 3,
            seed: 1,
            image_size: 32,
            ..ClusterOptions::default()
        },
    );
    assert!(adjusted_rand_index(&truth, &c.labels) > 0.99);
    assert_eq!(c.image_size, 32);
    assert_eq!(c.image.len(), 32 * 32);
    // same seed, same answer
    let c2 = cluster(
        &x,
        &ClusterOptions {
            k: 3,
            seed: 1,
            image_size: 32,
            ..ClusterOptions::default()
        },
    );
    assert_eq!(c.labels, c2.labels);
    // unbinned image equals the explicit correlation matrix
    let z = zscore_rows(&x);
    let order: Vec<usize> = (0..n).collect();
    let (img, s) = covariance_image(&z, n, t, &order, 1024);
    assert_eq!(s, n);
    let r01: f32 = (0..t).map(|k| z[k] * z[t + k]).sum::<f32>() / t as f32;
    assert!((img[1] - r01).abs() < 1e-4 && (img[0] - 1.0).abs() < 1e-3);
    // k-means on well separated points
    let pts = [0.0, 0.0, 0.1, 0.0, 10.0, 10.0, 10.1, 10.0];
    let km = kmeans(&pts, 4, 2, 2, 3, 50, 0);
    assert_eq!(km.labels[0], km.labels[1]);
    assert_ne!(km.labels[0], km.labels[2]);
}
