//! `--plane` selection (a shard's planes equal that part of a full run) and
//! `cluster --traces` (k-means on given traces, no movie).

mod common;

use common::{json, ok, rois, s, summary, tmp, worker, Synth};
use std::path::Path;
use worker_core::output::{read_npy, write_npy, NpyData};
use worker_core::rng::Rng;
use worker_core::score::adjusted_rand_index;
use worker_core::synth::activity::{calcium, spike_trains};

fn f32s(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let a = read_npy(path).unwrap();
    match a.data {
        NpyData::F32(v) => (a.shape, v),
        NpyData::F64(v) => (a.shape, v.into_iter().map(|x| x as f32).collect()),
        other => panic!("unexpected dtype {:?}", std::mem::discriminant(&other)),
    }
}

/// ROI fields that must not depend on which planes were run (ids and clusters do).
fn key(r: &serde_json::Value) -> serde_json::Value {
    let mut r = r.clone();
    let o = r.as_object_mut().unwrap();
    o.remove("id");
    o.remove("cluster");
    r
}

#[test]
fn plane_subset_equals_that_part_of_a_full_run() {
    let d = tmp("planes");
    let movie = Synth::sharded().write(&d.join("movie.tif"));
    let full = d.join("full");
    ok(&[
        "extract",
        "-i",
        s(&movie),
        "-o",
        s(&full),
        "--seed",
        "3",
        "-q",
    ]);
    let all = rois(&full);
    assert!(all.iter().any(|r| r["plane"] == 0) && all.iter().any(|r| r["plane"] == 1));
    let (fshape, fdff) = f32s(&full.join("dff.npy"));
    let t = fshape[1];

    for (plane, args) in [(1u64, vec!["--plane", "1"]), (0, vec!["--plane=0"])] {
        let sub = d.join(format!("plane{}", plane));
        let mut a = vec![
            "extract",
            "-i",
            s(&movie),
            "-o",
            s(&sub),
            "--seed",
            "3",
            "-q",
        ];
        a.extend(args);
        ok(&a);
        let got = rois(&sub);
        let want: Vec<(usize, &serde_json::Value)> = all
            .iter()
            .enumerate()
            .filter(|(_, r)| r["plane"] == plane)
            .collect();
        assert!(!want.is_empty());
        assert_eq!(got.len(), want.len(), "plane {}", plane);
        for (g, (_, w)) in got.iter().zip(&want) {
            assert_eq!(g["plane"], plane);
            assert_eq!(g["z"].as_f64(), Some(plane as f64));
            assert_eq!(key(g), key(w));
        }
        let (sshape, sdff) = f32s(&sub.join("dff.npy"));
        assert_eq!(sshape, vec![want.len(), t]);
        for (row, (i, _)) in want.iter().enumerate() {
            assert_eq!(&sdff[row * t..(row + 1) * t], &fdff[i * t..(i + 1) * t]);
        }
        let reg = json(&sub.join("registration.json"));
        let planes: Vec<u64> = reg["planes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["plane"].as_u64().unwrap())
            .collect();
        assert_eq!(planes, vec![plane]);
        let summary = summary(&sub);
        assert_eq!(summary["counts"]["planes"], 1);
        assert_eq!(summary["parameters"]["plane"], serde_json::json!([plane]));
    }

    // a comma list naming every plane is the full run, clusters included
    let both = d.join("both");
    ok(&[
        "cluster",
        "-i",
        s(&movie),
        "-o",
        s(&both),
        "--seed",
        "3",
        "--plane",
        "1,0",
        "-q",
    ]);
    let full_c = d.join("full-cluster");
    ok(&[
        "cluster",
        "-i",
        s(&movie),
        "-o",
        s(&full_c),
        "--seed",
        "3",
        "-q",
    ]);
    assert_eq!(rois(&both), rois(&full_c));
    assert_eq!(
        std::fs::read(both.join("clusters.npy")).unwrap(),
        std::fs::read(full_c.join("clusters.npy")).unwrap()
    );

    // register and project honour --plane too
    let reg = d.join("reg");
    ok(&[
        "register",
        "-i",
        s(&movie),
        "-o",
        s(&reg),
        "--plane",
        "1",
        "-q",
    ]);
    let doc = std::fs::read_to_string(reg.join("registration.json")).unwrap();
    assert!(
        doc.contains("\"plane\":1") || doc.contains("\"plane\": 1"),
        "{}",
        doc
    );
    assert!(
        !doc.contains("\"plane\":0") && !doc.contains("\"plane\": 0"),
        "{}",
        doc
    );
    let proj = d.join("proj");
    ok(&[
        "project",
        "-i",
        s(&movie),
        "-o",
        s(&proj),
        "--plane",
        "1",
        "--windows",
        "2",
        "-q",
    ]);
    let pj = json(&proj.join("projections/projections.json"));
    let imgs = pj["images"].as_array().unwrap();
    assert!(!imgs.is_empty());
    assert!(imgs.iter().all(|i| i["plane"] == 1), "{}", pj);

    // a plane the movie does not have is a usage error
    let o = worker(&[
        "detect",
        "-i",
        s(&movie),
        "-o",
        s(&d.join("bad")),
        "--plane",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&d);
}

/// `groups` planted groups of `per` ROIs sharing calcium events, plus `loners` independent ROIs.
fn planted(groups: usize, per: usize, frames: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let labels: Vec<Option<usize>> = (0..groups * per).map(|i| Some(i / per)).collect();
    let spikes = spike_trains(&mut rng, &labels, frames, 30.0, 0.05, 0.6, 0.9);
    let mut data = Vec::with_capacity(labels.len() * frames);
    for sp in &spikes {
        let ca = calcium(sp, 30.0, 1.0, 0.05);
        data.extend(ca.iter().map(|&v| v + 0.1 * rng.normal() as f32));
    }
    (data, labels.into_iter().map(|l| l.unwrap()).collect())
}

#[test]
fn cluster_traces_recovers_planted_groups_without_a_movie() {
    let d = tmp("traces");
    let (k, per, frames) = (4, 15, 3000);
    let (data, truth) = planted(k, per, frames, 11);
    let n = truth.len();
    let dff = d.join("dff.npy");
    write_npy(&dff, &[n, frames], &data).unwrap();
    let out = d.join("out");
    ok(&[
        "cluster",
        "--traces",
        s(&dff),
        "--out",
        s(&out),
        "--k",
        "4",
        "--seed",
        "5",
        "-q",
    ]);
    let a = read_npy(&out.join("clusters.npy")).unwrap();
    assert_eq!(a.shape, vec![n]);
    let NpyData::I64(labels) = a.data else {
        panic!("clusters.npy is not int64")
    };
    assert!(labels.iter().all(|&l| (0..4).contains(&l)));
    let got: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    let ari = adjusted_rand_index(&truth, &got);
    assert!(ari >= 0.9, "ARI {}", ari);
    assert!(out.join("covariance.png").is_file());
    assert!(out.join("summary.json").is_file());

    // same seed, same labels
    let again = d.join("again");
    ok(&[
        "cluster",
        "--traces",
        s(&dff),
        "--out",
        s(&again),
        "--k",
        "4",
        "--seed",
        "5",
        "-q",
    ]);
    assert_eq!(
        std::fs::read(out.join("clusters.npy")).unwrap(),
        std::fs::read(again.join("clusters.npy")).unwrap()
    );

    // --iscell: non-cells get -1 and the cells still split into their groups
    let iscell: Vec<f64> = (0..n)
        .flat_map(|i| [if i % 5 == 4 { 0.0 } else { 1.0 }, 0.5])
        .collect();
    let ic = d.join("iscell.npy");
    write_npy(&ic, &[n, 2], &iscell).unwrap();
    let cells = d.join("cells");
    ok(&[
        "cluster",
        "--traces",
        s(&dff),
        "--iscell",
        s(&ic),
        "--out",
        s(&cells),
        "--k",
        "4",
        "-q",
    ]);
    let NpyData::I64(l2) = read_npy(&cells.join("clusters.npy")).unwrap().data else {
        panic!()
    };
    let (mut t2, mut g2) = (Vec::new(), Vec::new());
    for i in 0..n {
        if i % 5 == 4 {
            assert_eq!(l2[i], -1);
        } else {
            assert!(l2[i] >= 0);
            t2.push(truth[i]);
            g2.push(l2[i] as usize);
        }
    }
    assert!(adjusted_rand_index(&t2, &g2) >= 0.9);

    // --traces and --input together, or neither, are usage errors; the help advertises --traces
    assert_eq!(
        worker(&["cluster", "--traces", s(&dff), "-i", s(&dff), "-o", s(&out)])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(worker(&["cluster", "-o", s(&out)]).status.code(), Some(2));
    let help = worker(&["cluster", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--traces"));
    let _ = std::fs::remove_dir_all(&d);
}
