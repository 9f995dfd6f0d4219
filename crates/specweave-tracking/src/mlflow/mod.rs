//! MLflow interoperability: export to the `mlruns` file layout, a REST client for a
//! tracking server, and a sync that sends each run's missing data exactly once.
//!
//! Both bridges send the same view of a run ([`MlflowRunView`]): params and metrics under
//! their MLflow names (`@` becomes `_at_`), the run's tags plus `mlflow.runName`,
//! `mlflow.user`, `mlflow.note.content` (the notes) and `specweave.*` provenance tags.

mod export;
mod rest;
mod sync;

pub use export::{MlrunsExport, export_mlruns};
pub use rest::{MlflowClient, RetryPolicy};
pub use sync::{SYNC_STATE_FILE, SyncOutcome, sync_increment, sync_run};

use crate::names::{mlflow_key, validate_key};
use crate::read::RunSummary;
use specweave_core::records::{MetricPoint, RunStatus};
use std::collections::BTreeMap;

/// A run as MLflow sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct MlflowRunView {
    /// `mlflow.runName`: the run folder name, e.g. `exp-003-gbdt`.
    pub run_name: String,
    /// `user_id`.
    pub user: String,
    /// Start time, ms.
    pub start_time_ms: i64,
    /// End time, ms.
    pub end_time_ms: Option<i64>,
    /// Effective status.
    pub status: RunStatus,
    /// Params under MLflow names.
    pub params: BTreeMap<String, String>,
    /// Tags under MLflow names.
    pub tags: BTreeMap<String, String>,
    /// Every metric point, in logging order, under MLflow names.
    pub metrics: Vec<MetricPoint>,
}

impl MlflowRunView {
    /// Builds the MLflow view of a run of the increment `increment_name`.
    pub fn new(increment_name: &str, run: &RunSummary, history: Vec<MetricPoint>) -> MlflowRunView {
        let record = &run.record;
        let user = record.environment.get("user").cloned().unwrap_or_default();
        let mut tags: BTreeMap<String, String> = record
            .tags
            .iter()
            .map(|(k, v)| (mlflow_key(k).into_owned(), v.clone()))
            .collect();
        tags.insert("mlflow.runName".into(), record.id.clone());
        tags.insert("mlflow.user".into(), user.clone());
        if !record.notes.is_empty() {
            tags.insert("mlflow.note.content".into(), record.notes.join("\n\n"));
        }
        tags.insert("specweave.increment".into(), increment_name.to_owned());
        tags.insert("specweave.run_id".into(), record.id.clone());
        for (key, value) in &record.environment {
            let tag = format!("specweave.env.{key}");
            if validate_key("tag key", &tag).is_ok() {
                tags.insert(tag, value.clone());
            }
        }
        if let Some(fingerprint) = &record.data_fingerprint {
            tags.insert("specweave.data_fingerprint".into(), fingerprint.clone());
        }
        if let Some(fingerprint) = &record.schema_fingerprint {
            tags.insert("specweave.schema_fingerprint".into(), fingerprint.clone());
        }
        let params = run
            .params
            .iter()
            .map(|(k, v)| (mlflow_key(k).into_owned(), v.clone()))
            .collect();
        let metrics = history
            .into_iter()
            .map(|mut point| {
                if point.key.contains('@') {
                    point.key = mlflow_key(&point.key).into_owned();
                }
                point
            })
            .collect();
        MlflowRunView {
            run_name: record.id.clone(),
            user,
            start_time_ms: record.start_time_ms,
            end_time_ms: record.end_time_ms,
            status: record.status,
            params,
            tags,
            metrics,
        }
    }
}
