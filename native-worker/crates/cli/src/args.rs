//! Command-line definition. Over 400 lines on purpose: the whole command tree (every
//! subcommand's flags and their help text) in one file is the CLI's reference, and clap's derive
//! reads it as one tree; the logic is in `commands/`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// ScopeCloud analysis worker: registration, ROI detection, traces, spikes, clusters and
/// projections for calcium imaging movies. Progress is printed as JSON lines on stdout, logs on
/// stderr. Exit codes: 0 ok, 2 usage, 3 input error (including a missing, damaged or
/// incompatible output of an earlier step), 4 output error, 5 internal error.
#[derive(Parser, Debug)]
#[command(name = "scopecloud-worker", version, about, long_about = None, after_help = STEPS_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Only print errors on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// The step chain, printed after the command list.
const STEPS_HELP: &str = "\
Steps, each consuming the previous step's folder (same seed: the same bytes as `analyze`):
  register --input <tiffs|folder> --out REG      registered movie cache, registration.json
  detect   --registered REG --out ROIS           rois.json, regions.json, iscell.npy, roi_masks.npy
  extract  --registered REG --rois ROIS --out TR F.npy, Fneu.npy, dff.npy, spks.npy
  cluster  --traces TR [--rois ROIS] --out CL    clusters.npy, covariance.png, rois.json with clusters
The folders may be the same one. See native-worker/README.md for the file formats.";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Whole pipeline: register, detect, extract, deconvolve, cluster, project.
    Analyze(PipelineArgs),
    /// Step 1, registration: writes the registered-movie cache (registered.json,
    /// registered_plane<p>.f32), registration.json and reference/mean/max/std images to --out.
    Register(RegisterArgs),
    /// Step 2, ROI detection on a registered cache (--registered): rois.json, regions.json,
    /// iscell.npy and the masks for extract (roi_masks.npy, detection.json).
    Detect(DetectArgs),
    /// Step 3, traces of detected ROIs (--rois) from a registered cache (--registered): F.npy,
    /// Fneu.npy, dff.npy, spks.npy.
    Extract(ExtractArgs),
    /// Step 4, k-means on extracted traces (--traces: a folder with dff.npy, or a .npy file):
    /// clusters.npy, covariance.png; no movie is read.
    Cluster(ClusterArgs),
    /// Mean, max and std projections (PNG 16/8-bit, GIF over time windows).
    Project(ProjectArgs),
    /// Print what the reader sees in the input, as JSON.
    Info(InfoArgs),
    /// Write a synthetic recording with known cells (TIFF) and its ground truth (JSON).
    Synth(SynthArgs),
    /// Merge the results folders of a fanned-out analysis (one `analyze` folder per plane or
    /// recording, in order) into one folder laid out as a single run's, re-clustering all ROIs.
    Merge(MergeArgs),
    /// Print the results folder's contract as JSON: schema version, file names, array dtypes
    /// and shapes, ROI record fields, step names.
    Schema,
    /// CRC32C of each file as S3 reports it (base64 of the big-endian value), one JSON line per
    /// file: {"path","crc32c","bytes"}. The EC2 bootstrap checks downloaded inputs with it.
    Crc32c(Crc32cArgs),
}

#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// Shard results folders, in merge order (ROIs are numbered in this order).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Output folder (created if missing); must not be one of the shards.
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Number of clusters (default: the shards' own, from their summary.json, else 4).
    #[arg(long)]
    pub k: Option<usize>,
    /// Clustering seed (default: the shards' own, else 0).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Args, Debug, Clone)]
pub struct Crc32cArgs {
    /// Files to checksum.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
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
    /// Pixel size in micrometres, written as ImageJ calibration (`unit=micron` and the
    /// resolution tags); none when not given.
    #[arg(long)]
    pub pixel_size: Option<f64>,
    /// Step between planes in micrometres, written as ImageJ's `spacing=`; none when not given.
    #[arg(long)]
    pub z_step: Option<f64>,
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

/// `cluster`: k-means on given traces (--traces), or, as a convenience, the whole pipeline on a
/// movie (--input) writing everything but projections.
#[derive(Args, Debug, Clone)]
pub struct ClusterArgs {
    /// Convenience: run every step on these TIFF files/folders instead of reading --traces.
    #[arg(long = "input", short = 'i', num_args = 1.., required_unless_present = "traces", conflicts_with = "traces")]
    pub input: Vec<PathBuf>,
    /// Traces to cluster: a folder written by `extract` (its dff.npy) or a ROIs x frames .npy
    /// (e.g. merged dff.npy); no movie is read.
    #[arg(long)]
    pub traces: Option<PathBuf>,
    /// With --traces: iscell.npy (ROIs x 2, or ROIs); only cells are clustered, others get -1.
    /// Default: iscell.npy of --rois, else of the --traces folder, else every ROI is clustered.
    #[arg(long, requires = "traces")]
    pub iscell: Option<PathBuf>,
    /// With --traces: the `detect` folder; its rois.json is written to --out with the clusters
    /// filled in (default: the --traces folder's rois.json, if any).
    #[arg(long, requires = "traces")]
    pub rois: Option<PathBuf>,
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
    /// With --input: indicator decay time in seconds (GCaMP6s: 1.0).
    #[arg(long, default_value_t = 1.0)]
    pub tau: f64,
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
            tau: self.tau,
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
    /// Indicator decay time in seconds (GCaMP6s: 1.0), for detection and deconvolution.
    #[arg(long, default_value_t = 1.0)]
    pub tau: f64,
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

/// `register`: the first step.
#[derive(Args, Debug, Clone)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output folder for the cache and registration.json (created if missing). Needs free space
    /// for the registered movie as float32 (4 bytes per pixel and frame).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Frame rate in Hz (default: from metadata, else 30); recorded for the later steps.
    #[arg(long)]
    pub fs: Option<f64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Channel registered (0-based).
    #[arg(long, default_value_t = 0)]
    pub channel: usize,
}

/// `detect`: the second step, on a `register` folder (or, as a convenience, on a movie).
#[derive(Args, Debug, Clone)]
pub struct DetectArgs {
    /// The folder `register` wrote (registered.json and the plane files).
    #[arg(long, required_unless_present = "input")]
    pub registered: Option<PathBuf>,
    /// Convenience instead of --registered: register these TIFF files/folders into a temporary
    /// cache first.
    #[arg(long = "input", short = 'i', num_args = 1.., conflicts_with = "registered")]
    pub input: Vec<PathBuf>,
    /// With --input: number of interleaved planes (overrides the file's metadata).
    #[arg(long, requires = "input")]
    pub planes: Option<usize>,
    /// With --input: number of interleaved channels (overrides the file's metadata).
    #[arg(long, requires = "input")]
    pub channels: Option<usize>,
    /// Only these planes (0-based; repeatable or a comma list; default: all). ROIs keep their
    /// true plane index and z.
    #[arg(long = "plane", value_delimiter = ',')]
    pub plane: Vec<usize>,
    /// Output folder (created if missing).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Frame rate in Hz (default: the one recorded by register).
    #[arg(long)]
    pub fs: Option<f64>,
    /// Indicator decay time in seconds (GCaMP6s: 1.0).
    #[arg(long, default_value_t = 1.0)]
    pub tau: f64,
    /// Recorded only: detection is deterministic.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// With --input: channel analysed (0-based).
    #[arg(long, default_value_t = 0)]
    pub channel: usize,
}

/// `extract`: the third step, on a `register` and a `detect` folder (or, as a convenience, on a
/// movie).
#[derive(Args, Debug, Clone)]
pub struct ExtractArgs {
    /// The folder `register` wrote.
    #[arg(long, requires = "rois", required_unless_present = "input")]
    pub registered: Option<PathBuf>,
    /// The folder `detect` wrote (detection.json, roi_masks.npy).
    #[arg(long, requires = "registered")]
    pub rois: Option<PathBuf>,
    /// Convenience instead of --registered and --rois: register and detect these TIFF
    /// files/folders first (nothing of those steps is kept but registration.json and ROIs).
    #[arg(long = "input", short = 'i', num_args = 1.., conflicts_with_all = ["registered", "rois"])]
    pub input: Vec<PathBuf>,
    /// With --input: number of interleaved planes (overrides the file's metadata).
    #[arg(long, requires = "input")]
    pub planes: Option<usize>,
    /// With --input: number of interleaved channels (overrides the file's metadata).
    #[arg(long, requires = "input")]
    pub channels: Option<usize>,
    /// With --input: only these planes (0-based; repeatable or a comma list; default: all).
    #[arg(long = "plane", value_delimiter = ',', requires = "input")]
    pub plane: Vec<usize>,
    /// Output folder (created if missing).
    #[arg(long, short = 'o')]
    pub out: PathBuf,
    /// Frame rate in Hz for dF/F and deconvolution (default: the one detect used).
    #[arg(long)]
    pub fs: Option<f64>,
    /// Indicator decay time in seconds for deconvolution (default: the one detect used, else 1.0).
    #[arg(long)]
    pub tau: Option<f64>,
    /// Recorded only: extraction is deterministic.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// With --input: channel analysed (0-based).
    #[arg(long, default_value_t = 0)]
    pub channel: usize,
}

impl DetectArgs {
    /// The pipeline arguments of a `detect --input` run.
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
            tau: self.tau,
            k: 4,
            seed: self.seed,
            threads: self.threads,
            channel: self.channel,
        }
    }
}

impl ExtractArgs {
    /// The pipeline arguments of an `extract --input` run.
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
            tau: self.tau.unwrap_or(1.0),
            k: 4,
            seed: self.seed,
            threads: self.threads,
            channel: self.channel,
        }
    }
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
    /// Read each input on its own and print one JSON line per input, `{"path","info"}` or
    /// `{"path","error":{"kind","message"}}`; exits 0 even when some inputs cannot be read.
    #[arg(long)]
    pub each: bool,
}
