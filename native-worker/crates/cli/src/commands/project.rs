//! `project`: mean/max/std projections into `<out>/projections`.

use super::{check_at_least_one, open_input, selected_planes, Log};
use crate::args::ProjectArgs;
use crate::exit::CliError;
use crate::progress::JsonProgress;
use worker_core::project::{write_projections_planes, ProjectOptions};

pub fn run(a: &ProjectArgs, log: &Log) -> Result<(), CliError> {
    check_at_least_one("--threads", a.threads)?;
    let src = open_input(&a.input, log)?;
    let mut opts = ProjectOptions {
        batch: a.batch.max(1),
        windows: a.windows.max(1),
        ..ProjectOptions::default()
    };
    if let Some(t) = a.threads {
        opts.threads = t;
    }
    let dir = a.out.join("projections");
    let mut p = JsonProgress::new();
    let selected = selected_planes(&a.input, src.info().planes)?;
    let s = write_projections_planes(&src, &dir, &opts, Some(&selected), &mut |e| p.emit(e))?;
    log.info(format!(
        "wrote {} images to {}",
        s.images.len() + 1,
        dir.display()
    ));
    Ok(())
}
