//! Pipelines that run an increment's tasks in order, ticking each in `tasks.md` as it
//! completes, tracking every experiment, and closing with validation and `done`.
//!
//! [`recommendation`] runs the recommendation increment end to end, [`tabular`] the
//! classification and regression increments, [`forecasting`] the forecasting ones;
//! [`config`] reads an increment's `pipeline.yaml` and runs the right one; [`living_docs`] is
//! the one place where the living-docs stage (A/B plan, monitoring, reports) plugs in.

pub mod config;
pub mod forecasting;
pub mod living_docs;
mod ranking;
pub mod recommendation;
pub mod tabular;

pub use ranking::{RankingEvaluation, evaluate_recommender};

use crate::error::{Error, Result};
use specweave_eval::report::EvalReport;
use specweave_spec::{Increment, TaskStatus};
use std::collections::BTreeMap;

/// Runs one task: marks it in progress, runs `body`, and marks it completed on success.
///
/// A failure leaves the task in progress and every earlier task as it was, and names the
/// task in the error.
pub(crate) fn run_task<T>(
    increment: &Increment,
    id: &str,
    title: &str,
    body: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let wrap = |source: Error| Error::Task {
        task: id.to_owned(),
        title: title.to_owned(),
        source: Box::new(source),
    };
    increment
        .set_task_status(id, TaskStatus::InProgress)
        .map_err(|e| wrap(e.into()))?;
    tracing::info!(increment = increment.id(), "{id} {title}: started");
    let started = std::time::Instant::now();
    let value = body().map_err(|error| {
        tracing::error!(increment = increment.id(), "{id} {title}: failed: {error}");
        wrap(error)
    })?;
    increment
        .set_task_status(id, TaskStatus::Completed)
        .map_err(|e| wrap(e.into()))?;
    tracing::info!(
        increment = increment.id(),
        "{id} {title}: completed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(value)
}

/// Values and interval bounds as tracking keys (`<metric>_ci_lower` / `_ci_upper`).
pub(crate) fn interval_metrics(report: &EvalReport) -> BTreeMap<String, f64> {
    let mut metrics = BTreeMap::new();
    for row in &report.metrics {
        metrics.insert(row.name.clone(), row.value);
        if let (Some(lower), Some(upper)) = (row.lower, row.upper) {
            metrics.insert(format!("{}_ci_lower", row.name), lower);
            metrics.insert(format!("{}_ci_upper", row.name), upper);
        }
    }
    metrics
}
