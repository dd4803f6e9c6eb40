//! Scoring against ground truth: neurofinder ROI matching, trace correlation, adjusted Rand
//! index, registration error.

pub mod hungarian;
pub mod metrics;
pub mod neurofinder;

pub use metrics::{adjusted_rand_index, correlation, registration_rmse};
pub use neurofinder::{centroid, score_rois, RoiScore};
