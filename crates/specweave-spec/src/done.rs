//! The done gate: validate, refuse on failure unless forced with a reason, write
//! `COMPLETION-SUMMARY.md`, and move the lifecycle to completed.

use std::fmt::Write as _;

use chrono::{SecondsFormat, Utc};
use specweave_core::records::RunStatus;

use crate::criteria::{Check, lower_is_better};
use crate::experiments::RunRole;
use crate::fsutil::write_atomic;
use crate::validate::{Evidence, Outcome, VALIDATION_REPORT, ValidationReport, deployment_targets};
use crate::{CompletionOverride, Error, Increment, Result, Status};

/// File name of the completion summary.
pub const COMPLETION_SUMMARY: &str = "COMPLETION-SUMMARY.md";

/// How to close an increment.
#[derive(Debug, Clone, Default)]
pub struct DoneOptions {
    /// Close even though validation rules fail; needs a reason.
    pub force: bool,
    /// Why the failures are accepted; recorded in metadata.json and the summary.
    pub reason: Option<String>,
}

/// What [`Increment::done`] did.
#[derive(Debug, Clone)]
pub struct DoneOutcome {
    /// The validation that was run.
    pub report: ValidationReport,
    /// Whether failing rules were overridden.
    pub forced: bool,
    /// Path of the completion summary.
    pub summary_path: std::path::PathBuf,
}

impl Increment {
    /// Closes the increment: runs validation (writing `reports/validation-report.md`),
    /// refuses when a rule fails unless `force` is set with a reason, writes
    /// `COMPLETION-SUMMARY.md` and moves the status through ready_for_review to completed.
    ///
    /// ```
    /// use specweave_spec::{DoneOptions, Error, Increment, Status};
    /// let root = tempfile::tempdir()?;
    /// let mut increment = Increment::create(root.path(), "predict churn", None)?;
    /// // Nothing was logged yet, so the gate refuses...
    /// assert!(matches!(increment.done(&DoneOptions::default()), Err(Error::NotReady { .. })));
    /// // ...unless the failures are accepted with a reason, which is recorded.
    /// let forced = DoneOptions { force: true, reason: Some("spike, superseded".into()) };
    /// let outcome = increment.done(&forced)?;
    /// assert!(outcome.forced && outcome.summary_path.is_file());
    /// assert_eq!(increment.metadata().status, Status::Completed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn done(&mut self, options: &DoneOptions) -> Result<DoneOutcome> {
        let reason = options
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if options.force && reason.is_none() {
            return Err(Error::InvalidInput(
                "--force needs --reason \"...\" saying why the failing rules are accepted".into(),
            ));
        }
        let path = self.lifecycle_path()?;
        let evidence = Evidence::gather(self)?;
        let report = self.report_from(&evidence);
        let report_path = self.dir().join(VALIDATION_REPORT);
        if let Some(parent) = report_path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
        }
        write_atomic(&report_path, report.to_markdown().as_bytes())?;
        let failed: Vec<String> = report.failures().map(|r| r.rule.clone()).collect();
        if !failed.is_empty() && !options.force {
            let mut names = failed.clone();
            names.dedup();
            return Err(Error::NotReady {
                increment: self.id().to_string(),
                failed: failed.len(),
                rules: names.join(", "),
            });
        }
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        let forced = !failed.is_empty();
        let override_record = forced.then(|| CompletionOverride {
            reason: reason.unwrap_or_default().to_string(),
            failed_rules: failed.clone(),
            at: now.clone(),
        });
        let summary = completion_summary(self, &evidence, &report, override_record.as_ref(), &now);
        let summary_path = self.dir().join(COMPLETION_SUMMARY);
        write_atomic(&summary_path, summary.as_bytes())?;
        if let Some(record) = override_record {
            self.record_override(record)?;
        }
        for next in path {
            let note = if forced {
                Some(format!("forced: {}", reason.unwrap_or_default()))
            } else {
                Some("validation passed".to_string())
            };
            self.set_status_at(next, note.as_deref(), &now)?;
        }
        Ok(DoneOutcome {
            report,
            forced,
            summary_path,
        })
    }

    /// The transitions from the current status to completed, checked before anything is
    /// written so a refused transition leaves no summary behind.
    fn lifecycle_path(&self) -> Result<Vec<Status>> {
        let current = crate::Metadata::read(self.dir())?.status;
        let path: &[Status] = match current {
            Status::Planning => &[Status::Active, Status::ReadyForReview, Status::Completed],
            Status::Active => &[Status::ReadyForReview, Status::Completed],
            Status::ReadyForReview => &[Status::Completed],
            _ => &[Status::Completed],
        };
        let mut probe = self.metadata().clone();
        probe.status = current;
        for next in path {
            probe.transition(*next, "", None)?;
        }
        Ok(path.to_vec())
    }
}

fn completion_summary(
    increment: &Increment,
    evidence: &Evidence,
    report: &ValidationReport,
    forced: Option<&CompletionOverride>,
    now: &str,
) -> String {
    let metadata = increment.metadata();
    let headline = &evidence.headline;
    let mut out = String::new();
    let _ = writeln!(out, "# Completion Summary: {}\n", metadata.title);
    let _ = writeln!(
        out,
        "- **Increment**: `{}` ({})",
        metadata.id, metadata.problem
    );
    if let Some(parent) = &metadata.parent {
        let _ = writeln!(out, "- **Parent increment**: `{parent}`");
    }
    let _ = writeln!(out, "- **Completed**: {now}");
    let _ = writeln!(
        out,
        "- **Validation**: {} (see `{VALIDATION_REPORT}`)",
        report.summary()
    );
    if let Some(record) = forced {
        let _ = writeln!(
            out,
            "- **Override**: closed despite failing rules ({}); reason: {}",
            record.failed_rules.join(", "),
            record.reason
        );
    }

    let _ = writeln!(out, "\n## Experiments\n");
    if evidence.experiments.is_empty() {
        let _ = writeln!(out, "No experiments were logged.");
    } else {
        let _ = writeln!(
            out,
            "| Experiment | Role | Algorithm | Status | {headline} | |\n|---|---|---|---|---|---|"
        );
        for (index, e) in evidence.experiments.iter().enumerate() {
            let role = match e.role() {
                RunRole::Baseline => "baseline",
                RunRole::Candidate => "candidate",
                RunRole::Tuning => "tuning",
            };
            let status = e
                .status()
                .map(|s| s.mlflow_name().to_lowercase())
                .unwrap_or_else(|| "unreadable".into());
            let value = e
                .metric(headline)
                .map(fmt_value)
                .unwrap_or_else(|| "–".into());
            let mark = if evidence.best == Some(index) {
                "✅ BEST"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "| {} | {role} | {} | {status} | {value} | {mark} |",
                e.id,
                e.algorithm()
            );
        }
    }

    let _ = writeln!(out, "\n## Best Model\n");
    match evidence.best.map(|i| &evidence.experiments[i]) {
        None => {
            let _ = writeln!(out, "No finished candidate run logged `{headline}`.");
        }
        Some(best) => {
            let model = evidence.best_model().and_then(|m| m.metadata.as_ref().ok());
            let _ = writeln!(out, "- **Experiment**: `{}`", best.id);
            let _ = writeln!(
                out,
                "- **Algorithm**: {}",
                model
                    .map(|m| m.algorithm.clone())
                    .unwrap_or_else(|| best.algorithm())
            );
            match model {
                Some(m) => {
                    let _ = writeln!(
                        out,
                        "- **Version**: {} (`models/model-v{}/`, {}, stage {})",
                        m.version,
                        m.number,
                        m.framework,
                        stage_name(m.stage)
                    );
                    let _ = writeln!(
                        out,
                        "- **Training time**: {}",
                        m.training_time_s
                            .map(|t| format!("{t:.1} s"))
                            .unwrap_or_else(|| "not recorded".into())
                    );
                    let _ = writeln!(out, "- **Size**: {}", human_bytes(m.size_bytes));
                }
                None => {
                    let _ = writeln!(out, "- **Version**: not saved");
                }
            }
            // The run's metrics, completed by those measured on the saved model (latency).
            let mut merged = model.map(|m| m.metrics.clone()).unwrap_or_default();
            merged.extend(best.metrics.iter().flatten().map(|(k, v)| (k.clone(), *v)));
            let metrics: Vec<String> = merged
                .iter()
                .map(|(k, v)| format!("{k} = {}", fmt_value(*v)))
                .collect();
            let _ = writeln!(
                out,
                "- **Metrics**: {}",
                if metrics.is_empty() {
                    "none".into()
                } else {
                    metrics.join(", ")
                }
            );
        }
    }

    let _ = writeln!(out, "\n## Success Criteria\n");
    let _ = writeln!(
        out,
        "| Check | Result | Required | Actual |\n|---|---|---|---|"
    );
    for r in report
        .results
        .iter()
        .filter(|r| r.rule == "success-criterion" || r.rule == "beats-best-baseline")
    {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.message.replace('|', "\\|"),
            icon(r.outcome),
            r.required.as_deref().unwrap_or("").replace('|', "\\|"),
            r.actual.as_deref().unwrap_or("not logged")
        );
    }

    let _ = writeln!(out, "\n## Deployment Readiness\n");
    let targets = evidence
        .spec
        .as_ref()
        .map(deployment_targets)
        .unwrap_or_default();
    if targets.is_empty() {
        let _ = writeln!(
            out,
            "- **Latency**: no target in the spec's Model Requirements"
        );
    }
    for target in targets {
        if let Check::Threshold {
            metric,
            comparison,
            target: value,
        } = &target.check
        {
            let label = if metric == "throughput_rps" {
                "Throughput"
            } else {
                "Latency"
            };
            let unit = if metric == "throughput_rps" {
                "req/s"
            } else {
                "ms"
            };
            let measured = match evidence.best_metric(metric) {
                Some(actual) => format!(
                    "measured {} {unit} {}",
                    fmt_value(actual),
                    if comparison.holds(actual, *value) {
                        "✅"
                    } else {
                        "❌"
                    }
                ),
                None => "not measured ⚠️".into(),
            };
            let _ = writeln!(
                out,
                "- **{label}**: target {} {} {unit} (`{metric}`), {measured}",
                comparison.symbol(),
                fmt_value(*value)
            );
        }
    }
    let present = |path: &str| increment.dir().join(path).is_file();
    let _ = writeln!(
        out,
        "- **Explainability**: {}",
        if present("reports/explainability-report.md") {
            "`reports/explainability-report.md` ✅"
        } else {
            "missing ❌"
        }
    );
    let _ = writeln!(
        out,
        "- **A/B test plan**: {}",
        if present("reports/ab-test-plan.md") {
            "`reports/ab-test-plan.md` ✅"
        } else {
            "missing ❌"
        }
    );
    let _ = writeln!(
        out,
        "- **Monitoring**: {}",
        if present("reports/monitoring.md") {
            "`reports/monitoring.md` ✅"
        } else {
            "missing ⚠️"
        }
    );
    let finished = evidence
        .experiments
        .iter()
        .filter(|e| e.status() == Some(RunStatus::Finished))
        .count();
    let _ = writeln!(
        out,
        "\n{} of {} runs finished; runs are ranked by `{headline}` ({} is better).",
        finished,
        evidence.experiments.len(),
        if lower_is_better(headline) {
            "lower"
        } else {
            "higher"
        }
    );
    out
}

fn stage_name(stage: specweave_core::records::ModelStage) -> &'static str {
    use specweave_core::records::ModelStage;
    match stage {
        ModelStage::Dev => "dev",
        ModelStage::Staging => "staging",
        ModelStage::Production => "production",
        ModelStage::Archived => "archived",
    }
}

fn icon(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✅",
        Outcome::Warn => "⚠️",
        Outcome::Fail => "❌",
    }
}

fn fmt_value(value: f64) -> String {
    if value.is_finite() && value.fract() != 0.0 {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{value}")
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
