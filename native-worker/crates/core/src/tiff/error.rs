//! Typed reader errors. Every variant renders as one line naming the file and what is wrong,
//! so the CLI can print it verbatim and exit with the input-error code.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong while opening or reading an input movie.
#[derive(Debug)]
pub enum TiffError {
    /// The operating system refused a read or open.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// No TIFF files were found where the input pointed.
    NoInput { path: PathBuf },
    /// The file has zero bytes or no image directory.
    Empty { path: PathBuf },
    /// The file does not start with a TIFF or BigTIFF header.
    NotTiff { path: PathBuf },
    /// Something the file points to lies past its end.
    Truncated { path: PathBuf, what: String },
    /// A structure is malformed (bad tag type, loop in the IFD chain, bad compressed stream ...).
    Corrupt { path: PathBuf, detail: String },
    /// A well-formed feature this reader does not handle (JPEG compression, 1-bit images ...).
    Unsupported { path: PathBuf, detail: String },
    /// Pages or files disagree with each other or with the metadata in a way that cannot be repaired.
    Inconsistent { path: PathBuf, detail: String },
    /// The request is outside the movie (plane, channel or frame index too large).
    OutOfRange { detail: String },
}

/// Reader result alias.
pub type Result<T> = std::result::Result<T, TiffError>;

impl fmt::Display for TiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TiffError::Io { path, source } => {
                write!(f, "cannot read {}: {}", path.display(), source)
            }
            TiffError::NoInput { path } => write!(f, "no TIFF files found at {}", path.display()),
            TiffError::Empty { path } => write!(f, "empty file {}: no image data", path.display()),
            TiffError::NotTiff { path } => write!(f, "not a TIFF file: {}", path.display()),
            TiffError::Truncated { path, what } => {
                write!(f, "truncated file {}: {}", path.display(), what)
            }
            TiffError::Corrupt { path, detail } => {
                write!(f, "corrupt TIFF {}: {}", path.display(), detail)
            }
            TiffError::Unsupported { path, detail } => {
                write!(f, "unsupported TIFF {}: {}", path.display(), detail)
            }
            TiffError::Inconsistent { path, detail } => {
                write!(f, "inconsistent TIFF {}: {}", path.display(), detail)
            }
            TiffError::OutOfRange { detail } => write!(f, "request out of range: {}", detail),
        }
    }
}

impl std::error::Error for TiffError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TiffError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
