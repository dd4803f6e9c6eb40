//! `summary.json`'s `input.voxel_size`: what the movie's metadata states (`synth --pixel-size
//! --z-step` writes ImageJ calibration), null parts when it states nothing, one size for input
//! files that agree and none, with the disagreement named, for files that do not; and `synth`
//! refusing sizes it cannot write.

mod common;

use common::{analyze, s, summary, tmp, worker, Synth};
use serde_json::json;
use std::path::{Path, PathBuf};

/// A small two-plane movie `d/name.tif` with `calibration` (synth arguments).
fn movie(d: &Path, name: &str, calibration: &[&str]) -> PathBuf {
    Synth {
        planes: "2",
        frames: "80",
        size: "40",
        cells: "8",
        groups: "0",
        extra: calibration,
        ..Synth::default()
    }
    .write(&d.join(format!("{name}.tif")))
}

/// The summary of `analyze` over `movies`, written to `d/name`.
fn analyse(d: &Path, name: &str, movies: &[&Path]) -> serde_json::Value {
    let out = d.join(name);
    analyze(movies, &out, &["-q"]);
    summary(&out)
}

#[test]
fn summary_states_the_voxel_size_of_the_metadata() {
    let d = tmp("voxel-summary");
    let m = movie(&d, "calibrated", &["--pixel-size", "2.5", "--z-step", "20"]);
    let calibrated = analyse(&d, "calibrated", &[&m]);
    assert_eq!(calibrated["input"]["planes"], 2);
    assert_eq!(
        calibrated["input"]["voxel_size"],
        json!({ "x": 2.5, "y": 2.5, "z": 20.0, "unit": "µm", "disagreement": null })
    );
    let m = movie(&d, "plain", &[]);
    let plain = analyse(&d, "plain", &[&m]);
    assert_eq!(
        plain["input"]["voxel_size"],
        json!({ "x": null, "y": null, "z": null, "unit": null, "disagreement": null })
    );
    let readme = std::fs::read_to_string(d.join("plain/README.txt")).unwrap();
    assert!(readme.contains("input.voxel_size"), "{readme}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn input_files_must_agree_on_the_voxel_size() {
    let d = tmp("voxel-files");
    let a = movie(&d, "a", &["--pixel-size", "2", "--z-step", "10"]);
    let b = movie(&d, "b", &["--pixel-size", "2", "--z-step", "10"]);
    let c = movie(&d, "c", &["--pixel-size", "2", "--z-step", "15"]);
    let agree = analyse(&d, "agree", &[&a, &b]);
    assert_eq!(agree["input"]["files"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        agree["input"]["voxel_size"],
        json!({ "x": 2.0, "y": 2.0, "z": 10.0, "unit": "µm", "disagreement": null })
    );
    // A third file with another z step: no size, and which file states what.
    let differ = analyse(&d, "differ", &[&a, &b, &c]);
    assert_eq!(
        differ["input"]["voxel_size"],
        json!({
            "x": null, "y": null, "z": null, "unit": null,
            "disagreement": "a.tif and 1 more: x 2, y 2, z 10 µm; c.tif: x 2, y 2, z 15 µm"
        })
    );
    let warnings = differ["input"]["warnings"].to_string();
    assert!(
        warnings.contains("different voxel sizes") && warnings.contains(&*c.to_string_lossy()),
        "{warnings}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn synth_refuses_sizes_it_cannot_write() {
    let d = tmp("voxel-synth-refusal");
    for bad in ["--pixel-size=0", "--z-step=-3", "--pixel-size=NaN"] {
        let movie = d.join("m.tif");
        let o = worker(&["synth", "-o", s(&movie), "--frames", "4", "-q", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let flag = bad.split('=').next().unwrap();
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(flag),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!movie.exists(), "{bad} wrote nothing");
    }
    let _ = std::fs::remove_dir_all(&d);
}
