//! Pipelines that run an increment's tasks in order, ticking each in `tasks.md` as it
//! completes, tracking every experiment, and closing with validation and `done`.
//!
//! [`recommendation`] runs the recommendation increment end to end, [`tabular`] the
//! classification and regression increments, [`forecasting`] the forecasting ones;
//! [`config`] reads an increment's `pipeline.yaml` and runs the right one; [`living_docs`] is
//! the one place where the living-docs stage (A/B plan, monitoring, reports) plugs in.
//! Every pipeline runs its tasks through one runner, so a re-run resumes at the first task
//! that is not completed (see [`TaskSelection`]).

pub mod config;
pub mod forecasting;
pub mod living_docs;
mod ranking;
pub mod recommendation;
pub mod tabular;
mod tasks;

pub use ranking::{RankingEvaluation, evaluate_recommender};
pub use tasks::{STATE_DIR, TaskEnd, TaskObserver, TaskSelection};
pub(crate) use tasks::{TaskRunner, nan_tolerant};

use specweave_eval::report::EvalReport;
use std::collections::BTreeMap;

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
