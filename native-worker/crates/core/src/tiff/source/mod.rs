//! `Source`: an opened movie (one or more TIFF files) with its interpreted layout, and
//! `FrameReader`: streaming access to frames of one plane and channel.
//!
//! Contract: opening reads headers, IFD chains and metadata only (two small reads per page);
//! pixel data is read frame by frame, so memory is bounded by one batch of frames.
//!
//! `probe.rs` looks at one file, `open.rs` holds the steps of opening (layout, files, page map),
//! `ome_set.rs` resolves OME-TIFF file sets, `voxel_agreement.rs` the voxel size of several files,
//! and `reader.rs` decodes frames.

mod ome_set;
mod open;
mod probe;
mod reader;
mod voxel_agreement;

pub use self::reader::{Batches, FrameBatch, FrameReader};

use super::error::Result;
use super::handle::Backing;
use super::header::{ByteOrder, Header};
use super::ifd::Ifd;
use super::meta::{Axis, MetadataKind};
use super::voxel::VoxelSize;
use crate::Movie;
use serde::Serialize;
use std::path::PathBuf;
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
    /// Pixel size (x, y) and plane step (z) the metadata states, each `null` when it does not.
    pub voxel_size: VoxelSize,
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

impl Source {
    /// Opens files and/or folders (folders: TIFF files in natural name order).
    ///
    /// # Errors
    /// One-line [`TiffError`](super::TiffError)s for missing, empty, truncated, non-TIFF or
    /// inconsistent inputs.
    pub fn open(inputs: &[PathBuf], opts: &OpenOptions) -> Result<Source> {
        let files = super::inputs::expand(inputs)?;
        let backings = files.into_iter().map(Backing::Path).collect();
        Self::open_backings(backings, opts)
    }

    /// Opens one in-memory TIFF (fuzzing and tests).
    pub fn from_bytes(bytes: Vec<u8>, opts: &OpenOptions) -> Result<Source> {
        Self::open_backings(vec![Backing::Memory(Arc::new(bytes))], opts)
    }

    /// The steps of `open.rs`, in order, over the first file's probe.
    fn open_backings(backings: Vec<Backing>, opts: &OpenOptions) -> Result<Source> {
        let mut warnings = Vec::new();
        let (mut h0, p0) = probe::probe(&backings[0], &mut warnings)?;
        let path0 = backings[0].name();
        let (mut layout, explicit) =
            open::find_layout(&backings[0], &mut h0, &p0, opts, &mut warnings)?;
        let (mut entries, voxels) =
            open::file_entries(&backings, explicit.as_ref(), &p0, &path0, &mut warnings)?;
        if !voxels.is_empty() {
            let first = (path0.clone(), std::mem::take(&mut layout.voxel));
            let all: Vec<_> = std::iter::once(first).chain(voxels).collect();
            layout.voxel = voxel_agreement::agreed(&all, &mut warnings);
        }
        open::imagej_raw_run(&mut entries, &layout, &p0.first, h0.len());
        if entries.len() > 1 && explicit.is_none() {
            // Metadata of the first file describes that file only; the set is as long as its pages.
            layout.claimed_frames = None;
            layout.claimed_pages = None;
        }
        let total_pages =
            open::first_series_pages(&mut entries, &mut h0, &p0, &path0, &mut warnings);
        open::check_frame_size(&p0.first, h0.len(), &path0)?;
        let (map, frames) = open::page_map(
            &mut layout,
            explicit,
            &entries,
            total_pages,
            &path0,
            &mut warnings,
        )?;
        let info = open::source_info(&entries, &p0, &layout, frames, total_pages, warnings);
        Ok(Source {
            inner: Arc::new(Inner {
                files: entries,
                info,
                first: p0.first,
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
