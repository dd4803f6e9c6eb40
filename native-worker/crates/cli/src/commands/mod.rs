//! One module per subcommand.

mod cluster_traces;
mod crc32c;
mod info;
mod merge;
mod pipeline;
mod project;
mod schema;
mod steps;
mod synth;

use crate::args::{Cli, Command, InputArgs};
use crate::exit::CliError;
use worker_core::tiff::{OpenOptions, Source, TiffPlane};

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let log = Log { quiet: cli.quiet };
    match cli.command {
        Command::Info(a) => info::run(&a),
        Command::Project(a) => project::run(&a, &log),
        Command::Analyze(a) => pipeline::run("analyze", &a, &log),
        Command::Register(a) => steps::register(&a, &log),
        Command::Detect(a) => match &a.registered {
            Some(_) => steps::detect(&a, &log),
            None => pipeline::run("detect", &a.pipeline(), &log),
        },
        Command::Extract(a) => match &a.registered {
            Some(_) => steps::extract(&a, &log),
            None => pipeline::run("extract", &a.pipeline(), &log),
        },
        Command::Cluster(a) => match &a.traces {
            Some(_) => cluster_traces::run(&a, &log),
            None => pipeline::run("cluster", &a.pipeline(), &log),
        },
        Command::Synth(a) => synth::run(&a, &log),
        Command::Crc32c(a) => crc32c::run(&a),
        Command::Merge(a) => merge::run(&a, &log),
        Command::Schema => schema::run(),
    }
}

/// Human-readable logging on stderr.
pub struct Log {
    quiet: bool,
}

impl Log {
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }
}

/// Opens the input and logs the reader's warnings.
pub fn open_input(a: &InputArgs, log: &Log) -> Result<Source, CliError> {
    if a.planes == Some(0) || a.channels == Some(0) {
        return Err(CliError::Usage(
            "--planes and --channels must be at least 1".into(),
        ));
    }
    let src = Source::open(
        &a.input,
        &OpenOptions {
            planes: a.planes,
            channels: a.channels,
        },
    )?;
    let i = src.info();
    log.info(format!(
        "input: {} file(s), {} frames x {} planes x {} channels of {}x{} {} ({:?} metadata)",
        i.files.len(),
        i.frames,
        i.planes,
        i.channels,
        i.width,
        i.height,
        i.dtype,
        i.metadata
    ));
    for w in &i.warnings {
        log.info(format!("warning: {}", w));
    }
    Ok(src)
}

/// `--channel` must name one of the input's interleaved channels.
pub fn check_channel(channel: usize, channels: usize) -> Result<(), CliError> {
    if channel >= channels {
        return Err(CliError::Usage(format!(
            "--channel {} but the input has {} channel(s)",
            channel, channels
        )));
    }
    Ok(())
}

/// Counts such as `--k` and `--threads` must be at least 1 (`None` = not given, the default).
pub fn check_at_least_one(flag: &str, value: Option<usize>) -> Result<(), CliError> {
    if value == Some(0) {
        return Err(CliError::Usage(format!("{} must be at least 1", flag)));
    }
    Ok(())
}

/// The frame rate to use and where it came from: a valid `--fs`, else `fallback` (with its
/// origin), else 30 Hz.
pub fn resolve_fs(
    arg: Option<f64>,
    fallback: Option<(f64, &'static str)>,
) -> Result<(f64, &'static str), CliError> {
    match (arg, fallback) {
        (Some(f), _) if f > 0.0 && f.is_finite() => Ok((f, "argument")),
        (Some(f), _) => Err(CliError::Usage(format!(
            "--fs {} is not a positive frame rate",
            f
        ))),
        (None, Some(fb)) => Ok(fb),
        (None, None) => Ok((30.0, "default")),
    }
}

/// Checks `--tau`.
pub fn check_tau(tau: f64) -> Result<(), CliError> {
    if tau > 0.0 && tau.is_finite() {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "--tau {} is not a positive time in seconds",
            tau
        )))
    }
}

/// The planes of `src` that `--plane` selects (see [`selected_planes`]), each read through
/// interleaved channel `channel`: their indices and their frame sources.
pub fn open_planes(
    a: &InputArgs,
    src: &Source,
    channel: usize,
) -> Result<(Vec<usize>, Vec<TiffPlane>), CliError> {
    let selected = selected_planes(a, src.info().planes)?;
    let planes = selected
        .iter()
        .map(|&p| TiffPlane::new(src.clone(), p, channel))
        .collect::<Result<_, _>>()?;
    Ok((selected, planes))
}

/// The planes selected by `--plane` (sorted, deduplicated; all when none given), checked
/// against the input's plane count.
pub fn selected_planes(a: &InputArgs, planes: usize) -> Result<Vec<usize>, CliError> {
    if a.plane.is_empty() {
        return Ok((0..planes).collect());
    }
    let mut ps = a.plane.clone();
    ps.sort_unstable();
    ps.dedup();
    if let Some(&bad) = ps.iter().find(|&&p| p >= planes) {
        return Err(CliError::Usage(format!(
            "--plane {} but the input has {} plane(s)",
            bad, planes
        )));
    }
    Ok(ps)
}
