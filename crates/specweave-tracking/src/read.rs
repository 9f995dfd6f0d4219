//! Reading runs back: list, get, metric history, best run, with the effective status of
//! runs whose process died (shown as killed).

use crate::error::{Result, TrackingError};
use crate::fsutil::{read_json, read_json_or_default, read_jsonl};
use crate::query::{Direction, SearchQuery};
use crate::run::RUN_LOCK_FILE;
use crate::tracker::{Tracker, folder_number};
use specweave_core::records::{
    METRICS_FILE, METRICS_HISTORY_FILE, MetricPoint, PARAMS_FILE, RUN_FILE, RunRecord, RunStatus,
    non_finite_map,
};
use std::collections::BTreeMap;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// A run as read from disk: its record (with the effective status), params and latest
/// metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// `run.json`, with `status` set to `Killed` when the run's process is gone.
    pub record: RunRecord,
    /// `params.json`.
    pub params: BTreeMap<String, String>,
    /// `metrics.json`: the latest value per key.
    pub metrics: BTreeMap<String, f64>,
    /// The run folder.
    pub dir: PathBuf,
}

impl RunSummary {
    /// Latest value of a metric.
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.metrics.get(key).copied()
    }

    /// The interval logged for a metric: `<key>_ci_lower`/`_ci_upper`, or
    /// `<key>_lower`/`_upper` as the ranking evaluation names its bootstrap bounds.
    ///
    /// ```
    /// # use specweave_tracking::RunSummary;
    /// # fn check(run: &RunSummary) {
    /// if let Some((lower, upper)) = run.interval("roc_auc") {
    ///     assert!(lower <= upper);
    /// }
    /// # }
    /// ```
    pub fn interval(&self, key: &str) -> Option<(f64, f64)> {
        ["_ci_lower", "_lower"]
            .iter()
            .zip(["_ci_upper", "_upper"])
            .find_map(|(lower, upper)| {
                self.metric(&format!("{key}{lower}"))
                    .zip(self.metric(&format!("{key}{upper}")))
            })
    }

    /// Value of a param.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// Value of a tag.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.record.tags.get(key).map(String::as_str)
    }

    /// Wall-clock duration in seconds, once the run has ended.
    pub fn duration_s(&self) -> Option<f64> {
        self.record
            .end_time_ms
            .map(|end| (end - self.record.start_time_ms) as f64 / 1000.0)
    }
}

#[derive(serde::Deserialize, Default)]
struct LatestMetrics(#[serde(with = "non_finite_map")] BTreeMap<String, f64>);

/// The status readers show: a run recorded as running whose writer no longer holds its
/// liveness lock (or, on another host, cannot be checked) is killed.
pub(crate) fn effective_status(dir: &Path, record: &RunRecord) -> RunStatus {
    if record.status != RunStatus::Running {
        return record.status;
    }
    if let Some(host) = &record.host
        && host != crate::environment::host_name()
    {
        // Another machine's process cannot be checked from here.
        return RunStatus::Running;
    }
    let lock_path = dir.join(RUN_LOCK_FILE);
    match File::open(&lock_path) {
        Ok(file) => match file.try_lock_shared() {
            Ok(()) => RunStatus::Killed,
            Err(TryLockError::WouldBlock) => RunStatus::Running,
            Err(TryLockError::Error(_)) => pid_status(record.pid),
        },
        Err(_) => pid_status(record.pid),
    }
}

fn pid_status(pid: Option<u32>) -> RunStatus {
    match pid {
        Some(pid)
            if Path::new("/proc").is_dir() && !Path::new(&format!("/proc/{pid}")).exists() =>
        {
            RunStatus::Killed
        }
        _ => RunStatus::Running,
    }
}

/// Reads one run folder.
pub(crate) fn read_run(dir: &Path) -> Result<RunSummary> {
    let mut record: RunRecord = read_json(&dir.join(RUN_FILE))?;
    record.status = effective_status(dir, &record);
    let params = read_json_or_default(&dir.join(PARAMS_FILE))?;
    let LatestMetrics(metrics) = read_json_or_default(&dir.join(METRICS_FILE))?;
    Ok(RunSummary {
        record,
        params,
        metrics,
        dir: dir.to_path_buf(),
    })
}

/// The run folders of an increment, in experiment-number order.
pub(crate) fn run_dirs(experiments: &Path) -> Result<Vec<(u32, PathBuf)>> {
    let entries = match std::fs::read_dir(experiments) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(TrackingError::io("read", experiments)(error)),
    };
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(TrackingError::io("read", experiments))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(number) = folder_number(&name) {
            let path = entry.path();
            // A folder without run.json is being created by another process right now.
            if path.join(RUN_FILE).is_file() {
                dirs.push((number, path));
            }
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Which files of a run a search must read before it can filter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Needs {
    pub record: bool,
    pub params: bool,
    pub metrics: bool,
}

impl Needs {
    const ALL: Needs = Needs {
        record: true,
        params: true,
        metrics: true,
    };
}

/// Reads only the files `needs` names; the rest of the summary is left empty, with a record
/// built from the folder name. Used to filter before reading whole runs.
fn read_run_partial(number: u32, dir: &Path, needs: Needs) -> Result<RunSummary> {
    if needs.record && needs.params && needs.metrics {
        return read_run(dir);
    }
    let record = if needs.record {
        let mut record: RunRecord = read_json(&dir.join(RUN_FILE))?;
        record.status = effective_status(dir, &record);
        record
    } else {
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = id
            .strip_prefix("exp-")
            .and_then(|rest| rest.split_once('-'))
            .map(|(_, name)| name.to_owned())
            .unwrap_or_default();
        RunRecord {
            id,
            number,
            name,
            status: RunStatus::Running,
            start_time_ms: 0,
            end_time_ms: None,
            tags: BTreeMap::new(),
            notes: Vec::new(),
            environment: BTreeMap::new(),
            data_fingerprint: None,
            schema_fingerprint: None,
            pid: None,
            host: None,
        }
    };
    let params = if needs.params {
        read_json_or_default(&dir.join(PARAMS_FILE))?
    } else {
        BTreeMap::new()
    };
    let metrics = if needs.metrics {
        let LatestMetrics(metrics) = read_json_or_default(&dir.join(METRICS_FILE))?;
        metrics
    } else {
        BTreeMap::new()
    };
    Ok(RunSummary {
        record,
        params,
        metrics,
        dir: dir.to_path_buf(),
    })
}

/// Reads many run folders, in parallel on large increments.
fn read_runs(dirs: &[(u32, PathBuf)]) -> Result<Vec<RunSummary>> {
    read_runs_with(dirs, Needs::ALL)
}

fn read_runs_with(dirs: &[(u32, PathBuf)], needs: Needs) -> Result<Vec<RunSummary>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if dirs.len() < 256 || threads == 1 {
        return dirs
            .iter()
            .map(|(number, dir)| read_run_partial(*number, dir, needs))
            .collect();
    }
    let chunk = dirs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = dirs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(number, dir)| read_run_partial(*number, dir, needs))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut runs = Vec::with_capacity(dirs.len());
        for handle in handles {
            match handle.join() {
                Ok(part) => runs.extend(part?),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        Ok(runs)
    })
}

impl Tracker {
    /// Every run of the increment, in experiment-number order.
    pub fn list_runs(&self) -> Result<Vec<RunSummary>> {
        read_runs(&run_dirs(&self.experiments_dir())?)
    }

    fn find_run_dir(&self, id: &str) -> Result<PathBuf> {
        let dirs = run_dirs(&self.experiments_dir())?;
        let wanted_number: Option<u32> = id.parse().ok();
        dirs.into_iter()
            .find(|(number, dir)| {
                let name = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                name == id
                    || Some(*number) == wanted_number
                    || name
                        .strip_prefix("exp-")
                        .and_then(|rest| rest.split_once('-'))
                        .is_some_and(|(_, run_name)| run_name == id)
            })
            .map(|(_, dir)| dir)
            .ok_or_else(|| TrackingError::NotFound {
                what: "run",
                id: id.to_owned(),
                path: self.experiments_dir(),
            })
    }

    /// One run, by folder name (`exp-003-gbdt`), number (`3`, `003`) or name (`gbdt`).
    pub fn get_run(&self, id: &str) -> Result<RunSummary> {
        read_run(&self.find_run_dir(id)?)
    }

    /// Every logged point of one metric of a run, in logging order.
    pub fn metric_history(&self, id: &str, key: &str) -> Result<Vec<MetricPoint>> {
        let dir = self.find_run_dir(id)?;
        let points: Vec<MetricPoint> = read_jsonl(&dir.join(METRICS_HISTORY_FILE))?;
        Ok(points.into_iter().filter(|p| p.key == key).collect())
    }

    /// Every logged point of every metric of a run, in logging order.
    pub fn full_metric_history(&self, id: &str) -> Result<Vec<MetricPoint>> {
        let dir = self.find_run_dir(id)?;
        read_jsonl(&dir.join(METRICS_HISTORY_FILE))
    }

    /// Runs matching a search query, in its order.
    ///
    /// ```
    /// use specweave_tracking::{SearchQuery, Tracker};
    /// let increment = tempfile::tempdir()?;
    /// let tracker = Tracker::open(increment.path())?;
    /// for (model, precision) in [("gbdt", 0.31), ("knn", 0.25), ("gbdt", 0.12)] {
    ///     let run = tracker.start_experiment(model)?;
    ///     run.log_param("model", model)?;
    ///     run.log_metric("precision@10", precision, 0)?;
    ///     run.finish()?;
    /// }
    /// let query = SearchQuery::parse(
    ///     "metrics.precision@10 > 0.2 and params.model = 'gbdt'",
    ///     "metrics.precision@10 desc",
    /// )?;
    /// let found = tracker.search(&query)?;
    /// assert_eq!(found.len(), 1);
    /// assert_eq!(found[0].record.number, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<RunSummary>> {
        let dirs = run_dirs(&self.experiments_dir())?;
        let needs = query.needs();
        if needs.record && needs.params && needs.metrics {
            return Ok(query.apply(read_runs(&dirs)?));
        }
        // Filter on the files the conditions look at, then read the matching runs whole.
        let filter_only = SearchQuery {
            conditions: query.conditions.clone(),
            order: Vec::new(),
        };
        let matching: Vec<(u32, PathBuf)> = filter_only
            .apply(read_runs_with(&dirs, needs)?)
            .into_iter()
            .map(|run| (run.record.number, run.dir))
            .collect();
        Ok(query.apply(read_runs(&matching)?))
    }

    /// The finished run with the best latest value of `metric` (NaN never wins).
    pub fn best_run(&self, metric: &str, direction: Direction) -> Result<Option<RunSummary>> {
        Ok(best_of(self.list_runs()?, metric, direction))
    }
}

/// The finished run with the best value of `metric`.
pub(crate) fn best_of(
    runs: impl IntoIterator<Item = RunSummary>,
    metric: &str,
    direction: Direction,
) -> Option<RunSummary> {
    runs.into_iter()
        .filter(|run| run.record.status == RunStatus::Finished)
        .filter_map(|run| run.metric(metric).filter(|v| !v.is_nan()).map(|v| (v, run)))
        .reduce(|best, candidate| {
            if direction.is_better(candidate.0, best.0) {
                candidate
            } else {
                best
            }
        })
        .map(|(_, run)| run)
}
