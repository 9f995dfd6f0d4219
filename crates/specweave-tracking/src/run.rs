//! A live run: the handle that logs params, metrics, artifacts, notes and tags into one
//! `experiments/exp-NNN-<name>/` folder, and ends it as finished or failed.

use crate::error::{Result, TrackingError};
use crate::fsutil::{append, atomic_write, atomic_write_json, create_dir_all};
use crate::names::{
    validate_key, validate_param_value, validate_relative_name, validate_tag_value,
};
use crate::params::ParamValue;
use serde::{Deserialize, Serialize};
use specweave_core::Dataset;
use specweave_core::records::{
    self, METRICS_FILE, METRICS_HISTORY_FILE, PARAMS_FILE, RUN_FILE, RunRecord, RunStatus,
};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// File a live run holds locked; a reader that can take the lock knows the writer died.
pub(crate) const RUN_LOCK_FILE: &str = "run.lock";
/// Folder of a run's artifacts.
pub const ARTIFACTS_DIR: &str = "artifacts";
/// Folder of a run's logs.
pub const LOGS_DIR: &str = "logs";
/// Folder (inside `artifacts/`) of the reports a run saves.
pub const REPORTS_DIR: &str = "reports";

/// A run's role in the increment, written as the [`records::TAG_ROLE`] tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A baseline (random, popularity, most frequent, mean, ...).
    Baseline,
    /// A candidate model.
    Candidate,
    /// A tuning run or trial.
    Tuning,
}

impl Role {
    /// The tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Baseline => records::ROLE_BASELINE,
            Role::Candidate => records::ROLE_CANDIDATE,
            Role::Tuning => records::ROLE_TUNING,
        }
    }
}

/// Called with the run folder after a run ends (used to mirror runs to an MLflow server).
pub(crate) type EndHook = Arc<dyn Fn(&Path) + Send + Sync>;

/// A buffered metric point; the key is an index into the run's key table, so logging a
/// point allocates nothing.
#[derive(Debug, Clone, Copy)]
struct PendingPoint {
    key: u32,
    value: f64,
    step: u64,
    timestamp_ms: i64,
}

struct RunState {
    record: RunRecord,
    params: BTreeMap<String, String>,
    /// Metric keys in order of first use, their JSON text and the latest value of each.
    keys: Vec<String>,
    keys_json: Vec<String>,
    key_ids: HashMap<String, u32>,
    latest: Vec<f64>,
    pending: Vec<PendingPoint>,
    ended: bool,
}

impl RunState {
    /// The id of a metric key; a key is validated the first time it is seen.
    fn key_id(&mut self, key: &str) -> Result<u32> {
        if let Some(&id) = self.key_ids.get(key) {
            return Ok(id);
        }
        validate_key("metric key", key)?;
        let id = u32::try_from(self.keys.len()).map_err(|_| TrackingError::InvalidName {
            what: "metric key",
            value: key.to_owned(),
            rule: "a run holds at most 2^32 metric keys".into(),
        })?;
        self.keys.push(key.to_owned());
        self.keys_json
            .push(serde_json::Value::String(key.to_owned()).to_string());
        self.key_ids.insert(key.to_owned(), id);
        self.latest.push(f64::NAN);
        Ok(id)
    }

    fn latest_map(&self) -> BTreeMap<String, f64> {
        self.keys
            .iter()
            .cloned()
            .zip(self.latest.iter().copied())
            .collect()
    }
}

/// Appends one `metrics.jsonl` line in [`MetricPoint`]'s format.
fn write_point_line(out: &mut Vec<u8>, key_json: &str, point: &PendingPoint) {
    use std::io::Write as _;
    let value = point.value;
    // Writing to a Vec cannot fail.
    let _ = if value.is_finite() {
        // `{:?}` is the shortest text that reads back as the same f64, and valid JSON.
        write!(out, "{{\"key\":{key_json},\"value\":{value:?},")
    } else {
        let text = if value.is_nan() {
            "NaN"
        } else if value > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        };
        write!(out, "{{\"key\":{key_json},\"value\":\"{text}\",")
    };
    let _ = writeln!(
        out,
        "\"step\":{},\"timestamp_ms\":{}}}",
        point.step, point.timestamp_ms
    );
}

/// A live experiment run. Obtained from [`Tracker::start_experiment`](crate::Tracker::start_experiment)
/// (guard form: call [`Run::finish`]) or inside [`Tracker::track_experiment`](crate::Tracker::track_experiment).
///
/// Every method takes `&self`, so one run can be shared by the threads of a training job.
/// Metric points are buffered in memory; [`Run::flush`] makes everything logged so far
/// durable, and ending the run flushes. A run dropped without being ended is recorded as
/// failed, with a note saying so.
///
/// ```
/// use specweave_tracking::{Role, Tracker};
/// let increment = tempfile::tempdir()?;
/// let tracker = Tracker::open(increment.path())?;
/// let run = tracker.start_experiment("baseline-mean")?;
/// run.set_role(Role::Baseline)?;
/// run.log_param("strategy", "mean")?;
/// run.log_metric("rmse", 1.25, 0)?;
/// let record = run.finish()?;
/// assert_eq!(record.id, "exp-001-baseline-mean");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Run {
    dir: PathBuf,
    state: Mutex<RunState>,
    liveness: Mutex<Option<File>>,
    flush_every: usize,
    on_end: Option<EndHook>,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// `metrics.json`: latest value per key, NaN and ±inf as MLflow's strings.
pub(crate) fn latest_metrics_json(latest: &BTreeMap<String, f64>) -> serde_json::Value {
    let map = latest
        .iter()
        .map(|(key, &value)| {
            let json = serde_json::Number::from_f64(value)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| {
                    serde_json::Value::String(
                        if value.is_nan() {
                            "NaN"
                        } else if value > 0.0 {
                            "Infinity"
                        } else {
                            "-Infinity"
                        }
                        .to_owned(),
                    )
                });
            (key.clone(), json)
        })
        .collect();
    serde_json::Value::Object(map)
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Run {
    pub(crate) fn create(
        dir: PathBuf,
        record: RunRecord,
        liveness: File,
        flush_every: usize,
        on_end: Option<EndHook>,
    ) -> Result<Run> {
        create_dir_all(&dir.join(ARTIFACTS_DIR))?;
        create_dir_all(&dir.join(LOGS_DIR))?;
        atomic_write_json(&dir.join(PARAMS_FILE), &BTreeMap::<String, String>::new())?;
        atomic_write_json(&dir.join(METRICS_FILE), &serde_json::json!({}))?;
        append(&dir.join(METRICS_HISTORY_FILE), b"", false)?;
        atomic_write_json(&dir.join(RUN_FILE), &record)?;
        Ok(Run {
            dir,
            state: Mutex::new(RunState {
                record,
                params: BTreeMap::new(),
                keys: Vec::new(),
                keys_json: Vec::new(),
                key_ids: HashMap::new(),
                latest: Vec::new(),
                pending: Vec::new(),
                ended: false,
            }),
            liveness: Mutex::new(Some(liveness)),
            flush_every: flush_every.max(1),
            on_end,
        })
    }

    fn state(&self) -> MutexGuard<'_, RunState> {
        // A panic in another logging thread leaves the state consistent (every update is
        // a single push or insert), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn live_state(&self) -> Result<MutexGuard<'_, RunState>> {
        let state = self.state();
        if state.ended {
            return Err(TrackingError::RunEnded(state.record.id.clone()));
        }
        Ok(state)
    }

    /// The run folder, `.../experiments/exp-NNN-<name>`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The run id, e.g. `exp-003-random-forest`.
    pub fn id(&self) -> String {
        self.state().record.id.clone()
    }

    /// The experiment number.
    pub fn number(&self) -> u32 {
        self.state().record.number
    }

    /// A copy of the run record as it stands.
    pub fn record(&self) -> RunRecord {
        self.state().record.clone()
    }

    /// Logs one param. Logging the same key again with the same value is a no-op; with a
    /// different value it is an error, as in MLflow.
    pub fn log_param(&self, key: &str, value: impl ParamValue) -> Result<()> {
        self.log_params([(key, value)])
    }

    /// Logs several params at once (one write of `params.json`).
    pub fn log_params<K: AsRef<str>, V: ParamValue>(
        &self,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<()> {
        let mut state = self.live_state()?;
        let mut staged = state.params.clone();
        for (key, value) in params {
            let key = key.as_ref();
            validate_key("param key", key)?;
            let value = value.to_param_string();
            validate_param_value(key, &value)?;
            match staged.get(key) {
                Some(old) if *old != value => {
                    return Err(TrackingError::ParamChanged {
                        key: key.to_owned(),
                        old: old.clone(),
                        new: value,
                    });
                }
                Some(_) => {}
                None => {
                    staged.insert(key.to_owned(), value);
                }
            }
        }
        if staged != state.params {
            atomic_write_json(&self.dir.join(PARAMS_FILE), &staged)?;
            state.params = staged;
        }
        Ok(())
    }

    /// Logs one metric value at a step (0 when not stepped). NaN and ±inf are stored.
    /// Buffered: call [`Run::flush`] to make it durable before the run ends.
    pub fn log_metric(&self, key: &str, value: f64, step: u64) -> Result<()> {
        let timestamp_ms = now_ms();
        let mut state = self.live_state()?;
        self.push_point(&mut state, key, value, step, timestamp_ms)
    }

    /// Logs one metric value at a step with the time it was measured.
    pub(crate) fn log_metric_at(
        &self,
        key: &str,
        value: f64,
        step: u64,
        timestamp_ms: i64,
    ) -> Result<()> {
        let mut state = self.live_state()?;
        self.push_point(&mut state, key, value, step, timestamp_ms)
    }

    /// Logs several metrics at one step, with one timestamp.
    pub fn log_metrics<K: AsRef<str>>(
        &self,
        metrics: impl IntoIterator<Item = (K, f64)>,
        step: u64,
    ) -> Result<()> {
        let timestamp_ms = now_ms();
        let mut state = self.live_state()?;
        for (key, value) in metrics {
            self.push_point(&mut state, key.as_ref(), value, step, timestamp_ms)?;
        }
        Ok(())
    }

    fn push_point(
        &self,
        state: &mut RunState,
        key: &str,
        value: f64,
        step: u64,
        timestamp_ms: i64,
    ) -> Result<()> {
        let key = state.key_id(key)?;
        state.latest[key as usize] = value;
        state.pending.push(PendingPoint {
            key,
            value,
            step,
            timestamp_ms,
        });
        if state.pending.len() >= self.flush_every {
            self.flush_locked(state)?;
        }
        Ok(())
    }

    fn flush_locked(&self, state: &mut RunState) -> Result<()> {
        if state.pending.is_empty() {
            return Ok(());
        }
        let history = self.dir.join(METRICS_HISTORY_FILE);
        let mut lines = Vec::with_capacity(state.pending.len() * 80);
        for point in &state.pending {
            write_point_line(&mut lines, &state.keys_json[point.key as usize], point);
        }
        // One append of whole lines, then sync: a crash can only tear the last line.
        append(&history, &lines, true)?;
        state.pending.clear();
        atomic_write_json(
            &self.dir.join(METRICS_FILE),
            &latest_metrics_json(&state.latest_map()),
        )
    }

    /// Writes every buffered metric point to `metrics.jsonl` and `metrics.json` and syncs
    /// them to disk: after `flush` returns, what was logged survives a crash.
    pub fn flush(&self) -> Result<()> {
        let mut state = self.state();
        self.flush_locked(&mut state)
    }

    /// Sets a tag (MLflow's rules for the key, at most 8000 characters for the value).
    pub fn set_tag(&self, key: &str, value: &str) -> Result<()> {
        validate_key("tag key", key)?;
        validate_tag_value(key, value)?;
        let mut state = self.live_state()?;
        state.record.tags.insert(key.to_owned(), value.to_owned());
        atomic_write_json(&self.dir.join(RUN_FILE), &state.record)
    }

    /// Tags the run's role (baseline, candidate, tuning) for the increment gates.
    pub fn set_role(&self, role: Role) -> Result<()> {
        self.set_tag(records::TAG_ROLE, role.as_str())
    }

    /// Tags the metric the run is ranked by, e.g. `precision@10`.
    pub fn set_headline_metric(&self, key: &str) -> Result<()> {
        validate_key("metric key", key)?;
        self.set_tag(records::TAG_HEADLINE_METRIC, key)
    }

    /// Tags the run's algorithm, e.g. `item_knn`.
    pub fn set_algorithm(&self, algorithm: &str) -> Result<()> {
        self.set_tag(records::TAG_ALGORITHM, algorithm)
    }

    /// Adds a note to `run.json`.
    pub fn log_note(&self, note: &str) -> Result<()> {
        let mut state = self.live_state()?;
        state.record.notes.push(note.to_owned());
        atomic_write_json(&self.dir.join(RUN_FILE), &state.record)
    }

    /// Records the status the run ends with (e.g. `Failed` with the reason as a note); the
    /// run stays open for logging until it is finished, and is shown with this status.
    pub fn set_status(&self, status: RunStatus, reason: &str) -> Result<()> {
        let mut state = self.live_state()?;
        state.record.status = status;
        if !reason.is_empty() {
            state.record.notes.push(reason.to_owned());
        }
        atomic_write_json(&self.dir.join(RUN_FILE), &state.record)
    }

    /// Records the fingerprints of the training data and its schema.
    pub fn log_dataset(&self, data: &Dataset) -> Result<()> {
        let data_fingerprint = crate::environment::data_fingerprint(data);
        let schema_fingerprint = crate::environment::schema_fingerprint(data);
        let mut state = self.live_state()?;
        state.record.data_fingerprint = Some(data_fingerprint);
        state.record.schema_fingerprint = Some(schema_fingerprint);
        atomic_write_json(&self.dir.join(RUN_FILE), &state.record)
    }

    fn artifact_path(&self, folder: &str, name: &str) -> Result<PathBuf> {
        validate_relative_name("artifact name", name)?;
        let path = self.dir.join(folder).join(name);
        if let Some(parent) = path.parent() {
            create_dir_all(parent)?;
        }
        Ok(path)
    }

    /// Copies a file or folder into `artifacts/`, under its own file name. Returns the copy.
    pub fn log_artifact(&self, source: impl AsRef<Path>) -> Result<PathBuf> {
        let source = source.as_ref();
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| TrackingError::InvalidName {
                what: "artifact path",
                value: source.display().to_string(),
                rule: "the path must name a file or folder".into(),
            })?;
        self.log_artifact_as(source, &name)
    }

    /// Copies a file or folder into `artifacts/<name>` (`name` may contain folders).
    pub fn log_artifact_as(&self, source: impl AsRef<Path>, name: &str) -> Result<PathBuf> {
        let _live = self.live_state()?;
        let target = self.artifact_path(ARTIFACTS_DIR, name)?;
        copy_recursively(source.as_ref(), &target)?;
        Ok(target)
    }

    /// Serializes `value` as JSON into `artifacts/<name>` (atomically).
    pub fn save_artifact<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<PathBuf> {
        let _live = self.live_state()?;
        let target = self.artifact_path(ARTIFACTS_DIR, name)?;
        let mut bytes =
            serde_json::to_vec_pretty(value).map_err(|source| TrackingError::Serialize {
                what: format!("artifact `{name}`"),
                source,
            })?;
        bytes.push(b'\n');
        atomic_write(&target, &bytes)?;
        Ok(target)
    }

    /// Saves a markdown report as `artifacts/reports/<name>` (atomically).
    pub fn save_report(&self, name: &str, markdown: &str) -> Result<PathBuf> {
        let _live = self.live_state()?;
        validate_relative_name("report name", name)?;
        let target = self.artifact_path(ARTIFACTS_DIR, &format!("{REPORTS_DIR}/{name}"))?;
        atomic_write(&target, markdown.as_bytes())?;
        Ok(target)
    }

    /// Appends a line to `logs/<name>`.
    pub fn append_log(&self, name: &str, line: &str) -> Result<()> {
        let _live = self.live_state()?;
        let target = self.artifact_path(LOGS_DIR, name)?;
        let mut bytes = line.trim_end_matches('\n').as_bytes().to_vec();
        bytes.push(b'\n');
        append(&target, &bytes, false)
    }

    /// Ends the run: flushes, records the end time and status (finished unless a status
    /// was set), and releases it. Returns the final record.
    pub fn finish(self) -> Result<RunRecord> {
        self.end(None)
    }

    /// Ends the run as failed, with `reason` as a note.
    pub fn fail(self, reason: &str) -> Result<RunRecord> {
        self.end(Some((RunStatus::Failed, reason)))
    }

    fn end(&self, outcome: Option<(RunStatus, &str)>) -> Result<RunRecord> {
        let record = {
            let mut state = self.live_state()?;
            let flushed = self.flush_locked(&mut state);
            if let Err(error) = &flushed {
                state
                    .record
                    .notes
                    .push(format!("metrics could not be flushed: {error}"));
            }
            match outcome {
                Some((status, reason)) => {
                    state.record.status = status;
                    state.record.notes.push(reason.to_owned());
                }
                None if state.record.status == RunStatus::Running => {
                    state.record.status = if flushed.is_ok() {
                        RunStatus::Finished
                    } else {
                        RunStatus::Failed
                    };
                }
                None => {}
            }
            state.record.end_time_ms = Some(now_ms());
            atomic_write_json(&self.dir.join(RUN_FILE), &state.record)?;
            state.ended = true;
            flushed?;
            state.record.clone()
        };
        // The final record is on disk: release the liveness lock.
        let released = self
            .liveness
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        drop(released);
        let _ = std::fs::remove_file(self.dir.join(RUN_LOCK_FILE));
        if let Some(hook) = &self.on_end {
            hook(&self.dir);
        }
        Ok(record)
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if self.state().ended {
            return;
        }
        let reason = if std::thread::panicking() {
            "the run was dropped while its thread panicked"
        } else {
            "the run was dropped without being finished"
        };
        if let Err(error) = self.end(Some((RunStatus::Failed, reason))) {
            tracing::error!(run = %self.dir.display(), %error, "could not record the end of a dropped run");
        }
    }
}

/// Copies a file, or a folder recursively.
pub(crate) fn copy_recursively(source: &Path, target: &Path) -> Result<u64> {
    let metadata = std::fs::metadata(source).map_err(TrackingError::io("read", source))?;
    if metadata.is_dir() {
        create_dir_all(target)?;
        let mut total = 0;
        for entry in std::fs::read_dir(source).map_err(TrackingError::io("read", source))? {
            let entry = entry.map_err(TrackingError::io("read", source))?;
            total += copy_recursively(&entry.path(), &target.join(entry.file_name()))?;
        }
        Ok(total)
    } else {
        std::fs::copy(source, target).map_err(TrackingError::io("copy to", target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use specweave_core::records::MetricPoint;

    #[test]
    fn point_lines_parse_as_metric_points() -> std::result::Result<(), serde_json::Error> {
        for value in [
            0.1,
            1.0,
            -2.5e-7,
            1e300,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let mut line = Vec::new();
            let point = PendingPoint {
                key: 0,
                value,
                step: 7,
                timestamp_ms: 1_700_000_000_123,
            };
            write_point_line(&mut line, "\"val/loss \\\"q\\\"\"", &point);
            assert_eq!(line.last(), Some(&b'\n'));
            let parsed: MetricPoint = serde_json::from_slice(&line)?;
            assert_eq!(parsed.key, "val/loss \"q\"");
            assert_eq!((parsed.step, parsed.timestamp_ms), (7, 1_700_000_000_123));
            assert!(
                parsed.value == value || (parsed.value.is_nan() && value.is_nan()),
                "{value}"
            );
        }
        Ok(())
    }
}
