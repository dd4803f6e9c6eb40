//! The steps of opening a movie, in the order [`Source::open`](super::Source::open) runs them:
//! find the layout in the metadata, collect the files, recognise ImageJ's contiguous frames past
//! 4 GB and tifffile's first series, check the frame size, then map (frame, plane, channel) to
//! pages. Each step records what it had to assume in `warnings`.

use super::super::error::{Result, TiffError};
use super::super::handle::{Backing, Handle};
use super::super::ifd::{read_ifd, Chunking, Ifd};
use super::super::meta::{self, Axis, Layout, MetadataKind};
use super::super::voxel;
use super::ome_set::{resolve_ome, Explicit};
use super::probe::{
    format_text, probe, same_format, scanimage_header_text, shaped_series_pages, Probe,
};
use super::{FileEntry, OpenOptions, PageMap, RawRun, SourceInfo};
use std::path::{Path, PathBuf};

/// The layout the first file's metadata describes (OME, else ScanImage, else ImageJ, else one
/// plane and channel), with the OME file set when it maps frames explicitly; `--planes` /
/// `--channels` override both.
pub(super) fn find_layout(
    b0: &Backing,
    h0: &mut Handle,
    p0: &Probe,
    opts: &OpenOptions,
    warnings: &mut Vec<String>,
) -> Result<(Layout, Option<Explicit>)> {
    let first = &p0.first;
    let mut texts: Vec<String> = first.descriptions.clone();
    if let Some(s) = &first.software {
        texts.push(s.clone());
    }
    if let Some(t) = scanimage_header_text(h0, &p0.header) {
        texts.push(t);
    }
    let ome_xml = texts.iter().find(|t| t.contains("<OME")).cloned();
    let mut layout = None;
    let mut explicit = None;
    if let Some(xml) = ome_xml {
        if let Some((l, ex)) = resolve_ome(b0, &xml, warnings)? {
            layout = Some(l);
            explicit = ex;
        }
    }
    if layout.is_none() {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        layout = meta::scanimage(&refs);
    }
    if layout.is_none() {
        layout = texts.iter().find_map(|t| meta::imagej(t));
    }
    let mut layout = layout.unwrap_or_else(Layout::plain);
    if layout.kind != MetadataKind::Ome {
        // ScanImage states the z step only; the resolution tags may state the pixel size.
        let page = voxel::from_page(&first.descriptions, first.resolution.as_ref());
        layout.voxel = page.with_z_of(&layout.voxel);
    }
    if opts.planes.is_some() || opts.channels.is_some() {
        let p = opts.planes.unwrap_or(1).max(1);
        let c = opts.channels.unwrap_or(1).max(1);
        layout = Layout {
            planes: p,
            z_in_file: p,
            page_channels: c,
            claimed_frames: None,
            claimed_pages: None,
            order: [Axis::T, Axis::Z, Axis::C],
            ..layout
        };
        explicit = None;
    }
    Ok((layout, explicit))
}

/// Each input file after the first with the voxel size its own metadata states (found as the
/// first file's, by [`find_layout`]); empty for an OME set, whose metadata states one size.
pub(super) type FileVoxels = Vec<(PathBuf, voxel::VoxelSize)>;

/// The files of the movie: the OME set if the metadata named one, else the inputs; every file
/// after the first is probed and must have the first page's format.
pub(super) fn file_entries(
    backings: &[Backing],
    explicit: Option<&Explicit>,
    p0: &Probe,
    path0: &Path,
    warnings: &mut Vec<String>,
) -> Result<(Vec<FileEntry>, FileVoxels)> {
    let first = &p0.first;
    let mut entries: Vec<FileEntry> = Vec::new();
    let mut voxels = FileVoxels::new();
    let set: Vec<Backing> = match explicit {
        Some(ex) => {
            if backings.len() > 1 {
                warnings.push(format!(
                    "the OME metadata of {} defines the file set; the other {} input files are not read separately",
                    path0.display(),
                    backings.len() - 1
                ));
            }
            ex.files.clone()
        }
        None => backings.to_vec(),
    };
    for (i, b) in set.iter().enumerate() {
        if i == 0 && b.name() == path0 {
            entries.push(FileEntry {
                backing: b.clone(),
                header: p0.header,
                ifds: p0.ifds.clone(),
                raw: None,
            });
            continue;
        }
        let (mut h, p) = probe(b, warnings)?;
        if !same_format(&p.first, first) {
            return Err(TiffError::Inconsistent {
                path: b.name(),
                detail: format!(
                    "{} but {} has {}",
                    format_text(&p.first),
                    path0.display(),
                    format_text(first)
                ),
            });
        }
        if explicit.is_none() {
            // Only the size matters here: the first file's metadata gives the layout.
            let (l, _) = find_layout(b, &mut h, &p, &OpenOptions::default(), &mut Vec::new())?;
            voxels.push((b.name(), l.voxel));
        }
        entries.push(FileEntry {
            backing: b.clone(),
            header: p.header,
            ifds: p.ifds,
            raw: None,
        });
    }
    Ok((entries, voxels))
}

/// ImageJ files over 4 GB keep one IFD and store the other frames contiguously after the first:
/// such a file long enough (`file_len`) for the frames its metadata claims gets a [`RawRun`].
pub(super) fn imagej_raw_run(
    entries: &mut [FileEntry],
    layout: &Layout,
    first: &Ifd,
    file_len: u64,
) {
    let (Some(claimed), 1, MetadataKind::ImageJ) =
        (layout.claimed_pages, entries.len(), &layout.kind)
    else {
        return;
    };
    let e = &mut entries[0];
    if e.ifds.len() == 1 && claimed > 1 && first.compression == 1 && first.offsets.len() == 1 {
        let fb = (first.width as u64)
            .saturating_mul(first.height as u64)
            .saturating_mul(first.samples_per_pixel as u64)
            .saturating_mul(first.bits_per_sample as u64 / 8);
        let need = first.offsets[0].saturating_add(fb.saturating_mul(claimed as u64));
        if need <= file_len {
            e.raw = Some(RawRun {
                data_offset: first.offsets[0],
                frame_bytes: fb,
                count: claimed,
            });
        }
    }
}

/// Pages of the movie. In a tifffile "shaped" file only the first series counts when the page
/// after it has another format (frame-by-frame writes make one series per page: those stay one
/// movie); the later pages are dropped from `entries` with a warning.
pub(super) fn first_series_pages(
    entries: &mut [FileEntry],
    h0: &mut Handle,
    p0: &Probe,
    path0: &Path,
    warnings: &mut Vec<String>,
) -> usize {
    let total_pages: usize = entries.iter().map(FileEntry::pages).sum();
    let first = &p0.first;
    let Some(n) = shaped_series_pages(first) else {
        return total_pages;
    };
    let next_differs = n < total_pages
        && entries.len() == 1
        && !matches!(entries[0].ifds.get(n).map(|&o| read_ifd(h0, p0.header, o)), Some(Ok(ref i)) if same_format(i, first));
    if !next_differs {
        return total_pages;
    }
    warnings.push(format!(
        "{}: first series has {} of {} pages; later series are ignored",
        path0.display(),
        n,
        total_pages
    ));
    entries[0].ifds.truncate(n);
    n
}

/// Refuses frames too large to decode, or too large to come from a file of `file_len` bytes
/// (a corrupt header), before anything is allocated for them.
pub(super) fn check_frame_size(first: &Ifd, file_len: u64, path0: &Path) -> Result<()> {
    let frame_bytes = (first.width as u64)
        .saturating_mul(first.height as u64)
        .saturating_mul(first.samples_per_pixel as u64)
        .saturating_mul((first.bits_per_sample as u64 / 8).max(1));
    if frame_bytes > 1 << 34 {
        return Err(TiffError::Unsupported {
            path: path0.to_path_buf(),
            detail: format!("frame of {} bytes is too large", frame_bytes),
        });
    }
    if frame_bytes > file_len.saturating_mul(4096) + (1 << 20) {
        return Err(TiffError::Corrupt {
            path: path0.to_path_buf(),
            detail: format!(
                "a {}-byte frame cannot come from a {}-byte file",
                frame_bytes, file_len
            ),
        });
    }
    Ok(())
}

/// Cumulative page counts of the files (the page map's `cum`).
fn cumulative_pages(entries: &[FileEntry]) -> Vec<usize> {
    entries
        .iter()
        .scan(0, |acc, e| {
            *acc += e.pages();
            Some(*acc)
        })
        .collect()
}

/// Where each (frame, plane, channel) is, and the frame count: the OME table, else the layout's
/// interleaving over the concatenated pages (trusting the pages over the metadata's claims).
/// Metadata that leaves not even one volume falls back to every page a frame (`layout` becomes
/// plain, keeping its kind and version).
///
/// # Errors
/// [`TiffError::Inconsistent`] when the pages hold no complete volume.
pub(super) fn page_map(
    layout: &mut Layout,
    explicit: Option<Explicit>,
    entries: &[FileEntry],
    total_pages: usize,
    path0: &Path,
    warnings: &mut Vec<String>,
) -> Result<(PageMap, usize)> {
    let planes = layout.planes.max(1);
    let (map, frames) = match explicit {
        Some(ex) => {
            let frames = ex.frames;
            (PageMap::Explicit { table: ex.table }, frames)
        }
        None => {
            let per_volume = layout
                .z_in_file
                .max(1)
                .saturating_mul(layout.page_channels.max(1));
            let mut frames = total_pages / per_volume;
            if let Some(claimed) = layout
                .claimed_frames
                .or(layout.claimed_pages.map(|p| p / per_volume))
            {
                if claimed > frames {
                    warnings.push(format!(
                        "{}: metadata claims {} frames but the file holds {} pages ({} frames); reading {} frames",
                        path0.display(), claimed, total_pages, frames, frames
                    ));
                } else if claimed < frames && claimed > 0 {
                    frames = claimed;
                }
            }
            let used = frames.saturating_mul(per_volume);
            if used < total_pages && layout.claimed_frames.is_none() {
                warnings.push(format!(
                    "{}: {} trailing pages do not fill a volume and are ignored",
                    path0.display(),
                    total_pages - used
                ));
            }
            (
                PageMap::Regular {
                    order: layout.order,
                    z_in_file: layout.z_in_file.max(1),
                    page_channels: layout.page_channels.max(1),
                    frames,
                    cum: cumulative_pages(entries),
                },
                frames,
            )
        }
    };
    let (map, frames) = if frames == 0
        && total_pages > 0
        && !matches!(layout.kind, MetadataKind::Plain)
    {
        warnings.push(format!(
            "{}: metadata describes {} planes x {} channels per volume but the file holds {} pages; reading every page as a frame",
            path0.display(), planes, layout.page_channels, total_pages
        ));
        *layout = Layout {
            kind: layout.kind.clone(),
            version: layout.version.clone(),
            voxel: layout.voxel.clone(),
            ..Layout::plain()
        };
        (
            PageMap::Regular {
                order: layout.order,
                z_in_file: 1,
                page_channels: 1,
                frames: total_pages,
                cum: cumulative_pages(entries),
            },
            total_pages,
        )
    } else {
        (map, frames)
    };
    if frames == 0 {
        return Err(TiffError::Inconsistent {
            path: path0.to_path_buf(),
            detail: format!(
                "{} pages do not hold one complete volume of {} planes x {} channels",
                total_pages,
                layout.planes.max(1),
                layout.page_channels
            ),
        });
    }
    Ok((map, frames))
}

/// What `info` prints about the opened movie.
pub(super) fn source_info(
    entries: &[FileEntry],
    p0: &Probe,
    layout: &Layout,
    frames: usize,
    total_pages: usize,
    warnings: Vec<String>,
) -> SourceInfo {
    let first = &p0.first;
    let spp = first.samples_per_pixel as usize;
    let dtype = super::super::decode::SampleType {
        format: if first.sample_format == 4 {
            1
        } else {
            first.sample_format
        },
        bits: first.bits_per_sample,
    }
    .name()
    .unwrap_or("unknown")
    .to_string();
    SourceInfo {
        files: entries
            .iter()
            .map(|e| e.backing.name())
            .collect::<Vec<PathBuf>>(),
        width: first.width as usize,
        height: first.height as usize,
        planes: layout.planes.max(1),
        channels: layout.page_channels.max(1) * spp,
        frames,
        dtype,
        bigtiff: p0.header.bigtiff,
        byte_order: p0.header.order,
        compression: super::super::decode::compression_name(first.compression).to_string(),
        tiled: matches!(first.chunking, Chunking::Tiles { .. }),
        samples_per_pixel: spp,
        metadata: layout.kind.clone(),
        metadata_version: layout.version.clone(),
        frame_rate_hz: layout.rate_hz,
        voxel_size: layout.voxel.clone(),
        pages: total_pages,
        warnings,
    }
}
