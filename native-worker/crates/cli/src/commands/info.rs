//! `info`: prints the reader's view of the input as one JSON document on stdout.

use crate::args::InfoArgs;
use crate::exit::CliError;
use worker_core::tiff::{OpenOptions, Source};

pub fn run(a: &InfoArgs) -> Result<(), CliError> {
    let src = Source::open(
        &a.input,
        &OpenOptions {
            planes: a.planes,
            channels: a.channels,
        },
    )?;
    let mut doc =
        serde_json::to_value(src.info()).map_err(|e| CliError::Internal(e.to_string()))?;
    if let Some(o) = doc.as_object_mut() {
        o.insert("schema".into(), worker_core::output::SCHEMA_VERSION.into());
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&doc).map_err(|e| CliError::Internal(e.to_string()))?
    );
    Ok(())
}
