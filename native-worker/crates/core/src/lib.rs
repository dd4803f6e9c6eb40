//! scopecloud-worker-core: the analysis library behind the `scopecloud-worker` CLI.

pub mod movie;

// Input/output (TIFF reader, writers, projections).
pub mod output;
pub mod progress;
pub mod project;
pub mod tiff;

// Algorithms (registration ... clustering), the synthetic generator and scoring.
pub mod cluster;
pub mod deconv;
pub mod detect;
pub mod extract;
pub mod merge;
pub mod pipeline;
pub mod register;
pub mod rng;
pub mod roi;
pub mod score;
pub mod source;
pub mod steps;
pub mod synth;

pub use movie::Movie;
