//! JSON outputs. Every top-level document the worker writes carries `"schema": SCHEMA_VERSION`.

use super::{commit, create_tmp, OutputError};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Version of the output schema documented in the README; bump on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes `value` as pretty-printed JSON with a trailing newline.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), OutputError> {
    let (mut w, tmp) = create_tmp(path)?;
    serde_json::to_writer_pretty(&mut w, value)
        .map_err(|e| OutputError::invalid(path, e.to_string()))?;
    w.write_all(b"\n").map_err(|e| OutputError::io(&tmp, e))?;
    commit(w, &tmp, path)
}
