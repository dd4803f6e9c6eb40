//! The results folder's contract in one place: file names, array dtypes and shapes, the fields
//! of a `rois.json` and a `regions.json` record, the progress and summary step names, and the schema version.
//!
//! The writers take their file names from here, `scopecloud-worker schema` prints
//! [`describe`] as JSON, and `native-worker/results-schema.json` is that output checked in for
//! the TypeScript side; the CLI tests check that file against `schema` and a real `analyze`
//! output against the description. Changing anything here that a reader relies on means
//! bumping [`SCHEMA_VERSION`].

use serde::Serialize;

pub use super::json::SCHEMA_VERSION;

/// `summary.json`: parameters, counts, timings and the files written; written last.
pub const SUMMARY: &str = "summary.json";
/// `rois.json`: `{"schema", "rois": [record...]}`, records as in [`ROI_FIELDS`].
pub const ROIS: &str = "rois.json";
/// `regions.json`: neurofinder format, every ROI, `[{"id", "plane", "coordinates": [[row, col]...],
/// "iscell"}]` (`iscell` as in `rois.json`; score cells only by keeping the records with it).
pub const REGIONS: &str = "regions.json";
/// `iscell.npy`: float64 `(rois, 2)`, `[is cell 0/1, score]`.
pub const ISCELL: &str = "iscell.npy";
/// `F.npy`: float32 `(rois, frames)`, ROI fluorescence.
pub const F: &str = "F.npy";
/// `Fneu.npy`: float32 `(rois, frames)`, neuropil fluorescence.
pub const FNEU: &str = "Fneu.npy";
/// `spks.npy`: float32 `(rois, frames)`, deconvolved activity.
pub const SPKS: &str = "spks.npy";
/// `dff.npy`: float32 `(rois, frames)`, dF/F of `F - 0.7 Fneu`.
pub const DFF: &str = "dff.npy";
/// `clusters.npy`: int64 `(rois,)`, cluster per ROI, -1 when not clustered.
pub const CLUSTERS: &str = "clusters.npy";
/// `covariance.png`: 8-bit cluster-sorted correlation image.
pub const COVARIANCE: &str = "covariance.png";
/// `registration.json`: per-plane shifts and quality.
pub const REGISTRATION: &str = "registration.json";
/// Folder of the projection images.
pub const PROJECTIONS_DIR: &str = "projections";
/// `projections/projections.json`: the list of projection images.
pub const PROJECTIONS: &str = "projections/projections.json";

/// `traces.csv`: one row per ROI (`id, plane, x, y, z, cluster, iscell`, then its dF/F per frame).
pub const TRACES_CSV: &str = "traces.csv";
/// `README.txt`: what each file of the folder holds and which tools open it.
pub const README: &str = "README.txt";
/// `stat.npy` of a suite2p plane folder: pickled object array `(plane_rois,)` of dicts.
pub const SUITE2P_STAT: &str = "stat.npy";
/// `ops.npy` of a suite2p plane folder: pickled 0-d object array holding a dict.
pub const SUITE2P_OPS: &str = "ops.npy";
/// `db.npy` of a suite2p plane folder: suite2p 1.x's recording dict, here the same pickled dict as
/// `ops.npy` (1.x reads `{**db, **settings}` where 0.x read `ops`, and opens a folder of plane
/// folders only when every plane has both).
pub const SUITE2P_DB: &str = "db.npy";
/// `settings.npy` of a suite2p plane folder: suite2p 1.x's pipeline dict, the same as `ops.npy`.
pub const SUITE2P_SETTINGS: &str = "settings.npy";
/// The files of a suite2p plane folder, in the order they are written.
pub const SUITE2P_FILES: [&str; 8] = [
    SUITE2P_STAT,
    SUITE2P_OPS,
    SUITE2P_DB,
    SUITE2P_SETTINGS,
    F,
    FNEU,
    SPKS,
    ISCELL,
];

/// `suite2p/plane{p}`: plane `p`'s suite2p folder.
#[must_use]
pub fn suite2p_dir(plane: usize) -> String {
    format!("suite2p/plane{plane}")
}

/// The four trace arrays, in the order they are written.
pub const TRACES: [&str; 4] = [F, FNEU, SPKS, DFF];

/// `nonrigid_plane{p}.npy`: float32 `(frames, blocks, 2)` block shifts of plane `p`.
#[must_use]
pub fn nonrigid_file(plane: usize) -> String {
    format!("nonrigid_plane{plane}.npy")
}

/// Progress step names (`{"step": ...}` lines on stdout) in the order a whole analysis runs
/// them; `merge` reports `merge` (shards read) and then `cluster`.
pub const PROGRESS_STEPS: [&str; 7] = [
    "register",
    "detect",
    "extract",
    "deconvolve",
    "cluster",
    "project",
    "merge",
];

/// Values of `parameters.step` in `summary.json`: the command (or single step) that wrote it.
pub const SUMMARY_STEPS: [&str; 7] = [
    "analyze",
    "register",
    "detect",
    "extract",
    "cluster",
    "cluster-traces",
    "merge",
];

/// Documents that carry `"schema": SCHEMA_VERSION` at their top level.
pub const VERSIONED_DOCUMENTS: [&str; 4] = [SUMMARY, ROIS, REGISTRATION, PROJECTIONS];

/// One field of a `rois.json` record.
#[derive(Clone, Debug, Serialize)]
pub struct FieldSpec {
    pub name: &'static str,
    /// JSON type: `integer`, `number`, `boolean`, `integer|null`, or an array described in words.
    #[serde(rename = "type")]
    pub json_type: &'static str,
    pub meaning: &'static str,
}

/// The fields of a `rois.json` record, in the order they are written.
pub const ROI_FIELDS: [FieldSpec; 9] = [
    FieldSpec {
        name: "id",
        json_type: "integer",
        meaning: "row in every (rois, ...) array, 0-based, plane after plane",
    },
    FieldSpec {
        name: "plane",
        json_type: "integer",
        meaning: "plane index in the recording",
    },
    FieldSpec {
        name: "x",
        json_type: "number",
        meaning: "centroid column (pixels)",
    },
    FieldSpec {
        name: "y",
        json_type: "number",
        meaning: "centroid row (pixels)",
    },
    FieldSpec {
        name: "z",
        json_type: "number",
        meaning: "depth: the plane index",
    },
    FieldSpec {
        name: "pixels",
        json_type: "integer",
        meaning: "pixel count (the coordinates are in regions.json)",
    },
    FieldSpec {
        name: "score",
        json_type: "number",
        meaning: "cell score in [0, 1]",
    },
    FieldSpec {
        name: "iscell",
        json_type: "boolean",
        meaning: "classified as a cell",
    },
    FieldSpec {
        name: "cluster",
        json_type: "integer|null",
        meaning: "activity cluster, null when not clustered",
    },
];

/// The fields of a `regions.json` record, in the order they are written.
pub const REGION_FIELDS: [FieldSpec; 4] = [
    FieldSpec {
        name: "id",
        json_type: "integer",
        meaning: "the ROI's id in rois.json",
    },
    FieldSpec {
        name: "plane",
        json_type: "integer",
        meaning: "plane index in the recording",
    },
    FieldSpec {
        name: "coordinates",
        json_type: "array of [row, col] integer pairs",
        meaning: "the ROI's pixels (neurofinder format)",
    },
    FieldSpec {
        name: "iscell",
        json_type: "boolean",
        meaning: "as iscell in rois.json",
    },
];

/// The fields of `summary.json`'s `input.voxel_size`: what the recording's metadata states
/// (`worker_core::tiff::VoxelSize`), each `null` when it does not.
pub const VOXEL_SIZE_FIELDS: [FieldSpec; 5] = [
    FieldSpec {
        name: "x",
        json_type: "number|null",
        meaning: "pixel width (along a row), in unit",
    },
    FieldSpec {
        name: "y",
        json_type: "number|null",
        meaning: "pixel height (along a column), in unit",
    },
    FieldSpec {
        name: "z",
        json_type: "number|null",
        meaning: "step between planes, in unit",
    },
    FieldSpec {
        name: "unit",
        json_type: "string|null",
        meaning: "µm for every known length unit (converted), else the metadata's own unit name; null when no size is known",
    },
    FieldSpec {
        name: "disagreement",
        json_type: "string|null",
        meaning: "when the input files state different sizes: which files state what (every size above is then null); absent (read as null) in older summaries",
    },
];

/// One file (or family of files, `{p}` = plane) of the results folder.
#[derive(Clone, Debug, Serialize)]
pub struct FileSpec {
    /// Path inside the results folder; `{p}` stands for a plane index.
    pub name: &'static str,
    /// `json`, `npy`, `png`, `gif`, `csv` or `txt`.
    pub kind: &'static str,
    /// NumPy dtype descriptor of a `.npy` (`<f4`, `<f8`, `<i8`; `|O` for a pickled object array).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtype: Option<&'static str>,
    /// Dimensions by name: `rois`, `plane_rois` (the ROIs of one plane), `frames`, `blocks` or a
    /// fixed size; empty for a 0-d array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<&'static [&'static str]>,
    /// Commands that write it (`analyze` and `merge` write every file; the `--input`
    /// conveniences of `detect`, `extract` and `cluster` also write what the steps before them
    /// write).
    pub written_by: &'static [&'static str],
    /// When it is written at all (`always` within those commands).
    pub when: &'static str,
}

const REGISTRATION_STEPS: &[&str] = &["analyze", "register", "merge"];
const ROI_STEPS: &[&str] = &["analyze", "detect", "extract", "cluster", "merge"];
const TRACE_STEPS: &[&str] = &["analyze", "extract", "cluster", "merge"];
const CLUSTER_STEPS: &[&str] = &["analyze", "cluster", "merge"];
const ROIS_X_FRAMES: &[&str] = &["rois", "frames"];

fn trace_file(name: &'static str) -> FileSpec {
    FileSpec {
        name,
        kind: "npy",
        dtype: Some("<f4"),
        shape: Some(ROIS_X_FRAMES),
        written_by: TRACE_STEPS,
        when: "always",
    }
}

const SUITE2P_STEPS: &[&str] = &["analyze", "cluster", "merge"];
const SUITE2P_WHEN: &str =
    "always for analyze and cluster --input; for merge when the shards have it (copied)";

/// A file of every suite2p plane folder (`plane_rois`: the plane's ROIs).
fn suite2p_file(name: &'static str) -> FileSpec {
    let (file, dtype, shape): (&'static str, &'static str, &'static [&'static str]) = match name {
        SUITE2P_STAT => ("suite2p/plane{p}/stat.npy", "|O", &["plane_rois"]),
        SUITE2P_OPS => ("suite2p/plane{p}/ops.npy", "|O", &[]),
        SUITE2P_DB => ("suite2p/plane{p}/db.npy", "|O", &[]),
        SUITE2P_SETTINGS => ("suite2p/plane{p}/settings.npy", "|O", &[]),
        ISCELL => ("suite2p/plane{p}/iscell.npy", "<f8", &["plane_rois", "2"]),
        F => ("suite2p/plane{p}/F.npy", "<f4", &["plane_rois", "frames"]),
        FNEU => (
            "suite2p/plane{p}/Fneu.npy",
            "<f4",
            &["plane_rois", "frames"],
        ),
        _ => (
            "suite2p/plane{p}/spks.npy",
            "<f4",
            &["plane_rois", "frames"],
        ),
    };
    FileSpec {
        name: file,
        kind: "npy",
        dtype: Some(dtype),
        shape: Some(shape),
        written_by: SUITE2P_STEPS,
        when: SUITE2P_WHEN,
    }
}

/// Every file of a results folder.
#[must_use]
pub fn files() -> Vec<FileSpec> {
    let json = |name, written_by, when| FileSpec {
        name,
        kind: "json",
        dtype: None,
        shape: None,
        written_by,
        when,
    };
    let mut v = vec![
        json(
            SUMMARY,
            &[
                "analyze", "register", "detect", "extract", "cluster", "merge",
            ],
            "always, last",
        ),
        json(ROIS, ROI_STEPS, "always"),
        json(REGIONS, ROI_STEPS, "always"),
        FileSpec {
            name: ISCELL,
            kind: "npy",
            dtype: Some("<f8"),
            shape: Some(&["rois", "2"]),
            written_by: ROI_STEPS,
            when: "always",
        },
    ];
    v.extend(TRACES.map(trace_file));
    v.extend([
        FileSpec {
            name: CLUSTERS,
            kind: "npy",
            dtype: Some("<i8"),
            shape: Some(&["rois"]),
            written_by: CLUSTER_STEPS,
            when: "always",
        },
        FileSpec {
            name: COVARIANCE,
            kind: "png",
            dtype: None,
            shape: None,
            written_by: CLUSTER_STEPS,
            when: "when at least one ROI was clustered",
        },
        json(REGISTRATION, REGISTRATION_STEPS, "always"),
        FileSpec {
            name: "nonrigid_plane{p}.npy",
            kind: "npy",
            dtype: Some("<f4"),
            shape: Some(&["frames", "blocks", "2"]),
            written_by: REGISTRATION_STEPS,
            when: "when non-rigid registration ran on plane p",
        },
        FileSpec {
            name: TRACES_CSV,
            kind: "csv",
            dtype: None,
            shape: None,
            written_by: CLUSTER_STEPS,
            when: "always, except by the cluster step on files (it has no ROI table)",
        },
    ]);
    v.extend(SUITE2P_FILES.map(suite2p_file));
    v.extend([
        json(
            PROJECTIONS,
            &["analyze", "merge"],
            "always for analyze; for merge when the shards have projections",
        ),
        FileSpec {
            name: "projections/<images[].file of projections.json>",
            kind: "png",
            dtype: None,
            shape: None,
            written_by: &["analyze", "merge"],
            when: "as listed in projections.json (.png and .gif)",
        },
        FileSpec {
            name: README,
            kind: "txt",
            dtype: None,
            shape: None,
            written_by: &[
                "analyze", "register", "detect", "extract", "cluster", "merge",
            ],
            when: "always",
        },
    ]);
    v
}

/// The machine-readable contract `scopecloud-worker schema` prints.
#[derive(Clone, Debug, Serialize)]
pub struct ResultsSchema {
    pub schema: u32,
    /// Top-level documents carrying `"schema"`.
    pub versioned_documents: [&'static str; 4],
    /// `.npy` conventions.
    pub npy: NpyConventions,
    pub files: Vec<FileSpec>,
    /// Fields of each record of `rois.json`'s `rois`.
    pub roi_record: [FieldSpec; 9],
    /// Fields of each record of `regions.json`.
    pub region_record: [FieldSpec; 4],
    pub progress_steps: [&'static str; 7],
    pub summary_steps: [&'static str; 7],
    /// Fields of `summary.json`'s `input.voxel_size`.
    pub summary_voxel_size: [FieldSpec; 5],
}

/// How every `.npy` is written.
#[derive(Clone, Debug, Serialize)]
pub struct NpyConventions {
    pub format_version: &'static str,
    pub byte_order: &'static str,
    pub order: &'static str,
}

/// The contract as data (no worker version: the file must not change with every release).
#[must_use]
pub fn describe() -> ResultsSchema {
    ResultsSchema {
        schema: SCHEMA_VERSION,
        versioned_documents: VERSIONED_DOCUMENTS,
        npy: NpyConventions {
            format_version: "1.0",
            byte_order: "little",
            order: "C",
        },
        files: files(),
        roi_record: ROI_FIELDS,
        region_record: REGION_FIELDS,
        progress_steps: PROGRESS_STEPS,
        summary_steps: SUMMARY_STEPS,
        summary_voxel_size: VOXEL_SIZE_FIELDS,
    }
}
