//! The step files on their own: ROI masks round-trip exactly, a kept registered cache is checked
//! against its header, projections accumulated while writing equal direct formulas.

use std::path::PathBuf;

use worker_core::output::write_npy;
use worker_core::roi::RoiRecord;
use worker_core::source::{BinaryCache, FrameSource};
use worker_core::steps::masks::{self, DetectedPlane};
use worker_core::steps::registered::{self, PixelStats, RegisteredPlane};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "scopecloud-stepfiles-{}-{}",
        name,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn roi(id: usize, plane: usize, pixels: Vec<(u32, u32)>, weights: Vec<f32>) -> RoiRecord {
    RoiRecord {
        id,
        plane,
        x: 0.0,
        y: 0.0,
        z: plane as f32,
        pixels,
        weights,
        score: 0.5,
        iscell: true,
        cluster: None,
    }
}

#[test]
fn masks_round_trip_exactly_and_reject_bad_rows() {
    let d = tmp("masks");
    let rois = vec![
        roi(
            0,
            0,
            vec![(1, 2), (1, 3), (2, 2)],
            vec![0.1, 1.0 / 3.0, 7.25e-6],
        ),
        roi(1, 0, vec![(5, 5)], vec![1.0]),
        roi(2, 3, vec![(0, 0), (9, 11)], vec![std::f32::consts::PI, 0.0]),
    ];
    let planes = vec![
        DetectedPlane {
            plane: 0,
            frames: 10,
            height: 8,
            width: 8,
            rois: 2,
        },
        DetectedPlane {
            plane: 3,
            frames: 10,
            height: 10,
            width: 12,
            rois: 1,
        },
    ];
    masks::write(&d, &planes, 15.0, 0.7, &rois).unwrap();
    let h = masks::read_header(&d).unwrap();
    assert_eq!(
        (h.rois, h.planes.clone(), h.fs, h.tau),
        (3, planes.clone(), 15.0, 0.7)
    );
    let back = masks::read_masks(&d, &h).unwrap();
    assert_eq!(back.len(), 3);
    for (b, r) in back.iter().zip(&rois) {
        assert_eq!((b.id, b.plane, &b.pixels), (r.id, r.plane, &r.pixels));
        assert_eq!(
            b.weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>(),
            r.weights.iter().map(|w| w.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(*b, r.mask());
    }
    // ids must run 0, 1, 2 ...
    let rows = [
        0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 0.0, 1.0, 1.0, 1.0, 1.0, 3.0, 0.0, 0.0, 1.0,
    ];
    write_npy(&d.join(masks::MASKS), &[3, 5], &rows).unwrap();
    let e = masks::read_masks(&d, &h).unwrap_err();
    assert_eq!(e.code(), "corrupt", "{e}");
    assert!(e.to_string().contains("ids must run"), "{e}");
    // a wrong shape
    write_npy(&d.join(masks::MASKS), &[3, 4], &rows[..12]).unwrap();
    assert_eq!(masks::read_masks(&d, &h).unwrap_err().code(), "corrupt");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn kept_cache_is_checked_against_its_header() {
    let d = tmp("cache");
    let (t, h, w) = (5usize, 8usize, 9usize);
    let data: Vec<f32> = (0..t * h * w).map(|i| (i as f32).sin() * 100.0).collect();
    let mut c = registered::create_plane(&d, 2, h, w).unwrap();
    let mut stats = PixelStats::new(h * w);
    for frame in data.chunks(h * w) {
        stats.add(frame);
        c.append(frame).unwrap();
    }
    c.finish().unwrap();
    drop(c);
    let plane = RegisteredPlane {
        plane: 2,
        file: registered::plane_file(2),
        frames: t,
        height: h,
        width: w,
        quality: 0.9,
    };
    registered::write_header(
        &d,
        &registered::new_header(
            20.0,
            "argument",
            0,
            serde_json::json!({}),
            vec![plane.clone()],
        ),
    )
    .unwrap();
    let m = registered::open(&d, None).unwrap();
    assert_eq!(m.header.planes, vec![plane.clone()]);
    let mut back = vec![0.0; t * h * w];
    m.planes[0].read_frames(0, &mut back).unwrap();
    assert_eq!(back, data, "the cache survives drop and reads back exactly");
    drop(m);

    // projections equal the direct formulas
    let (mean, max, std) = stats.images();
    for i in [0, 17, h * w - 1] {
        let px: Vec<f64> = (0..t).map(|k| f64::from(data[k * h * w + i])).collect();
        let mu = px.iter().sum::<f64>() / t as f64;
        let sd = (px.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / t as f64).sqrt();
        assert!((f64::from(mean[i]) - mu).abs() < 1e-3);
        assert!((f64::from(std[i]) - sd).abs() < 1e-2);
        assert_eq!(
            f64::from(max[i]),
            px.iter().cloned().fold(f64::MIN, f64::max)
        );
    }

    // wrong length: the header says 6 frames
    let six = RegisteredPlane {
        frames: 6,
        ..plane.clone()
    };
    registered::write_header(
        &d,
        &registered::new_header(20.0, "argument", 0, serde_json::json!({}), vec![six]),
    )
    .unwrap();
    let e = registered::open(&d, None).err().expect("length mismatch");
    assert_eq!(e.code(), "corrupt", "{e}");
    assert!(BinaryCache::open(&d.join(registered::plane_file(2)), 6, h, w).is_err());
    // a file name that leaves the folder
    let escape = RegisteredPlane {
        file: "../elsewhere.f32".into(),
        ..plane.clone()
    };
    registered::write_header(
        &d,
        &registered::new_header(20.0, "argument", 0, serde_json::json!({}), vec![escape]),
    )
    .unwrap();
    assert_eq!(
        registered::open(&d, None)
            .err()
            .expect("escaping name")
            .code(),
        "corrupt"
    );
    // begin() removes the header so a half-written cache is never opened
    registered::begin(&d).unwrap();
    assert_eq!(
        registered::open(&d, None).err().expect("no header").code(),
        "missing"
    );
    let _ = std::fs::remove_dir_all(&d);
}
