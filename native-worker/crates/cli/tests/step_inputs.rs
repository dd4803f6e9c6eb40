//! Missing, damaged and incompatible step inputs exit 3 with one line that says what to re-run;
//! zero counts are usage errors in every command.

mod common;

use common::{ok, s, tmp, two_plane_movie as movie, worker};

/// Asserts exit code 3, empty stdout and one stderr line containing every `needles` item.
fn input_error(args: &[&str], needles: &[&str]) {
    let o = worker(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{:?}: {}", args, err);
    assert_eq!(err.trim_end().lines().count(), 1, "{:?}: {}", args, err);
    for n in needles {
        assert!(err.contains(n), "{:?}: {:?} not in {}", args, n, err);
    }
}

#[test]
fn bad_step_inputs_exit_3_with_one_line() {
    let d = tmp("errors");
    let m = movie(&d, "m.tif", "40", "6");
    let (reg, det) = (d.join("reg"), d.join("det"));
    ok(&["register", "-i", s(&m), "-o", s(&reg), "-q"]);
    ok(&["detect", "--registered", s(&reg), "-o", s(&det), "-q"]);
    let out = d.join("out");

    // missing previous step
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    input_error(
        &["detect", "--registered", s(&empty), "-o", s(&out)],
        &["registered.json", "register"],
    );
    input_error(
        &[
            "extract",
            "--registered",
            s(&reg),
            "--rois",
            s(&empty),
            "-o",
            s(&out),
        ],
        &["detection.json", "detect"],
    );
    input_error(
        &["cluster", "--traces", s(&empty), "-o", s(&out)],
        &["dff.npy", "extract"],
    );
    input_error(
        &[
            "detect",
            "--registered",
            s(&reg),
            "--plane",
            "5",
            "-o",
            s(&out),
        ],
        &["no plane 5"],
    );

    // a cache from another format version or another worker
    let hd_path = reg.join("registered.json");
    let hd = std::fs::read_to_string(&hd_path).unwrap();
    for (from, to, needle) in [
        ("\"version\": 1", "\"version\": 99", "version 99"),
        (
            &format!("\"worker_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"worker_version\": \"0.0.1-old\"",
            "0.0.1-old",
        ),
        (
            "scopecloud-registered-movie",
            "something-else",
            "not a registered-movie cache",
        ),
    ] {
        assert!(hd.contains(from), "{} not in {}", from, hd);
        std::fs::write(&hd_path, hd.replace(from, to)).unwrap();
        input_error(
            &["detect", "--registered", s(&reg), "-o", s(&out)],
            &["incompatible", needle],
        );
    }
    std::fs::write(&hd_path, "{ not json").unwrap();
    input_error(
        &["detect", "--registered", s(&reg), "-o", s(&out)],
        &["damaged"],
    );
    std::fs::write(&hd_path, &hd).unwrap();

    // a truncated plane file
    let plane0 = reg.join("registered_plane0.f32");
    let full = std::fs::read(&plane0).unwrap();
    std::fs::write(&plane0, &full[..full.len() - 4]).unwrap();
    input_error(
        &["detect", "--registered", s(&reg), "-o", s(&out)],
        &["registered_plane0.f32", "re-run register"],
    );
    input_error(
        &[
            "extract",
            "--registered",
            s(&reg),
            "--rois",
            s(&det),
            "-o",
            s(&out),
        ],
        &["re-run register"],
    );
    std::fs::write(&plane0, &full).unwrap();

    // ROIs detected on a movie of other dimensions
    let m2 = movie(&d, "m2.tif", "56", "6");
    let reg2 = d.join("reg2");
    ok(&["register", "-i", s(&m2), "-o", s(&reg2), "-q"]);
    input_error(
        &[
            "extract",
            "--registered",
            s(&reg2),
            "--rois",
            s(&det),
            "-o",
            s(&out),
        ],
        &["incompatible", "40x40", "56x56"],
    );
    // ... or on planes the cache does not hold
    let reg1 = d.join("reg1");
    ok(&[
        "register",
        "-i",
        s(&m),
        "--plane",
        "1",
        "-o",
        s(&reg1),
        "-q",
    ]);
    input_error(
        &[
            "extract",
            "--registered",
            s(&reg1),
            "--rois",
            s(&det),
            "-o",
            s(&out),
        ],
        &["incompatible", "plane 0"],
    );

    // damaged masks: a pixel outside the plane
    let masks = det.join("roi_masks.npy");
    let arr = worker_core::output::read_npy(&masks).unwrap();
    let worker_core::output::NpyData::F64(mut v) = arr.data else {
        panic!("masks are float64")
    };
    v[2] = 400.0;
    worker_core::output::write_npy(&masks, &arr.shape, &v).unwrap();
    input_error(
        &[
            "extract",
            "--registered",
            s(&reg),
            "--rois",
            s(&det),
            "-o",
            s(&out),
        ],
        &["roi_masks.npy", "outside"],
    );
    std::fs::remove_file(&masks).unwrap();
    input_error(
        &[
            "extract",
            "--registered",
            s(&reg),
            "--rois",
            s(&det),
            "-o",
            s(&out),
        ],
        &["roi_masks.npy", "detect"],
    );

    // usage: the step inputs go together, and not with --input
    for args in [
        vec!["extract", "--registered", s(&reg), "-o", s(&out)],
        vec!["extract", "--rois", s(&det), "-o", s(&out)],
        vec!["detect", "-o", s(&out)],
        vec![
            "detect",
            "--registered",
            s(&reg),
            "-i",
            s(&m),
            "-o",
            s(&out),
        ],
        vec!["cluster", "--rois", s(&det), "-o", s(&out)],
    ] {
        assert_eq!(worker(&args).status.code(), Some(2), "{:?}", args);
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// `--k 0` and `--threads 0` are usage errors (exit 2, one line naming the flag) in every
/// subcommand that takes them, rather than silently becoming 1 in some.
#[test]
fn zero_counts_are_usage_errors_everywhere() {
    let d = tmp("zero-counts");
    let m = movie(&d, "m.tif", "32", "2");
    let (reg, det, ext) = (d.join("reg"), d.join("det"), d.join("ext"));
    ok(&["register", "-i", s(&m), "-o", s(&reg), "-q"]);
    ok(&["detect", "--registered", s(&reg), "-o", s(&det), "-q"]);
    ok(&[
        "extract",
        "--registered",
        s(&reg),
        "--rois",
        s(&det),
        "-o",
        s(&ext),
        "-q",
    ]);
    let out = d.join("out");
    let cases: [(&[&str], &str); 8] = [
        (
            &[
                "analyze",
                "-i",
                s(&m),
                "-o",
                s(&out),
                "--threads",
                "0",
                "-q",
            ],
            "--threads",
        ),
        (
            &["analyze", "-i", s(&m), "-o", s(&out), "--k", "0", "-q"],
            "--k",
        ),
        (
            &[
                "register",
                "-i",
                s(&m),
                "-o",
                s(&out),
                "--threads",
                "0",
                "-q",
            ],
            "--threads",
        ),
        (
            &[
                "detect",
                "--registered",
                s(&reg),
                "-o",
                s(&out),
                "--threads",
                "0",
                "-q",
            ],
            "--threads",
        ),
        (
            &[
                "extract",
                "--registered",
                s(&reg),
                "--rois",
                s(&det),
                "-o",
                s(&out),
                "--threads",
                "0",
                "-q",
            ],
            "--threads",
        ),
        (
            &[
                "cluster",
                "--traces",
                s(&ext),
                "-o",
                s(&out),
                "--threads",
                "0",
                "-q",
            ],
            "--threads",
        ),
        (
            &[
                "cluster",
                "--traces",
                s(&ext),
                "-o",
                s(&out),
                "--k",
                "0",
                "-q",
            ],
            "--k",
        ),
        (
            &[
                "project",
                "-i",
                s(&m),
                "-o",
                s(&out),
                "--threads",
                "0",
                "-q",
            ],
            "--threads",
        ),
    ];
    for (args, flag) in cases {
        let o = worker(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{:?}: {}", args, err);
        assert_eq!(err.trim_end().lines().count(), 1, "{:?}: {}", args, err);
        assert!(
            err.contains(&format!("{flag} must be at least 1")),
            "{:?}: {}",
            args,
            err
        );
    }
    assert!(!out.exists(), "nothing written for a usage error");
}
