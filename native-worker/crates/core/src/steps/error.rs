//! Errors of reading a previous step's output: one line naming the file and what to do.

use std::fmt;
use std::path::{Path, PathBuf};

/// A previous step's output that is missing, from an incompatible run, or damaged.
#[derive(Debug)]
pub enum StepError {
    /// A file the step needs is absent; `hint` names the step that writes it.
    Missing { path: PathBuf, hint: String },
    /// Readable but not usable with the other inputs or this worker (format or worker version,
    /// dimensions, planes).
    Incompatible { path: PathBuf, detail: String },
    /// Present but unreadable (truncated, not JSON, wrong array shape).
    Corrupt { path: PathBuf, detail: String },
}

impl StepError {
    /// A short stable name of the kind of failure (for logs and tests).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            StepError::Missing { .. } => "missing",
            StepError::Incompatible { .. } => "incompatible",
            StepError::Corrupt { .. } => "corrupt",
        }
    }

    pub(crate) fn missing(path: &Path, hint: impl Into<String>) -> Self {
        StepError::Missing {
            path: path.to_path_buf(),
            hint: hint.into(),
        }
    }
    pub(crate) fn incompatible(path: &Path, detail: impl Into<String>) -> Self {
        StepError::Incompatible {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }
    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> Self {
        StepError::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }
    /// Maps a read failure of `path`: not found becomes [`StepError::Missing`].
    pub(crate) fn read(path: &Path, e: &std::io::Error, hint: &str) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            Self::missing(path, hint)
        } else {
            Self::corrupt(path, e.to_string())
        }
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::Missing { path, hint } => {
                write!(f, "{} not found: {}", path.display(), hint)
            }
            StepError::Incompatible { path, detail } => {
                write!(f, "{} is incompatible: {}", path.display(), detail)
            }
            StepError::Corrupt { path, detail } => {
                write!(f, "{} is damaged: {}", path.display(), detail)
            }
        }
    }
}

impl std::error::Error for StepError {}
