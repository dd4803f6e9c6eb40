//! Command-line definition.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// ScopeCloud analysis worker: registration, ROI detection, traces, spikes, clusters and
/// projections for calcium imaging movies. Progress is printed as JSON lines on stdout, logs on
/// stderr. Exit codes: 0 ok, 2 usage, 3 input error, 4 output error, 5 internal error.
#[derive(Parser, Debug)]
#[command(name = "scopecloud-worker", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Only print errors on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Whole pipeline: register, detect, extract, deconvolve, cluster, project.
    Analyze(PipelineArgs),
    /// Registration only (shifts and registration.json).
    Register(PipelineArgs),
    /// Registration and ROI detection (rois.json, regions.json).
    Detect(PipelineArgs),
    /// Registration, detection and trace extraction (F.npy, Fneu.npy, dff.npy, spks.npy).
    Extract(PipelineArgs),
    /// Full analysis up to clustering (clusters.npy, covariance.png); with --traces instead of
    /// --input, k-means on already extracted traces (e.g. merged shards) without any movie.
    Cluster(ClusterArgs),
    /// Mean, max and std projections (PNG 16/8-bit, GIF over time windows).
    Project(ProjectArgs),
    /// Print what the reader sees in the input, as JSON.
    Info(InfoArgs),
    /// Write a synthetic recording with known cells (TIFF) and its ground truth (JSON).
    Synth(SynthArgs),
}

#[derive(Args, Debug, Clone)]
pub struct SynthArgs {
    /// Output TIFF (planes interleaved per frame, ImageJ hyperstack description).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Ground-truth JSON (cells in neurofinder format, motion).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    #[arg(long, default_value_t = 600)]
    pub frames: usize,
    #[arg(long, default_value_t = 256)]
    pub width: usize,
    #[arg(long, default_value_t = 256)]
    pub height: usize,
    #[arg(long, default_value_t = 1)]
    pub planes: usize,
    #[arg(long, default_value_t = 60)]
    pub cells: usize,
    /// Planted correlated groups (0 = none).
    #[arg(long, default_value_t = 4)]
    pub groups: usize,
    /// Largest rigid motion in pixels.
    #[arg(long, default_value_t = 3.0)]
    pub max_shift: f32,
    /// Frame rate in Hz.
    #[arg(long, default_value_t = 30.0)]
    pub fs: f32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Input selection shared by every command.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Input TIFF files and/or folders of TIFF files (read in natural name order).
    #[arg(long = "input", short = 'i', required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Number of interleaved planes (overrides the file's metadata).
    #[arg(long)]
    pub planes: Option<usize>,
    /// Number of interleaved channels (overrides the file's metadata).
    #[arg(long)]
    pub channels: Option<usize>,
    /// Only process these planes (0-based; repeatable or a comma list; default: all). ROIs keep
    /// their true plane index and z.
    #[arg(long = "plane", value_delimiter = ',')]
    pub plane: Vec<usize>,
}

/// `cluster`: either the pipeline on a movie (--input) or k-means on given traces (--traces).
#[derive(Args, Debug, Clone)]
pub struct ClusterArgs {
    /// Input TIFF files and/or folders of TIFF files (read in natural name order).
    #[arg(long = "input", short = 'i', num_args = 1.., required_unless_present = "traces", conflicts_with = "traces")]
    pub input: Vec<PathBuf>,
    /// Traces to cluster (ROIs x frames .npy, e.g. merged dff.npy); no movie is read.
    #[arg(long)]
    pub traces: Option<PathBuf>,
    /// With --traces: iscell.npy (ROIs x 2, or ROIs); only cells are clustered, others get -1.
    #[arg(long, requires = "traces")]
    pub iscell: Option<PathBuf>,
    /// Number of interleaved planes (overrides the file's metadata).
    #[arg(long)]
    pub planes: Option<usize>,
    /// Number of interleaved channels (overrides the file's metadata).
    #[arg(long)]
    pub channels: Option<usize>,
    /// Only process these planes (0-based; repeatable or a comma list; default: all).
    #[arg(long = "plane", value_delimiter = ',')]
    pub plane: Vec<usize>,
    /// Output folder (created if missing).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Frame rate in Hz (default: from metadata, else 30).
    #[arg(long)]
    pub fs: Option<f64>,
    /// Number of clusters.
    #[arg(long, default_value_t = 4)]
    pub k: usize,
    /// Random seed; same input and seed give the same output.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Channel analysed (0-based).
    #[arg(long, default_value_t = 0)]
    pub channel: usize,
}

impl ClusterArgs {
    /// The pipeline arguments of a `cluster --input` run.
    pub fn pipeline(&self) -> PipelineArgs {
        PipelineArgs {
            input: InputArgs {
                input: self.input.clone(),
                planes: self.planes,
                channels: self.channels,
                plane: self.plane.clone(),
            },
            out: self.out.clone(),
            fs: self.fs,
            k: self.k,
            seed: self.seed,
            threads: self.threads,
            channel: self.channel,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct PipelineArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder (created if missing).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Frame rate in Hz (default: from metadata, else 30).
    #[arg(long)]
    pub fs: Option<f64>,
    /// Number of clusters.
    #[arg(long, default_value_t = 4)]
    pub k: usize,
    /// Random seed; same input and seed give the same output.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Channel analysed (0-based).
    #[arg(long, default_value_t = 0)]
    pub channel: usize,
}

#[derive(Args, Debug, Clone)]
pub struct ProjectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder; images go to <out>/projections.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Time windows (GIF frames) per plane.
    #[arg(long, default_value_t = 20)]
    pub windows: usize,
    /// Frames read per batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Args, Debug, Clone)]
pub struct InfoArgs {
    /// TIFF files and/or folders.
    #[arg(required = true)]
    pub input: Vec<PathBuf>,
    /// Number of interleaved planes (overrides the file's metadata).
    #[arg(long)]
    pub planes: Option<usize>,
    /// Number of interleaved channels (overrides the file's metadata).
    #[arg(long)]
    pub channels: Option<usize>,
}
