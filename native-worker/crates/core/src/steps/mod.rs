//! The files that let each pipeline step run as its own process and consume the previous step's
//! output: `register` writes a registered-movie cache ([`registered`]), `detect` writes ROI masks
//! ([`masks`]) next to `rois.json`, `extract` reads both. Every header carries a format name, a
//! format version and the worker version; a step refuses inputs it cannot trust with a
//! [`StepError`] that says which step to re-run. The layouts are documented in the README.

mod error;
pub mod masks;
pub mod registered;

pub use self::error::StepError;

/// The version string every step header records and checks (the crate version).
pub const WORKER_VERSION: &str = env!("CARGO_PKG_VERSION");
