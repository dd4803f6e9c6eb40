//! Reader tests on every TIFF in `../shared/data`, checked against golden numbers produced by
//! tifffile (`scripts/golden-reader.py`), plus exact layout assertions for the known movies.
//! Data credits: see `../shared/data/README.md` (neurofinder, sima, thunder, ScanImage samples,
//! image-rs/image-tiff, OMETIFF.jl, fissa).

mod shared_data;

use std::path::{Path, PathBuf};
use worker_core::tiff::{MetadataKind, OpenOptions, Source};

fn open(p: &Path) -> Source {
    Source::open(&[p.to_path_buf()], &OpenOptions::default())
        .unwrap_or_else(|e| panic!("{}: {}", p.display(), e))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn every_file_matches_golden() {
    let Some(dir) = shared_data::data_dir() else {
        return;
    };
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("golden/reader.json")).expect("golden json");
    let mut checked = 0;
    for (rel, g) in golden.as_object().unwrap() {
        let path = dir.join(rel);
        if !path.exists() {
            shared_data::missing(&format!(
                "{} absent from the shared data set",
                path.display()
            ));
            continue;
        }
        if g.get("error").is_some() {
            continue;
        }
        let src = open(&path);
        let info = src.info();
        assert_eq!(info.width as u64, g["width"].as_u64().unwrap(), "{}", rel);
        assert_eq!(info.height as u64, g["height"].as_u64().unwrap(), "{}", rel);
        assert_eq!(info.dtype, g["dtype"].as_str().unwrap(), "{}", rel);
        if info.files.first() != Some(&path) {
            // An OME member file opens its whole set, whose first plane lives elsewhere.
            checked += 1;
            continue;
        }
        let mut r = src.reader();
        let mut f0 = vec![0f32; info.width * info.height];
        r.read_frame(0, 0, 0, &mut f0)
            .unwrap_or_else(|e| panic!("{}: {}", rel, e));
        let sum0: f64 = f0.iter().map(|&v| v as f64).sum();
        assert!(
            close(sum0, g["sum0"].as_f64().unwrap()),
            "{}: sum of page 0 {} vs {}",
            rel,
            sum0,
            g["sum0"]
        );
        for (k, want) in g["first"].as_array().unwrap().iter().enumerate() {
            let want = want.as_f64().unwrap();
            assert!(
                (f0[k] as f64 - want).abs() < 1e-6 || (want.is_nan() && f0[k].is_nan()),
                "{} value {}: {} vs {}",
                rel,
                k,
                f0[k],
                want
            );
        }
        let pages_used = info.planes * (info.channels / info.samples_per_pixel) * info.frames;
        if pages_used == info.pages && g["pages"].as_u64() == Some(info.pages as u64) {
            let mut total = 0f64;
            for p in 0..info.planes {
                for c in 0..info.channels {
                    for b in r.batches(p, c, 7) {
                        total += b.unwrap().data.iter().map(|&v| v as f64).sum::<f64>();
                    }
                }
            }
            assert!(
                close(total, g["sum_all"].as_f64().unwrap()),
                "{}: sum of all {} vs {}",
                rel,
                total,
                g["sum_all"]
            );
        }
        checked += 1;
    }
    eprintln!("checked {} files against golden", checked);
    assert!(checked > 150);
}

fn dims(s: &Source) -> (usize, usize, usize, usize, usize, String) {
    let i = s.info();
    (
        i.frames,
        i.planes,
        i.channels,
        i.height,
        i.width,
        i.dtype.clone(),
    )
}

#[test]
fn known_movies_have_known_shapes() {
    let Some(d) = shared_data::data_dir() else {
        return;
    };
    let nf = open(&d.join("neurofinder-crop/movie.tif"));
    assert_eq!(dims(&nf), (300, 1, 1, 256, 256, "uint16".into()));
    let zf = open(&d.join("thunder-zebrafish/movie.tif"));
    assert_eq!(dims(&zf), (240, 2, 1, 76, 87, "uint8".into()));
    assert_eq!(zf.info().metadata, MetadataKind::ImageJ);
    assert_eq!(
        dims(&open(&d.join("thunder-mouse/movie.tif"))),
        (500, 1, 1, 64, 64, "int16".into())
    );
    assert_eq!(
        dims(&open(&d.join("sima-ca1/movie.tif"))),
        (20, 1, 1, 128, 256, "uint16".into())
    );
    let si5 = open(&d.join("scanimage/scanimage5.7_bigtiff_2ch.tif"));
    assert_eq!(dims(&si5), (2, 1, 2, 64, 64, "int16".into()));
    assert!(si5.info().bigtiff);
    assert_eq!(si5.info().metadata, MetadataKind::ScanImage);
    assert_eq!(si5.info().metadata_version.as_deref(), Some("5.7"));
    let si38 = open(&d.join("scanimage/scanimage3.8_drosophila_30f.tif"));
    assert_eq!(dims(&si38), (30, 1, 1, 64, 64, "uint16".into()));
    assert_eq!(si38.info().metadata, MetadataKind::ScanImage);
    let si4 = open(&d.join("scanimage/scanimage4_int16.tif"));
    assert_eq!(si4.info().metadata, MetadataKind::ScanImage);
    assert_eq!(dims(&si4).5, "int16");
}

#[test]
fn scanimage_channels_are_deinterleaved() {
    let Some(d) = shared_data::data_dir() else {
        return;
    };
    let p = d.join("scanimage/scanimage5.7_bigtiff_2ch.tif");
    let s = open(&p);
    // Pages are t0c0, t0c1, t1c0, t1c1: compare against a plain page-per-frame reading.
    let plain = Source::open(
        &[p],
        &OpenOptions {
            planes: Some(1),
            channels: Some(1),
        },
    )
    .unwrap();
    let (mut a, mut b) = (s.reader(), plain.reader());
    let n = 64 * 64;
    let (mut x, mut y) = (vec![0f32; n], vec![0f32; n]);
    for (t, c, page) in [(0, 0, 0), (0, 1, 1), (1, 0, 2), (1, 1, 3)] {
        a.read_frame(0, c, t, &mut x).unwrap();
        b.read_frame(0, 0, page, &mut y).unwrap();
        assert_eq!(x, y, "t{} c{}", t, c);
    }
}

#[test]
fn zebrafish_folder_of_packbits_pages_equals_hyperstack() {
    let Some(d) = shared_data::data_dir() else {
        return;
    };
    let folder = d.join("thunder-zebrafish/original-pages");
    let plain = Source::open(std::slice::from_ref(&folder), &OpenOptions::default()).unwrap();
    assert_eq!((plain.info().frames, plain.info().files.len()), (40, 20));
    let s = Source::open(
        &[folder],
        &OpenOptions {
            planes: Some(2),
            channels: None,
        },
    )
    .unwrap();
    assert_eq!((s.info().frames, s.info().planes), (20, 2));
    assert_eq!(s.info().compression, "packbits");
    let movie = open(&d.join("thunder-zebrafish/movie.tif"));
    for z in 0..2 {
        let a = s.read_plane(z, 0).unwrap();
        let mut r = movie.reader();
        let mut f = vec![0f32; 76 * 87];
        for t in 0..20 {
            r.read_frame(z, 0, t, &mut f).unwrap();
            assert_eq!(a.frame(t), &f[..], "plane {} frame {}", z, t);
        }
    }
}

#[test]
fn imagej_page_count_claim_is_not_trusted() {
    let Some(d) = shared_data::data_dir() else {
        return;
    };
    let s = open(&d.join("tiff-zoo/sima-bigendian/claims-3500-pages-has-1.tif"));
    assert_eq!(dims(&s), (1, 1, 1, 173, 173, "uint16".into()));
    assert!(
        s.info().warnings.iter().any(|w| w.contains("3500")),
        "{:?}",
        s.info().warnings
    );
}

#[test]
fn ome_sets_and_hyperstacks() {
    let Some(d) = shared_data::data_dir() else {
        return;
    };
    let o = d.join("tiff-zoo/ome");
    let master = open(&o.join("multiples__master__multifile-Z1.ome.tiff"));
    assert_eq!(master.info().metadata, MetadataKind::Ome);
    assert_eq!(
        (
            master.info().planes,
            master.info().frames,
            master.info().files.len()
        ),
        (5, 1, 5)
    );
    // Opening a non-master member finds the master through BinaryOnly + UUID.
    let member = open(&o.join("multiples__master__multifile-Z3.ome.tiff"));
    assert_eq!(member.info().planes, 5);
    // Companion-only sets without the companion file fall back to the single file, with a warning.
    let comp = open(&o.join("multiples__companion__multifile-Z1.ome.tiff"));
    assert_eq!(comp.info().frames, 1);
    assert!(!comp.info().warnings.is_empty());
    let s4 = open(&o.join("singles__4D-series.ome.tif"));
    assert_eq!(dims(&s4), (7, 5, 1, 167, 439, "int8".into()));
    let mct = open(&o.join("singles__multi-channel-time-series.ome.tif"));
    assert_eq!((mct.info().frames, mct.info().channels), (7, 3));
    let mm = open(&o.join("singles__181003_multi_pos_time_course_1_MMStack.ome.tif"));
    assert_eq!((mm.info().frames, mm.info().planes), (10, 1));
    let slices = Source::open(
        &[
            o.join("singles__181003_slices__P1_T0.tif"),
            o.join("singles__181003_slices__P1_T1.tif"),
        ],
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(slices.info().frames, 2);
}

#[test]
fn multi_file_ome_planes_come_from_their_files() {
    let Some(d) = shared_data::data_dir() else {
        return;
    };
    let o = d.join("tiff-zoo/ome");
    let master = open(&o.join("multiples__master__multifile-Z1.ome.tiff"));
    let mut r = master.reader();
    let mut f = vec![0f32; 24 * 18];
    for z in 0..5 {
        r.read_frame(z, 0, 0, &mut f).unwrap();
        let single = open(&o.join(format!("multiples__master__multifile-Z{}.ome.tiff", z + 1)));
        let _ = single;
        let plain = Source::open(
            &[o.join(format!("multiples__master__multifile-Z{}.ome.tiff", z + 1))],
            &OpenOptions {
                planes: Some(1),
                channels: Some(1),
            },
        )
        .unwrap();
        let mut g = vec![0f32; 24 * 18];
        plain.reader().read_frame(0, 0, 0, &mut g).unwrap();
        assert_eq!(f, g, "plane {}", z);
    }
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scopecloud-reader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Opens and reads everything; returns the first error. Must never panic.
fn read_all(p: &Path) -> Result<(), String> {
    let s = Source::open(&[p.to_path_buf()], &OpenOptions::default()).map_err(|e| e.to_string())?;
    let i = s.info().clone();
    let mut r = s.reader();
    for pl in 0..i.planes {
        for c in 0..i.channels {
            for b in r.batches(pl, c, 64) {
                b.map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

#[test]
fn truncated_empty_and_garbage_files_are_one_line_errors() {
    let e = read_all(&tmp("empty.tif", &[])).unwrap_err();
    assert!(e.starts_with("empty file"), "{}", e);
    let e = read_all(&tmp("garbage.tif", b"this is not a tiff at all")).unwrap_err();
    assert!(e.starts_with("not a TIFF"), "{}", e);
    let e = read_all(&tmp("short.tif", b"II*\0")).unwrap_err();
    assert!(!e.contains('\n'));
    let Some(d) = shared_data::data_dir() else {
        return;
    };
    let whole = std::fs::read(d.join("sima-ca1/movie.tif")).unwrap();
    for cut in [8, 100, 1000, 65536, whole.len() / 2, whole.len() - 400] {
        let e = read_all(&tmp("cut.tif", &whole[..cut])).unwrap_err();
        assert!(!e.contains('\n'), "{}", e);
        assert!(
            e.contains("truncated") || e.contains("corrupt") || e.contains("inconsistent"),
            "cut {}: {}",
            cut,
            e
        );
    }
    // Every compressed zoo file, cut anywhere, must fail cleanly or read (never panic).
    for f in [
        "tiff-zoo/image-tiff/predictor-3-gray-f32.tif",
        "tiff-zoo/image-tiff/seq-1c-16b-deflate-68f373a0.tiff",
        "thunder-zebrafish/original-pages/time001.tif",
        "tiff-zoo/image-tiff/BigTIFFMotorola.tif",
    ] {
        let whole = std::fs::read(d.join(f)).unwrap();
        for cut in (0..whole.len()).step_by(whole.len() / 97 + 1) {
            let _ = read_all(&tmp("cut2.tif", &whole[..cut]));
        }
    }
}
