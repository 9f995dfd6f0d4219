//! The tracker of one increment: starts runs with atomic numbering across threads and
//! processes, and wraps a closure as a run that ends finished, failed or (on panic) failed.

use crate::error::{Result, TrackingError};
use crate::fsutil::create_dir_all;
use crate::mlflow::MlflowClient;
use crate::names::validate_experiment_name;
use crate::run::{EndHook, RUN_LOCK_FILE, Run, now_ms};
use specweave_core::records::{RunRecord, RunStatus};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Folder of an increment that holds the runs.
pub const EXPERIMENTS_DIR: &str = "experiments";
const NUMBERING_LOCK_FILE: &str = ".numbering.lock";
/// Metric points buffered in memory before a run writes them out by itself.
pub const DEFAULT_FLUSH_EVERY: usize = 100_000;

/// Tracks the experiments of one increment folder (`.specweave/increments/NNNN-slug`).
///
/// ```
/// use specweave_tracking::Tracker;
/// let increment = tempfile::tempdir()?;
/// let tracker = Tracker::open(increment.path())?;
/// let best = tracker.track_experiment("baseline-random", |run| {
///     run.log_param("seed", 42)?;
///     for epoch in 0..3_u32 {
///         run.log_metric("loss", 1.0 / f64::from(epoch + 1), u64::from(epoch))?;
///     }
///     Ok::<_, specweave_tracking::TrackingError>(0.33)
/// })?;
/// assert_eq!(best, 0.33);
/// let runs = tracker.list_runs()?;
/// assert_eq!(runs[0].record.id, "exp-001-baseline-random");
/// assert_eq!(tracker.metric_history("1", "loss")?.len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Tracker {
    increment: PathBuf,
    flush_every: usize,
    on_end: Option<EndHook>,
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracker")
            .field("increment", &self.increment)
            .field("flush_every", &self.flush_every)
            .field("mirrors_to_mlflow", &self.on_end.is_some())
            .finish()
    }
}

/// Why a tracked closure did not return a value.
#[derive(Debug)]
pub enum ExperimentError<E> {
    /// The closure returned this error; the run was recorded as failed with it as a note.
    Failed(E),
    /// Tracking itself failed (the run could not be created or ended).
    Tracking(TrackingError),
}

impl<E: std::fmt::Display> std::fmt::Display for ExperimentError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExperimentError::Failed(error) => write!(f, "experiment failed: {error}"),
            ExperimentError::Tracking(error) => write!(f, "tracking failed: {error}"),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for ExperimentError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExperimentError::Failed(_) => None,
            ExperimentError::Tracking(error) => Some(error),
        }
    }
}

impl<E> From<TrackingError> for ExperimentError<E> {
    fn from(error: TrackingError) -> Self {
        ExperimentError::Tracking(error)
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// The experiment number of a run folder name `exp-NNN-<name>`.
pub(crate) fn folder_number(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("exp-")?;
    let digits = rest.split('-').next()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl Tracker {
    /// A tracker for the increment folder `increment`, which must exist.
    pub fn open(increment: impl Into<PathBuf>) -> Result<Tracker> {
        let increment = increment.into();
        if !increment.is_dir() {
            return Err(TrackingError::NotFound {
                what: "increment folder",
                id: increment.display().to_string(),
                path: increment
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
            });
        }
        Ok(Tracker {
            increment,
            flush_every: DEFAULT_FLUSH_EVERY,
            on_end: None,
        })
    }

    /// Buffers this many metric points per run before writing them out unasked (at least 1).
    pub fn flush_every(mut self, points: usize) -> Tracker {
        self.flush_every = points.max(1);
        self
    }

    /// Mirrors every run to an MLflow tracking server when it ends. A server that cannot
    /// be reached loses nothing: the run stays in the increment and a later
    /// [`sync_increment`](crate::sync_increment) sends what is missing.
    pub fn mirror_to_mlflow(mut self, client: MlflowClient) -> Tracker {
        let client = Arc::new(client);
        let increment = self.increment.clone();
        self.on_end = Some(Arc::new(move |run_dir: &Path| {
            if let Err(error) = crate::mlflow::sync_run(&client, &increment, run_dir) {
                tracing::warn!(run = %run_dir.display(), %error, "run not sent to MLflow; `specweave sync-mlflow` will send it later");
            }
        }));
        self
    }

    /// The increment folder.
    pub fn increment(&self) -> &Path {
        &self.increment
    }

    /// The `experiments/` folder of the increment.
    pub fn experiments_dir(&self) -> PathBuf {
        self.increment.join(EXPERIMENTS_DIR)
    }

    /// Starts a run `experiments/exp-NNN-<name>/` (guard form). Numbers are unique across
    /// threads and processes. End it with [`Run::finish`] (or [`Run::fail`]); a run that is
    /// dropped unended is recorded as failed, one whose process dies reads as killed.
    pub fn start_experiment(&self, name: &str) -> Result<Run> {
        validate_experiment_name(name)?;
        let experiments = self.experiments_dir();
        create_dir_all(&experiments)?;
        let lock_path = experiments.join(NUMBERING_LOCK_FILE);
        let numbering = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(TrackingError::io("open", &lock_path))?;
        numbering
            .lock()
            .map_err(TrackingError::io("lock", &lock_path))?;
        let started = self.create_run_locked(&experiments, name);
        // Unlocking also happens when the file closes; doing it here keeps the lock short.
        let _ = numbering.unlock();
        started
    }

    fn create_run_locked(&self, experiments: &Path, name: &str) -> Result<Run> {
        let mut highest = 0;
        for entry in
            std::fs::read_dir(experiments).map_err(TrackingError::io("read", experiments))?
        {
            let entry = entry.map_err(TrackingError::io("read", experiments))?;
            if let Some(number) = folder_number(&entry.file_name().to_string_lossy()) {
                highest = highest.max(number);
            }
        }
        let number = highest + 1;
        let id = format!("exp-{number:03}-{name}");
        let dir = experiments.join(&id);
        std::fs::create_dir(&dir).map_err(TrackingError::io("create folder", &dir))?;
        // Lock before run.json exists, so no reader ever sees a running run without its lock.
        let liveness_path = dir.join(RUN_LOCK_FILE);
        let liveness =
            File::create(&liveness_path).map_err(TrackingError::io("create", &liveness_path))?;
        liveness
            .lock()
            .map_err(TrackingError::io("lock", &liveness_path))?;
        let record = RunRecord {
            id,
            number,
            name: name.to_owned(),
            status: RunStatus::Running,
            start_time_ms: now_ms(),
            end_time_ms: None,
            tags: BTreeMap::new(),
            notes: Vec::new(),
            environment: crate::environment::capture_environment(&self.increment),
            data_fingerprint: None,
            schema_fingerprint: None,
            pid: Some(std::process::id()),
            host: Some(crate::environment::host_name().to_owned()),
        };
        Run::create(dir, record, liveness, self.flush_every, self.on_end.clone())
    }

    /// Runs `body` as the experiment `name` (closure form): the run ends finished when it
    /// returns `Ok`, failed with the error text as a note when it returns `Err`, and failed
    /// with the panic message when it panics (the panic then continues).
    pub fn track_experiment<T, E, F>(&self, name: &str, body: F) -> Result<T, ExperimentError<E>>
    where
        E: std::fmt::Display,
        F: FnOnce(&Run) -> Result<T, E>,
    {
        let run = self.start_experiment(name)?;
        match catch_unwind(AssertUnwindSafe(|| body(&run))) {
            Ok(Ok(value)) => {
                run.finish()?;
                Ok(value)
            }
            Ok(Err(error)) => {
                run.fail(&error.to_string())?;
                Err(ExperimentError::Failed(error))
            }
            Err(payload) => {
                let message = format!("panicked: {}", panic_message(payload.as_ref()));
                if let Err(error) = run.fail(&message) {
                    tracing::error!(%error, "could not record the panic of a tracked experiment");
                }
                resume_unwind(payload)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_numbers_parse() {
        assert_eq!(folder_number("exp-007-x"), Some(7));
        assert_eq!(folder_number("exp-1234-long-name"), Some(1234));
        assert_eq!(folder_number("exp--x"), None);
        assert_eq!(folder_number("comparison.md"), None);
    }
}
