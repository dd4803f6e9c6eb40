//! [`FrameReader`]: streaming access to the frames of one plane and channel of a
//! [`Source`](super::Source), one decoded frame at a time, in [`FrameBatch`]es.

use super::super::error::{Result, TiffError};
use super::super::handle::Handle;
use super::super::ifd::{read_ifd, Chunking};
use super::super::meta::Axis;
use super::super::page::read_page;
use super::probe::{format_text, same_format};
use super::{Inner, PageMap, SourceInfo};
use std::sync::Arc;

/// Streaming access to frames. Not shared between threads; make one per thread with
/// [`Source::reader`](super::Source::reader).
pub struct FrameReader {
    pub(super) inner: Arc<Inner>,
    pub(super) open: Option<(usize, Handle)>,
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
