//! JSON-lines progress on stdout: `{"step":"register","done":1200,"total":6000}`.
//! Lines are throttled to about ten per second per step; the first and last event of a step
//! are always printed.

use std::io::Write;
use std::time::{Duration, Instant};
use worker_core::progress::Progress;

/// Turns [`Progress`] events into throttled JSON lines.
pub struct JsonProgress {
    last: Option<(&'static str, Instant)>,
    interval: Duration,
}

impl JsonProgress {
    pub fn new() -> Self {
        JsonProgress { last: None, interval: Duration::from_millis(100) }
    }

    /// Prints `p` unless a line for the same step was printed less than the interval ago.
    pub fn emit(&mut self, p: Progress) {
        let now = Instant::now();
        let same_step_recent = matches!(self.last, Some((s, t)) if s == p.step && now - t < self.interval);
        if same_step_recent && p.done != 0 && p.done < p.total {
            return;
        }
        self.last = Some((p.step, now));
        let Ok(line) = serde_json::to_string(&p) else { return };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", line);
        let _ = out.flush();
    }
}
