//! Sending runs to an MLflow server exactly once: each run folder keeps
//! `mlflow-sync.json`, recording per server which MLflow run it maps to and how much of
//! it was acknowledged, so a later sync sends only what is missing.

use super::rest::plan_batches;
use super::{MlflowClient, MlflowRunView};
use crate::error::Result;
use crate::fsutil::{atomic_write_json, read_json_or_default, read_jsonl};
use crate::read::{read_run, run_dirs};
use crate::tracker::Tracker;
use serde::{Deserialize, Serialize};
use specweave_core::records::{METRICS_HISTORY_FILE, RunStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// File in a run folder that records what was sent to which MLflow server.
pub const SYNC_STATE_FILE: &str = "mlflow-sync.json";

#[derive(Debug, Default, Serialize, Deserialize)]
struct SyncState {
    /// Per server URI.
    servers: BTreeMap<String, ServerState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ServerState {
    experiment_id: String,
    run_id: String,
    #[serde(default)]
    params: BTreeSet<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    /// Number of `metrics.jsonl` lines acknowledged.
    #[serde(default)]
    metric_lines: usize,
    #[serde(default)]
    status: Option<RunStatus>,
    #[serde(default)]
    end_time_ms: Option<i64>,
}

/// What one sync of one run sent.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOutcome {
    /// The run folder name.
    pub run: String,
    /// The MLflow run id.
    pub mlflow_run_id: String,
    /// Whether the MLflow run was created by this sync.
    pub created: bool,
    /// Metric points sent.
    pub metrics_sent: usize,
    /// Params sent.
    pub params_sent: usize,
    /// Tags sent.
    pub tags_sent: usize,
    /// Whether the status or end time was sent.
    pub status_sent: bool,
}

/// Sends what the server at `client` is missing of the run in `run_dir`.
pub fn sync_run(client: &MlflowClient, increment: &Path, run_dir: &Path) -> Result<SyncOutcome> {
    let increment_name = increment
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let run = read_run(run_dir)?;
    let history = read_jsonl(&run_dir.join(METRICS_HISTORY_FILE))?;
    let view = MlflowRunView::new(&increment_name, &run, history);
    let state_path = run_dir.join(SYNC_STATE_FILE);
    let mut state: SyncState = read_json_or_default(&state_path)?;
    let server = client.uri().to_owned();

    let created = !state.servers.contains_key(&server);
    let mut progress = match state.servers.get(&server) {
        Some(progress) => progress.clone(),
        None => {
            let experiment_id = client.get_or_create_experiment(&increment_name)?;
            let run_id = client.create_run(
                &experiment_id,
                &view.run_name,
                &view.user,
                view.start_time_ms,
            )?;
            let progress = ServerState {
                experiment_id,
                run_id,
                params: BTreeSet::new(),
                tags: BTreeMap::new(),
                metric_lines: 0,
                status: None,
                end_time_ms: None,
            };
            // Record the mapping at once, so a crash never creates the run twice.
            state.servers.insert(server.clone(), progress.clone());
            atomic_write_json(&state_path, &state)?;
            progress
        }
    };

    let params: Vec<(String, String)> = view
        .params
        .iter()
        .filter(|(key, _)| !progress.params.contains(*key))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags: Vec<(String, String)> = view
        .tags
        .iter()
        .filter(|(key, value)| progress.tags.get(*key) != Some(value))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let metrics = view
        .metrics
        .get(progress.metric_lines..)
        .unwrap_or_default();
    let mut outcome = SyncOutcome {
        run: run.record.id.clone(),
        mlflow_run_id: progress.run_id.clone(),
        created,
        metrics_sent: 0,
        params_sent: 0,
        tags_sent: 0,
        status_sent: false,
    };
    for batch in plan_batches(metrics, &params, &tags) {
        client.log_batch(&progress.run_id, &batch)?;
        progress.metric_lines += batch.metrics.len();
        progress
            .params
            .extend(batch.params.iter().map(|(k, _)| k.clone()));
        progress.tags.extend(batch.tags.iter().cloned());
        outcome.metrics_sent += batch.metrics.len();
        outcome.params_sent += batch.params.len();
        outcome.tags_sent += batch.tags.len();
        state.servers.insert(server.clone(), progress.clone());
        atomic_write_json(&state_path, &state)?;
    }
    if progress.status != Some(view.status) || progress.end_time_ms != view.end_time_ms {
        client.update_run(&progress.run_id, view.status, view.end_time_ms)?;
        progress.status = Some(view.status);
        progress.end_time_ms = view.end_time_ms;
        outcome.status_sent = true;
        state.servers.insert(server, progress);
        atomic_write_json(&state_path, &state)?;
    }
    Ok(outcome)
}

/// Sends what the server is missing of every run of the tracker's increment.
pub fn sync_increment(tracker: &Tracker, client: &MlflowClient) -> Result<Vec<SyncOutcome>> {
    run_dirs(&tracker.experiments_dir())?
        .into_iter()
        .map(|(_, dir)| sync_run(client, tracker.increment(), &dir))
        .collect()
}
