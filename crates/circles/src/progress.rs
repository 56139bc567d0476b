//! Progress reporting for long operations, so a CLI can draw a bar and a server can poll a stage.

/// Receives the stages of a long operation. Implementations must be cheap: `inc` is called from
/// worker threads, often.
pub trait Progress: Sync {
    /// A new stage begins, with `total` units of work (0 when unknown).
    fn start(&self, stage: &str, total: u64);
    /// `n` more units of the current stage are done.
    fn inc(&self, n: u64);
    /// The current stage is done.
    fn finish(&self);
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _stage: &str, _total: u64) {}
    fn inc(&self, _n: u64) {}
    fn finish(&self) {}
}

/// Remembers the stages it was told about; for tests and for servers that poll.
#[derive(Debug, Default)]
pub struct RecordingProgress {
    state: std::sync::Mutex<ProgressState>,
}

/// A snapshot of a [`RecordingProgress`].
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ProgressState {
    /// Stages in the order they started.
    pub stages: Vec<String>,
    /// The current (last started) stage.
    pub stage: String,
    pub done: u64,
    pub total: u64,
    pub finished: bool,
}

impl RecordingProgress {
    /// A copy of the current state.
    pub fn snapshot(&self) -> ProgressState {
        match self.state.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn with(&self, f: impl FnOnce(&mut ProgressState)) {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

impl Progress for RecordingProgress {
    fn start(&self, stage: &str, total: u64) {
        self.with(|s| {
            s.stages.push(stage.to_string());
            s.stage = stage.to_string();
            s.done = 0;
            s.total = total;
            s.finished = false;
        });
    }
    fn inc(&self, n: u64) {
        self.with(|s| s.done += n);
    }
    fn finish(&self) {
        self.with(|s| s.finished = true);
    }
}
