//! Documented exit codes and the error type that maps onto them.

use std::fmt;

/// Success.
pub const OK: i32 = 0;
/// Bad command line (clap also exits with 2 on usage errors).
pub const USAGE: i32 = 2;
/// Input missing, unreadable, truncated, empty, corrupt or inconsistent.
pub const INPUT: i32 = 3;
/// An output could not be written.
pub const OUTPUT: i32 = 4;
/// A bug or an unexpected internal failure.
pub const INTERNAL: i32 = 5;

/// A failure with its exit code; displayed as one line on stderr.
#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Input(String),
    Output(String),
    Internal(String),
}

impl CliError {
    pub fn code(&self) -> i32 {
        match self {
            CliError::Usage(_) => USAGE,
            CliError::Input(_) => INPUT,
            CliError::Output(_) => OUTPUT,
            CliError::Internal(_) => INTERNAL,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, m) = match self {
            CliError::Usage(m) => ("usage error", m),
            CliError::Input(m) => ("input error", m),
            CliError::Output(m) => ("output error", m),
            CliError::Internal(m) => ("internal error", m),
        };
        write!(f, "{}: {}", kind, m)
    }
}

impl From<worker_core::tiff::TiffError> for CliError {
    fn from(e: worker_core::tiff::TiffError) -> Self {
        match e {
            worker_core::tiff::TiffError::OutOfRange { .. } => CliError::Usage(e.to_string()),
            _ => CliError::Input(e.to_string()),
        }
    }
}

impl From<worker_core::output::OutputError> for CliError {
    fn from(e: worker_core::output::OutputError) -> Self {
        CliError::Output(e.to_string())
    }
}

impl From<worker_core::project::ProjectError> for CliError {
    fn from(e: worker_core::project::ProjectError) -> Self {
        match e {
            worker_core::project::ProjectError::Input(e) => e.into(),
            worker_core::project::ProjectError::Output(e) => e.into(),
        }
    }
}

impl From<worker_core::merge::MergeError> for CliError {
    fn from(e: worker_core::merge::MergeError) -> Self {
        use worker_core::merge::MergeError;
        match e {
            MergeError::Usage(m) => CliError::Usage(m),
            MergeError::Input(m) => CliError::Input(m),
            MergeError::Output(e) => e.into(),
            MergeError::Internal(m) => CliError::Internal(m),
        }
    }
}
