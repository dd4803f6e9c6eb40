//! `info`: prints the reader's view of the input as one JSON document on stdout, or with
//! `--each` one JSON line per input read on its own (the app's session manifests record these
//! facts, so the TIFF metadata a scientist sees is the one the analysis reads).

use crate::args::InfoArgs;
use crate::exit::CliError;
use serde_json::{json, Value};
use std::path::PathBuf;
use worker_core::tiff::{OpenOptions, Source, TiffError};

pub fn run(a: &InfoArgs) -> Result<(), CliError> {
    let opts = OpenOptions {
        planes: a.planes,
        channels: a.channels,
    };
    if a.each {
        for path in &a.input {
            let line = match describe(std::slice::from_ref(path), &opts) {
                Ok(info) => json!({ "path": path, "info": info }),
                Err(e) => {
                    json!({ "path": path, "error": { "kind": kind(&e), "message": e.to_string() } })
                }
            };
            println!("{line}");
        }
        return Ok(());
    }
    let doc = describe(&a.input, &opts)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&doc).map_err(|e| CliError::Internal(e.to_string()))?
    );
    Ok(())
}

/// The reader's view of `input` with the results schema version, as JSON.
fn describe(input: &[PathBuf], opts: &OpenOptions) -> Result<Value, TiffError> {
    let src = Source::open(input, opts)?;
    let mut doc = serde_json::to_value(src.info()).unwrap_or(Value::Null);
    if let Some(o) = doc.as_object_mut() {
        o.insert("schema".into(), worker_core::output::SCHEMA_VERSION.into());
    }
    Ok(doc)
}

/// A stable one-word name for what went wrong, for programs reading `--each` lines.
fn kind(e: &TiffError) -> &'static str {
    match e {
        TiffError::Io { .. } => "io",
        TiffError::NoInput { .. } => "no-input",
        TiffError::Empty { .. } => "empty",
        TiffError::NotTiff { .. } => "not-tiff",
        TiffError::Truncated { .. } => "truncated",
        TiffError::Corrupt { .. } => "corrupt",
        TiffError::Unsupported { .. } => "unsupported",
        TiffError::Inconsistent { .. } => "inconsistent",
        TiffError::OutOfRange { .. } => "out-of-range",
    }
}
