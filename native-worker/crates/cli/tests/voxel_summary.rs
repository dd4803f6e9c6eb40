//! `summary.json`'s `input.voxel_size`: what the movie's metadata states (`synth --pixel-size
//! --z-step` writes ImageJ calibration), null parts when it states nothing, and `synth` refusing
//! sizes it cannot write.

mod common;

use common::{json, ok, s, tmp, worker};
use serde_json::json;

fn analyse(d: &std::path::Path, name: &str, calibration: &[&str]) -> serde_json::Value {
    let movie = d.join(format!("{name}.tif"));
    let mut args = vec![
        "synth",
        "-o",
        s(&movie),
        "--planes",
        "2",
        "--frames",
        "80",
        "--width",
        "40",
        "--height",
        "40",
        "--cells",
        "8",
        "--groups",
        "0",
        "-q",
    ];
    args.extend_from_slice(calibration);
    ok(&args);
    let out = d.join(name);
    ok(&["analyze", "-i", s(&movie), "-o", s(&out), "-q"]);
    json(&out.join("summary.json"))
}

#[test]
fn summary_states_the_voxel_size_of_the_metadata() {
    let d = tmp("voxel-summary");
    let calibrated = analyse(&d, "calibrated", &["--pixel-size", "2.5", "--z-step", "20"]);
    assert_eq!(calibrated["input"]["planes"], 2);
    assert_eq!(
        calibrated["input"]["voxel_size"],
        json!({ "x": 2.5, "y": 2.5, "z": 20.0, "unit": "µm" })
    );
    let plain = analyse(&d, "plain", &[]);
    assert_eq!(
        plain["input"]["voxel_size"],
        json!({ "x": null, "y": null, "z": null, "unit": null })
    );
    let readme = std::fs::read_to_string(d.join("plain/README.txt")).unwrap();
    assert!(readme.contains("input.voxel_size"), "{readme}");
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
