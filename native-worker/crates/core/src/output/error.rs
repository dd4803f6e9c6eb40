//! Output errors: one line naming the file.

use std::fmt;
use std::path::{Path, PathBuf};

/// A failure to write (or, for tests, read back) an output file.
#[derive(Debug)]
pub enum OutputError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Data does not fit the requested shape or format.
    Invalid { path: PathBuf, detail: String },
}

impl OutputError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        OutputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub(crate) fn invalid(path: &Path, detail: impl Into<String>) -> Self {
        OutputError::Invalid {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::Io { path, source } => {
                write!(f, "cannot write {}: {}", path.display(), source)
            }
            OutputError::Invalid { path, detail } => {
                write!(f, "invalid output {}: {}", path.display(), detail)
            }
        }
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OutputError::Io { source, .. } => Some(source),
            OutputError::Invalid { .. } => None,
        }
    }
}
