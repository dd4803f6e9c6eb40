//! Streaming TIFF reader for microscopy movies: classic TIFF and BigTIFF, both byte orders,
//! 8-64 bit integer and 16-64 bit float samples, strips and tiles, uncompressed, PackBits,
//! LZW and Deflate with horizontal and floating-point predictors; ScanImage (3.8, 4, 5+),
//! ImageJ hyperstack and OME-TIFF (including multi-file sets) metadata; folders of files.
//!
//! ```no_run
//! use worker_core::tiff::{OpenOptions, Source};
//! let src = Source::open(&["movie.tif".into()], &OpenOptions::default())?;
//! let mut r = src.reader();
//! for batch in r.batches(0, 0, 500) {
//!     let batch = batch?; // 500 frames of plane 0, channel 0 as f32
//! #   let _ = batch;
//! }
//! # Ok::<(), worker_core::tiff::TiffError>(())
//! ```

mod decode;
mod error;
mod handle;
mod header;
mod ifd;
mod inputs;
mod meta;
mod ome;
mod page;
mod plane;
mod source;
mod voxel;

pub use error::{Result, TiffError};
pub use header::ByteOrder;
pub use inputs::natural_cmp;
pub use meta::MetadataKind;
pub use plane::TiffPlane;
pub use source::{Batches, FrameBatch, FrameReader, OpenOptions, Source, SourceInfo};
pub use voxel::VoxelSize;
