//! Export of an increment's runs to MLflow's `mlruns` file layout, readable by the MLflow
//! client (`MLFLOW_ALLOW_FILE_STORE=true` from MLflow 3.13 on).

use super::MlflowRunView;
use crate::error::{Result, TrackingError};
use crate::fsutil::{atomic_write, create_dir_all, read_jsonl};
use crate::read::RunSummary;
use crate::run::{ARTIFACTS_DIR, copy_recursively};
use crate::tracker::Tracker;
use sha2::{Digest, Sha256};
use specweave_core::records::METRICS_HISTORY_FILE;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct MlrunsExport {
    /// The MLflow experiment id (named after the increment).
    pub experiment_id: String,
    /// The experiment folder, `<out>/<experiment_id>`.
    pub experiment_dir: PathBuf,
    /// `(run folder name, MLflow run id)` of each exported run.
    pub runs: Vec<(String, String)>,
}

/// YAML scalar for a string: JSON strings are valid YAML flow scalars, which settles quoting.
fn yaml_string(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// A stable 32-hex MLflow run id for a run of an increment, so re-exports overwrite.
pub(crate) fn stable_run_id(increment_name: &str, run_id: &str) -> String {
    let digest = Sha256::digest(format!("{increment_name}/{run_id}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The experiment named `name` under `out`, or the next free numeric id.
fn experiment_id_for(out: &Path, name: &str) -> Result<String> {
    let mut highest = 0_u64;
    let entries = match std::fs::read_dir(out) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok("1".into()),
        Err(error) => return Err(TrackingError::io("read", out)(error)),
    };
    let wanted = format!("name: {}", yaml_string(name));
    for entry in entries {
        let entry = entry.map_err(TrackingError::io("read", out))?;
        let id = entry.file_name().to_string_lossy().into_owned();
        let Ok(number) = id.parse::<u64>() else {
            continue;
        };
        highest = highest.max(number);
        let meta = std::fs::read_to_string(entry.path().join("meta.yaml")).unwrap_or_default();
        if meta.lines().any(|line| line.trim() == wanted) {
            return Ok(id);
        }
    }
    Ok((highest + 1).to_string())
}

fn write_key_files(
    folder: &Path,
    entries: impl IntoIterator<Item = (String, String)>,
) -> Result<()> {
    create_dir_all(folder)?;
    for (key, value) in entries {
        // Keys with `/` are nested files, as MLflow stores them.
        let path = folder.join(&key);
        if let Some(parent) = path.parent() {
            create_dir_all(parent)?;
        }
        atomic_write(&path, value.as_bytes())?;
    }
    Ok(())
}

fn export_run(
    experiment_dir: &Path,
    experiment_id: &str,
    increment_name: &str,
    run: &RunSummary,
) -> Result<String> {
    let history = read_jsonl(&run.dir.join(METRICS_HISTORY_FILE))?;
    let view = MlflowRunView::new(increment_name, run, history);
    let run_id = stable_run_id(increment_name, &run.record.id);
    let run_dir = experiment_dir.join(&run_id);
    if run_dir.exists() {
        std::fs::remove_dir_all(&run_dir).map_err(TrackingError::io("replace", &run_dir))?;
    }
    let artifacts = run_dir.join("artifacts");
    create_dir_all(&artifacts)?;
    let source_artifacts = run.dir.join(ARTIFACTS_DIR);
    if source_artifacts.is_dir() {
        copy_recursively(&source_artifacts, &artifacts)?;
    }
    let mut meta = String::new();
    let _ = writeln!(meta, "artifact_uri: {}", yaml_string(&file_uri(&artifacts)));
    match view.end_time_ms {
        Some(end) => {
            let _ = writeln!(meta, "end_time: {end}");
        }
        None => meta.push_str("end_time: null\n"),
    }
    meta.push_str("entry_point_name: ''\n");
    let _ = writeln!(meta, "experiment_id: {}", yaml_string(experiment_id));
    meta.push_str("lifecycle_stage: active\n");
    let _ = writeln!(meta, "run_id: {run_id}");
    let _ = writeln!(meta, "run_name: {}", yaml_string(&view.run_name));
    let _ = writeln!(meta, "run_uuid: {run_id}");
    meta.push_str("source_name: ''\nsource_type: 4\nsource_version: ''\n");
    let _ = writeln!(meta, "start_time: {}", view.start_time_ms);
    let _ = writeln!(meta, "status: {}", view.status.mlflow_code());
    meta.push_str("tags: []\n");
    let _ = writeln!(meta, "user_id: {}", yaml_string(&view.user));
    atomic_write(&run_dir.join("meta.yaml"), meta.as_bytes())?;

    write_key_files(&run_dir.join("params"), view.params.clone())?;
    write_key_files(&run_dir.join("tags"), view.tags.clone())?;
    let metrics_dir = run_dir.join("metrics");
    create_dir_all(&metrics_dir)?;
    let mut lines: std::collections::BTreeMap<&str, String> = Default::default();
    for point in &view.metrics {
        let text = lines.entry(point.key.as_str()).or_default();
        // `{:?}` is the shortest text that reads back as the same f64 (`NaN`, `inf` included).
        let _ = writeln!(
            text,
            "{} {:?} {}",
            point.timestamp_ms, point.value, point.step
        );
    }
    write_key_files(
        &metrics_dir,
        lines.into_iter().map(|(k, v)| (k.to_owned(), v)),
    )?;
    Ok(run_id)
}

/// Exports every run of the tracker's increment into the `mlruns` folder `out`, as one
/// MLflow experiment named after the increment. Exporting again replaces the runs.
pub fn export_mlruns(tracker: &Tracker, out: &Path) -> Result<MlrunsExport> {
    create_dir_all(out)?;
    let out = out
        .canonicalize()
        .map_err(TrackingError::io("resolve", out))?;
    let increment_name = tracker
        .increment()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let experiment_id = experiment_id_for(&out, &increment_name)?;
    let experiment_dir = out.join(&experiment_id);
    create_dir_all(&experiment_dir)?;
    let now = chrono::Utc::now().timestamp_millis();
    let meta = format!(
        "artifact_location: {}\ncreation_time: {now}\nexperiment_id: {}\nlast_update_time: {now}\nlifecycle_stage: active\nname: {}\n",
        yaml_string(&file_uri(&experiment_dir)),
        yaml_string(&experiment_id),
        yaml_string(&increment_name),
    );
    let meta_path = experiment_dir.join("meta.yaml");
    if !meta_path.exists() {
        atomic_write(&meta_path, meta.as_bytes())?;
    }
    let mut runs = Vec::new();
    for run in tracker.list_runs()? {
        let run_id = export_run(&experiment_dir, &experiment_id, &increment_name, &run)?;
        runs.push((run.record.id.clone(), run_id));
    }
    Ok(MlrunsExport {
        experiment_id,
        experiment_dir,
        runs,
    })
}
