//! # specweave-tracking
//!
//! Experiment tracking for specweave increments. Every run lives in its increment as
//! `experiments/exp-NNN-<name>/` (`run.json`, `params.json`, `metrics.json`,
//! `metrics.jsonl`, `logs/`, `artifacts/`, the formats of
//! [`specweave_core::records`]); runs are numbered atomically across threads and processes,
//! buffered metrics become durable on [`Run::flush`], and a run whose process died reads as
//! killed. Runs can be searched with an MLflow-style filter, compared in `comparison.md`,
//! registered as model versions, exported to MLflow's `mlruns` layout and sent to an MLflow
//! tracking server exactly once.
//!
//! ```
//! use specweave_tracking::{Direction, Role, SearchQuery, Tracker};
//!
//! let increment = tempfile::tempdir()?;
//! let tracker = Tracker::open(increment.path())?;
//! for (name, precision) in [("baseline-popularity", 0.12), ("item-knn", 0.31)] {
//!     tracker.track_experiment(name, |run| {
//!         run.set_role(if name.starts_with("baseline") { Role::Baseline } else { Role::Candidate })?;
//!         run.set_headline_metric("precision@10")?;
//!         run.log_param("k", 10)?;
//!         run.log_metric("precision@10", precision, 0)
//!     })?;
//! }
//! let best = tracker.best_run("precision@10", Direction::Maximize)?.expect("two finished runs");
//! assert_eq!(best.record.name, "item-knn");
//!
//! let query = SearchQuery::parse("metrics.precision@10 > 0.2", "")?;
//! assert_eq!(tracker.search(&query)?.len(), 1);
//!
//! let (_, markdown) = tracker.write_comparison()?;
//! assert!(markdown.contains("exp-002-item-knn ✅ BEST"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod comparison;
mod environment;
mod error;
mod fsutil;
mod metric_buffer;
mod mlflow;
mod names;
mod params;
mod query;
mod read;
mod registry;
mod run;
mod tracker;

pub use comparison::{COMPARISON_FILE, headline_metrics, render_comparison};
pub use environment::{capture_environment, data_fingerprint, host_name, schema_fingerprint};
pub use error::{Result, TrackingError};
pub use metric_buffer::MetricBuffer;
pub use mlflow::{
    MlflowClient, MlflowRunView, MlrunsExport, RetryPolicy, SYNC_STATE_FILE, SyncOutcome,
    export_mlruns, sync_increment, sync_run,
};
pub use names::{
    MAX_KEY_LEN, MAX_PARAM_VALUE_LEN, MAX_TAG_VALUE_LEN, mlflow_key, validate_experiment_name,
    validate_key, validate_param_value, validate_relative_name, validate_tag_value,
};
pub use params::ParamValue;
pub use query::{Condition, Direction, Field, Literal, Operator, OrderKey, SearchQuery};
pub use read::RunSummary;
pub use registry::{MODELS_DIR, ModelRegistry, ModelVersion, RegisterModel};
pub use run::{ARTIFACTS_DIR, LOGS_DIR, REPORTS_DIR, Role, Run};
pub use tracker::{DEFAULT_FLUSH_EVERY, EXPERIMENTS_DIR, ExperimentError, Tracker};
