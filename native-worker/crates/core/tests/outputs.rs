//! Output writers checked against real suite2p files and by decoding what was written.

mod shared_data;

use std::path::PathBuf;
use worker_core::output::{read_npy, write_gif, write_npy, write_png_u16, write_png_u8, NpyData};
use worker_core::project::{project_plane, write_projections, ProjectOptions};
use worker_core::tiff::{OpenOptions, Source};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scopecloud-out-{}-{}", name, std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn npy_matches_suite2p_files_byte_for_byte() {
    let Some(data) = shared_data::data_dir() else {
        return;
    };
    let dir = data.join("suite2p-output-format/plane0");
    let out = tmpdir("npy");
    for name in ["F.npy", "Fneu.npy", "spks.npy"] {
        let a = read_npy(&dir.join(name)).unwrap();
        assert_eq!(a.shape, vec![23, 864], "{}", name);
        let NpyData::F32(v) = a.data else {
            panic!("{} is not float32", name)
        };
        write_npy(&out.join(name), &a.shape, &v).unwrap();
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(dir.join(name)).unwrap(),
            "{}",
            name
        );
    }
    // iscell.npy is float64 (n, 2) in Fortran order; ours is C order with the same values.
    let a = read_npy(&dir.join("iscell.npy")).unwrap();
    assert_eq!(a.shape, vec![23, 2]);
    let NpyData::F64(v) = a.data else {
        panic!("iscell is not float64")
    };
    assert!(v.chunks(2).all(|r| r[0] == 0.0 || r[0] == 1.0));
    write_npy(&out.join("iscell.npy"), &[23, 2], &v).unwrap();
    assert_eq!(
        read_npy(&out.join("iscell.npy")).unwrap().data,
        NpyData::F64(v)
    );
}

#[test]
fn png_and_gif_decode_to_what_was_written() {
    let out = tmpdir("img");
    let px16: Vec<u16> = (0..12).map(|i| i * 5000).collect();
    write_png_u16(&out.join("a.png"), 4, 3, &px16).unwrap();
    let dec = png::Decoder::new(std::fs::File::open(out.join("a.png")).unwrap());
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let fi = r.next_frame(&mut buf).unwrap();
    assert_eq!(
        (fi.width, fi.height, fi.bit_depth),
        (4, 3, png::BitDepth::Sixteen)
    );
    let back: Vec<u16> = buf[..24]
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(back, px16);
    let px8: Vec<u8> = (0..12).map(|i| i * 20).collect();
    write_png_u8(&out.join("b.png"), 4, 3, &px8).unwrap();
    assert!(write_png_u8(&out.join("c.png"), 5, 3, &px8).is_err());
    write_gif(
        &out.join("a.gif"),
        4,
        3,
        &[px8.clone(), px8.iter().map(|v| 255 - v).collect()],
        10,
    )
    .unwrap();
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut d = opts
        .read_info(std::fs::File::open(out.join("a.gif")).unwrap())
        .unwrap();
    let mut n = 0;
    while let Some(f) = d.read_next_frame().unwrap() {
        if n == 0 {
            assert_eq!(&f.buffer[..], &px8[..]);
        }
        n += 1;
    }
    assert_eq!(n, 2);
}

#[test]
fn projections_equal_direct_computation() {
    let Some(data) = shared_data::data_dir() else {
        return;
    };
    let src = Source::open(&[data.join("sima-ca1/movie.tif")], &OpenOptions::default()).unwrap();
    let m = src.read_plane(0, 0).unwrap();
    let opts = ProjectOptions {
        batch: 3,
        windows: 4,
        ..ProjectOptions::default()
    };
    let mut seen = 0;
    let p = project_plane(&src, 0, 0, &opts, &mut |n| seen += n).unwrap();
    assert_eq!(seen, 20);
    assert_eq!((p.window_max.len(), p.window_std.len()), (4, 4));
    assert_eq!(p.first.as_slice(), m.frame(0));
    for i in [0, 1000, 20000, m.frame_len() - 1] {
        let v: Vec<f64> = (0..m.frames).map(|t| m.frame(t)[i] as f64).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        let mx = v.iter().cloned().fold(f64::MIN, f64::max);
        assert!(
            (p.mean[i] as f64 - mean).abs() < 1e-3
                && (p.std[i] as f64 - sd).abs() < 1e-3
                && p.max[i] as f64 == mx
        );
        let w0 = (0..5).map(|t| v[t]).fold(f64::MIN, f64::max);
        assert_eq!(p.window_max[0][i] as f64, w0);
    }
    let out = tmpdir("proj");
    let s = write_projections(&src, &out, &opts, &mut |_| {}).unwrap();
    assert_eq!(s.schema, 1);
    assert_eq!(s.images.len(), 9);
    assert_eq!(
        (s.images[0].file.as_str(), s.images[0].kind.as_str()),
        ("first_frame_plane0.png", "first")
    );
    for f in worker_core::project::listed_files(&out, &s) {
        assert!(f.is_file(), "{}", f.display());
    }
    assert!(out.join("projections.json").is_file());
}

#[test]
fn tiff_writer_roundtrips_through_the_reader() {
    use worker_core::output::{TiffSample, TiffWriter};
    let out = tmpdir("tiffw");
    let (w, h) = (7usize, 5usize);
    let frame = |t: usize| -> Vec<f32> {
        (0..w * h)
            .map(|i| ((i * 31 + t * 7) % 250) as f32)
            .collect()
    };
    for (name, sample, hint, bigtiff) in [
        ("u8.tif", TiffSample::U8, 10, false),
        ("u16.tif", TiffSample::U16, 10, false),
        ("i16.tif", TiffSample::I16, 10, false),
        ("f32-big.tif", TiffSample::F32, usize::MAX / 4096, true),
    ] {
        let p = out.join(name);
        let desc = "ImageJ=1.11a\nimages=10\nslices=2\nframes=5\nhyperstack=true\n";
        let mut tw = TiffWriter::create(&p, w, h, sample, hint, Some(desc)).unwrap();
        for t in 0..10 {
            tw.write_frame(&frame(t)).unwrap();
        }
        tw.finish().unwrap();
        let src = Source::open(std::slice::from_ref(&p), &OpenOptions::default()).unwrap();
        let i = src.info();
        assert_eq!(
            (i.frames, i.planes, i.width, i.height, i.bigtiff),
            (5, 2, w, h, bigtiff),
            "{}",
            name
        );
        let mut r = src.reader();
        let mut f = vec![0f32; w * h];
        for t in 0..5 {
            for z in 0..2 {
                r.read_frame(z, 0, t, &mut f).unwrap();
                assert_eq!(f, frame(t * 2 + z), "{} t{} z{}", name, t, z);
            }
        }
    }
    let empty = TiffWriter::create(&out.join("e.tif"), 2, 2, TiffSample::U8, 1, None).unwrap();
    assert!(empty.finish().is_err());
}

#[test]
fn frame_by_frame_tifffile_series_stay_one_movie() {
    use worker_core::output::{TiffSample, TiffWriter};
    let p = tmpdir("shaped").join("m.tif");
    let mut tw =
        TiffWriter::create(&p, 4, 3, TiffSample::U16, 6, Some("{\"shape\": [3, 4]}")).unwrap();
    for t in 0..6 {
        tw.write_frame(&[t as f32; 12]).unwrap();
    }
    tw.finish().unwrap();
    let src = Source::open(&[p], &OpenOptions::default()).unwrap();
    assert_eq!(src.info().frames, 6);
}

#[test]
fn regions_json_marks_each_region_as_rois_json_does() {
    use worker_core::output::{read_roi_table, write_rois};
    use worker_core::roi::RoiRecord;
    let out = tmpdir("regions");
    let roi = |id: usize, iscell: bool| RoiRecord {
        id,
        plane: 0,
        x: 3.0,
        y: 2.0,
        z: 0.0,
        pixels: vec![(2, 3), (2, 4)],
        weights: vec![1.0, 1.0],
        score: if iscell { 0.9 } else { 0.1 },
        iscell,
        cluster: None,
    };
    write_rois(&out, &[roi(0, true), roi(1, false), roi(2, true)]).unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("regions.json")).unwrap()).unwrap();
    let flags: Vec<bool> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["iscell"].as_bool().expect("iscell in every region"))
        .collect();
    assert_eq!(flags, [true, false, true]);
    let (rois, regions) = read_roi_table(&out).unwrap();
    assert!(rois.iter().zip(&regions).all(|(r, g)| r.iscell == g.iscell));
    // a regions.json written before the field existed still reads (as not marked)
    let old = r#"[{"id":0,"plane":0,"coordinates":[[2,3],[2,4]]}]"#;
    let g: Vec<worker_core::output::Region> = serde_json::from_str(old).unwrap();
    assert!(!g[0].iscell);
}

/// The `descr` and `shape` of a `.npy` header, as written between the quotes / parentheses.
fn npy_descr_shape(bytes: &[u8]) -> (String, String) {
    let len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let h = std::str::from_utf8(&bytes[10..10 + len]).unwrap();
    let after = |key: &str, open: char, close: char| {
        let rest = &h[h.find(key).unwrap() + key.len()..];
        let rest = &rest[rest.find(open).unwrap() + 1..];
        rest[..rest.find(close).unwrap()].to_string()
    };
    (after("'descr'", '\'', '\''), after("'shape'", '(', ')'))
}

#[test]
fn suite2p_plane_folder_has_db_and_settings_as_its_ops() {
    use worker_core::output::schema;
    use worker_core::output::suite2p::{write_plane, PlaneInput};
    use worker_core::register::FrameShift;
    use worker_core::roi::RoiRecord;
    let out = tmpdir("s2p-1x");
    let (h, w, t) = (16, 20, 5);
    let roi = |id: usize, y: u32| RoiRecord {
        id,
        plane: 0,
        x: 4.0,
        y: y as f32,
        z: 0.0,
        pixels: vec![(y, 4), (y, 5), (y + 1, 4)],
        weights: vec![1.0, 0.5, 0.5],
        score: 0.8,
        iscell: true,
        cluster: None,
    };
    let rois = [roi(0, 3), roi(1, 9)];
    let img: Vec<f32> = (0..h * w).map(|i| (i % 7) as f32).collect();
    let trace: Vec<f32> = (0..rois.len() * t).map(|i| i as f32).collect();
    let shifts: Vec<FrameShift> = (0..t)
        .map(|i| FrameShift {
            dy: i as f32 * 0.5,
            dx: -1.0,
            peak: 1.0,
            block_dy: Vec::new(),
            block_dx: Vec::new(),
        })
        .collect();
    let files = write_plane(
        &out,
        &PlaneInput {
            plane: 0,
            height: h,
            width: w,
            frames: t,
            fs: 10.0,
            tau: 1.0,
            nplanes: 1,
            neuropil_coefficient: 0.7,
            mean_image: &img,
            reference: &img,
            max_image: &img,
            corr_image: &img,
            shifts: &shifts,
            rois: &rois,
            f: &trace,
            fneu: &trace,
            spks: &trace,
        },
    )
    .unwrap();
    let dir = out.join(schema::suite2p_dir(0));
    let ops = std::fs::read(dir.join("ops.npy")).unwrap();
    for name in ["db.npy", "settings.npy"] {
        assert!(
            files.contains(&format!("suite2p/plane0/{name}")),
            "{files:?}"
        );
        // suite2p 1.x reads {**db, **settings} where 0.x read ops: the same dict in all three
        assert_eq!(std::fs::read(dir.join(name)).unwrap(), ops, "{name}");
    }
    // a 0-d object array, as suite2p saves its dicts (np.save of a dict)
    assert_eq!(npy_descr_shape(&ops), ("|O".to_string(), String::new()));
    let Some(data) = shared_data::data_dir() else {
        return;
    };
    let real = std::fs::read(data.join("suite2p-output-format/plane0/ops.npy")).unwrap();
    assert_eq!(npy_descr_shape(&ops), npy_descr_shape(&real));
}
