//! `Source`: an opened movie (one or more TIFF files) with its interpreted layout, and
//! `FrameReader`: streaming access to frames of one plane and channel.
//!
//! Contract: opening reads headers, IFD chains and metadata only (two small reads per page);
//! pixel data is read frame by frame, so memory is bounded by one batch of frames.

use super::error::{Result, TiffError};
use super::handle::{Backing, Handle};
use super::ifd::{read_header, read_ifd, walk_chain, ByteOrder, Chunking, Header, Ifd};
use super::meta::{self, Axis, Layout, MetadataKind};
use super::ome::{self, FileRef, Ome};
use super::page::{check_supported, read_page};
use crate::Movie;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Caller overrides of the interleaving found in the metadata.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Pages are `planes` interleaved Z planes (t0z0, t0z1, ..., t1z0 ...).
    pub planes: Option<usize>,
    /// Pages are `channels` interleaved channels (innermost).
    pub channels: Option<usize>,
}

/// What the reader sees; printed by `scopecloud-worker info`.
#[derive(Clone, Debug, Serialize)]
pub struct SourceInfo {
    pub files: Vec<PathBuf>,
    pub width: usize,
    pub height: usize,
    pub planes: usize,
    pub channels: usize,
    pub frames: usize,
    /// numpy-style sample type of the stored data (`uint16`, `int16`, `float32` ...).
    pub dtype: String,
    pub bigtiff: bool,
    pub byte_order: ByteOrder,
    /// Compression of the first page (`none`, `lzw`, `deflate`, `packbits`).
    pub compression: String,
    pub tiled: bool,
    pub samples_per_pixel: usize,
    pub metadata: MetadataKind,
    pub metadata_version: Option<String>,
    /// Frames per second of each plane, from ScanImage/ImageJ/OME metadata when present.
    pub frame_rate_hz: Option<f64>,
    /// Pages found by walking the IFD chains of all files.
    pub pages: usize,
    /// Recoverable problems (metadata disagreeing with the file, ignored pages ...).
    pub warnings: Vec<String>,
}

/// Pixel data past the single IFD of an ImageJ file larger than 4 GB (ImageJ writes one IFD and
/// the remaining frames contiguously after the first).
#[derive(Clone, Debug)]
struct RawRun {
    data_offset: u64,
    frame_bytes: u64,
    count: usize,
}

#[derive(Clone, Debug)]
struct FileEntry {
    backing: Backing,
    header: Header,
    ifds: Vec<u64>,
    raw: Option<RawRun>,
}

impl FileEntry {
    fn pages(&self) -> usize {
        self.raw.as_ref().map_or(self.ifds.len(), |r| r.count)
    }
}

#[derive(Clone, Debug)]
enum PageMap {
    /// Pages of all files concatenated; `order` slowest to fastest with sizes from the layout.
    Regular {
        order: [Axis; 3],
        z_in_file: usize,
        page_channels: usize,
        frames: usize,
        cum: Vec<usize>,
    },
    /// OME: `table[(t * planes + z) * page_channels + c]` = (file, IFD index).
    Explicit { table: Vec<Option<(u32, u32)>> },
}

#[derive(Debug)]
struct Inner {
    files: Vec<FileEntry>,
    info: SourceInfo,
    first: Ifd,
    page_channels: usize,
    map: PageMap,
}

/// An opened input movie. Cheap to clone; each thread makes its own [`FrameReader`].
#[derive(Clone, Debug)]
pub struct Source {
    inner: Arc<Inner>,
}

struct Probe {
    header: Header,
    ifds: Vec<u64>,
    first: Ifd,
}

fn probe(b: &Backing, warnings: &mut Vec<String>) -> Result<(Handle, Probe)> {
    let mut h = b.open()?;
    let header = read_header(&mut h)?;
    let mut ifds = walk_chain(&mut h, &header, warnings)?;
    let first = read_ifd(&mut h, header, ifds[0])?;
    check_supported(&first, &h)?;
    // Trailing pages of another size (previews, thumbnails, masks) are dropped, not read as
    // frames; pages of another size in the middle are reported when read.
    while ifds.len() > 1 {
        let last = *ifds.last().unwrap_or(&0);
        let keep = matches!(read_ifd(&mut h, header, last), Ok(l) if same_format(&l, &first));
        if keep {
            break;
        }
        ifds.pop();
        warnings.push(format!(
            "{}: last page differs from the first (preview or corrupt page); ignored",
            h.path().display()
        ));
    }
    Ok((
        h,
        Probe {
            header,
            ifds,
            first,
        },
    ))
}

/// Frame-invariant ScanImage text stored after the header of SI 2016+ files.
fn scanimage_header_text(h: &mut Handle, hd: &Header) -> Option<String> {
    let at = if hd.bigtiff { 16 } else { 8 };
    let mut b = [0u8; 16];
    h.read_at(at, &mut b, "ScanImage header").ok()?;
    if hd.order.u32(&b[0..4]) != 117_637_889 {
        return None;
    }
    let len = hd.order.u32(&b[8..12]) as u64;
    if len > 64 << 20 {
        return None;
    }
    let v = h.read_vec(at + 16, len, "ScanImage metadata").ok()?;
    Some(String::from_utf8_lossy(&v).into_owned())
}

/// Pages in the first series of a tifffile "shaped" file (`{"shape": [...]}` description).
fn shaped_series_pages(first: &Ifd) -> Option<usize> {
    let d = first.descriptions.first()?;
    if !d.starts_with("{\"shape\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(d).ok()?;
    let mut n: u128 = 1;
    for x in v.get("shape")?.as_array()? {
        n = n.checked_mul(x.as_u64()? as u128)?;
    }
    let per_page = first.width as u128 * first.height as u128 * first.samples_per_pixel as u128;
    usize::try_from(n / per_page).ok().filter(|&p| p > 0)
}

fn same_format(a: &Ifd, b: &Ifd) -> bool {
    a.width == b.width
        && a.height == b.height
        && a.samples_per_pixel == b.samples_per_pixel
        && a.bits_per_sample == b.bits_per_sample
        && (a.sample_format == b.sample_format
            || a.sample_format.max(b.sample_format) == 4
                && a.sample_format.min(b.sample_format) == 1)
}

fn format_text(i: &Ifd) -> String {
    format!(
        "{}x{} pixels, {} samples of {} bits (format {})",
        i.width, i.height, i.samples_per_pixel, i.bits_per_sample, i.sample_format
    )
}

impl Source {
    /// Opens files and/or folders (folders: TIFF files in natural name order).
    ///
    /// # Errors
    /// One-line [`TiffError`]s for missing, empty, truncated, non-TIFF or inconsistent inputs.
    pub fn open(inputs: &[PathBuf], opts: &OpenOptions) -> Result<Source> {
        let files = super::inputs::expand(inputs)?;
        let backings = files.into_iter().map(Backing::Path).collect();
        Self::open_backings(backings, opts)
    }

    /// Opens one in-memory TIFF (fuzzing and tests).
    pub fn from_bytes(bytes: Vec<u8>, opts: &OpenOptions) -> Result<Source> {
        Self::open_backings(vec![Backing::Memory(Arc::new(bytes))], opts)
    }

    fn open_backings(backings: Vec<Backing>, opts: &OpenOptions) -> Result<Source> {
        let mut warnings = Vec::new();
        let (mut h0, p0) = probe(&backings[0], &mut warnings)?;
        let path0 = backings[0].name();
        let first = p0.first.clone();
        let mut texts: Vec<String> = first.descriptions.clone();
        if let Some(s) = &first.software {
            texts.push(s.clone());
        }
        if let Some(t) = scanimage_header_text(&mut h0, &p0.header) {
            texts.push(t);
        }
        let ome_xml = texts.iter().find(|t| t.contains("<OME")).cloned();
        let mut layout = None;
        let mut explicit = None;
        if let Some(xml) = ome_xml {
            if let Some((l, ex)) = resolve_ome(&backings[0], &xml, &mut warnings)? {
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

        // Files of the movie: the OME set if the metadata named one, else the inputs.
        let mut entries: Vec<FileEntry> = Vec::new();
        let set: Vec<Backing> = match &explicit {
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
            None => backings.clone(),
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
            let (_, p) = probe(b, &mut warnings)?;
            if !same_format(&p.first, &first) {
                return Err(TiffError::Inconsistent {
                    path: b.name(),
                    detail: format!(
                        "{} but {} has {}",
                        format_text(&p.first),
                        path0.display(),
                        format_text(&first)
                    ),
                });
            }
            entries.push(FileEntry {
                backing: b.clone(),
                header: p.header,
                ifds: p.ifds,
                raw: None,
            });
        }

        // ImageJ files over 4 GB keep one IFD and store the other frames contiguously.
        if let (Some(claimed), 1, MetadataKind::ImageJ) =
            (layout.claimed_pages, entries.len(), &layout.kind)
        {
            let e = &mut entries[0];
            if e.ifds.len() == 1
                && claimed > 1
                && first.compression == 1
                && first.offsets.len() == 1
            {
                let fb = (first.width as u64)
                    .saturating_mul(first.height as u64)
                    .saturating_mul(first.samples_per_pixel as u64)
                    .saturating_mul(first.bits_per_sample as u64 / 8);
                let need = first.offsets[0].saturating_add(fb.saturating_mul(claimed as u64));
                if need <= h0.len() {
                    e.raw = Some(RawRun {
                        data_offset: first.offsets[0],
                        frame_bytes: fb,
                        count: claimed,
                    });
                }
            }
        }

        if entries.len() > 1 && explicit.is_none() {
            // Metadata of the first file describes that file only; the set is as long as its pages.
            layout.claimed_frames = None;
            layout.claimed_pages = None;
        }
        let mut total_pages: usize = entries.iter().map(FileEntry::pages).sum();
        if let Some(n) = shaped_series_pages(&first) {
            // Frame-by-frame writes make one series per page: those stay one movie. Only a
            // series of another page format ends the movie.
            let next_differs = n < total_pages
                && entries.len() == 1
                && !matches!(entries[0].ifds.get(n).map(|&o| read_ifd(&mut h0, p0.header, o)), Some(Ok(ref i)) if same_format(i, &first));
            if next_differs {
                warnings.push(format!(
                    "{}: first series has {} of {} pages; later series are ignored",
                    path0.display(),
                    n,
                    total_pages
                ));
                entries[0].ifds.truncate(n);
                total_pages = n;
            }
        }
        let spp = first.samples_per_pixel as usize;
        let frame_bytes = (first.width as u64)
            .saturating_mul(first.height as u64)
            .saturating_mul(spp as u64)
            .saturating_mul((first.bits_per_sample as u64 / 8).max(1));
        if frame_bytes > 1 << 34 {
            return Err(TiffError::Unsupported {
                path: path0,
                detail: format!("frame of {} bytes is too large", frame_bytes),
            });
        }
        if frame_bytes > h0.len().saturating_mul(4096) + (1 << 20) {
            return Err(TiffError::Corrupt {
                path: path0,
                detail: format!(
                    "a {}-byte frame cannot come from a {}-byte file",
                    frame_bytes,
                    h0.len()
                ),
            });
        }

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
                let cum = entries
                    .iter()
                    .scan(0, |acc, e| {
                        *acc += e.pages();
                        Some(*acc)
                    })
                    .collect();
                (
                    PageMap::Regular {
                        order: layout.order,
                        z_in_file: layout.z_in_file.max(1),
                        page_channels: layout.page_channels.max(1),
                        frames,
                        cum,
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
            layout = Layout {
                kind: layout.kind.clone(),
                version: layout.version.clone(),
                ..Layout::plain()
            };
            let cum = entries
                .iter()
                .scan(0, |acc, e| {
                    *acc += e.pages();
                    Some(*acc)
                })
                .collect();
            (
                PageMap::Regular {
                    order: layout.order,
                    z_in_file: 1,
                    page_channels: 1,
                    frames: total_pages,
                    cum,
                },
                total_pages,
            )
        } else {
            (map, frames)
        };
        let planes = layout.planes.max(1);
        if frames == 0 {
            return Err(TiffError::Inconsistent {
                path: path0,
                detail: format!(
                    "{} pages do not hold one complete volume of {} planes x {} channels",
                    total_pages, planes, layout.page_channels
                ),
            });
        }
        let dtype = super::decode::SampleType {
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
        let info = SourceInfo {
            files: entries.iter().map(|e| e.backing.name()).collect(),
            width: first.width as usize,
            height: first.height as usize,
            planes,
            channels: layout.page_channels.max(1) * spp,
            frames,
            dtype,
            bigtiff: p0.header.bigtiff,
            byte_order: p0.header.order,
            compression: super::decode::compression_name(first.compression).to_string(),
            tiled: matches!(first.chunking, Chunking::Tiles { .. }),
            samples_per_pixel: spp,
            metadata: layout.kind.clone(),
            metadata_version: layout.version.clone(),
            frame_rate_hz: layout.rate_hz,
            pages: total_pages,
            warnings,
        };
        Ok(Source {
            inner: Arc::new(Inner {
                files: entries,
                info,
                first,
                page_channels: layout.page_channels.max(1),
                map,
            }),
        })
    }

    /// Dimensions, type and metadata as seen by the reader.
    pub fn info(&self) -> &SourceInfo {
        &self.inner.info
    }

    /// A new independent reader (own file handles); use one per thread.
    pub fn reader(&self) -> FrameReader {
        FrameReader {
            inner: self.inner.clone(),
            open: None,
        }
    }

    /// Reads all frames of one plane and channel into memory (bounded by that plane's size).
    pub fn read_plane(&self, plane: usize, channel: usize) -> Result<Movie> {
        let i = self.info();
        let mut m = Movie::new(i.frames, i.height, i.width);
        let mut r = self.reader();
        for t in 0..i.frames {
            r.read_frame(plane, channel, t, m.frame_mut(t))?;
        }
        Ok(m)
    }
}

/// Result of resolving an OME block: layout plus, for explicit mappings, the file set.
struct Explicit {
    files: Vec<Backing>,
    table: Vec<Option<(u32, u32)>>,
    frames: usize,
}

fn sibling_with_uuid(dir: &Path, uuid: &str) -> Option<PathBuf> {
    let list = super::inputs::list_folder(dir).ok()?;
    list.into_iter().find(|p| {
        let mut w = Vec::new();
        let Ok((_, pr)) = probe(&Backing::Path(p.clone()), &mut w) else {
            return false;
        };
        pr.first
            .descriptions
            .iter()
            .any(|d| d.contains("<OME") && ome::root_uuid(d).as_deref() == Some(uuid))
    })
}

fn resolve_file(dir: &Path, name: Option<&str>, uuid: Option<&str>) -> Option<PathBuf> {
    if let Some(n) = name {
        let p = dir.join(n);
        if p.is_file() {
            return Some(p);
        }
    }
    uuid.and_then(|u| sibling_with_uuid(dir, u))
}

fn resolve_ome(
    b: &Backing,
    xml: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<(Layout, Option<Explicit>)>> {
    let name = b.name();
    let dir = name.parent().map(Path::to_path_buf).unwrap_or_default();
    let parsed = match ome::parse(xml, None) {
        Some(p) => p,
        None => {
            warnings.push(format!(
                "{}: OME-XML not understood; pages read in file order",
                name.display()
            ));
            return Ok(None);
        }
    };
    let (size_z, size_c, size_t, images, planes, rate_hz) = match parsed {
        Ome::Image {
            size_z,
            size_c,
            size_t,
            images,
            planes,
            time_increment_s,
        } => (
            size_z,
            size_c,
            size_t,
            images,
            planes,
            time_increment_s.map(|s| 1.0 / s),
        ),
        Ome::BinaryOnly {
            metadata_file,
            uuid,
        } => {
            let found = match &b {
                Backing::Path(_) => resolve_file(&dir, Some(&metadata_file), uuid.as_deref()),
                Backing::Memory(_) => None,
            };
            let Some(master) = found else {
                warnings.push(format!(
                    "{}: OME metadata file {} not found; reading this file alone",
                    name.display(),
                    metadata_file
                ));
                return Ok(None);
            };
            let text = if super::inputs::is_tiff_name(&master) {
                let mut w = Vec::new();
                let (_, p) = probe(&Backing::Path(master.clone()), &mut w)?;
                p.first
                    .descriptions
                    .into_iter()
                    .find(|d| d.contains("<OME"))
                    .unwrap_or_default()
            } else {
                let meta = std::fs::metadata(&master).map_err(|e| TiffError::Io {
                    path: master.clone(),
                    source: e,
                })?;
                if meta.len() > 256 << 20 {
                    return Ok(None);
                }
                std::fs::read_to_string(&master).map_err(|e| TiffError::Io {
                    path: master.clone(),
                    source: e,
                })?
            };
            if text.contains("BinaryOnly") {
                return Ok(None);
            }
            return resolve_ome(&Backing::Path(master), &text, warnings);
        }
    };
    if images > 1 {
        warnings.push(format!(
            "{}: OME describes {} images (positions/series); reading the first",
            name.display(),
            images
        ));
    }
    let layout = Layout {
        kind: MetadataKind::Ome,
        version: None,
        planes: size_z,
        z_in_file: size_z,
        page_channels: size_c,
        claimed_frames: Some(size_t),
        claimed_pages: None,
        order: [Axis::T, Axis::Z, Axis::C],
        rate_hz,
    };
    let mut files: Vec<Backing> = vec![b.clone()];
    let mut table = vec![None; size_t * size_z * size_c];
    for p in &planes {
        let fi = match &p.file {
            FileRef::This => 0,
            FileRef::Other { name: fname, uuid } => {
                let resolved = resolve_file(&dir, fname.as_deref(), uuid.as_deref());
                // Renamed single-file stacks (e.g. a prefix added to a Micro-Manager file) still
                // name their old file name: a name that ends this file's name means this file.
                let this_name = name
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if resolved.is_none()
                    && fname
                        .as_deref()
                        .is_some_and(|f| !f.is_empty() && this_name.ends_with(f))
                {
                    0
                } else {
                    let Some(path) = resolved else {
                        return Err(TiffError::Inconsistent {
                            path: name.clone(),
                            detail: format!(
                                "OME file set names {} (UUID {}), which is not in {}",
                                fname.as_deref().unwrap_or("?"),
                                uuid.as_deref().unwrap_or("?"),
                                dir.display()
                            ),
                        });
                    };
                    match files.iter().position(|f| f.name() == path) {
                        Some(i) => i,
                        None => {
                            files.push(Backing::Path(path));
                            files.len() - 1
                        }
                    }
                }
            }
        };
        let idx = (p.t * size_z + p.z) * size_c + p.c;
        if let Some(slot) = table.get_mut(idx) {
            *slot = Some((fi as u32, p.ifd.min(u32::MAX as usize) as u32));
        }
    }
    let missing = table.iter().filter(|s| s.is_none()).count();
    if missing > 0 {
        warnings.push(format!(
            "{}: {} planes are not mapped to any IFD and read as zeros",
            name.display(),
            missing
        ));
    }
    Ok(Some((
        layout,
        Some(Explicit {
            files,
            table,
            frames: size_t,
        }),
    )))
}

/// Streaming access to frames. Not shared between threads; make one per thread with
/// [`Source::reader`].
pub struct FrameReader {
    inner: Arc<Inner>,
    open: Option<(usize, Handle)>,
}

/// A batch of consecutive frames of one plane and channel, row-major `[frame][y][x]`.
#[derive(Clone, Debug)]
pub struct FrameBatch {
    /// Index of the first frame in the batch.
    pub start: usize,
    pub frames: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f32>,
}

impl FrameReader {
    /// Movie description.
    pub fn info(&self) -> &SourceInfo {
        &self.inner.info
    }

    /// (file, page in file, sample) of a frame, or `None` for planes OME leaves unmapped.
    fn locate(
        &self,
        plane: usize,
        channel: usize,
        t: usize,
    ) -> Result<Option<(usize, usize, usize)>> {
        let i = &self.inner.info;
        if plane >= i.planes || channel >= i.channels || t >= i.frames {
            return Err(TiffError::OutOfRange {
                detail: format!("plane {} channel {} frame {} of a movie with {} planes, {} channels, {} frames", plane, channel, t, i.planes, i.channels, i.frames),
            });
        }
        let spp = i.samples_per_pixel;
        let (pc, sample) = (channel / spp, channel % spp);
        match &self.inner.map {
            PageMap::Explicit { table } => {
                let idx = (t * i.planes + plane) * self.inner.page_channels + pc;
                Ok(table
                    .get(idx)
                    .copied()
                    .flatten()
                    .map(|(f, p)| (f as usize, p as usize, sample)))
            }
            PageMap::Regular {
                order,
                z_in_file,
                page_channels,
                frames,
                cum,
            } => {
                let mut g = 0usize;
                for a in order {
                    let (size, v) = match a {
                        Axis::T => (*frames, t),
                        Axis::Z => (*z_in_file, plane),
                        Axis::C => (*page_channels, pc),
                    };
                    g = g * size + v;
                }
                let f = cum.partition_point(|&c| c <= g);
                if f >= cum.len() {
                    return Err(TiffError::OutOfRange {
                        detail: format!("page {} past the last page", g),
                    });
                }
                let local = g - if f == 0 { 0 } else { cum[f - 1] };
                Ok(Some((f, local, sample)))
            }
        }
    }

    fn handle(&mut self, f: usize) -> Result<&mut Handle> {
        if self.open.as_ref().is_none_or(|(i, _)| *i != f) {
            let h = self.inner.files[f].backing.open()?;
            self.open = Some((f, h));
        }
        Ok(&mut self.open.as_mut().expect("handle was just opened").1)
    }

    /// Decodes one frame into `out` (`height * width` values).
    pub fn read_frame(
        &mut self,
        plane: usize,
        channel: usize,
        t: usize,
        out: &mut [f32],
    ) -> Result<()> {
        let Some((f, page, sample)) = self.locate(plane, channel, t)? else {
            out.iter_mut().for_each(|v| *v = 0.0);
            return Ok(());
        };
        let inner = self.inner.clone();
        let entry = &inner.files[f];
        let hd = entry.header;
        let h = self.handle(f)?;
        let ifd = if let Some(raw) = entry.raw.as_ref().filter(|_| page > 0) {
            let mut i = inner.first.clone();
            i.offsets = vec![raw.data_offset + raw.frame_bytes * page as u64];
            i.byte_counts = vec![raw.frame_bytes];
            i.chunking = Chunking::Strips {
                rows_per_strip: i.height,
            };
            i
        } else {
            let off = *entry
                .ifds
                .get(page)
                .ok_or_else(|| TiffError::Inconsistent {
                    path: entry.backing.name(),
                    detail: format!(
                        "page {} requested but the file has {} IFDs",
                        page,
                        entry.ifds.len()
                    ),
                })?;
            read_ifd(h, hd, off)?
        };
        if !same_format(&ifd, &inner.first) {
            return Err(TiffError::Inconsistent {
                path: entry.backing.name(),
                detail: format!(
                    "page {} has {} but the first page has {}",
                    page,
                    format_text(&ifd),
                    format_text(&inner.first)
                ),
            });
        }
        read_page(h, hd.order, &ifd, sample, out)
    }

    /// Iterates over frames `[0, frames)` of one plane and channel in batches of `batch` frames.
    pub fn batches(&mut self, plane: usize, channel: usize, batch: usize) -> Batches<'_> {
        let end = self.inner.info.frames;
        Batches {
            reader: self,
            plane,
            channel,
            next: 0,
            end,
            batch: batch.max(1),
        }
    }

    /// Like [`FrameReader::batches`] over frames `[start, end)`.
    pub fn batches_range(
        &mut self,
        plane: usize,
        channel: usize,
        start: usize,
        end: usize,
        batch: usize,
    ) -> Batches<'_> {
        let end = end.min(self.inner.info.frames);
        Batches {
            reader: self,
            plane,
            channel,
            next: start.min(end),
            end,
            batch: batch.max(1),
        }
    }
}

/// Iterator of [`FrameBatch`]es; see [`FrameReader::batches`].
pub struct Batches<'a> {
    reader: &'a mut FrameReader,
    plane: usize,
    channel: usize,
    next: usize,
    end: usize,
    batch: usize,
}

impl Iterator for Batches<'_> {
    type Item = Result<FrameBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let (h, w) = (self.reader.info().height, self.reader.info().width);
        let n = self.batch.min(self.end - self.next);
        let mut data = vec![0f32; n * h * w];
        for k in 0..n {
            if let Err(e) = self.reader.read_frame(
                self.plane,
                self.channel,
                self.next + k,
                &mut data[k * h * w..(k + 1) * h * w],
            ) {
                self.next = self.end;
                return Some(Err(e));
            }
        }
        let b = FrameBatch {
            start: self.next,
            frames: n,
            height: h,
            width: w,
            data,
        };
        self.next += n;
        Some(Ok(b))
    }
}
