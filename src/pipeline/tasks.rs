//! Running an increment's tasks in order, resumably.
//!
//! A task's outputs are kept in `pipeline-state/<task>.json` when it completes, so a later
//! run resumes at the first task that is not completed: the completed ones are loaded
//! instead of re-run (or, for the cheap deterministic data stages, recomputed without
//! writing anything). Once one task runs, every later task runs too, since its inputs may
//! have changed. [`TaskSelection`] forces a full re-run or stops after one task, and
//! [`TaskObserver`] sees each task start and end (the command line draws progress bars).

use crate::error::{Error, Result, write_atomic};
use serde::Serialize;
use serde::de::DeserializeOwned;
use specweave_spec::{Increment, TaskStatus};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Folder of the saved task outputs inside an increment.
pub const STATE_DIR: &str = "pipeline-state";

/// How a task ended, as told to a [`TaskObserver`].
#[derive(Debug, Clone, PartialEq)]
pub enum TaskEnd {
    /// It ran and completed.
    Completed {
        /// Wall-clock seconds it took.
        seconds: f64,
    },
    /// It was completed by an earlier run; its saved outputs were used.
    Resumed,
    /// It failed with this message.
    Failed(String),
}

/// Sees every task of a pipeline run start and end.
///
/// ```
/// use specweave::pipeline::{TaskEnd, TaskObserver};
/// use std::sync::Mutex;
///
/// #[derive(Default)]
/// struct Log(Mutex<Vec<String>>);
/// impl TaskObserver for Log {
///     fn task_started(&self, id: &str, title: &str) {
///         self.0.lock().unwrap().push(format!("{id} {title}"));
///     }
///     fn task_ended(&self, id: &str, _title: &str, end: &TaskEnd) {
///         self.0.lock().unwrap().push(format!("{id} {end:?}"));
///     }
/// }
/// let log = Log::default();
/// log.task_started("T-001", "Exploratory data analysis");
/// log.task_ended("T-001", "Exploratory data analysis", &TaskEnd::Resumed);
/// assert_eq!(log.0.lock().unwrap().len(), 2);
/// ```
pub trait TaskObserver: Send + Sync {
    /// `id` starts (or is about to be resumed).
    fn task_started(&self, id: &str, title: &str);
    /// `id` ended.
    fn task_ended(&self, id: &str, title: &str, end: &TaskEnd);
}

/// Which tasks a pipeline run executes. The default resumes: completed tasks are loaded
/// from their saved outputs and the run goes on from the first pending one.
///
/// ```
/// use specweave::pipeline::TaskSelection;
///
/// let only_candidates = TaskSelection::default().until("T-004");
/// assert_eq!(only_candidates.stop_after(), Some("T-004"));
/// assert!(!only_candidates.is_forced());
/// assert!(TaskSelection::default().force(true).is_forced());
/// ```
#[derive(Clone, Default)]
pub struct TaskSelection {
    force: bool,
    until: Option<String>,
    observer: Option<Arc<dyn TaskObserver>>,
}

impl std::fmt::Debug for TaskSelection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskSelection")
            .field("force", &self.force)
            .field("until", &self.until)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

impl TaskSelection {
    /// Re-runs every task, completed or not.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Runs the tasks up to `task`, re-running `task` itself even when it is completed, and
    /// stops there; later tasks are set back to pending, as their inputs changed. Tasks
    /// that share the final model's run (T-006 to T-008, and T-011 for forecasting) run
    /// together.
    pub fn until(mut self, task: impl Into<String>) -> Self {
        self.until = Some(task.into());
        self
    }

    /// Tells `observer` about every task.
    pub fn observer(mut self, observer: Arc<dyn TaskObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Whether completed tasks are re-run.
    pub fn is_forced(&self) -> bool {
        self.force
    }

    /// The task the run stops after, if any.
    pub fn stop_after(&self) -> Option<&str> {
        self.until.as_deref()
    }
}

/// Runs the tasks of one pipeline run in order under a [`TaskSelection`].
pub(crate) struct TaskRunner<'a> {
    increment: &'a Increment,
    selection: &'a TaskSelection,
    /// Set once a task has run: every later task must run too.
    ran: bool,
    /// Set once the selected last task has run.
    stopped: bool,
    visited: BTreeSet<String>,
}

impl<'a> TaskRunner<'a> {
    /// Checks that the task to stop after exists in `tasks.md`.
    pub(crate) fn new(increment: &'a Increment, selection: &'a TaskSelection) -> Result<Self> {
        if let Some(until) = &selection.until {
            let tasks = increment.tasks()?;
            if tasks.get(until).is_none() {
                return Err(Error::invalid(
                    "task",
                    format!(
                        "{until} is not a task of {}; tasks.md has {}",
                        increment.id(),
                        tasks
                            .tasks
                            .iter()
                            .map(|t| t.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        Ok(TaskRunner {
            increment,
            selection,
            ran: false,
            stopped: false,
            visited: BTreeSet::new(),
        })
    }

    /// Whether the run stopped after the selected task.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped
    }

    fn state_path(&self, key: &str) -> PathBuf {
        self.increment
            .dir()
            .join(STATE_DIR)
            .join(format!("{key}.json"))
    }

    /// Whether every task of `ids` may be resumed: completed, not forced, not the
    /// selected task, and no earlier task of this run has run.
    fn resumable(&self, ids: &[&str]) -> Result<bool> {
        if self.ran || self.selection.force {
            return Ok(false);
        }
        if let Some(until) = &self.selection.until
            && ids.contains(&until.as_str())
        {
            return Ok(false);
        }
        let tasks = self.increment.tasks()?;
        Ok(ids.iter().all(|id| {
            tasks
                .get(id)
                .is_some_and(|t| t.status == TaskStatus::Completed)
        }))
    }

    fn notify_resumed(&mut self, ids: &[&str]) -> Result<()> {
        let tasks = self.increment.tasks()?;
        for id in ids {
            let title = tasks.get(id).map_or("", |t| t.title.as_str());
            tracing::info!(
                increment = self.increment.id(),
                "{id} {title}: completed earlier, resumed"
            );
            if let Some(observer) = &self.selection.observer {
                observer.task_started(id, title);
                observer.task_ended(id, title, &TaskEnd::Resumed);
            }
            self.visited.insert((*id).to_owned());
        }
        Ok(())
    }

    /// Loads `key`'s saved outputs, `None` when there are none or they do not parse (an
    /// older version wrote them): the tasks then run again.
    fn load<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let text = std::fs::read_to_string(self.state_path(key)).ok()?;
        match serde_json::from_str(&text) {
            Ok(value) => Some(value),
            Err(error) => {
                tracing::warn!(
                    increment = self.increment.id(),
                    "{STATE_DIR}/{key}.json does not parse ({error}); running its tasks again"
                );
                None
            }
        }
    }

    fn save<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let path = self.state_path(key);
        let json = serde_json::to_vec_pretty(value).map_err(|source| Error::Json {
            what: path.display().to_string(),
            source,
        })?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::invalid(parent.display().to_string(), e.to_string()))?;
        }
        write_atomic(&path, &json)
    }

    /// Marks the run as having run `ids`, and stops it when the selected task is among them.
    fn ran(&mut self, ids: &[&str]) -> Result<()> {
        self.ran = true;
        self.visited.extend(ids.iter().map(|id| (*id).to_owned()));
        if let Some(until) = &self.selection.until
            && ids.contains(&until.as_str())
        {
            self.stopped = true;
            // later tasks were computed from inputs that have just changed
            let tasks = self.increment.tasks()?;
            for task in &tasks.tasks {
                if !self.visited.contains(&task.id) && task.status == TaskStatus::Completed {
                    self.increment
                        .set_task_status(&task.id, TaskStatus::Pending)?;
                }
            }
        }
        Ok(())
    }

    /// A task whose outputs are saved: resumed from them when it may be, else run (and its
    /// outputs saved). `None` once the run has stopped.
    pub(crate) fn saved<T: Serialize + DeserializeOwned>(
        &mut self,
        id: &str,
        title: &str,
        body: impl FnOnce() -> Result<T>,
    ) -> Result<Option<T>> {
        self.group(id, &[id], |runner| runner.run(id, title, body))
    }

    /// Tasks whose outputs are saved together under `key`, because they share state that
    /// cannot be saved half-way (an open run): resumed together when all of them may be,
    /// else all run by `body` (which calls [`TaskRunner::run`] for each).
    pub(crate) fn group<T: Serialize + DeserializeOwned>(
        &mut self,
        key: &str,
        ids: &[&str],
        body: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.stopped {
            return Ok(None);
        }
        if self.resumable(ids)?
            && let Some(value) = self.load(key)
        {
            self.notify_resumed(ids)?;
            return Ok(Some(value));
        }
        let value = body(self)?;
        self.save(key, &value)?;
        self.ran(ids)?;
        Ok(Some(value))
    }

    /// A task whose outputs are recomputed when it is resumed (`resume`: cheap and
    /// deterministic, writing nothing), else run by `body`.
    pub(crate) fn recomputed<T>(
        &mut self,
        id: &str,
        title: &str,
        body: impl FnOnce() -> Result<T>,
        resume: impl FnOnce() -> Result<T>,
    ) -> Result<Option<T>> {
        if self.stopped {
            return Ok(None);
        }
        if self.resumable(&[id])? {
            let value = resume().map_err(|error| task_error(id, title, error))?;
            self.notify_resumed(&[id])?;
            return Ok(Some(value));
        }
        let value = self.run(id, title, body)?;
        self.ran(&[id])?;
        Ok(Some(value))
    }

    /// Runs one task: marks it in progress, runs `body`, and marks it completed on success.
    /// A failure leaves the task in progress and every earlier task as it was, and names the
    /// task in the error.
    pub(crate) fn run<T>(
        &mut self,
        id: &str,
        title: &str,
        body: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let increment = self.increment;
        increment
            .set_task_status(id, TaskStatus::InProgress)
            .map_err(|e| task_error(id, title, e.into()))?;
        tracing::info!(increment = increment.id(), "{id} {title}: started");
        if let Some(observer) = &self.selection.observer {
            observer.task_started(id, title);
        }
        let started = Instant::now();
        let value = body().map_err(|error| {
            tracing::error!(increment = increment.id(), "{id} {title}: failed: {error}");
            if let Some(observer) = &self.selection.observer {
                observer.task_ended(id, title, &TaskEnd::Failed(error.to_string()));
            }
            task_error(id, title, error)
        })?;
        increment
            .set_task_status(id, TaskStatus::Completed)
            .map_err(|e| task_error(id, title, e.into()))?;
        let seconds = started.elapsed().as_secs_f64();
        tracing::info!(
            increment = increment.id(),
            "{id} {title}: completed in {seconds:.1} s"
        );
        if let Some(observer) = &self.selection.observer {
            observer.task_ended(id, title, &TaskEnd::Completed { seconds });
        }
        self.visited.insert(id.to_owned());
        Ok(value)
    }
}

fn task_error(id: &str, title: &str, source: Error) -> Error {
    match source {
        // a task inside a group already named itself
        Error::Task { .. } => source,
        source => Error::Task {
            task: id.to_owned(),
            title: title.to_owned(),
            source: Box::new(source),
        },
    }
}

/// Deserializers for metric values in saved task outputs: JSON has no NaN, so serde_json
/// writes a NaN metric (an undefined AUC, say) as `null`; these read it back as NaN.
pub(crate) mod nan_tolerant {
    use serde::{Deserialize, Deserializer};
    use std::collections::BTreeMap;

    /// A `name → value` map.
    pub(crate) fn map<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, f64>, D::Error> {
        let map = BTreeMap::<String, Option<f64>>::deserialize(deserializer)?;
        Ok(map
            .into_iter()
            .map(|(name, value)| (name, value.unwrap_or(f64::NAN)))
            .collect())
    }

    /// `(name, value)` pairs.
    pub(crate) fn pairs<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(String, f64)>, D::Error> {
        let pairs = Vec::<(String, Option<f64>)>::deserialize(deserializer)?;
        Ok(pairs
            .into_iter()
            .map(|(name, value)| (name, value.unwrap_or(f64::NAN)))
            .collect())
    }

    /// One value.
    pub(crate) fn value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
    }
}
