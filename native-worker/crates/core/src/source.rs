//! Frame sources: how pipeline stages read a movie in batches without holding it in memory.
//!
//! A [`FrameSource`] is one plane of a movie, read by frame ranges. [`crate::Movie`] implements it
//! (in-memory), and so does [`BinaryCache`], a raw little-endian `f32` file on disk that the
//! pipeline writes the registered movie to and streams from for detection and extraction (suite2p
//! keeps a similar `data.bin`). Memory is then bounded by the batch size, not by the movie length.
//! `analyze` uses a temporary cache; the `register` step keeps one (see [`crate::steps`]).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Movie;

/// One plane of a movie, readable by frame ranges from several threads at once.
pub trait FrameSource: Sync {
    /// Number of frames.
    fn frames(&self) -> usize;
    /// Frame height in pixels.
    fn height(&self) -> usize;
    /// Frame width in pixels.
    fn width(&self) -> usize;
    /// Reads frames `start..start + out.len() / (height*width)` into `out`, row-major.
    ///
    /// # Errors
    /// Any I/O or decoding failure of the underlying storage. Implementations must return an error,
    /// never panic, when the range is past the end.
    fn read_frames(&self, start: usize, out: &mut [f32]) -> io::Result<()>;

    /// Pixels per frame.
    fn frame_len(&self) -> usize {
        self.height() * self.width()
    }
}

impl FrameSource for Movie {
    fn frames(&self) -> usize {
        self.frames
    }
    fn height(&self) -> usize {
        self.height
    }
    fn width(&self) -> usize {
        self.width
    }
    fn read_frames(&self, start: usize, out: &mut [f32]) -> io::Result<()> {
        let n = self.frame_len();
        let begin = start * n;
        let end = begin + out.len();
        if n == 0 || !out.len().is_multiple_of(n) || end > self.data.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "frame range past the end of the movie",
            ));
        }
        out.copy_from_slice(&self.data[begin..end]);
        Ok(())
    }
}

/// Bytes converted per step by the cache's reads and writes (a stack buffer).
const CHUNK_BYTES: usize = 64 * 1024;

static CACHE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A movie stored as raw little-endian `f32` frames, frame after frame, row-major, no header.
///
/// Written once, front to back, with [`BinaryCache::append`]; then read with
/// [`FrameSource::read_frames`] (positioned reads, safe from many threads). A cache made by
/// [`BinaryCache::create`] is temporary and deleted on drop; one made by
/// [`BinaryCache::create_at`] or opened by [`BinaryCache::open`] stays.
pub struct BinaryCache {
    path: PathBuf,
    file: File,
    writer: Option<BufWriter<File>>,
    frames: usize,
    height: usize,
    width: usize,
    temporary: bool,
}

impl BinaryCache {
    /// Creates an empty cache file in `dir` (the system temp dir when `None`).
    ///
    /// # Errors
    /// When the file cannot be created.
    pub fn create(dir: Option<&Path>, height: usize, width: usize) -> io::Result<Self> {
        let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let id = CACHE_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("scopecloud-reg-{}-{}.bin", std::process::id(), id));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        let writer = BufWriter::with_capacity(1 << 20, file.try_clone()?);
        Ok(BinaryCache {
            path,
            file,
            writer: Some(writer),
            frames: 0,
            height,
            width,
            temporary: true,
        })
    }

    /// Creates (or truncates) a cache file at `path` that is kept after drop.
    ///
    /// # Errors
    /// When the file cannot be created.
    pub fn create_at(path: &Path, height: usize, width: usize) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        let writer = BufWriter::with_capacity(1 << 20, file.try_clone()?);
        Ok(BinaryCache {
            path: path.to_path_buf(),
            file,
            writer: Some(writer),
            frames: 0,
            height,
            width,
            temporary: false,
        })
    }

    /// Opens a finished cache of `frames` frames of `height x width` for reading.
    ///
    /// # Errors
    /// When the file cannot be opened, or its length is not `frames * height * width * 4`
    /// bytes (`InvalidData`, e.g. a truncated or foreign file).
    pub fn open(path: &Path, frames: usize, height: usize, width: usize) -> io::Result<Self> {
        let file = File::open(path)?;
        let want = (frames * height * width * 4) as u64;
        let len = file.metadata()?.len();
        if len != want {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} bytes, expected {} ({} frames of {}x{} f32)",
                    len, want, frames, height, width
                ),
            ));
        }
        Ok(BinaryCache {
            path: path.to_path_buf(),
            file,
            writer: None,
            frames,
            height,
            width,
            temporary: false,
        })
    }

    /// Appends whole frames (`data.len()` a multiple of the frame size).
    ///
    /// # Errors
    /// On a write failure, a partial frame, or an append after reading started.
    pub fn append(&mut self, data: &[f32]) -> io::Result<()> {
        let n = self.height * self.width;
        if n == 0 || !data.len().is_multiple_of(n) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "append of a partial frame",
            ));
        }
        let w = self
            .writer
            .as_mut()
            .ok_or_else(|| io::Error::other("append after the cache was finished"))?;
        // convert through a small fixed buffer: no allocation proportional to the batch
        let mut bytes = [0u8; CHUNK_BYTES];
        for part in data.chunks(CHUNK_BYTES / 4) {
            for (b, v) in bytes.chunks_exact_mut(4).zip(part) {
                b.copy_from_slice(&v.to_le_bytes());
            }
            w.write_all(&bytes[..part.len() * 4])?;
        }
        self.frames += data.len() / n;
        Ok(())
    }

    /// Flushes pending writes; call once after the last append, before reading.
    ///
    /// # Errors
    /// On a flush failure.
    pub fn finish(&mut self) -> io::Result<()> {
        if let Some(mut w) = self.writer.take() {
            w.flush()?;
        }
        Ok(())
    }

    /// Where the cache lives (for logs).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl FrameSource for BinaryCache {
    fn frames(&self) -> usize {
        self.frames
    }
    fn height(&self) -> usize {
        self.height
    }
    fn width(&self) -> usize {
        self.width
    }
    fn read_frames(&self, start: usize, out: &mut [f32]) -> io::Result<()> {
        if self.writer.is_some() {
            return Err(io::Error::other("read before BinaryCache::finish"));
        }
        let n = self.frame_len();
        if n == 0 || !out.len().is_multiple_of(n) || start + out.len() / n > self.frames {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "frame range past the end of the cache",
            ));
        }
        let mut bytes = [0u8; CHUNK_BYTES];
        let mut offset = (start * n * 4) as u64;
        for part in out.chunks_mut(CHUNK_BYTES / 4) {
            let b = &mut bytes[..part.len() * 4];
            self.file.read_exact_at(b, offset)?;
            offset += b.len() as u64;
            for (o, c) in part.iter_mut().zip(b.chunks_exact(4)) {
                *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
        }
        Ok(())
    }
}

impl Drop for BinaryCache {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Calls `f(start, frames_in_batch, data)` for consecutive batches of at most `batch` frames.
///
/// # Errors
/// The first read error, or the first error returned by `f`.
pub fn for_each_batch<E: From<io::Error>>(
    src: &dyn FrameSource,
    batch: usize,
    mut f: impl FnMut(usize, usize, &[f32]) -> Result<(), E>,
) -> Result<(), E> {
    let n = src.frame_len();
    let batch = batch.max(1);
    let mut buf = vec![0.0f32; batch.min(src.frames().max(1)) * n];
    let mut start = 0;
    while start < src.frames() {
        let count = batch.min(src.frames() - start);
        let data = &mut buf[..count * n];
        src.read_frames(start, data)?;
        f(start, count, data)?;
        start += count;
    }
    Ok(())
}
