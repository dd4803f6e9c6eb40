//! Adapter exposing one plane and channel of a TIFF [`Source`] as a pipeline
//! [`FrameSource`](crate::source::FrameSource), so stages stream frames straight from the input.

use super::source::Source;
use crate::source::FrameSource;
use std::io;

/// One plane and channel of an opened TIFF movie. Each `read_frames` call uses a fresh reader,
/// so it can be called from several threads at once.
#[derive(Clone, Debug)]
pub struct TiffPlane {
    source: Source,
    plane: usize,
    channel: usize,
}

impl TiffPlane {
    /// Plane `plane`, channel `channel` of `source`.
    ///
    /// # Errors
    /// `OutOfRange` if the movie has no such plane or channel.
    pub fn new(source: Source, plane: usize, channel: usize) -> super::Result<Self> {
        let i = source.info();
        if plane >= i.planes || channel >= i.channels {
            return Err(super::TiffError::OutOfRange {
                detail: format!(
                    "plane {} channel {} of a movie with {} planes and {} channels",
                    plane, channel, i.planes, i.channels
                ),
            });
        }
        Ok(TiffPlane {
            source,
            plane,
            channel,
        })
    }
}

impl FrameSource for TiffPlane {
    fn frames(&self) -> usize {
        self.source.info().frames
    }
    fn height(&self) -> usize {
        self.source.info().height
    }
    fn width(&self) -> usize {
        self.source.info().width
    }
    fn read_frames(&self, start: usize, out: &mut [f32]) -> io::Result<()> {
        let n = self.frame_len();
        if n == 0 || !out.len().is_multiple_of(n) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "output length is not a whole number of frames",
            ));
        }
        let mut r = self.source.reader();
        for (k, f) in out.chunks_exact_mut(n).enumerate() {
            r.read_frame(self.plane, self.channel, start + k, f)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
        Ok(())
    }
}
