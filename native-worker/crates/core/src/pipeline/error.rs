//! The pipeline's error type.

use std::fmt;
use std::io;

/// Pipeline failure.
#[derive(Debug)]
pub enum PipelineError {
    /// Reading the input or the cache failed.
    Io(io::Error),
    /// The input cannot be analysed (no planes, empty or mismatched planes).
    InvalidInput(String),
    /// The thread pool could not be built.
    Threads(String),
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Io(e) => write!(f, "i/o error: {e}"),
            PipelineError::InvalidInput(s) => write!(f, "invalid input: {s}"),
            PipelineError::Threads(s) => write!(f, "thread pool: {s}"),
        }
    }
}

impl std::error::Error for PipelineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PipelineError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for PipelineError {
    fn from(e: io::Error) -> Self {
        PipelineError::Io(e)
    }
}
