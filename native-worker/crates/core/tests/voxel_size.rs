//! The voxel size the reader finds in each form of metadata, on synthetic TIFFs built here byte
//! by byte (ImageJ `spacing=`/`unit=` with XResolution/YResolution, OME-XML `PhysicalSize*`,
//! resolution tags alone), and on the real files of `../shared/data` (credits in its README.md).

mod shared_data;

use worker_core::tiff::{OpenOptions, Source, VoxelSize};

/// XResolution, YResolution as (numerator, denominator), and ResolutionUnit.
type ResolutionTags = ((u32, u32), (u32, u32), u16);

/// What the first page carries besides the image.
#[derive(Default)]
struct Meta<'a> {
    description: Option<&'a str>,
    resolution: Option<ResolutionTags>,
}

/// A little-endian classic TIFF of `pages` 4x3 uint8 pages; `meta` on the first page.
fn tiff(pages: usize, meta: &Meta) -> Vec<u8> {
    let (w, h) = (4u32, 3u32);
    let mut out = b"II\x2a\x00\0\0\0\0".to_vec();
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
            if let Some(d) = meta.description {
                let mut b = d.as_bytes().to_vec();
                b.push(0);
                extra.push((270, b));
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
            let (typ, count) = if tag == 270 {
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
        },
    );
    assert_eq!(
        voxel(dpi, &OpenOptions::default()),
        (1, VoxelSize::default())
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
        serde_json::json!({ "x": 1.5, "y": null, "z": null, "unit": null })
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
