//! JSON-lines progress on stdout: `{"step":"register","done":1200,"total":6000}`.
//! Lines are throttled to about ten per second per step; the first and last event of a step
//! are always printed.

use std::io::Write;
use std::time::{Duration, Instant};
use worker_core::progress::Progress;

#[derive(serde::Serialize)]
struct Line<'a> {
    step: &'a str,
    done: u64,
    total: u64,
}

/// Turns [`Progress`] events into throttled JSON lines.
pub struct JsonProgress {
    last: Option<(String, Instant)>,
    interval: Duration,
}

impl JsonProgress {
    pub fn new() -> Self {
        JsonProgress {
            last: None,
            interval: Duration::from_millis(100),
        }
    }

    /// Prints `p` unless a line for the same step was printed less than the interval ago.
    pub fn emit(&mut self, p: Progress) {
        self.emit_raw(p.step, p.done, p.total);
    }

    /// Like [`JsonProgress::emit`] for steps named at run time.
    pub fn emit_raw(&mut self, step: &str, done: u64, total: u64) {
        let now = Instant::now();
        let same_step_recent =
            matches!(&self.last, Some((s, t)) if s == step && now - *t < self.interval);
        if same_step_recent && done != 0 && done < total {
            return;
        }
        self.last = Some((step.to_string(), now));
        let Ok(line) = serde_json::to_string(&Line { step, done, total }) else {
            return;
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", line);
        let _ = out.flush();
    }
}
