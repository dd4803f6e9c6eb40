//! The registered-movie cache that the `register` step writes and `detect` and `extract` stream.
//!
//! Layout of a cache folder (format `scopecloud-registered-movie`, version [`FORMAT_VERSION`]):
//! - `registered.json`: the header ([`RegisteredHeader`]), written last, so a folder without it
//!   holds no usable cache;
//! - `registered_plane{p}.f32`: plane `p`'s registered frames as raw little-endian `float32`,
//!   frame after frame, row-major (`frames * height * width * 4` bytes, no header; numpy:
//!   `np.fromfile(f, '<f4').reshape(frames, height, width)`);
//! - `reference_plane{p}.npy`, `mean_plane{p}.npy`, `max_plane{p}.npy`, `std_plane{p}.npy`:
//!   the registration reference and the time projections of the registered plane (float32,
//!   `height x width`), accumulated while the frames are written.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{StepError, WORKER_VERSION};
use crate::output::{write_json, write_npy, OutputError};
use crate::source::BinaryCache;

/// Format name in the header.
pub const FORMAT: &str = "scopecloud-registered-movie";
/// Version of the layout above; bump on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;
/// Header file name.
pub const HEADER: &str = "registered.json";
/// Sample type of the plane files.
pub const DTYPE: &str = "float32-le";

const HINT: &str =
    "run `scopecloud-worker register --out <dir>` first and pass that <dir> to --registered";

/// One plane of the cache.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisteredPlane {
    /// Plane index in the recording.
    pub plane: usize,
    /// Frame file name, relative to the folder.
    pub file: String,
    pub frames: usize,
    pub height: usize,
    pub width: usize,
    /// Registration quality (mean correlation with the reference after registration).
    pub quality: f32,
}

/// `registered.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegisteredHeader {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub version: u32,
    /// Worker that wrote the cache.
    pub worker_version: String,
    /// Always [`DTYPE`].
    pub dtype: String,
    /// Frame rate per plane (Hz) used downstream unless overridden.
    pub fs: f64,
    /// Where `fs` came from (`argument`, `metadata`, `default`).
    pub fs_from: String,
    /// Channel of the input that was registered.
    pub channel: usize,
    /// What the reader saw in the input (as `scopecloud-worker info` prints it).
    pub input: serde_json::Value,
    /// Planes, in increasing plane order.
    pub planes: Vec<RegisteredPlane>,
}

/// File name of plane `p`'s frames.
#[must_use]
pub fn plane_file(p: usize) -> String {
    format!("registered_plane{p}.f32")
}

/// Prepares `dir` for a new cache: creates it and removes a previous header, so an interrupted
/// run never leaves a header describing frame files it did not finish.
///
/// # Errors
/// When the folder cannot be created or the old header cannot be removed.
pub fn begin(dir: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|e| OutputError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let h = dir.join(HEADER);
    match std::fs::remove_file(&h) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(OutputError::Io { path: h, source: e }),
    }
}

/// Creates plane `p`'s frame file in `dir` (kept after drop).
///
/// # Errors
/// When the file cannot be created.
pub fn create_plane(
    dir: &Path,
    p: usize,
    height: usize,
    width: usize,
) -> std::io::Result<BinaryCache> {
    BinaryCache::create_at(&dir.join(plane_file(p)), height, width)
}

/// Per-pixel running mean, max and standard deviation over frames.
#[derive(Clone, Debug)]
pub struct PixelStats {
    n: usize,
    frames: usize,
    sum: Vec<f64>,
    sumsq: Vec<f64>,
    max: Vec<f32>,
}

impl PixelStats {
    /// Empty statistics of frames of `n` pixels.
    #[must_use]
    pub fn new(n: usize) -> Self {
        PixelStats {
            n,
            frames: 0,
            sum: vec![0.0; n],
            sumsq: vec![0.0; n],
            max: vec![f32::NEG_INFINITY; n],
        }
    }

    /// Adds whole frames (`data.len()` a multiple of the frame size).
    pub fn add(&mut self, data: &[f32]) {
        for frame in data.chunks_exact(self.n.max(1)) {
            for (i, &v) in frame.iter().enumerate() {
                let x = f64::from(v);
                self.sum[i] += x;
                self.sumsq[i] += x * x;
                if v > self.max[i] {
                    self.max[i] = v;
                }
            }
            self.frames += 1;
        }
    }

    /// `(mean, max, std)` images.
    #[must_use]
    pub fn images(&self) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let t = self.frames.max(1) as f64;
        let mean: Vec<f32> = self.sum.iter().map(|s| (s / t) as f32).collect();
        let std = self
            .sum
            .iter()
            .zip(&self.sumsq)
            .map(|(s, q)| ((q / t - (s / t) * (s / t)).max(0.0)).sqrt() as f32)
            .collect();
        let max = self
            .max
            .iter()
            .map(|&m| if m.is_finite() { m } else { 0.0 })
            .collect();
        (mean, max, std)
    }
}

/// Writes plane `p`'s reference and projection images; returns the file names written.
///
/// # Errors
/// When a file cannot be written.
pub fn write_plane_images(
    dir: &Path,
    p: usize,
    h: usize,
    w: usize,
    reference: &[f32],
    stats: &PixelStats,
) -> Result<Vec<String>, OutputError> {
    let (mean, max, std) = stats.images();
    let mut files = Vec::new();
    for (name, img) in [
        ("reference", reference),
        ("mean", &mean),
        ("max", &max),
        ("std", &std),
    ] {
        if img.len() != h * w {
            continue;
        }
        let f = format!("{name}_plane{p}.npy");
        write_npy(&dir.join(&f), &[h, w], img)?;
        files.push(f);
    }
    Ok(files)
}

/// Writes the header; call after every plane file is finished.
///
/// # Errors
/// When the file cannot be written.
pub fn write_header(dir: &Path, header: &RegisteredHeader) -> Result<(), OutputError> {
    write_json(&dir.join(HEADER), header)
}

/// A header for this worker (`format`, `version`, `worker_version`, `dtype` filled in).
#[must_use]
pub fn new_header(
    fs: f64,
    fs_from: &str,
    channel: usize,
    input: serde_json::Value,
    planes: Vec<RegisteredPlane>,
) -> RegisteredHeader {
    RegisteredHeader {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        worker_version: WORKER_VERSION.into(),
        dtype: DTYPE.into(),
        fs,
        fs_from: fs_from.into(),
        channel,
        input,
        planes,
    }
}

/// An opened cache: its header and one readable [`BinaryCache`] per plane, in header order.
pub struct RegisteredMovie {
    pub dir: PathBuf,
    pub header: RegisteredHeader,
    pub planes: Vec<BinaryCache>,
}

impl RegisteredMovie {
    /// Position of recording plane `p` in [`RegisteredMovie::planes`].
    #[must_use]
    pub fn index_of(&self, p: usize) -> Option<usize> {
        self.header.planes.iter().position(|q| q.plane == p)
    }
}

/// Reads `dir/registered.json` and checks it against this worker.
///
/// # Errors
/// [`StepError::Missing`] without a header, [`StepError::Corrupt`] when it is not a header,
/// [`StepError::Incompatible`] for another format, format version, worker version or dtype.
pub fn read_header(dir: &Path) -> Result<RegisteredHeader, StepError> {
    let path = dir.join(HEADER);
    let text = std::fs::read_to_string(&path).map_err(|e| StepError::read(&path, &e, HINT))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| StepError::corrupt(&path, e.to_string()))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(StepError::incompatible(
            &path,
            format!(
                "not a registered-movie cache (format {})",
                v.get("format").unwrap_or(&serde_json::Value::Null)
            ),
        ));
    }
    let version = v.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(StepError::incompatible(
            &path,
            format!("cache format version {} but this worker reads version {FORMAT_VERSION}; re-run register", version.map_or("?".into(), |n| n.to_string())),
        ));
    }
    let h: RegisteredHeader =
        serde_json::from_value(v).map_err(|e| StepError::corrupt(&path, e.to_string()))?;
    if h.worker_version != WORKER_VERSION {
        return Err(StepError::incompatible(
            &path,
            format!(
                "written by worker {} but this is worker {WORKER_VERSION}; re-run register",
                h.worker_version
            ),
        ));
    }
    if h.dtype != DTYPE {
        return Err(StepError::incompatible(
            &path,
            format!("dtype {} is not {DTYPE}", h.dtype),
        ));
    }
    Ok(h)
}

/// Opens the cache in `dir` (only the planes in `select`, all when `None`).
///
/// # Errors
/// As [`read_header`]; [`StepError::Missing`] for a selected plane the cache lacks or a missing
/// frame file; [`StepError::Corrupt`] when a frame file's length does not match the header.
pub fn open(dir: &Path, select: Option<&[usize]>) -> Result<RegisteredMovie, StepError> {
    let mut header = read_header(dir)?;
    if let Some(sel) = select {
        for &p in sel {
            if !header.planes.iter().any(|q| q.plane == p) {
                let have: Vec<usize> = header.planes.iter().map(|q| q.plane).collect();
                return Err(StepError::missing(
                    &dir.join(HEADER),
                    format!("the cache has no plane {p} (planes {have:?}); register it first"),
                ));
            }
        }
        header.planes.retain(|q| sel.contains(&q.plane));
    }
    let mut planes = Vec::with_capacity(header.planes.len());
    for q in &header.planes {
        if q.file.contains('/') || q.file.contains('\\') {
            return Err(StepError::corrupt(
                &dir.join(HEADER),
                format!("plane file name {:?} is not a plain name", q.file),
            ));
        }
        let path = dir.join(&q.file);
        let c =
            BinaryCache::open(&path, q.frames, q.height, q.width).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    StepError::missing(&path, "the cache is incomplete; re-run register")
                }
                _ => StepError::corrupt(&path, format!("{e}; re-run register")),
            })?;
        planes.push(c);
    }
    Ok(RegisteredMovie {
        dir: dir.to_path_buf(),
        header,
        planes,
    })
}
