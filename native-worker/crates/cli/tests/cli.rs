//! End-to-end checks of the binary: JSON on stdout, one-line errors on stderr, exit codes.

mod common;
#[path = "../../core/tests/shared_data/mod.rs"]
mod shared_data;

use common::{tmp, worker};

#[test]
fn usage_errors_exit_2() {
    assert_eq!(worker(&[]).status.code(), Some(2));
    assert_eq!(worker(&["bogus"]).status.code(), Some(2));
    assert_eq!(worker(&["analyze", "--out", "x"]).status.code(), Some(2));
    assert_eq!(worker(&["--help"]).status.code(), Some(0));
}

#[test]
fn input_errors_exit_3_with_one_line() {
    let d = tmp("bad");
    std::fs::write(d.join("empty.tif"), b"").unwrap();
    std::fs::write(d.join("garbage.tif"), b"GIF89a not a tiff").unwrap();
    std::fs::write(d.join("cut.tif"), b"II*\0\x08\0\0\0\x0a\0").unwrap();
    for f in ["empty.tif", "garbage.tif", "cut.tif", "missing.tif"] {
        let o = worker(&["info", d.join(f).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{}", f);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{}: {}", f, err);
        assert!(o.stdout.is_empty());
    }
    let o = worker(&[
        "project",
        "-i",
        d.join("garbage.tif").to_str().unwrap(),
        "-o",
        d.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn info_each_answers_every_input_on_its_own_line() {
    let d = tmp("each");
    std::fs::write(d.join("garbage.tif"), b"GIF89a not a tiff").unwrap();
    std::fs::write(d.join("cut.tif"), b"II*\0\x08\0\0\0\x0a\0").unwrap();
    let names = ["garbage.tif", "cut.tif", "missing.tif"];
    let paths: Vec<String> = names
        .iter()
        .map(|f| d.join(f).to_str().unwrap().to_string())
        .collect();
    let mut args = vec!["info", "--each"];
    args.extend(paths.iter().map(String::as_str));
    let o = worker(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "per-file problems are answers, not a failure"
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let kinds: Vec<(&str, &str)> = lines
        .iter()
        .map(|v| {
            (
                v["path"].as_str().unwrap(),
                v["error"]["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (paths[0].as_str(), "not-tiff"),
            (paths[1].as_str(), kinds[1].1),
            (paths[2].as_str(), "io")
        ]
    );
    assert!(
        ["truncated", "corrupt", "empty"].contains(&kinds[1].1),
        "{:?}",
        kinds[1]
    );
}

#[test]
fn info_prints_json() {
    let Some(data) = shared_data::data_dir() else {
        return;
    };
    let o = worker(&[
        "info",
        data.join("thunder-zebrafish/movie.tif").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (
            v["frames"].as_u64(),
            v["planes"].as_u64(),
            v["dtype"].as_str()
        ),
        (Some(240), Some(2), Some("uint8"))
    );
    assert_eq!(v["schema"].as_u64(), Some(1));
}

#[test]
fn project_writes_images_and_json_lines() {
    let Some(data) = shared_data::data_dir() else {
        return;
    };
    let out = tmp("proj");
    let o = worker(&[
        "project",
        "-i",
        data.join("sima-ca1/movie.tif").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--windows",
        "4",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let last = lines.last().unwrap();
    assert_eq!(
        (
            last["step"].as_str(),
            last["done"].as_u64(),
            last["total"].as_u64()
        ),
        (Some("project"), Some(20), Some(20))
    );
    for f in [
        "plane0_mean.png",
        "plane0_std_8bit.png",
        "plane0_max.gif",
        "projections.json",
    ] {
        assert!(out.join("projections").join(f).is_file(), "{}", f);
    }
}

#[test]
fn unwritable_output_exits_4() {
    let Some(data) = shared_data::data_dir() else {
        return;
    };
    let d = tmp("ro");
    let blocker = d.join("file");
    std::fs::write(&blocker, b"x").unwrap();
    // The output folder would have to be created inside a regular file.
    let o = worker(&[
        "project",
        "-i",
        data.join("sima-ca1/movie.tif").to_str().unwrap(),
        "-o",
        blocker.join("sub").to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
