//! Progress reporting shared by every long-running step. The CLI turns each [`Progress`] into
//! one JSON line on stdout (`{"step":"register","done":1200,"total":6000}`).

use serde::Serialize;

/// One progress event: `done` of `total` units of `step` are finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Step name: `read`, `register`, `detect`, `extract`, `deconvolve`, `cluster`, `project`, `write`.
    pub step: &'static str,
    pub done: u64,
    pub total: u64,
}

/// Receives progress events. Implemented for every `FnMut(Progress)`.
pub trait ProgressSink {
    /// Called whenever a step advances; must be cheap (called up to once per frame).
    fn report(&mut self, p: Progress);
}

impl<F: FnMut(Progress)> ProgressSink for F {
    fn report(&mut self, p: Progress) {
        self(p)
    }
}
