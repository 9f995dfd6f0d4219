//! The validation gate: named rules, each pass, warn or fail with a message, checked against
//! the increment's documents and what its pipeline logged.

use std::fmt;
use std::path::Path;

use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use specweave_core::records::RunStatus;

use crate::criteria::{BaselineRef, Check, Comparison, Criterion, Margin, lower_is_better};
use crate::experiments::{Experiment, RunRole, SavedModel, read_experiments, read_models};
use crate::fsutil::write_atomic;
use crate::increment::{INCREMENT_FOLDERS, PLAN_FILE, default_headline_metric};
use crate::metadata::METADATA_FILE;
use crate::spec_doc::SPEC_FILE;
use crate::tasks::TASKS_FILE;
use crate::tests_doc::TESTS_FILE;
use crate::{Error, Increment, Result, SpecDocument, TaskList, TestPlan};

/// Where the validation report is written, relative to the increment.
pub const VALIDATION_REPORT: &str = "reports/validation-report.md";
/// Cross-validation standard deviation above which results are called unstable.
pub const CV_STD_WARNING: f64 = 0.1;
/// Candidate runs required when the spec does not say (`min_candidates` in its frontmatter).
pub const DEFAULT_MIN_CANDIDATES: u32 = 3;

/// Result of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The rule holds.
    Pass,
    /// The rule holds but something deserves a look.
    Warn,
    /// The rule does not hold; the increment cannot be closed.
    Fail,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
        })
    }
}

/// One rule's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleResult {
    /// Rule name, e.g. `experiments-logged`.
    pub rule: String,
    /// Verdict.
    pub outcome: Outcome,
    /// What was found and, when it fails, what to do next.
    pub message: String,
    /// The required value, for rules that compare numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<String>,
    /// The actual value, for rules that compare numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl RuleResult {
    fn new(rule: &str, outcome: Outcome, message: impl Into<String>) -> RuleResult {
        RuleResult {
            rule: rule.to_string(),
            outcome,
            message: message.into(),
            required: None,
            actual: None,
        }
    }

    fn with_values(mut self, required: impl Into<String>, actual: Option<String>) -> RuleResult {
        self.required = Some(required.into());
        self.actual = actual;
        self
    }
}

/// All rule results for one increment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationReport {
    /// Increment id.
    pub increment: String,
    /// When, RFC 3339.
    pub generated_at: String,
    /// The metric runs are ranked by.
    pub headline_metric: String,
    /// The best candidate or tuning run, if any.
    pub best_run: Option<String>,
    /// The best baseline run, if any.
    pub best_baseline: Option<String>,
    /// Whether no rule failed.
    pub passed: bool,
    /// Rule results in order.
    pub results: Vec<RuleResult>,
}

impl ValidationReport {
    /// Whether no rule failed.
    pub fn passed(&self) -> bool {
        self.passed
    }

    /// Results that failed.
    pub fn failures(&self) -> impl Iterator<Item = &RuleResult> {
        self.results.iter().filter(|r| r.outcome == Outcome::Fail)
    }

    fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// One line: `FAILED (3 failed, 1 warning, 8 passed)`.
    pub fn summary(&self) -> String {
        format!(
            "{} ({} failed, {} warning(s), {} passed)",
            if self.passed { "PASSED" } else { "FAILED" },
            self.count(Outcome::Fail),
            self.count(Outcome::Warn),
            self.count(Outcome::Pass)
        )
    }

    /// A plain-text table for terminals.
    pub fn to_table(&self) -> String {
        let rows: Vec<[String; 3]> = self
            .results
            .iter()
            .map(|r| {
                [
                    r.rule.clone(),
                    r.outcome.to_string().to_uppercase(),
                    full_message(r),
                ]
            })
            .collect();
        let width_rule = rows.iter().map(|r| r[0].len()).max().unwrap_or(4).max(4);
        let mut out = format!("{:<width_rule$}  RESULT  MESSAGE\n", "RULE");
        for [rule, outcome, message] in rows {
            out.push_str(&format!("{rule:<width_rule$}  {outcome:<6}  {message}\n"));
        }
        out.push_str(&format!(
            "\nValidation of {}: {}\n",
            self.increment,
            self.summary()
        ));
        out
    }

    /// The Markdown report written to `reports/validation-report.md`.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# Validation Report: {}\n\nGenerated: {}  \nHeadline metric: `{}`  \nBest run: {}  \nBest baseline: {}\n\n**Result: {}**\n\n| Rule | Result | Required | Actual | Message |\n|---|---|---|---|---|\n",
            self.increment,
            self.generated_at,
            self.headline_metric,
            self.best_run.as_deref().unwrap_or("none"),
            self.best_baseline.as_deref().unwrap_or("none"),
            self.summary()
        );
        for r in &self.results {
            let icon = match r.outcome {
                Outcome::Pass => "✅ pass",
                Outcome::Warn => "⚠️ warn",
                Outcome::Fail => "❌ fail",
            };
            out.push_str(&format!(
                "| {} | {icon} | {} | {} | {} |\n",
                r.rule,
                cell(r.required.as_deref().unwrap_or("")),
                cell(r.actual.as_deref().unwrap_or("")),
                cell(&r.message)
            ));
        }
        out
    }
}

fn full_message(r: &RuleResult) -> String {
    match (&r.required, &r.actual) {
        (Some(required), Some(actual)) => {
            format!("{} [required {required}, actual {actual}]", r.message)
        }
        (Some(required), None) => format!("{} [required {required}]", r.message),
        _ => r.message.clone(),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value != 0.0 && (value.abs() >= 1e6 || value.abs() < 1e-3) {
        format!("{value:.3e}")
    } else {
        let text = format!("{value:.4}");
        let trimmed = text.trim_end_matches('0').trim_end_matches('.');
        trimmed.to_string()
    }
}

/// What validation found in the increment, shared with the completion summary.
pub(crate) struct Evidence {
    pub spec: std::result::Result<SpecDocument, String>,
    pub tasks: std::result::Result<TaskList, String>,
    pub tests: std::result::Result<TestPlan, String>,
    pub experiments: Vec<Experiment>,
    pub models: Vec<SavedModel>,
    pub headline: String,
    pub best: Option<usize>,
    pub best_baseline: Option<usize>,
    pub min_candidates: u32,
}

impl Evidence {
    pub(crate) fn gather(increment: &Increment) -> Result<Evidence> {
        let dir = increment.dir();
        let spec = increment.spec().map_err(|e| e.to_string());
        let tasks = increment.tasks().map_err(|e| e.to_string());
        let tests = increment.tests().map_err(|e| e.to_string());
        let experiments = read_experiments(dir)?;
        let models = read_models(dir)?;
        let frontmatter = spec.as_ref().ok().map(|s| &s.frontmatter);
        let headline = frontmatter
            .and_then(|f| f.headline_metric.clone())
            .or_else(|| {
                experiments.iter().find_map(|e| {
                    e.record
                        .as_ref()
                        .and_then(|r| r.tags.get(specweave_core::records::TAG_HEADLINE_METRIC))
                        .cloned()
                })
            })
            .unwrap_or_else(|| default_headline_metric(increment.metadata().problem).to_string());
        let min_candidates = frontmatter
            .and_then(|f| f.min_candidates)
            .unwrap_or(DEFAULT_MIN_CANDIDATES);
        let best = best_of(&experiments, &headline, |e| {
            matches!(e.role(), RunRole::Candidate | RunRole::Tuning)
        });
        let best_baseline = best_of(&experiments, &headline, |e| e.role() == RunRole::Baseline);
        Ok(Evidence {
            spec,
            tasks,
            tests,
            experiments,
            models,
            headline,
            best,
            best_baseline,
            min_candidates,
        })
    }

    /// Metrics of the best model: its run's metrics, completed by its saved model's metadata.
    pub(crate) fn best_metric(&self, key: &str) -> Option<f64> {
        let best = &self.experiments[self.best?];
        best.metric(key).or_else(|| {
            self.best_model()
                .and_then(|m| m.metadata.as_ref().ok())
                .and_then(|m| m.metrics.get(key).copied())
        })
    }

    /// The saved model that came from the best run (the highest version if several).
    pub(crate) fn best_model(&self) -> Option<&SavedModel> {
        let best = &self.experiments[self.best?];
        self.models
            .iter()
            .filter(|m| m.metadata.as_ref().is_ok_and(|md| md.experiment == best.id))
            .max_by_key(|m| m.metadata.as_ref().map(|md| md.number).unwrap_or(0))
    }
}

/// The finished run with the best finite value of `metric` among those `eligible` accepts.
pub(crate) fn best_of(
    experiments: &[Experiment],
    metric: &str,
    eligible: impl Fn(&Experiment) -> bool,
) -> Option<usize> {
    let lower = lower_is_better(metric);
    experiments
        .iter()
        .enumerate()
        .filter(|(_, e)| e.status() == Some(RunStatus::Finished) && eligible(e))
        .filter_map(|(i, e)| e.metric(metric).filter(|v| v.is_finite()).map(|v| (i, v)))
        .reduce(|best, next| {
            let better = if lower {
                next.1 < best.1
            } else {
                next.1 > best.1
            };
            if better { next } else { best }
        })
        .map(|(i, _)| i)
}

const NOTHING_LOGGED: &str = "nothing logged: no finished candidate run";

impl Increment {
    /// Runs every validation rule. Does not write anything; see
    /// [`Increment::validate_and_write`].
    pub fn validate(&self) -> Result<ValidationReport> {
        let evidence = Evidence::gather(self)?;
        Ok(self.report_from(&evidence))
    }

    /// Runs validation and writes `reports/validation-report.md`.
    ///
    /// ```
    /// use specweave_spec::{Increment, Outcome};
    /// let root = tempfile::tempdir()?;
    /// let increment = Increment::create(root.path(), "forecast weekly sales", None)?;
    /// let report = increment.validate_and_write()?;
    /// let logged = report.results.iter().find(|r| r.rule == "experiments-logged");
    /// assert_eq!(logged.map(|r| r.outcome), Some(Outcome::Fail));
    /// assert!(increment.dir().join("reports/validation-report.md").is_file());
    /// println!("{}", report.to_table());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate_and_write(&self) -> Result<ValidationReport> {
        let report = self.validate()?;
        let path = self.dir().join(VALIDATION_REPORT);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
        }
        write_atomic(&path, report.to_markdown().as_bytes())?;
        Ok(report)
    }

    pub(crate) fn report_from(&self, evidence: &Evidence) -> ValidationReport {
        let mut results = vec![
            required_files(self.dir()),
            documents_parse(self, evidence),
            tasks_complete(self, evidence),
            task_dependencies(evidence),
            experiments_logged(evidence),
            experiments_complete(evidence),
            best_model_saved(evidence),
            metrics_documented(self.dir()),
            explainability(self.dir()),
        ];
        let criteria: &[Criterion] = evidence
            .spec
            .as_ref()
            .map(|s| s.criteria.as_slice())
            .unwrap_or_default();
        for criterion in criteria {
            results.push(check_criterion(criterion, evidence));
        }
        let has_best_baseline_criterion = criteria.iter().any(|c| {
            matches!(
                &c.check,
                Check::BeatBaseline {
                    baseline: BaselineRef::Best,
                    ..
                }
            )
        });
        if !has_best_baseline_criterion {
            let implicit = Criterion {
                text: "beat the best baseline".into(),
                line: 0,
                check: Check::BeatBaseline {
                    baseline: BaselineRef::Best,
                    margin: Margin::Percent(0.0),
                    metric: None,
                },
            };
            let mut result = check_criterion(&implicit, evidence);
            result.rule = "beats-best-baseline".into();
            results.push(result);
        }
        results.extend(deployment_requirements(evidence));
        results.push(cv_stability(evidence));
        ValidationReport {
            increment: self.id().to_string(),
            generated_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            headline_metric: evidence.headline.clone(),
            best_run: evidence.best.map(|i| evidence.experiments[i].id.clone()),
            best_baseline: evidence
                .best_baseline
                .map(|i| evidence.experiments[i].id.clone()),
            passed: results.iter().all(|r| r.outcome != Outcome::Fail),
            results,
        }
    }
}

fn required_files(dir: &Path) -> RuleResult {
    let files = [SPEC_FILE, PLAN_FILE, TASKS_FILE, TESTS_FILE, METADATA_FILE];
    let mut missing: Vec<String> = files
        .iter()
        .filter(|f| !dir.join(f).is_file())
        .map(|f| f.to_string())
        .collect();
    missing.extend(
        INCREMENT_FOLDERS
            .iter()
            .filter(|f| !dir.join(f).is_dir())
            .map(|f| format!("{f}/")),
    );
    if missing.is_empty() {
        RuleResult::new(
            "required-files",
            Outcome::Pass,
            "spec, plan, tasks, tests, metadata and all folders present",
        )
    } else {
        RuleResult::new(
            "required-files",
            Outcome::Fail,
            format!("missing: {}", missing.join(", ")),
        )
    }
}

fn documents_parse(increment: &Increment, evidence: &Evidence) -> RuleResult {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    match &evidence.spec {
        Err(e) => errors.push(e.clone()),
        Ok(spec) => {
            for d in &spec.diagnostics {
                if d.is_error() {
                    &mut errors
                } else {
                    &mut warnings
                }
                .push(d.to_string());
            }
            // metadata.json on disk, not this handle's copy: other handles (a pipeline's
            // task updates) may have moved the lifecycle since it was opened.
            let stored = crate::Metadata::read(increment.dir())
                .map_or(increment.metadata().status, |m| m.status);
            if let Some(mirrored) = spec.frontmatter.status
                && mirrored != stored
            {
                warnings.push(format!(
                    "spec.md frontmatter says status {mirrored} but metadata.json says {stored}; metadata.json is the status store"
                ));
            }
        }
    }
    match &evidence.tests {
        Err(e) => errors.push(e.clone()),
        Ok(tests) => errors.extend(tests.diagnostics.iter().map(ToString::to_string)),
    }
    if !errors.is_empty() {
        RuleResult::new("documents-parse", Outcome::Fail, errors.join("; "))
    } else if !warnings.is_empty() {
        RuleResult::new("documents-parse", Outcome::Warn, warnings.join("; "))
    } else {
        let count = evidence
            .spec
            .as_ref()
            .map(|s| s.criteria.len())
            .unwrap_or(0);
        RuleResult::new(
            "documents-parse",
            Outcome::Pass,
            format!("spec.md and tests.md parse; {count} success criteria"),
        )
    }
}

fn tasks_complete(increment: &Increment, evidence: &Evidence) -> RuleResult {
    let tasks = match &evidence.tasks {
        Err(e) => return RuleResult::new("tasks-complete", Outcome::Fail, e.clone()),
        Ok(tasks) => tasks,
    };
    let open: Vec<String> = tasks
        .tasks
        .iter()
        .filter(|t| !t.status.is_closed())
        .map(|t| format!("{} ({})", t.id, t.status))
        .collect();
    if tasks.tasks.is_empty() {
        RuleResult::new("tasks-complete", Outcome::Fail, "tasks.md lists no tasks")
    } else if open.is_empty() {
        RuleResult::new(
            "tasks-complete",
            Outcome::Pass,
            format!("all {} tasks completed or canceled", tasks.tasks.len()),
        )
    } else {
        let number = increment.metadata().number;
        RuleResult::new(
            "tasks-complete",
            Outcome::Fail,
            format!(
                "{} of {} tasks open: {}; when done, run `specweave task {number:04} <id> --status completed`",
                open.len(),
                tasks.tasks.len(),
                open.join(", ")
            ),
        )
    }
}

fn task_dependencies(evidence: &Evidence) -> RuleResult {
    let tasks = match &evidence.tasks {
        Err(e) => return RuleResult::new("task-dependencies", Outcome::Fail, e.clone()),
        Ok(tasks) => tasks,
    };
    let mut errors: Vec<String> = tasks
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    for task in &tasks.tasks {
        if task.status != crate::TaskStatus::Completed {
            continue;
        }
        for dependency in &task.depends_on {
            if let Some(dep) = tasks.get(dependency)
                && !dep.status.is_closed()
            {
                errors.push(format!(
                    "{} is completed but its dependency {} is {}",
                    task.id, dep.id, dep.status
                ));
            }
        }
    }
    let warnings: Vec<String> = tasks
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .map(ToString::to_string)
        .collect();
    if !errors.is_empty() {
        RuleResult::new("task-dependencies", Outcome::Fail, errors.join("; "))
    } else if !warnings.is_empty() {
        RuleResult::new("task-dependencies", Outcome::Warn, warnings.join("; "))
    } else {
        RuleResult::new(
            "task-dependencies",
            Outcome::Pass,
            "ids unique, dependencies exist and are satisfied",
        )
    }
}

fn experiments_logged(evidence: &Evidence) -> RuleResult {
    let count = |role: RunRole| {
        evidence
            .experiments
            .iter()
            .filter(|e| e.role() == role)
            .count()
    };
    let (baselines, candidates, tuning) = (
        count(RunRole::Baseline),
        count(RunRole::Candidate),
        count(RunRole::Tuning),
    );
    let wanted = evidence.min_candidates as usize;
    let how = "log each run with specweave-tracking into experiments/exp-NNN-<name>/ (run.json, params.json, metrics.json) tagged specweave.role=baseline or candidate";
    if evidence.experiments.is_empty() {
        return RuleResult::new(
            "experiments-logged",
            Outcome::Fail,
            format!(
                "nothing logged: no experiments under experiments/. Next: train the baselines (T-003) and at least {wanted} candidate models (T-004); {how}"
            ),
        );
    }
    let mut missing = Vec::new();
    if baselines == 0 {
        missing.push("no baseline run (T-003)".to_string());
    }
    if candidates < wanted {
        missing.push(format!(
            "{candidates} candidate run(s), the spec asks for at least {wanted} (T-004)"
        ));
    }
    let found =
        format!("{baselines} baseline(s), {candidates} candidate(s), {tuning} tuning run(s)");
    if missing.is_empty() {
        RuleResult::new("experiments-logged", Outcome::Pass, found)
    } else {
        RuleResult::new(
            "experiments-logged",
            Outcome::Fail,
            format!("{found}: {}; {how}", missing.join(", ")),
        )
    }
}

fn experiments_complete(evidence: &Evidence) -> RuleResult {
    if evidence.experiments.is_empty() {
        return RuleResult::new(
            "experiments-complete",
            Outcome::Fail,
            "nothing logged: no experiments to check for params, metrics and status",
        );
    }
    let mut issues = Vec::new();
    let mut failed_with_note = 0;
    for e in &evidence.experiments {
        let mut own: Vec<String> = e.problems.clone();
        match e.record.as_ref().map(|r| (r.status, r.notes.is_empty())) {
            None => {}
            Some((RunStatus::Finished, _)) => {}
            Some((RunStatus::Running, _)) if e.is_orphaned() => own.push(format!(
                "marked running but its process {} is gone; mark it killed with a note or rerun it",
                e.record.as_ref().and_then(|r| r.pid).unwrap_or_default()
            )),
            Some((RunStatus::Running, _)) => {
                own.push("still running (or its process died without ending the run)".into())
            }
            Some((status @ (RunStatus::Failed | RunStatus::Killed), true)) => own.push(format!(
                "{} without a note saying why",
                status.mlflow_name().to_lowercase()
            )),
            Some((RunStatus::Failed | RunStatus::Killed, false)) => {
                failed_with_note += 1;
                // A failed run documents its failure; missing metrics are expected.
                own.retain(|p| !p.starts_with("metrics.json missing"));
            }
        }
        if e.record
            .as_ref()
            .is_some_and(|r| r.status == RunStatus::Finished)
            && e.metrics.as_ref().is_some_and(|m| m.is_empty())
        {
            own.push("metrics.json is empty".into());
        }
        if !own.is_empty() {
            issues.push(format!("{}: {}", e.id, own.join(", ")));
        }
    }
    if issues.is_empty() {
        RuleResult::new(
            "experiments-complete",
            Outcome::Pass,
            format!(
                "{} run(s) checked: finished with params and metrics, or failed with a note ({failed_with_note})",
                evidence.experiments.len()
            ),
        )
    } else {
        RuleResult::new("experiments-complete", Outcome::Fail, issues.join("; "))
    }
}

fn best_model_saved(evidence: &Evidence) -> RuleResult {
    let rule = "best-model-saved";
    let Some(best) = evidence.best.map(|i| &evidence.experiments[i]) else {
        return RuleResult::new(
            rule,
            Outcome::Fail,
            format!(
                "{NOTHING_LOGGED} with `{}` logged, so there is no best model to save",
                evidence.headline
            ),
        );
    };
    let broken: Vec<String> = evidence
        .models
        .iter()
        .filter_map(|m| {
            m.metadata
                .as_ref()
                .err()
                .map(|e| format!("{}: {e}", m.path.display()))
        })
        .collect();
    if !broken.is_empty() {
        return RuleResult::new(rule, Outcome::Fail, broken.join("; "));
    }
    match evidence.best_model() {
        Some(model) => {
            let md = model.metadata.as_ref().ok();
            let name = md
                .map(|m| format!("model-v{} ({}, {})", m.number, m.version, m.algorithm))
                .unwrap_or_default();
            if model.bundle_present {
                RuleResult::new(
                    rule,
                    Outcome::Pass,
                    format!("{name} saved from best run {}", best.id),
                )
            } else {
                RuleResult::new(
                    rule,
                    Outcome::Warn,
                    format!(
                        "{name} has metadata but its folder models/model-v{}/ is missing",
                        md.map(|m| m.number).unwrap_or(0)
                    ),
                )
            }
        }
        None if evidence.models.is_empty() => RuleResult::new(
            rule,
            Outcome::Fail,
            format!(
                "no model saved under models/; register the best run {} as models/model-vN/ with models/model-vN.metadata.json",
                best.id
            ),
        ),
        None => RuleResult::new(
            rule,
            Outcome::Fail,
            format!(
                "saved models come from {} but the best run by `{}` is {}; register it",
                evidence
                    .models
                    .iter()
                    .filter_map(|m| m.metadata.as_ref().ok().map(|md| md.experiment.clone()))
                    .collect::<Vec<_>>()
                    .join(", "),
                evidence.headline,
                best.id
            ),
        ),
    }
}

fn metrics_documented(dir: &Path) -> RuleResult {
    let wanted = ["experiments/comparison.md", "reports/evaluation-report.md"];
    let missing: Vec<&str> = wanted
        .into_iter()
        .filter(|f| {
            std::fs::metadata(dir.join(f))
                .map(|m| m.len() == 0)
                .unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        RuleResult::new(
            "metrics-documented",
            Outcome::Pass,
            "comparison and evaluation report present",
        )
    } else {
        RuleResult::new(
            "metrics-documented",
            Outcome::Fail,
            format!(
                "missing or empty: {}; write them in T-006 (evaluation)",
                missing.join(", ")
            ),
        )
    }
}

fn explainability(dir: &Path) -> RuleResult {
    let report = dir.join("reports/explainability-report.md");
    let plots = std::fs::read_dir(dir.join("reports/plots"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".svg"))
                .count()
        })
        .unwrap_or(0);
    if std::fs::metadata(&report).is_ok_and(|m| m.len() > 0) {
        RuleResult::new(
            "explainability",
            Outcome::Pass,
            format!("reports/explainability-report.md present, {plots} plot(s)"),
        )
    } else {
        RuleResult::new(
            "explainability",
            Outcome::Fail,
            "no explainability artifacts: reports/explainability-report.md is missing; run T-007 (feature importance, SHAP values)",
        )
    }
}

fn check_criterion(criterion: &Criterion, evidence: &Evidence) -> RuleResult {
    let rule = "success-criterion";
    let label = &criterion.text;
    match &criterion.check {
        Check::Threshold {
            metric,
            comparison,
            target,
        } => {
            let required = format!("{} {}", comparison.symbol(), format_value(*target));
            let Some(best) = evidence.best.map(|i| &evidence.experiments[i]) else {
                return RuleResult::new(
                    rule,
                    Outcome::Fail,
                    format!("{label}: {NOTHING_LOGGED}, so `{metric}` cannot be checked"),
                )
                .with_values(required, None);
            };
            match evidence.best_metric(metric) {
                None => RuleResult::new(
                    rule,
                    Outcome::Fail,
                    format!("{label}: `{metric}` not logged by the best run {}; log it during evaluation", best.id),
                )
                .with_values(required, None),
                Some(actual) => {
                    let outcome = if comparison.holds(actual, *target) { Outcome::Pass } else { Outcome::Fail };
                    RuleResult::new(rule, outcome, format!("{label} ({metric} of {})", best.id))
                        .with_values(required, Some(format_value(actual)))
                }
            }
        }
        Check::BeatBaseline {
            baseline,
            margin,
            metric,
        } => {
            let metric = metric.clone().unwrap_or_else(|| evidence.headline.clone());
            let lower = lower_is_better(&metric);
            let baseline_index = match baseline {
                BaselineRef::Best => best_of(&evidence.experiments, &metric, |e| {
                    e.role() == RunRole::Baseline
                }),
                BaselineRef::Named(word) => best_of(&evidence.experiments, &metric, |e| {
                    e.role() == RunRole::Baseline && e.mentions(word)
                }),
            };
            let Some(baseline_run) = baseline_index.map(|i| &evidence.experiments[i]) else {
                let what = match baseline {
                    BaselineRef::Best => "no finished baseline run".to_string(),
                    BaselineRef::Named(word) => format!(
                        "no finished baseline run whose name or algorithm contains `{word}`"
                    ),
                };
                return RuleResult::new(
                    rule,
                    Outcome::Fail,
                    format!("{label}: nothing logged: {what} with `{metric}`; log it in T-003"),
                );
            };
            let baseline_value = baseline_run.metric(&metric).unwrap_or(f64::NAN);
            let target = Check::required_against(baseline_value, *margin, lower);
            let comparison = match (lower, matches!(margin, Margin::Percent(p) if *p == 0.0)) {
                (false, true) => Comparison::Greater,
                (false, false) => Comparison::GreaterOrEqual,
                (true, true) => Comparison::Less,
                (true, false) => Comparison::LessOrEqual,
            };
            let required = format!(
                "{} {} ({} {} = {})",
                comparison.symbol(),
                format_value(target),
                baseline_run.id,
                metric,
                format_value(baseline_value)
            );
            let Some(best) = evidence.best.map(|i| &evidence.experiments[i]) else {
                return RuleResult::new(
                    rule,
                    Outcome::Fail,
                    format!(
                        "{label}: {NOTHING_LOGGED} to compare with {}",
                        baseline_run.id
                    ),
                )
                .with_values(required, None);
            };
            match evidence.best_metric(&metric) {
                None => RuleResult::new(
                    rule,
                    Outcome::Fail,
                    format!("{label}: `{metric}` not logged by the best run {}", best.id),
                )
                .with_values(required, None),
                Some(actual) => {
                    let outcome = if comparison.holds(actual, target) {
                        Outcome::Pass
                    } else {
                        Outcome::Fail
                    };
                    RuleResult::new(
                        rule,
                        outcome,
                        format!("{label} ({metric} of {} vs {})", best.id, baseline_run.id),
                    )
                    .with_values(required, Some(format_value(actual)))
                }
            }
        }
    }
}

/// Latency and throughput bullets of `## Model Requirements`, parsed like criteria.
pub(crate) fn deployment_targets(spec: &SpecDocument) -> Vec<Criterion> {
    let Some(section) = spec.section("Model Requirements") else {
        return Vec::new();
    };
    let (criteria, _) = crate::parse_criteria_block(&section.body, section.line + 1);
    criteria
        .into_iter()
        .filter(|c| {
            matches!(&c.check, Check::Threshold { metric, .. } if metric.starts_with("latency") || metric == "throughput_rps")
        })
        .collect()
}

fn deployment_requirements(evidence: &Evidence) -> Vec<RuleResult> {
    let Ok(spec) = &evidence.spec else {
        return Vec::new();
    };
    deployment_targets(spec)
        .into_iter()
        .map(|criterion| {
            let Check::Threshold { metric, comparison, target } = &criterion.check else {
                return RuleResult::new("deployment-requirement", Outcome::Warn, criterion.text.clone());
            };
            let required = format!("{} {}", comparison.symbol(), format_value(*target));
            match evidence.best_metric(metric) {
                None => RuleResult::new(
                    "deployment-requirement",
                    Outcome::Warn,
                    format!("{}: `{metric}` not measured yet; measure it during deployment preparation (T-008)", criterion.text),
                )
                .with_values(required, None),
                Some(actual) => RuleResult::new(
                    "deployment-requirement",
                    if comparison.holds(actual, *target) { Outcome::Pass } else { Outcome::Fail },
                    format!("{} ({metric})", criterion.text),
                )
                .with_values(required, Some(format_value(actual))),
            }
        })
        .collect()
}

fn cv_stability(evidence: &Evidence) -> RuleResult {
    let rule = "cv-stability";
    let Some(best) = evidence.best.map(|i| &evidence.experiments[i]) else {
        return RuleResult::new(
            rule,
            Outcome::Warn,
            format!("{NOTHING_LOGGED}; cross-validation spread unknown"),
        );
    };
    let spreads: Vec<(String, f64)> = best
        .metrics
        .iter()
        .flatten()
        .filter(|(k, _)| k.as_str() == "cv_std" || k.ends_with("_cv_std"))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let unstable: Vec<String> = spreads
        .iter()
        .filter(|(_, v)| v.is_nan() || *v > CV_STD_WARNING)
        .map(|(k, v)| format!("{k} = {}", format_value(*v)))
        .collect();
    if spreads.is_empty() {
        RuleResult::new(
            rule,
            Outcome::Pass,
            format!("no cross-validation spread logged by {}", best.id),
        )
    } else if unstable.is_empty() {
        RuleResult::new(
            rule,
            Outcome::Pass,
            format!(
                "cross-validation std at most {CV_STD_WARNING} for {}",
                best.id
            ),
        )
    } else {
        RuleResult::new(
            rule,
            Outcome::Warn,
            format!(
                "{} above {CV_STD_WARNING}: results vary across folds",
                unstable.join(", ")
            ),
        )
        .with_values(format!("<= {CV_STD_WARNING}"), Some(unstable.join(", ")))
    }
}
