//! Random-access byte sources: a file on disk or a buffer in memory (used by the fuzzer).
//! Reads never allocate more than the caller asks for, and a read past the end is a
//! `Truncated` error naming what was being read.

use super::error::{Result, TiffError};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the bytes of one input file live.
#[derive(Clone, Debug)]
pub enum Backing {
    /// A file on disk, opened lazily by each reader.
    Path(PathBuf),
    /// An in-memory image (fuzzing, tests).
    Memory(Arc<Vec<u8>>),
}

impl Backing {
    /// Display name used in error messages.
    pub fn name(&self) -> PathBuf {
        match self {
            Backing::Path(p) => p.clone(),
            Backing::Memory(_) => PathBuf::from("<memory>"),
        }
    }

    /// Opens an independent handle.
    pub fn open(&self) -> Result<Handle> {
        match self {
            Backing::Path(p) => Handle::open_file(p),
            Backing::Memory(b) => Ok(Handle {
                inner: Inner::Mem(b.clone()),
                len: b.len() as u64,
                path: self.name(),
            }),
        }
    }
}

enum Inner {
    File(File),
    Mem(Arc<Vec<u8>>),
}

/// An open byte source with a known length.
pub struct Handle {
    inner: Inner,
    len: u64,
    path: PathBuf,
}

impl Handle {
    fn open_file(p: &Path) -> Result<Handle> {
        let io = |e| TiffError::Io {
            path: p.to_path_buf(),
            source: e,
        };
        let f = File::open(p).map_err(io)?;
        let len = f.metadata().map_err(io)?.len();
        Ok(Handle {
            inner: Inner::File(f),
            len,
            path: p.to_path_buf(),
        })
    }

    /// Total length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Path for error messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fills `buf` from `offset`; `what` names the structure for the truncation message.
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8], what: &str) -> Result<()> {
        let end = offset.checked_add(buf.len() as u64);
        if end.is_none_or(|e| e > self.len) {
            return Err(TiffError::Truncated {
                path: self.path.clone(),
                what: format!(
                    "{} at offset {} ({} bytes) extends past end of file ({} bytes)",
                    what,
                    offset,
                    buf.len(),
                    self.len
                ),
            });
        }
        match &mut self.inner {
            Inner::Mem(b) => {
                let o = offset as usize;
                buf.copy_from_slice(&b[o..o + buf.len()]);
                Ok(())
            }
            Inner::File(f) => {
                let path = self.path.clone();
                let io = |e| TiffError::Io {
                    path: path.clone(),
                    source: e,
                };
                f.seek(SeekFrom::Start(offset)).map_err(io)?;
                f.read_exact(buf).map_err(io)
            }
        }
    }

    /// Reads `len` bytes at `offset` into a new vector, checking the length against the file first.
    pub fn read_vec(&mut self, offset: u64, len: u64, what: &str) -> Result<Vec<u8>> {
        if offset.checked_add(len).is_none_or(|e| e > self.len) {
            return Err(TiffError::Truncated {
                path: self.path.clone(),
                what: format!(
                    "{} at offset {} ({} bytes) extends past end of file ({} bytes)",
                    what, offset, len, self.len
                ),
            });
        }
        let mut v = vec![0u8; len as usize];
        self.read_at(offset, &mut v, what)?;
        Ok(v)
    }
}
