//! `schema`: prints the results folder's contract ([`worker_core::output::schema::describe`])
//! as one pretty-printed JSON document on stdout; `native-worker/results-schema.json` is this
//! output, checked in.

use crate::exit::CliError;

pub fn run() -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(&worker_core::output::schema::describe())
        .map_err(|e| CliError::Internal(e.to_string()))?;
    println!("{text}");
    Ok(())
}
