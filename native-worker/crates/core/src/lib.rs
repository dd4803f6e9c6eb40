//! scopecloud-worker-core: the analysis library behind the `scopecloud-worker` CLI.

pub mod movie;

pub use movie::Movie;
