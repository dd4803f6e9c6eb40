//! The voxel size the reader finds in each form of metadata, on synthetic TIFFs built here byte
//! by byte (ImageJ `spacing=`/`unit=` with XResolution/YResolution, OME-XML `PhysicalSize*`,
//! resolution tags alone, ScanImage's z step in the description, the Software tag or its header
//! block), in movies of several files (which must agree), and on the real files of
//! `../shared/data` (credits in its README.md).

mod shared_data;

use worker_core::tiff::{OpenOptions, Source, VoxelSize};

/// XResolution, YResolution as (numerator, denominator), and ResolutionUnit.
type ResolutionTags = ((u32, u32), (u32, u32), u16);

/// What the first page carries besides the image.
#[derive(Default)]
struct Meta<'a> {
    description: Option<&'a str>,
    resolution: Option<ResolutionTags>,
    /// The Software tag (ScanImage 5 and later).
    software: Option<&'a str>,
    /// ScanImage 2016+'s frame-invariant text, in its block after the file header.
    scanimage_header: Option<&'a str>,
}

/// A little-endian classic TIFF of `pages` 4x3 uint8 pages; `meta` on the first page.
fn tiff(pages: usize, meta: &Meta) -> Vec<u8> {
    let (w, h) = (4u32, 3u32);
    let mut out = b"II\x2a\x00\0\0\0\0".to_vec();
    if let Some(text) = meta.scanimage_header {
        // Magic, format version, length of the text, length of the ROI JSON (none).
        for v in [117_637_889u32, 3, text.len() as u32, 0] {
            out.extend(v.to_le_bytes());
        }
        out.extend(text.as_bytes());
    }
    let mut link = 4usize;
    for page in 0..pages {
        let strip = out.len() as u32;
        out.extend((0..w * h).map(|i| (i as usize + page) as u8));
        let mut extra: Vec<(u16, Vec<u8>)> = Vec::new();
        let mut inline: Vec<(u16, u16, u32, u32)> = vec![
            (256, 4, 1, w),
            (257, 4, 1, h),
            (258, 3, 1, 8),
            (259, 3, 1, 1),
            (262, 3, 1, 1),
            (273, 4, 1, strip),
            (277, 3, 1, 1),
            (278, 4, 1, h),
            (279, 4, 1, w * h),
        ];
        if page == 0 {
            for (tag, text) in [(270u16, meta.description), (305, meta.software)] {
                if let Some(d) = text {
                    let mut b = d.as_bytes().to_vec();
                    b.push(0);
                    extra.push((tag, b));
                }
            }
            if let Some((x, y, unit)) = meta.resolution {
                for (tag, (n, d)) in [(282u16, x), (283, y)] {
                    extra.push((tag, [n.to_le_bytes(), d.to_le_bytes()].concat()));
                }
                inline.push((296, 3, 1, u32::from(unit)));
            }
        }
        // Out-of-line values first, then the IFD pointing at them.
        let mut entries = inline;
        for (tag, bytes) in extra {
            if out.len() % 2 == 1 {
                out.push(0);
            }
            let (typ, count) = if tag == 270 || tag == 305 {
                (2, bytes.len() as u32)
            } else {
                (5, 1)
            };
            entries.push((tag, typ, count, out.len() as u32));
            out.extend(bytes);
        }
        if out.len() % 2 == 1 {
            out.push(0);
        }
        entries.sort_by_key(|e| e.0);
        let ifd = out.len() as u32;
        out[link..link + 4].copy_from_slice(&ifd.to_le_bytes());
        out.extend((entries.len() as u16).to_le_bytes());
        for (tag, typ, count, value) in entries {
            out.extend(tag.to_le_bytes());
            out.extend(typ.to_le_bytes());
            out.extend(count.to_le_bytes());
            if typ == 3 {
                out.extend((value as u16).to_le_bytes());
                out.extend([0, 0]);
            } else {
                out.extend(value.to_le_bytes());
            }
        }
        link = out.len();
        out.extend([0u8; 4]);
    }
    out
}

fn voxel(bytes: Vec<u8>, opts: &OpenOptions) -> (usize, VoxelSize) {
    let s = Source::from_bytes(bytes, opts).expect("synthetic TIFF opens");
    (s.info().planes, s.info().voxel_size.clone())
}

fn um(x: Option<f64>, y: Option<f64>, z: Option<f64>) -> VoxelSize {
    VoxelSize {
        x,
        y,
        z,
        unit: Some("µm".into()),
        disagreement: None,
    }
}

#[test]
fn imagej_hyperstack_spacing_unit_and_resolution() {
    let desc =
        "ImageJ=1.54f\nimages=4\nslices=2\nframes=2\nhyperstack=true\nunit=micron\nspacing=10.0\n";
    let bytes = tiff(
        4,
        &Meta {
            description: Some(desc),
            resolution: Some(((2, 1), (2, 1), 1)),
            ..Meta::default()
        },
    );
    assert_eq!(
        voxel(bytes, &OpenOptions::default()),
        (2, um(Some(0.5), Some(0.5), Some(10.0)))
    );
}

#[test]
fn imagej_uncalibrated_states_nothing() {
    // As thunder-zebrafish: a hyperstack without unit=, spacing= or resolution tags.
    let desc = "ImageJ=1.11a\nimages=4\nslices=2\nframes=2\nhyperstack=true\n";
    let bytes = tiff(
        4,
        &Meta {
            description: Some(desc),
            resolution: None,
            ..Meta::default()
        },
    );
    assert_eq!(
        voxel(bytes, &OpenOptions::default()),
        (2, VoxelSize::default())
    );
}

#[test]
fn plane_interleaved_stack_keeps_the_metadata_when_planes_are_given() {
    // A plain ImageJ stack read as 2 interleaved planes by --planes 2.
    let desc = "ImageJ=1.54f\nimages=4\nunit=um\nspacing=3\n";
    let bytes = tiff(
        4,
        &Meta {
            description: Some(desc),
            resolution: Some(((4, 1), (4, 1), 1)),
            ..Meta::default()
        },
    );
    let opts = OpenOptions {
        planes: Some(2),
        channels: None,
    };
    assert_eq!(
        voxel(bytes, &opts),
        (2, um(Some(0.25), Some(0.25), Some(3.0)))
    );
}

#[test]
fn ome_physical_sizes_with_their_units() {
    let xml = r#"<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06"><Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="XYZCT" Type="uint8" SizeX="4" SizeY="3" SizeZ="2" SizeC="1" SizeT="2" PhysicalSizeX="0.8" PhysicalSizeY="800" PhysicalSizeYUnit="nm" PhysicalSizeZ="0.005" PhysicalSizeZUnit="mm"><TiffData IFD="0" PlaneCount="4"/></Pixels></Image></OME>"#;
    // Resolution tags saying otherwise are not read: the OME block states the sizes.
    let bytes = tiff(
        4,
        &Meta {
            description: Some(xml),
            resolution: Some(((1, 1), (1, 1), 3)),
            ..Meta::default()
        },
    );
    let (planes, v) = voxel(bytes, &OpenOptions::default());
    assert_eq!(planes, 2);
    assert_eq!((v.x, v.unit.as_deref()), (Some(0.8), Some("µm")));
    assert!((v.y.unwrap() - 0.8).abs() < 1e-9 && (v.z.unwrap() - 5.0).abs() < 1e-9);
}

#[test]
fn ome_without_physical_sizes_states_nothing() {
    let xml = r#"<OME><Image><Pixels DimensionOrder="XYZCT" SizeX="4" SizeY="3" SizeZ="2" SizeC="1" SizeT="1"/></Image></OME>"#;
    let bytes = tiff(
        2,
        &Meta {
            description: Some(xml),
            resolution: None,
            ..Meta::default()
        },
    );
    assert_eq!(
        voxel(bytes, &OpenOptions::default()),
        (2, VoxelSize::default())
    );
}

#[test]
fn resolution_tags_alone_give_the_pixel_size_only() {
    // 5000 pixels per centimetre: 2 µm pixels; no z step anywhere.
    let bytes = tiff(
        2,
        &Meta {
            description: None,
            resolution: Some(((5000, 1), (10_000, 1), 3)),
            ..Meta::default()
        },
    );
    assert_eq!(
        voxel(bytes, &OpenOptions::default()),
        (1, um(Some(2.0), Some(1.0), None))
    );
    // 72 dots per inch is a writer's default, not a size.
    let dpi = tiff(
        2,
        &Meta {
            description: None,
            resolution: Some(((72, 1), (72, 1), 2)),
            ..Meta::default()
        },
    );
    assert_eq!(
        voxel(dpi, &OpenOptions::default()),
        (1, VoxelSize::default())
    );
}

/// The z step `meta`'s ScanImage text states in a 4-page movie, with the planes read.
fn scanimage_step(meta: &Meta) -> (usize, VoxelSize) {
    voxel(tiff(4, meta), &OpenOptions::default())
}

#[test]
fn scanimage_3_and_4_state_the_z_step_in_the_description() {
    let si3 = "state.software.version=3.8\nstate.acq.numberOfZSlices=2\nstate.acq.zStepSize=1.5\n\
               state.acq.numberOfChannelsSave=1\nstate.acq.numberOfFrames=2\n";
    let got = scanimage_step(&Meta {
        description: Some(si3),
        ..Meta::default()
    });
    assert_eq!(got, (2, um(None, None, Some(1.5))));
    // A stack taken upwards has a negative step; the spacing is its size.
    let si4 = "scanimage.SI4.versionMajor = 4.1\nscanimage.SI4.channelsSave = 1\n\
               scanimage.SI4.stackNumSlices = 2\nscanimage.SI4.stackZStepSize = -25\n";
    let got = scanimage_step(&Meta {
        description: Some(si4),
        ..Meta::default()
    });
    assert_eq!(got, (2, um(None, None, Some(25.0))));
}

#[test]
fn scanimage_5_states_the_z_step_in_the_software_tag_or_its_header_block() {
    // ScanImage 5: the Software tag; the resolution tags (10 000 pixels per cm) give the pixels.
    let si5 =
        "SI.VERSION_MAJOR = '5.2'\nSI.hChannels.channelSave = 1\nSI.hStackManager.enable = true\n\
               SI.hStackManager.numSlices = 2\nSI.hStackManager.stackZStepSize = 3\n";
    let got = scanimage_step(&Meta {
        software: Some(si5),
        resolution: Some(((10_000, 1), (10_000, 1), 3)),
        ..Meta::default()
    });
    assert_eq!(got, (2, um(Some(1.0), Some(1.0), Some(3.0))));
    // 2016 and later: the header block; the step the stack took before the one set.
    let si2019 = "SI.VERSION_MAJOR = '2019'\nSI.hChannels.channelSave = 1\nSI.hFastZ.enable = true\n\
                  SI.hStackManager.actualNumSlices = 2\nSI.hStackManager.actualStackZStepSize = 2.5\n\
                  SI.hStackManager.stackZStepSize = 3\n";
    let got = scanimage_step(&Meta {
        scanimage_header: Some(si2019),
        ..Meta::default()
    });
    assert_eq!(got, (2, um(None, None, Some(2.5))));
    // One plane (no stack, as most recordings): the stack settings it carries state no spacing.
    let single = "SI.VERSION_MAJOR = '5.7'\nSI.hStackManager.enable = false\nSI.hStackManager.numSlices = 1\n\
                  SI.hStackManager.actualStackZStepSize = []\nSI.hStackManager.stackZStepSize = 1\n";
    let got = scanimage_step(&Meta {
        software: Some(single),
        ..Meta::default()
    });
    assert_eq!(got, (1, VoxelSize::default()));
}

/// `movies` (name, first page's metadata) written to a fresh folder and opened as one movie.
fn open_files(folder: &str, movies: &[(&str, Meta)]) -> worker_core::tiff::SourceInfo {
    let d = std::env::temp_dir().join(format!("voxel-{folder}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let paths: Vec<std::path::PathBuf> = movies
        .iter()
        .map(|(name, meta)| {
            let p = d.join(name);
            std::fs::write(&p, tiff(4, meta)).unwrap();
            p
        })
        .collect();
    let info = Source::open(&paths, &OpenOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .info()
        .clone();
    let _ = std::fs::remove_dir_all(&d);
    info
}

fn imagej_stack(spacing: &str) -> String {
    format!(
        "ImageJ=1.54f\nimages=4\nslices=2\nframes=2\nhyperstack=true\nunit=um\nspacing={spacing}\n"
    )
}

#[test]
fn files_that_agree_give_their_size() {
    let (a, b) = (imagej_stack("4"), imagej_stack("4.0"));
    let meta = |d| Meta {
        description: Some(d),
        resolution: Some(((2, 1), (2, 1), 1)),
        ..Meta::default()
    };
    let info = open_files("agree", &[("a.tif", meta(&a)), ("b.tif", meta(&b))]);
    assert_eq!(info.files.len(), 2);
    assert_eq!(info.voxel_size, um(Some(0.5), Some(0.5), Some(4.0)));
    assert!(
        info.warnings.iter().all(|w| !w.contains("voxel")),
        "{:?}",
        info.warnings
    );
}

#[test]
fn files_that_disagree_give_no_size_and_say_which_states_what() {
    let (a, b) = (imagej_stack("4"), imagej_stack("5"));
    let meta = |d| Meta {
        description: Some(d),
        ..Meta::default()
    };
    // The second file's step differs, and a third states nothing at all.
    let plain = Meta::default();
    let info = open_files(
        "disagree",
        &[("a.tif", meta(&a)), ("b.tif", meta(&b)), ("c.tif", plain)],
    );
    let v = &info.voxel_size;
    assert_eq!((v.x, v.y, v.z, v.unit.as_deref()), (None, None, None, None));
    assert_eq!(
        v.disagreement.as_deref(),
        Some("a.tif: z 4 µm; b.tif: z 5 µm; c.tif: no size")
    );
    let warning = info
        .warnings
        .iter()
        .find(|w| w.contains("different voxel sizes"))
        .expect("a warning names the files");
    assert!(
        warning.contains("b.tif: z 5 µm") && warning.contains(std::path::MAIN_SEPARATOR),
        "{warning}"
    );
    // ScanImage files of one stack with different steps disagree the same way.
    let si = |step| {
        format!("scanimage.SI4.channelsSave = 1\nscanimage.SI4.stackNumSlices = 2\nscanimage.SI4.stackZStepSize = {step}\n")
    };
    let (s1, s2) = (si(2), si(3));
    let info = open_files(
        "disagree-si",
        &[("s1.tif", meta(&s1)), ("s2.tif", meta(&s2))],
    );
    assert_eq!(
        info.voxel_size.disagreement.as_deref(),
        Some("s1.tif: z 2 µm; s2.tif: z 3 µm")
    );
}

#[test]
fn summary_field_is_null_for_unknown_parts() {
    let v = serde_json::to_value(VoxelSize {
        x: Some(1.5),
        ..VoxelSize::default()
    })
    .unwrap();
    assert_eq!(
        v,
        serde_json::json!({ "x": 1.5, "y": null, "z": null, "unit": null, "disagreement": null })
    );
}

#[test]
fn real_files_carry_what_their_metadata_says() {
    let Some(d) = shared_data::data_dir_with(&[
        "thunder-zebrafish/movie.tif",
        "thunder-zebrafish/original-pages",
        "tiff-zoo/ome/singles__181003_multi_pos_time_course_1_MMStack.ome.tif",
        "tiff-zoo/ome/singles__z-series.ome.tif",
        "tiff-zoo/ome/singles__181003_slices__P1_T0.tif",
    ]) else {
        return;
    };
    let open = |p: &[std::path::PathBuf], planes: Option<usize>| {
        Source::open(
            p,
            &OpenOptions {
                planes,
                channels: None,
            },
        )
        .unwrap_or_else(|e| panic!("{}", e))
    };
    // The zebrafish hyperstack has 2 planes but states no unit, spacing or resolution; its
    // original pages carry only the 72 dpi default.
    let fish = open(&[d.join("thunder-zebrafish/movie.tif")], None);
    assert_eq!(fish.info().planes, 2);
    assert_eq!(fish.info().voxel_size, VoxelSize::default());
    let pages = open(&[d.join("thunder-zebrafish/original-pages")], Some(2));
    assert_eq!(pages.info().planes, 2);
    assert_eq!(pages.info().voxel_size, VoxelSize::default());
    // Micro-Manager's OME block states the pixel size (5.2304 µm) and no z step (one plane).
    let mm = open(
        &[d.join("tiff-zoo/ome/singles__181003_multi_pos_time_course_1_MMStack.ome.tif")],
        None,
    );
    let v = &mm.info().voxel_size;
    assert_eq!((v.x, v.y, v.z), (Some(5.2304), Some(5.2304), None));
    assert_eq!(v.unit.as_deref(), Some("µm"));
    // Its single-page export: an ImageJ header without unit=, 1911.899 pixels per centimetre.
    let page = open(
        &[d.join("tiff-zoo/ome/singles__181003_slices__P1_T0.tif")],
        None,
    );
    let v = &page.info().voxel_size;
    assert!(
        (v.x.unwrap() - 5.2304).abs() < 1e-3 && v.x == v.y && v.z.is_none(),
        "{v:?}"
    );
    // Bio-Formats' z-series sample has 5 planes and no PhysicalSize attributes.
    let z = open(&[d.join("tiff-zoo/ome/singles__z-series.ome.tif")], None);
    assert_eq!(z.info().planes, 5);
    assert_eq!(z.info().voxel_size, VoxelSize::default());
}

#[test]
fn real_scanimage_files_state_their_z_step() {
    let Some(d) = shared_data::data_dir_with(&[
        "scanimage/scanimage3.8_drosophila_30f.tif",
        "scanimage/scanimage4_int16.tif",
        "scanimage/scanimage5.7_bigtiff_2ch.tif",
    ]) else {
        return;
    };
    let info = |name: &str| {
        Source::open(&[d.join("scanimage").join(name)], &OpenOptions::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .info()
            .clone()
    };
    // 3.8: one slice, state.acq.zStepSize=0: no step.
    let si3 = info("scanimage3.8_drosophila_30f.tif");
    assert_eq!(si3.metadata_version.as_deref(), Some("3.8"));
    assert_eq!(si3.voxel_size, VoxelSize::default());
    // 4.1: a 4-slice stack of 25 µm steps (the file keeps 2 of its pages, read as frames).
    let si4 = info("scanimage4_int16.tif");
    assert_eq!(si4.voxel_size, um(None, None, Some(25.0)));
    // 5.7: the stack is off (numSlices 1; stackZStepSize 1 is its default), and ScanImage's
    // own resolution tags state the pixels (2370.37 per cm).
    let si5 = info("scanimage5.7_bigtiff_2ch.tif");
    assert_eq!(si5.metadata_version.as_deref(), Some("5.7"));
    let v = &si5.voxel_size;
    assert_eq!((v.z, v.unit.as_deref()), (None, Some("µm")));
    assert!((v.x.unwrap() - 4.21874).abs() < 1e-4 && v.x == v.y, "{v:?}");
}
