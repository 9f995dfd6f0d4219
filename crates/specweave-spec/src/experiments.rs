//! Reading what the pipeline logged into an increment: experiment runs under `experiments/`
//! and registered model versions under `models/`, in the shared formats of
//! [`specweave_core::records`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use specweave_core::records::{
    METRICS_FILE, ModelVersionMetadata, PARAMS_FILE, ROLE_BASELINE, ROLE_CANDIDATE, ROLE_TUNING,
    RUN_FILE, RunRecord, RunStatus, TAG_ALGORITHM, TAG_ROLE, non_finite_map,
};

use crate::{Error, Result};

/// The role of a run in the increment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunRole {
    /// A baseline (random, popularity, mean...).
    Baseline,
    /// A candidate model.
    Candidate,
    /// A tuning run or trial.
    Tuning,
}

/// One experiment folder `experiments/exp-NNN-<name>/` and what could be read from it.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The folder.
    pub dir: PathBuf,
    /// Folder name.
    pub id: String,
    /// `run.json`, when readable.
    pub record: Option<RunRecord>,
    /// `params.json`, when present and readable.
    pub params: Option<BTreeMap<String, String>>,
    /// `metrics.json`, when present and readable.
    pub metrics: Option<BTreeMap<String, f64>>,
    /// Files that are missing or unreadable, each as a message.
    pub problems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(transparent)]
struct MetricsFile(#[serde(with = "non_finite_map")] BTreeMap<String, f64>);

impl Experiment {
    /// The run's role: the `specweave.role` tag, or, without it, baseline when the name says
    /// "baseline" and candidate otherwise.
    pub fn role(&self) -> RunRole {
        let tagged = self
            .record
            .as_ref()
            .and_then(|r| r.tags.get(TAG_ROLE))
            .map(String::as_str);
        match tagged {
            Some(ROLE_BASELINE) => RunRole::Baseline,
            Some(ROLE_TUNING) => RunRole::Tuning,
            Some(ROLE_CANDIDATE) => RunRole::Candidate,
            _ if self.id.contains("baseline") => RunRole::Baseline,
            _ => RunRole::Candidate,
        }
    }

    /// The run's status, when run.json was readable.
    pub fn status(&self) -> Option<RunStatus> {
        self.record.as_ref().map(|r| r.status)
    }

    /// The value of a metric, when logged.
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.metrics.as_ref().and_then(|m| m.get(key)).copied()
    }

    /// The algorithm tag, or the run name.
    pub fn algorithm(&self) -> String {
        self.record
            .as_ref()
            .and_then(|r| r.tags.get(TAG_ALGORITHM).cloned())
            .or_else(|| self.record.as_ref().map(|r| r.name.clone()))
            .unwrap_or_else(|| self.id.clone())
    }

    /// For a run marked running: whether its writer is known to be gone, because it ran on
    /// this host and no process with its pid exists. Unknown (false) elsewhere.
    pub fn is_orphaned(&self) -> bool {
        let Some(record) = &self.record else {
            return false;
        };
        if record.status != RunStatus::Running {
            return false;
        }
        let (Some(pid), Some(host)) = (record.pid, record.host.as_deref()) else {
            return false;
        };
        local_host().is_some_and(|local| local == host) && process_is_gone(pid)
    }

    /// Whether the run names `word` in its id, name or algorithm (for "random baseline").
    pub fn mentions(&self, word: &str) -> bool {
        self.id.contains(word) || self.algorithm().to_lowercase().contains(word)
    }
}

fn local_host() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

#[cfg(target_os = "linux")]
fn process_is_gone(pid: u32) -> bool {
    !Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_is_gone(_pid: u32) -> bool {
    false
}

/// Reads every `exp-*` folder under `increment_dir/experiments/`, sorted by name. A missing
/// experiments folder is no experiments.
///
/// ```
/// use specweave_spec::{RunRole, read_experiments};
/// let dir = tempfile::tempdir()?;
/// let run = dir.path().join("experiments/exp-001-baseline-random");
/// std::fs::create_dir_all(&run)?;
/// std::fs::write(run.join("metrics.json"), r#"{"precision@10": 0.01, "loss": "NaN"}"#)?;
/// let experiments = read_experiments(dir.path())?;
/// assert_eq!(experiments[0].role(), RunRole::Baseline);
/// assert_eq!(experiments[0].metric("precision@10"), Some(0.01));
/// assert!(experiments[0].problems.contains(&"run.json missing".to_string()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_experiments(increment_dir: &Path) -> Result<Vec<Experiment>> {
    let dir = increment_dir.join("experiments");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Io {
                path: dir,
                source: e,
            });
        }
    };
    let mut experiments = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("exp-") || !entry.path().is_dir() {
            continue;
        }
        experiments.push(read_experiment(&entry.path(), name));
    }
    experiments.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(experiments)
}

fn read_experiment(dir: &Path, id: String) -> Experiment {
    let mut problems = Vec::new();
    let record = read_json::<RunRecord>(&dir.join(RUN_FILE), &mut problems);
    let params = read_json::<BTreeMap<String, String>>(&dir.join(PARAMS_FILE), &mut problems);
    let metrics = read_json::<MetricsFile>(&dir.join(METRICS_FILE), &mut problems).map(|m| m.0);
    Experiment {
        dir: dir.to_path_buf(),
        id,
        record,
        params,
        metrics,
        problems,
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, problems: &mut Vec<String>) -> Option<T> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            problems.push(format!("{name} missing"));
            None
        }
        Err(e) => {
            problems.push(format!("{name} unreadable: {e}"));
            None
        }
        Ok(text) => match serde_json::from_str(&text) {
            Ok(value) => Some(value),
            Err(e) => {
                problems.push(format!("{name} invalid: {e}"));
                None
            }
        },
    }
}

/// One `models/model-vN.metadata.json`.
#[derive(Debug, Clone)]
pub struct SavedModel {
    /// The metadata file.
    pub path: PathBuf,
    /// Its content, or why it could not be read.
    pub metadata: std::result::Result<ModelVersionMetadata, String>,
    /// Whether the `models/model-vN/` folder (the bundle) exists beside it.
    pub bundle_present: bool,
}

/// Reads every `models/*.metadata.json`, sorted by file name.
pub fn read_models(increment_dir: &Path) -> Result<Vec<SavedModel>> {
    let dir = increment_dir.join("models");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Io {
                path: dir,
                source: e,
            });
        }
    };
    let mut models = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".metadata.json") else {
            continue;
        };
        let path = entry.path();
        let mut problems = Vec::new();
        let metadata = read_json::<ModelVersionMetadata>(&path, &mut problems)
            .ok_or_else(|| problems.join("; "));
        models.push(SavedModel {
            bundle_present: dir.join(stem).exists(),
            path,
            metadata,
        });
    }
    models.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(models)
}
