//! The single steps on files: register -> detect -> extract -> cluster by hand gives `analyze`'s
//! bytes; each step reads only the previous step's folder; missing, damaged and incompatible
//! step inputs exit 3 with one line that says what to re-run.

mod common;

use common::{ok, s, tmp, worker};
use std::path::{Path, PathBuf};

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {}", p.display(), e))
}

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

fn movie(d: &Path, name: &str, size: &str, seed: &str) -> PathBuf {
    let m = d.join(name);
    ok(&[
        "synth",
        "-o",
        s(&m),
        "--planes",
        "2",
        "--frames",
        "160",
        "--width",
        size,
        "--height",
        size,
        "--cells",
        "16",
        "--groups",
        "2",
        "--seed",
        seed,
        "-q",
    ]);
    m
}

#[test]
fn steps_by_hand_give_the_bytes_of_analyze() {
    let d = tmp("chain");
    let m = movie(&d, "m.tif", "48", "5");
    let an = d.join("analyze");
    ok(&[
        "analyze",
        "-i",
        s(&m),
        "-o",
        s(&an),
        "--seed",
        "9",
        "--k",
        "2",
        "--tau",
        "0.8",
        "-q",
    ]);
    // each step in its own folder, and with another thread count than analyze
    let (reg, det, tr, cl) = (d.join("reg"), d.join("det"), d.join("tr"), d.join("cl"));
    ok(&[
        "register",
        "-i",
        s(&m),
        "-o",
        s(&reg),
        "--threads",
        "1",
        "-q",
    ]);
    // detect must read only the cache: the movie is gone
    let moved = d.join("moved.tif");
    std::fs::rename(&m, &moved).unwrap();
    ok(&[
        "detect",
        "--registered",
        s(&reg),
        "-o",
        s(&det),
        "--tau",
        "0.8",
        "--threads",
        "1",
        "-q",
    ]);
    ok(&[
        "extract",
        "--registered",
        s(&reg),
        "--rois",
        s(&det),
        "-o",
        s(&tr),
        "--threads",
        "2",
        "-q",
    ]);
    ok(&[
        "cluster",
        "--traces",
        s(&tr),
        "--rois",
        s(&det),
        "-o",
        s(&cl),
        "--seed",
        "9",
        "--k",
        "2",
        "-q",
    ]);

    let n_rois = serde_json::from_slice::<serde_json::Value>(&bytes(&an.join("rois.json")))
        .unwrap()["rois"]
        .as_array()
        .unwrap()
        .len();
    assert!(n_rois > 4, "analyze found {} ROIs", n_rois);
    for (dir, files) in [
        (&reg, &["registration.json"][..]),
        (&det, &["iscell.npy", "regions.json"][..]),
        (&tr, &["F.npy", "Fneu.npy", "dff.npy", "spks.npy"][..]),
        (&cl, &["clusters.npy", "rois.json", "covariance.png"][..]),
    ] {
        for f in files {
            assert!(
                bytes(&an.join(f)) == bytes(&dir.join(f)),
                "{} differs from analyze's",
                dir.join(f).display()
            );
        }
    }
    // every .npy analyze wrote is covered above
    let mut npys: Vec<String> = std::fs::read_dir(&an)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".npy"))
        .collect();
    npys.sort();
    assert_eq!(
        npys,
        [
            "F.npy",
            "Fneu.npy",
            "clusters.npy",
            "dff.npy",
            "iscell.npy",
            "spks.npy"
        ]
    );
    // detect's rois.json is analyze's without clusters
    let det_rois: serde_json::Value =
        serde_json::from_slice(&bytes(&det.join("rois.json"))).unwrap();
    assert!(det_rois["rois"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["cluster"].is_null()));

    // the cache is the documented raw float32 layout
    let hd: serde_json::Value =
        serde_json::from_slice(&bytes(&reg.join("registered.json"))).unwrap();
    assert_eq!(hd["format"], "scopecloud-registered-movie");
    assert_eq!(hd["dtype"], "float32-le");
    for p in hd["planes"].as_array().unwrap() {
        let (t, h, w) = (
            p["frames"].as_u64().unwrap(),
            p["height"].as_u64().unwrap(),
            p["width"].as_u64().unwrap(),
        );
        assert_eq!((t, h, w), (160, 48, 48));
        let len = std::fs::metadata(reg.join(p["file"].as_str().unwrap()))
            .unwrap()
            .len();
        assert_eq!(len, t * h * w * 4);
    }
    for f in [
        "reference_plane0.npy",
        "mean_plane1.npy",
        "max_plane0.npy",
        "std_plane1.npy",
    ] {
        assert!(reg.join(f).is_file(), "{}", f);
    }

    // all steps in one folder give the same bytes too
    let one = d.join("one");
    std::fs::rename(&moved, &m).unwrap();
    ok(&["register", "-i", s(&m), "-o", s(&one), "-q"]);
    ok(&[
        "detect",
        "--registered",
        s(&one),
        "-o",
        s(&one),
        "--tau",
        "0.8",
        "-q",
    ]);
    ok(&[
        "extract",
        "--registered",
        s(&one),
        "--rois",
        s(&one),
        "-o",
        s(&one),
        "-q",
    ]);
    ok(&[
        "cluster",
        "--traces",
        s(&one),
        "-o",
        s(&one),
        "--seed",
        "9",
        "--k",
        "2",
        "-q",
    ]);
    for f in [
        "F.npy",
        "Fneu.npy",
        "dff.npy",
        "spks.npy",
        "iscell.npy",
        "clusters.npy",
        "rois.json",
        "regions.json",
    ] {
        assert!(
            bytes(&an.join(f)) == bytes(&one.join(f)),
            "{} differs in the shared folder",
            f
        );
    }

    // detect on one plane of the cache: that plane's ROIs of the full detection
    let p1 = d.join("p1");
    ok(&[
        "detect",
        "--registered",
        s(&reg),
        "--plane",
        "1",
        "-o",
        s(&p1),
        "--tau",
        "0.8",
        "-q",
    ]);
    let sub: serde_json::Value = serde_json::from_slice(&bytes(&p1.join("regions.json"))).unwrap();
    let all: serde_json::Value = serde_json::from_slice(&bytes(&det.join("regions.json"))).unwrap();
    let want: Vec<&serde_json::Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["plane"] == 1)
        .map(|r| &r["coordinates"])
        .collect();
    let got: Vec<&serde_json::Value> = sub
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["coordinates"])
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    let _ = std::fs::remove_dir_all(&d);
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
