//! The single steps on files: register -> detect -> extract -> cluster by hand gives `analyze`'s
//! bytes, each step reading only the previous step's folder. (Bad step inputs: `step_inputs.rs`.)

mod common;

use common::{bytes, ok, s, tmp, two_plane_movie as movie};

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
