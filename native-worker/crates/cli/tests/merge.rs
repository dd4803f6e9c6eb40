//! `merge`: shards of one recording (one `analyze --plane p` each) merge into the bytes of one
//! `analyze` over every plane; shards sharing a plane get the per-shard layout; bad shards and
//! outputs are refused with the documented exit codes. Also checks the real outputs against
//! the contract `schema` prints (and `results-schema.json` against `schema`).

mod common;

use common::contract::check_against_schema;
use common::{analyze, bytes, ok, rois, s, summary, tmp, worker, Synth};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The synthetic two-plane movie, analysed whole and plane by plane (same seed).
struct Runs {
    dir: PathBuf,
    full: PathBuf,
    plane0: PathBuf,
    plane1: PathBuf,
    /// stdout (progress lines) of the full run.
    full_stdout: String,
}

fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = tmp("merge");
        let movie = Synth::sharded().write(&dir.join("movie.tif"));
        let run = |out: &Path, extra: &[&str]| {
            let args = [&["--seed", "3", "--k", "3"], extra].concat();
            analyze(&[&movie], out, &args)
        };
        let full = dir.join("full");
        let full_stdout = run(&full, &[]);
        let plane0 = dir.join("plane0");
        run(&plane0, &["--plane", "0"]);
        let plane1 = dir.join("plane1");
        run(&plane1, &["--plane", "1"]);
        Runs {
            dir,
            full,
            plane0,
            plane1,
            full_stdout,
        }
    })
}

/// Every file of `summary.json`'s `outputs` but the summary itself.
fn outputs(dir: &Path) -> Vec<String> {
    summary(dir)["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .filter(|f| f != "summary.json")
        .collect()
}

#[test]
fn plane_shards_merge_into_the_bytes_of_one_run() {
    let r = runs();
    let merged = r.dir.join("merged");
    let o = worker(&["merge", s(&r.plane0), s(&r.plane1), "--out", s(&merged)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let progress = String::from_utf8(o.stdout).unwrap();
    assert!(progress.contains("\"step\":\"merge\"") && progress.contains("\"step\":\"cluster\""));

    let files = outputs(&r.full);
    assert_eq!(
        outputs(&merged),
        files,
        "the merged folder lists a single run's files"
    );
    for must in [
        "rois.json",
        "regions.json",
        "iscell.npy",
        "F.npy",
        "dff.npy",
        "clusters.npy",
        "registration.json",
        "projections/projections.json",
        "traces.csv",
        "README.txt",
        "suite2p/plane0/stat.npy",
        "suite2p/plane0/ops.npy",
        "suite2p/plane0/db.npy",
        "suite2p/plane1/settings.npy",
        "suite2p/plane1/iscell.npy",
        "suite2p/plane1/F.npy",
    ] {
        assert!(files.iter().any(|f| f == must), "{must} not in {files:?}");
    }
    for f in &files {
        assert!(
            bytes(&merged.join(f)) == bytes(&r.full.join(f)),
            "{f} differs from the single run's"
        );
    }

    let full = summary(&r.full);
    let m = summary(&merged);
    assert_eq!(m["counts"], full["counts"]);
    assert_eq!(m["parameters"]["step"], "merge");
    assert_eq!(m["parameters"]["plane"], serde_json::json!([0, 1]));
    assert_eq!(m["parameters"]["k"], 3);
    assert_eq!(m["layout"], "planes");
    assert_eq!(m["input"], full["input"]);
    let n0 = rois(&r.plane0).len();
    assert_eq!(m["shards"][1]["first_roi"], n0);
    assert!(n0 > 0 && m["counts"]["rois"].as_u64().unwrap() as usize > n0);

    // cluster labels: cells get one of k clusters, other ROIs none
    let merged_rois = rois(&merged);
    assert!(merged_rois.iter().any(|r| r["cluster"].is_u64()));
    for (i, roi) in merged_rois.iter().enumerate() {
        assert_eq!(roi["id"], i);
        match roi["cluster"].as_u64() {
            Some(c) => assert!(c < 3 && roi["iscell"] == true, "{roi}"),
            None => assert!(roi["cluster"].is_null() && roi["iscell"] == false, "{roi}"),
        }
    }

    check_against_schema(&r.full, "analyze", &r.full_stdout);
    check_against_schema(&merged, "merge", &progress);
}

#[test]
fn shards_in_another_order_or_sharing_a_plane() {
    let r = runs();
    // reversed: the same ROIs, plane 1's first
    let rev = r.dir.join("reversed");
    ok(&["merge", s(&r.plane1), s(&r.plane0), "-o", s(&rev), "-q"]);
    let planes: Vec<u64> = rois(&rev)
        .iter()
        .map(|r| r["plane"].as_u64().unwrap())
        .collect();
    assert!(planes.windows(2).all(|w| w[0] >= w[1]) && planes[0] == 1);
    assert_eq!(summary(&rev)["counts"], summary(&r.full)["counts"]);

    // two recordings of plane 0: per-shard files under shard-<i>/, ROIs of both
    let both = r.dir.join("same-plane");
    ok(&[
        "merge",
        s(&r.plane0),
        s(&r.plane0),
        "-o",
        s(&both),
        "-q",
        "--k",
        "2",
    ]);
    let m = summary(&both);
    assert_eq!(m["layout"], "shards");
    assert_eq!(m["parameters"]["k"], 2);
    let n0 = rois(&r.plane0).len();
    assert_eq!(m["counts"]["rois"], 2 * n0);
    for i in 0..2 {
        assert!(both.join(format!("shard-{i}/registration.json")).is_file());
        assert!(both
            .join(format!("shard-{i}/suite2p/plane0/stat.npy"))
            .is_file());
        assert!(both
            .join(format!("shard-{i}/projections/projections.json"))
            .is_file());
    }
    assert!(!both.join("registration.json").exists());
    for f in outputs(&both) {
        assert!(both.join(&f).is_file(), "{f} listed but missing");
    }
}

#[test]
fn bad_shards_and_outputs_are_refused_with_their_exit_codes() {
    let r = runs();
    let code = |args: &[&str]| worker(args).status.code();
    // usage: no shard, --out is a shard, --k 0
    assert_eq!(code(&["merge", "--out", s(&r.dir.join("x"))]), Some(2));
    assert_eq!(
        code(&["merge", s(&r.plane0), s(&r.plane1), "-o", s(&r.plane0)]),
        Some(2)
    );
    assert_eq!(
        code(&["merge", s(&r.plane0), "-o", s(&r.dir.join("x")), "--k", "0"]),
        Some(2)
    );
    // input: a missing folder, a shard without dff.npy, a rois.json of another schema
    assert_eq!(
        code(&["merge", s(&r.dir.join("nope")), "-o", s(&r.dir.join("x"))]),
        Some(3)
    );
    let broken = r.dir.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    for f in [
        "rois.json",
        "regions.json",
        "registration.json",
        "F.npy",
        "Fneu.npy",
        "spks.npy",
    ] {
        std::fs::copy(r.plane0.join(f), broken.join(f)).unwrap();
    }
    let o = worker(&["merge", s(&r.plane1), s(&broken), "-o", s(&r.dir.join("x"))]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("dff.npy"));
    std::fs::copy(r.plane0.join("dff.npy"), broken.join("dff.npy")).unwrap();
    let text = std::fs::read_to_string(broken.join("rois.json")).unwrap();
    std::fs::write(
        broken.join("rois.json"),
        text.replacen("\"schema\": 1", "\"schema\": 99", 1),
    )
    .unwrap();
    let o = worker(&["merge", s(&broken), "-o", s(&r.dir.join("x"))]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("schema 99"));
    // output: --out under a file
    let file = r.dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    assert_eq!(
        code(&["merge", s(&r.plane0), "-o", s(&file.join("out"))]),
        Some(4)
    );
}

#[test]
fn the_checked_in_schema_is_what_the_worker_prints() {
    let o = worker(&["schema"]);
    assert!(o.status.success());
    let printed = String::from_utf8(o.stdout).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../results-schema.json");
    if std::env::var_os("SCOPECLOUD_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &printed).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == printed,
        "{} is not what `scopecloud-worker schema` prints: regenerate it with \
         SCOPECLOUD_UPDATE_SCHEMA=1 cargo test -p scopecloud-worker --test merge",
        path.display()
    );
    let v: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["roi_record"].as_array().unwrap().len(), 9);
}

#[test]
fn recordings_of_different_lengths_are_cut_to_the_shortest() {
    let d = tmp("merge-lengths");
    let mut shards = Vec::new();
    for (name, frames) in [("long", "200"), ("short", "150")] {
        let movie = Synth {
            frames,
            size: "48",
            cells: "10",
            seed: Some("4"),
            ..Synth::default()
        }
        .write(&d.join(format!("{name}.tif")));
        let out = d.join(name);
        analyze(&[&movie], &out, &["-q"]);
        shards.push(out);
    }
    let merged = d.join("merged");
    ok(&[
        "merge",
        s(&shards[0]),
        s(&shards[1]),
        "-o",
        s(&merged),
        "-q",
    ]);
    let m = summary(&merged);
    assert_eq!(m["layout"], "shards");
    assert_eq!(m["counts"]["frames"], 150);
    assert_eq!(m["shards"][0]["frames"], 200);
    assert!(
        m["notes"][0].as_str().unwrap().contains("150 frames"),
        "{m}"
    );
    // each shard's suite2p folder is copied as it was: 200 frames for the long one
    let s2p = worker_core::output::read_npy(&merged.join("shard-0/suite2p/plane0/F.npy")).unwrap();
    assert_eq!(s2p.shape[1], 200);

    // a shard without suite2p folders (an older worker's) merges, and a note says so; one whose
    // plane folders predate db.npy/settings.npy gets them from its ops.npy
    std::fs::remove_dir_all(shards[1].join("suite2p")).unwrap();
    for f in ["db.npy", "settings.npy"] {
        std::fs::remove_file(shards[0].join("suite2p/plane0").join(f)).unwrap();
    }
    let merged2 = d.join("merged-old-shard");
    ok(&[
        "merge",
        s(&shards[0]),
        s(&shards[1]),
        "-o",
        s(&merged2),
        "-q",
    ]);
    let m2 = summary(&merged2);
    assert!(
        m2["notes"].to_string().contains("no suite2p folder"),
        "{m2}"
    );
    assert!(merged2.join("shard-0/suite2p/plane0/stat.npy").is_file());
    let ops = std::fs::read(merged2.join("shard-0/suite2p/plane0/ops.npy")).unwrap();
    for f in ["db.npy", "settings.npy"] {
        let p = merged2.join("shard-0/suite2p/plane0").join(f);
        assert_eq!(std::fs::read(p).unwrap(), ops, "{f}");
    }
    assert!(!merged2.join("shard-1/suite2p").exists());
    let roi_count: usize = shards.iter().map(|s| rois(s).len()).sum();
    assert_eq!(m["counts"]["rois"], roi_count);
    // the long shard's rows are its first 150 frames
    let long = worker_core::output::read_npy(&shards[0].join("dff.npy")).unwrap();
    let got = worker_core::output::read_npy(&merged.join("dff.npy")).unwrap();
    assert_eq!(got.shape, vec![roi_count, 150]);
    match (long.data, got.data) {
        (worker_core::output::NpyData::F32(a), worker_core::output::NpyData::F32(b)) => {
            assert!(long.shape[0] > 0);
            assert_eq!(&b[..150], &a[..150]);
        }
        _ => panic!("dff.npy is not float32"),
    }
}
