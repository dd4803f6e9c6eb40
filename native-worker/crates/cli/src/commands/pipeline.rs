//! `analyze`, `register`, `detect`, `extract`, `cluster`: the algorithm steps.

use super::Log;
use crate::args::PipelineArgs;
use crate::exit::CliError;

pub fn run(step: &str, a: &PipelineArgs, log: &Log) -> Result<(), CliError> {
    let _ = (a, log);
    Err(CliError::Internal(format!("`{}` is not wired to the pipeline yet", step)))
}
