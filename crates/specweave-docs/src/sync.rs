//! [`sync_docs`]: writes or updates every document of an increment from what it stores.
//! Each file is rewritten only when its content changes (through a temporary file and a
//! rename), and nothing in the output depends on the clock, so a second run changes nothing.

use crate::artifacts::RunArtifacts;
use crate::error::{DocsError, Result};
use crate::html;
use crate::living::{ADR_DIR, ML_MODELS_FILE, RUNBOOKS_DIR, adr_file_name, upsert_model_section};
use crate::monitoring::{DriftProfile, FeatureDrift};
use crate::notebooks::{NOTEBOOKS, notebook};
use crate::plots::{self, ComparisonBar, StepSeries};
use crate::power::{self, SampleSize};
use specweave_core::records::{ModelVersionMetadata, RunStatus, TAG_ALGORITHM};
use specweave_spec::{Increment, Outcome, ValidationReport, lower_is_better, read_models};
use specweave_tracking::{RunSummary, Tracker};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Settings of the documents that are decisions rather than records: the A/B test's
/// statistics and traffic, and the service objectives.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOptions {
    /// Significance level of the A/B test (two-sided).
    pub alpha: f64,
    /// Power of the A/B test.
    pub power: f64,
    /// Users (or requests) per day that enter the experiment, both arms together.
    pub daily_traffic: u64,
    /// Minimum detectable effect for rate metrics, relative to the control rate.
    pub relative_mde: f64,
    /// Minimum detectable effect for other metrics, in standard deviations (Cohen's d).
    pub standardized_mde: f64,
    /// Error-rate objective of the service.
    pub error_rate_objective: f64,
    /// p99 latency objective in ms when the best run logged no `latency_p99_ms`.
    pub default_latency_p99_ms: f64,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            alpha: 0.05,
            power: 0.8,
            daily_traffic: 10_000,
            relative_mde: 0.05,
            standardized_mde: 0.1,
            error_rate_objective: 0.01,
            default_latency_p99_ms: 100.0,
        }
    }
}

/// What a sync did, by path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncReport {
    /// Files created or changed.
    pub written: Vec<PathBuf>,
    /// Files whose content was already up to date.
    pub unchanged: Vec<PathBuf>,
}

impl SyncReport {
    fn put(&mut self, path: PathBuf, content: &[u8]) -> Result<()> {
        if std::fs::read(&path).is_ok_and(|old| old == content) {
            self.unchanged.push(path);
            return Ok(());
        }
        let parent = path.parent().ok_or_else(|| {
            DocsError::invalid("path", format!("{} has no folder", path.display()))
        })?;
        std::fs::create_dir_all(parent).map_err(DocsError::io(parent))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, content).map_err(DocsError::io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(DocsError::io(&path))?;
        self.written.push(path);
        Ok(())
    }
}

/// Writes or updates all documents of `increment` with [`SyncOptions::default`].
///
/// ```
/// use specweave_spec::Increment;
/// let root = tempfile::tempdir()?;
/// let increment = Increment::create(root.path(), "churn classifier", None)?;
/// let first = specweave_docs::sync_docs(&increment)?;
/// assert!(!first.written.is_empty());
/// let second = specweave_docs::sync_docs(&increment)?;
/// assert!(second.written.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sync_docs(increment: &Increment) -> Result<SyncReport> {
    sync_docs_with(increment, &SyncOptions::default())
}

/// Writes or updates all documents of `increment`.
pub fn sync_docs_with(increment: &Increment, options: &SyncOptions) -> Result<SyncReport> {
    let dir = increment.dir();
    // validation checks that these folders exist; create them first so that the verdicts
    // do not change between the first and second sync
    for folder in ["reports", "notebooks"] {
        let path = dir.join(folder);
        std::fs::create_dir_all(&path).map_err(DocsError::io(&path))?;
    }
    let mut report = SyncReport::default();
    // validation looks at some of these documents (the reports exist, plots were drawn),
    // and the documents show the verdicts: write until the verdicts they show are current
    for _ in 0..3 {
        let mut pass = SyncReport::default();
        let shown = write_documents(increment, options, &mut pass)?;
        let current = increment.validate()?;
        for path in pass.written {
            if !report.written.contains(&path) {
                report.written.push(path);
            }
        }
        report.unchanged = pass
            .unchanged
            .into_iter()
            .filter(|p| !report.written.contains(p))
            .collect();
        if same_verdicts(&shown, &current) {
            break;
        }
    }
    Ok(report)
}

fn same_verdicts(a: &ValidationReport, b: &ValidationReport) -> bool {
    a.results == b.results && a.best_run == b.best_run && a.best_baseline == b.best_baseline
}

/// One pass over every document; returns the validation the documents show.
fn write_documents(
    increment: &Increment,
    options: &SyncOptions,
    report: &mut SyncReport,
) -> Result<ValidationReport> {
    let dir = increment.dir();
    let ctx = Context::gather(increment)?;
    let title = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    report.put(
        dir.join(specweave_tracking::EXPERIMENTS_DIR)
            .join(specweave_tracking::COMPARISON_FILE),
        specweave_tracking::render_comparison(&title, &ctx.runs).as_bytes(),
    )?;
    let plots = ctx.plots()?;
    for (name, _, svg) in &plots {
        report.put(
            dir.join("reports/plots").join(format!("{name}.svg")),
            svg.as_bytes(),
        )?;
    }
    report.put(
        dir.join("reports/evaluation-report.md"),
        ctx.evaluation_report(&plots).as_bytes(),
    )?;
    report.put(
        dir.join("reports/explainability-report.md"),
        ctx.explainability_report(&plots).as_bytes(),
    )?;
    report.put(
        dir.join("reports/model-card.md"),
        ctx.model_card().as_bytes(),
    )?;
    report.put(
        dir.join("reports/ab-test-plan.md"),
        ctx.ab_test_plan(options)?.as_bytes(),
    )?;
    let profile = ctx.drift_profile(options);
    let profile_json = serde_json::to_string_pretty(&profile)
        .map_err(|e| DocsError::invalid("drift profile", e.to_string()))?
        + "\n";
    report.put(
        dir.join("reports/drift-profile.json"),
        profile_json.as_bytes(),
    )?;
    report.put(
        dir.join("reports/alert-rules.yaml"),
        profile.alert_rules_yaml(&ctx.model_name()).as_bytes(),
    )?;
    report.put(
        dir.join("reports/monitoring.md"),
        ctx.monitoring(&profile).as_bytes(),
    )?;
    report.put(
        dir.join("reports/index.html"),
        ctx.index_html(&plots).as_bytes(),
    )?;
    let best_id = ctx.best().map(|b| b.record.id.clone()).unwrap_or_default();
    for name in NOTEBOOKS {
        if let Some(text) = notebook(name, &best_id) {
            report.put(dir.join("notebooks").join(name), text.as_bytes())?;
        }
    }
    ctx.living_docs(report)?;
    Ok(ctx.validation)
}

/// Everything read from the increment, once.
struct Context<'a> {
    increment: &'a Increment,
    validation: ValidationReport,
    runs: Vec<RunSummary>,
    best: Option<usize>,
    baseline: Option<usize>,
    model: Option<ModelVersionMetadata>,
    previous: Option<ModelVersionMetadata>,
    artifacts: RunArtifacts,
    history: Vec<StepSeries>,
}

/// `(file stem, caption, svg)`.
type Plot = (&'static str, &'static str, String);

fn fmt(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        v.to_string()
    }
}

/// Whether `metric` is a per-user share (precision, hit rate, conversion...) that a
/// two-proportion test compares; rank and score metrics such as AUC or NDCG are not.
fn is_rate_metric(metric: &str) -> bool {
    let m = metric.to_ascii_lowercase();
    [
        "precision",
        "recall",
        "accuracy",
        "hit",
        "rate",
        "ctr",
        "conversion",
    ]
    .iter()
    .any(|word| m.contains(word))
}

fn is_derived(key: &str) -> bool {
    // `_lower`/`_upper` also covers `_ci_lower`/`_ci_upper`
    key.ends_with("_cv_std") || key.ends_with("_lower") || key.ends_with("_upper")
}

/// Every metric of `run` logged at more than one step, as learning-curve series.
fn stepped_series(tracker: &Tracker, run: &RunSummary) -> Result<Vec<StepSeries>> {
    let mut by_key: BTreeMap<String, Vec<(u64, f64)>> = BTreeMap::new();
    for point in tracker.full_metric_history(&run.record.id)? {
        by_key
            .entry(point.key)
            .or_default()
            .push((point.step, point.value));
    }
    Ok(by_key
        .into_iter()
        .filter(|(_, points)| {
            points
                .iter()
                .map(|p| p.0)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                > 1
        })
        .map(|(key, mut points)| {
            points.sort_by_key(|p| p.0);
            StepSeries { label: key, points }
        })
        .collect())
}

impl<'a> Context<'a> {
    fn gather(increment: &'a Increment) -> Result<Context<'a>> {
        let validation = increment.validate()?;
        let tracker = Tracker::open(increment.dir())?;
        let runs = tracker.list_runs()?;
        let find = |id: Option<&str>| id.and_then(|id| runs.iter().position(|r| r.record.id == id));
        let best = find(validation.best_run.as_deref());
        let baseline = find(validation.best_baseline.as_deref());
        let models: Vec<ModelVersionMetadata> = read_models(increment.dir())?
            .into_iter()
            .filter_map(|m| m.metadata.ok())
            .collect();
        let history = match best {
            Some(i) => stepped_series(&tracker, &runs[i])?,
            None => Vec::new(),
        };
        let artifacts = match best {
            Some(i) => RunArtifacts::read(&runs[i].dir)?,
            None => RunArtifacts::default(),
        };
        let model = models
            .iter()
            .filter(|m| best.is_some_and(|i| runs[i].record.id == m.experiment))
            .max_by_key(|m| m.number)
            .or_else(|| models.iter().max_by_key(|m| m.number))
            .cloned();
        let previous = model.as_ref().and_then(|m| {
            let parent = m.parent.as_deref()?;
            models
                .iter()
                .find(|p| p.version == parent || format!("model-v{}", p.number) == parent)
                .cloned()
        });
        Ok(Context {
            increment,
            validation,
            runs,
            best,
            baseline,
            model,
            previous,
            artifacts,
            history,
        })
    }

    fn best(&self) -> Option<&RunSummary> {
        self.best.map(|i| &self.runs[i])
    }

    fn baseline(&self) -> Option<&RunSummary> {
        self.baseline.map(|i| &self.runs[i])
    }

    fn headline(&self) -> &str {
        &self.validation.headline_metric
    }

    fn model_name(&self) -> String {
        match &self.model {
            Some(m) => format!("{} {}", m.name, m.version),
            None => self.increment.id().to_string(),
        }
    }

    fn algorithm(&self) -> String {
        self.model
            .as_ref()
            .map(|m| m.algorithm.clone())
            .or_else(|| {
                self.best()
                    .and_then(|b| b.tag(TAG_ALGORITHM).map(str::to_string))
            })
            .or_else(|| self.best().map(|b| b.record.name.clone()))
            .unwrap_or_else(|| "none yet".into())
    }

    /// `deploy`, `improve` or `investigate`, with the reason.
    fn recommendation(&self) -> (&'static str, String) {
        let Some(best) = self.best() else {
            return ("investigate", "no finished candidate run was found".into());
        };
        let mut failed: Vec<&str> = self
            .validation
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .map(|r| r.rule.as_str())
            .collect();
        failed.dedup();
        if failed.is_empty() {
            return (
                "deploy",
                format!("{} passes every validation rule", best.record.id),
            );
        }
        let beats = match (
            best.metric(self.headline()),
            self.baseline().and_then(|b| b.metric(self.headline())),
        ) {
            (Some(m), Some(b)) if lower_is_better(self.headline()) => m < b,
            (Some(m), Some(b)) => m > b,
            _ => false,
        };
        if beats {
            (
                "improve",
                format!(
                    "{} beats the best baseline but fails: {}",
                    best.record.id,
                    failed.join(", ")
                ),
            )
        } else {
            (
                "investigate",
                format!(
                    "the best run does not beat the baseline; failing rules: {}",
                    failed.join(", ")
                ),
            )
        }
    }

    fn plots(&self) -> Result<Vec<Plot>> {
        let mut out: Vec<Plot> = Vec::new();
        let headline = self.headline().to_string();
        let bars: Vec<ComparisonBar> = self
            .runs
            .iter()
            .filter(|r| r.record.status == RunStatus::Finished)
            .filter_map(|r| {
                let value = r.metric(&headline).filter(|v| v.is_finite())?;
                let ci = r.interval(&headline);
                let sd = r
                    .metric(&format!("{headline}_cv_std"))
                    .map(|s| (value - s, value + s));
                Some(ComparisonBar {
                    name: r.record.name.clone(),
                    value,
                    interval: ci.or(sd),
                    best: self.best().is_some_and(|b| b.record.id == r.record.id),
                })
            })
            .collect();
        if !bars.is_empty() {
            out.push((
                "model-comparison",
                "Model comparison",
                plots::model_comparison(&headline, &bars)?,
            ));
        }
        if !self.history.is_empty() {
            out.push((
                "learning-curves",
                "Learning curves of the best run",
                plots::learning_curves(&self.history)?,
            ));
        }
        if let Some(p) = &self.artifacts.predictions {
            let roc = specweave_eval::classification::roc_curve(&p.y_true, &p.scores, None)?;
            let auc = trapezoid(&roc.fpr, &roc.tpr);
            out.push((
                "roc",
                "ROC curve",
                plots::roc_curve(&roc.fpr, &roc.tpr, auc)?,
            ));
            let pr =
                specweave_eval::classification::precision_recall_curve(&p.y_true, &p.scores, None)?;
            let ap = average_precision(&pr.recall, &pr.precision);
            let rate = p.y_true.iter().sum::<f64>() / p.y_true.len().max(1) as f64;
            out.push((
                "precision-recall",
                "Precision-recall curve",
                plots::precision_recall_curve(&pr.recall, &pr.precision, ap, rate)?,
            ));
            let cal = specweave_eval::classification::calibration_curve(&p.y_true, &p.scores, 10)?;
            out.push((
                "calibration",
                "Calibration",
                plots::calibration(&cal.mean_predicted, &cal.fraction_of_positives)?,
            ));
            let (matrix, labels) = confusion(p);
            out.push((
                "confusion-matrix",
                "Confusion matrix at the serving threshold",
                plots::confusion_matrix(&matrix, &labels)?,
            ));
        }
        if let Some((names, values)) = self.importance() {
            out.push((
                "feature-importance",
                "Feature importance",
                plots::feature_importance(&names, &values, 10)?,
            ));
        }
        if let Some(shap) = self
            .artifacts
            .shap
            .as_ref()
            .filter(|s| !s.values.is_empty())
        {
            out.push((
                "shap-summary",
                "SHAP summary",
                plots::shap_summary(&shap.feature_names, &shap.values, &shap.feature_values, 10)?,
            ));
        }
        if let Some(f) = &self.artifacts.forecast {
            out.push(("forecast", "Forecast vs actual", plots::forecast(f)?));
        }
        if let Some(recs) = self
            .artifacts
            .recommendations
            .as_ref()
            .filter(|r| !r.is_empty())
        {
            out.push((
                "recommendation-explanations",
                "Top-3 recommendations explained",
                plots::recommendation_explanations(recs)?,
            ));
        }
        Ok(out)
    }

    /// Global importance: the saved importance, else mean |SHAP|.
    fn importance(&self) -> Option<(Vec<String>, Vec<f64>)> {
        if let Some(imp) = &self.artifacts.importance {
            return Some((imp.feature_names.clone(), imp.importances.clone()));
        }
        let shap = self.artifacts.shap.as_ref()?;
        Some((shap.feature_names.clone(), shap.mean_abs()))
    }

    fn importance_method(&self) -> String {
        match &self.artifacts.importance {
            Some(imp) if !imp.method.is_empty() => imp.method.clone(),
            Some(_) => "saved importance".into(),
            None => "mean |SHAP|".into(),
        }
    }

    fn header(&self, title: &str) -> String {
        let meta = self.increment.metadata();
        format!(
            "# {title}: {}\n\nIncrement `{}` ({}), generated from its stored runs by `specweave sync-docs`.\n\n",
            meta.title,
            meta.id,
            meta.problem.as_str()
        )
    }

    fn evaluation_report(&self, plots: &[Plot]) -> String {
        let headline = self.headline();
        let mut md = self.header("Evaluation report");
        let _ = writeln!(md, "## Model\n");
        match &self.model {
            Some(m) => {
                let _ = writeln!(
                    md,
                    "- Model: `{}` version `{}` ({}, {})",
                    m.name, m.version, m.algorithm, m.framework
                );
                let _ = writeln!(md, "- Experiment: `{}`", m.experiment);
                if let Some(t) = m.training_time_s {
                    let _ = writeln!(md, "- Training time: {t:.2} s");
                }
                let _ = writeln!(md, "- Size: {} bytes\n- Stage: {:?}", m.size_bytes, m.stage);
            }
            None => {
                let _ = writeln!(
                    md,
                    "- No registered model version; best run: `{}`",
                    self.best().map_or("none", |b| b.record.id.as_str())
                );
            }
        }
        let _ = writeln!(md, "- Headline metric: `{headline}`\n");
        let _ = writeln!(md, "## Overall performance\n");
        match self.best() {
            Some(best) => {
                let _ = writeln!(
                    md,
                    "| Metric | Value | 95% CI | CV std |\n|---|---|---|---|"
                );
                for (key, value) in best.metrics.iter().filter(|(k, _)| !is_derived(k)) {
                    let ci = best
                        .interval(key)
                        .map_or("–".into(), |(l, u)| format!("[{}, {}]", fmt(l), fmt(u)));
                    let sd = best
                        .metric(&format!("{key}_cv_std"))
                        .map_or("–".into(), fmt);
                    let _ = writeln!(md, "| {key} | {} | {ci} | {sd} |", fmt(*value));
                }
                md.push('\n');
            }
            None => md.push_str("No finished candidate run.\n\n"),
        }
        let _ = writeln!(md, "## Comparison to baseline\n");
        let base = self.baseline().and_then(|b| b.metric(headline));
        let _ = writeln!(
            md,
            "| Run | Role | Status | {headline} | vs best baseline |\n|---|---|---|---|---|"
        );
        for run in &self.runs {
            let value = run.metric(headline);
            let delta = match (value, base) {
                (Some(v), Some(b)) if b != 0.0 => format!("{:+.1}%", (v - b) / b.abs() * 100.0),
                _ => "–".into(),
            };
            let mark = if self.best().is_some_and(|b| b.record.id == run.record.id) {
                " ✅ BEST"
            } else {
                ""
            };
            let _ = writeln!(
                md,
                "| {}{mark} | {} | {} | {} | {delta} |",
                run.record.id,
                run.tag(specweave_core::records::TAG_ROLE).unwrap_or("–"),
                run.record.status.mlflow_name().to_lowercase(),
                value.map_or("–".into(), fmt)
            );
        }
        md.push('\n');
        let _ = writeln!(md, "## Comparison to the previous version\n");
        match (&self.model, &self.previous) {
            (Some(m), Some(p)) => {
                let _ = writeln!(md, "| Metric | {} | {} |\n|---|---|---|", p.version, m.version);
                for (key, value) in &m.metrics {
                    let _ = writeln!(md, "| {key} | {} | {} |", p.metrics.get(key).map_or("–".into(), |v| fmt(*v)), fmt(*value));
                }
                md.push('\n');
            }
            _ => md.push_str("This is the first registered version; there is nothing earlier to compare with.\n\n"),
        }
        let _ = writeln!(md, "## Statistical tests\n");
        let tests: Vec<(&String, &f64)> = self
            .best()
            .map(|b| {
                b.metrics
                    .iter()
                    .filter(|(k, _)| k.contains("p_value"))
                    .collect()
            })
            .unwrap_or_default();
        if tests.is_empty() {
            md.push_str("No paired test against the baseline was logged (log `<test>_p_value` metrics to show them here).\n\n");
        } else {
            for (key, p) in tests {
                let verdict = if *p < 0.05 {
                    "significant at 0.05"
                } else {
                    "not significant at 0.05"
                };
                let _ = writeln!(md, "- `{key}` = {} ({verdict})", fmt(*p));
            }
            md.push('\n');
        }
        let _ = writeln!(md, "## Error analysis\n");
        match &self.artifacts.predictions {
            Some(p) => {
                let (m, labels) = confusion(p);
                let (tn, fp, fn_, tp) = (m[0][0] as f64, m[0][1] as f64, m[1][0] as f64, m[1][1] as f64);
                let _ = writeln!(md, "At threshold {}: {} true negatives, {} false positives, {} false negatives, {} true positives ({} = negative, {} = positive).", p.threshold, tn, fp, fn_, tp, labels[0], labels[1]);
                let _ = writeln!(md, "False positive rate {}, false negative rate {}.\n", fmt(fp / (tn + fp).max(1.0)), fmt(fn_ / (fn_ + tp).max(1.0)));
            }
            None => md.push_str("No held-out predictions were saved (`artifacts/predictions.json`), so no row-level error analysis.\n\n"),
        }
        let _ = writeln!(
            md,
            "## Success criteria\n\n| Rule | Outcome | Required | Actual | Detail |\n|---|---|---|---|---|"
        );
        for r in &self.validation.results {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                r.rule,
                r.outcome,
                r.required.as_deref().unwrap_or("–"),
                r.actual.as_deref().unwrap_or("–"),
                r.message.replace('|', "\\|").replace('\n', " ")
            );
        }
        md.push('\n');
        let _ = writeln!(md, "## Plots\n");
        for (name, caption, _) in plots
            .iter()
            .filter(|p| !matches!(p.0, "feature-importance" | "shap-summary"))
        {
            let _ = writeln!(md, "![{caption}](plots/{name}.svg)\n");
        }
        let (verdict, reason) = self.recommendation();
        let _ = writeln!(
            md,
            "## Recommendation\n\n**{}**: {reason}.",
            verdict.to_uppercase()
        );
        md
    }

    fn explainability_report(&self, plots: &[Plot]) -> String {
        let mut md = self.header("Explainability report");
        let Some((names, values)) = self.importance() else {
            md.push_str("No SHAP values (`artifacts/shap_values.json`) or feature importance (`artifacts/feature_importance.json`) were saved for the best run.\n");
            return md;
        };
        let _ = writeln!(
            md,
            "## Global importance (top 10, {})\n\n| Rank | Feature | Importance | Share |\n|---|---|---|---|",
            self.importance_method()
        );
        let total: f64 = values.iter().map(|v| v.abs()).sum();
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()));
        for (rank, &j) in order.iter().take(10).enumerate() {
            let share = if total > 0.0 {
                values[j].abs() / total
            } else {
                0.0
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.1}% |",
                rank + 1,
                names[j],
                fmt(values[j]),
                share * 100.0
            );
        }
        md.push('\n');
        for (name, caption, _) in plots
            .iter()
            .filter(|p| matches!(p.0, "feature-importance" | "shap-summary"))
        {
            let _ = writeln!(md, "![{caption}](plots/{name}.svg)\n");
        }
        if let Some(shap) = &self.artifacts.shap {
            let _ = writeln!(
                md,
                "## Example explanations\n\nThe rows whose prediction moves furthest from the base value {}:\n",
                fmt(shap.base_value)
            );
            let mut rows: Vec<usize> = (0..shap.values.len()).collect();
            rows.sort_by(|&a, &b| {
                let sum = |r: usize| shap.values[r].iter().sum::<f64>().abs();
                sum(b).total_cmp(&sum(a))
            });
            for &r in rows.iter().take(5) {
                let output = shap.base_value + shap.values[r].iter().sum::<f64>();
                let mut contrib: Vec<usize> = (0..shap.feature_names.len()).collect();
                contrib
                    .sort_by(|&a, &b| shap.values[r][b].abs().total_cmp(&shap.values[r][a].abs()));
                let reasons: Vec<String> = contrib
                    .iter()
                    .take(3)
                    .map(|&j| {
                        format!(
                            "{} = {} ({:+.4})",
                            shap.feature_names[j],
                            fmt(shap.feature_values[r][j]),
                            shap.values[r][j]
                        )
                    })
                    .collect();
                let _ = writeln!(
                    md,
                    "- Row {r}: output {} ← {}",
                    fmt(output),
                    reasons.join(", ")
                );
            }
            md.push('\n');
        }
        let _ = writeln!(md, "## Suspected leakage\n");
        let top_share = order.first().map_or(0.0, |&j| {
            if total > 0.0 {
                values[j].abs() / total
            } else {
                0.0
            }
        });
        if top_share > 0.5 {
            let _ = writeln!(
                md,
                "⚠️ `{}` carries {:.0}% of the total importance. A single dominating feature often means leakage (a proxy of the target or information from the future); check how it is computed before deploying.",
                names[order[0]],
                top_share * 100.0
            );
        } else {
            let _ = writeln!(
                md,
                "No single feature dominates (the largest carries {:.0}% of the total importance).",
                top_share * 100.0
            );
        }
        md
    }

    fn model_card(&self) -> String {
        let mut md = self.header("Model card");
        let spec = self.increment.spec().ok();
        let section = |title: &str| {
            spec.as_ref()
                .and_then(|s| s.section(title))
                .map(|s| s.body.trim().to_string())
                .filter(|b| !b.is_empty())
        };
        let _ = writeln!(md, "## Model details\n\n- Algorithm: {}", self.algorithm());
        if let Some(m) = &self.model {
            let _ = writeln!(
                md,
                "- Version: `{}` from `{}`, framework {}\n- Hyperparameters: {}",
                m.version,
                m.experiment,
                m.framework,
                m.params
                    .iter()
                    .map(|(k, v)| format!("`{k}={v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if let Some(fp) = &m.data_fingerprint {
                let _ = writeln!(md, "- Training data fingerprint: `{fp}`");
            }
        }
        let _ = writeln!(
            md,
            "\n## Intended use\n\n{}\n",
            section("ML Problem Definition").unwrap_or_else(|| "See spec.md.".into())
        );
        let _ = writeln!(
            md,
            "## Data\n\n{}\n",
            section("Data Requirements").unwrap_or_else(|| "See spec.md.".into())
        );
        let _ = writeln!(md, "## Metrics\n");
        match self.best() {
            Some(best) => {
                for (k, v) in best.metrics.iter().filter(|(k, _)| !is_derived(k)) {
                    let _ = writeln!(md, "- {k}: {}", fmt(*v));
                }
            }
            None => md.push_str("- none logged\n"),
        }
        let (verdict, reason) = self.recommendation();
        let _ = writeln!(
            md,
            "\n## Limitations and caveats\n\n- Recommendation: **{verdict}** ({reason})."
        );
        let failing: Vec<String> = self
            .validation
            .results
            .iter()
            .filter(|r| r.outcome != Outcome::Pass)
            .map(|r| format!("{} ({})", r.rule, r.outcome))
            .collect();
        if !failing.is_empty() {
            let _ = writeln!(md, "- Open validation findings: {}.", failing.join(", "));
        }
        md.push_str("- Performance was measured offline on held-out data; confirm it online with the A/B test plan (ab-test-plan.md) and watch drift (monitoring.md).\n");
        md
    }

    fn ab_test_plan(&self, o: &SyncOptions) -> Result<String> {
        let headline = self.headline().to_string();
        let mut md = self.header("A/B test plan");
        let best_value = self.best().and_then(|b| b.metric(&headline));
        let base_value = self.baseline().and_then(|b| b.metric(&headline));
        let is_rate =
            is_rate_metric(&headline) && best_value.is_some_and(|v| (0.0..=1.0).contains(&v));
        let _ = writeln!(
            md,
            "## Hypothesis\n\nServing {} (treatment) instead of the current model (control) changes the online counterpart of `{headline}`; offline it scored {} against {} for the best baseline.\n",
            self.algorithm(),
            best_value.map_or("–".into(), fmt),
            base_value.map_or("–".into(), fmt)
        );
        let _ = writeln!(
            md,
            "## Metrics\n\n- Primary: `{headline}` measured online per user.\n- Guardrails: p99 latency, error rate, and the rate of empty or fallback responses; any significant degradation stops the test.\n"
        );
        let plan: SampleSize = if is_rate {
            let control = base_value
                .filter(|b| *b > 0.0 && *b < 1.0)
                .or(best_value)
                .unwrap_or(0.1)
                .clamp(0.001, 0.999);
            let lift = (control * o.relative_mde).min(0.999 - control);
            let _ = writeln!(
                md,
                "## Minimum detectable effect\n\n{:.1}% relative on a control rate of {} (absolute {}).\n",
                o.relative_mde * 100.0,
                fmt(control),
                fmt(lift)
            );
            power::proportion_plan(control, lift, o.alpha, o.power)?
        } else {
            let _ = writeln!(
                md,
                "## Minimum detectable effect\n\n{} standard deviations of the per-user metric (Cohen's d).\n",
                o.standardized_mde
            );
            power::mean_plan(o.standardized_mde, 1.0, o.alpha, o.power)?
        };
        let days = (2 * plan.per_arm).div_ceil(o.daily_traffic.max(1));
        let _ = writeln!(
            md,
            "## Sample size\n\n| Test | Effect size | α (two-sided) | Power | Per arm | Total |\n|---|---|---|---|---|---|\n| {} | {:.4} | {} | {} | {} | {} |\n",
            plan.test,
            plan.effect_size,
            plan.alpha,
            plan.power,
            plan.per_arm,
            2 * plan.per_arm
        );
        let _ = writeln!(
            md,
            "## Duration\n\nAt {} users per day across both arms: **{days} days** (run whole weeks to cover weekly seasonality: {} days).\n",
            o.daily_traffic,
            days.div_ceil(7) * 7
        );
        md.push_str("## Bucketing\n\nUsers are assigned by `hash(salt + user_id) mod 100`: buckets 0-49 control, 50-99 treatment, with a salt unique to this test so assignments do not correlate with earlier tests. Assignment is sticky per user; log the bucket with every prediction.\n\n");
        md.push_str("## Stopping rules\n\n- Fixed horizon: analyse once the sample size is reached; no peeking at the primary metric.\n- Stop early only for a guardrail breach (error rate or latency objective violated for 30 minutes).\n- Check the sample ratio (50/50) daily with a chi-square test; a mismatch at p < 0.001 invalidates the test.\n");
        Ok(md)
    }

    fn drift_profile(&self, o: &SyncOptions) -> DriftProfile {
        let (features, rows) = match &self.artifacts.shap {
            Some(shap) => (
                shap.feature_names
                    .iter()
                    .enumerate()
                    .filter_map(|(j, name)| {
                        FeatureDrift::from_values(
                            name,
                            &shap.feature_values.iter().map(|r| r[j]).collect::<Vec<_>>(),
                        )
                    })
                    .collect(),
                shap.feature_values.len(),
            ),
            None => (Vec::new(), 0),
        };
        let prediction = self
            .artifacts
            .predictions
            .as_ref()
            .and_then(|p| FeatureDrift::from_values("prediction", &p.scores));
        let latency = self
            .best()
            .and_then(|b| b.metric("latency_p99_ms"))
            .filter(|v| v.is_finite() && *v > 0.0);
        DriftProfile {
            model_version: self.model_name(),
            reference_rows: rows,
            features,
            prediction,
            // leave headroom over the offline measurement for production load
            latency_p99_ms_objective: latency.map_or(o.default_latency_p99_ms, |l| {
                (l * 1.5 * 100.0).round() / 100.0
            }),
            error_rate_objective: o.error_rate_objective,
        }
    }

    fn monitoring(&self, profile: &DriftProfile) -> String {
        let mut md = self.header("Monitoring");
        let _ = writeln!(
            md,
            "Reference profile: `drift-profile.json` ({} reference rows). Alert rules: `alert-rules.yaml` (Prometheus).\n",
            profile.reference_rows
        );
        let _ = writeln!(
            md,
            "## Feature drift\n\nPSI over the reference quantile bins: warn above 0.1, alert above 0.25. KS distance alerts above the 5% critical value for a window the size of the reference sample.\n\n| Feature | Mean | Std | PSI warn | PSI alert | KS threshold |\n|---|---|---|---|---|---|"
        );
        for f in profile.features.iter().chain(&profile.prediction) {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                f.name,
                fmt(f.mean),
                fmt(f.std_dev),
                f.psi_warn,
                f.psi_alert,
                fmt(f.ks_threshold)
            );
        }
        if profile.features.is_empty() {
            md.push_str("\nNo reference sample was saved with the best run (`artifacts/shap_values.json` carries the explained rows), so feature drift has no reference yet.\n");
        }
        let _ = writeln!(
            md,
            "\n## Service objectives\n\n- p99 latency ≤ {} ms\n- error rate ≤ {}%\n",
            profile.latency_p99_ms_objective,
            profile.error_rate_objective * 100.0
        );
        md.push_str("## Response\n\n1. A PSI warning: check the upstream data pipeline for the feature.\n2. A PSI alert or prediction drift: compare recent traffic with the reference sample; retrain on fresh data if the shift is real.\n3. Latency or error-rate alerts: roll back to the previous version (see the runbook).\n");
        md
    }

    fn index_html(&self, plots: &[Plot]) -> String {
        let headline = self.headline().to_string();
        let mut keys: Vec<String> = self
            .runs
            .iter()
            .flat_map(|r| {
                r.metrics
                    .keys()
                    .filter(|k| !is_derived(k))
                    .map(|k| k.strip_prefix("val_").unwrap_or(k).to_owned())
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys.retain(|k| *k != headline);
        keys.insert(0, headline.clone());
        keys.truncate(6);
        let mut head = vec!["Run".to_string(), "Status".to_string()];
        head.extend(keys.iter().cloned());
        let rows = self
            .runs
            .iter()
            .map(|r| {
                let best = self.best().is_some_and(|b| b.record.id == r.record.id);
                let mut row = vec![
                    format!("{}{}", r.record.id, if best { " ✅ BEST" } else { "" }),
                    r.record.status.mlflow_name().to_lowercase(),
                ];
                // candidates and trials are scored on the validation split only
                row.extend(keys.iter().map(|k| {
                    match r.metric(k) {
                        Some(value) => fmt(value),
                        None => r
                            .metric(&format!("val_{k}"))
                            .map_or("–".into(), |value| format!("{} (val)", fmt(value))),
                    }
                }));
                row
            })
            .collect();
        let verdicts = self
            .validation
            .results
            .iter()
            .map(|r| (format!("{}: {}", r.rule, r.message), r.outcome.to_string()))
            .collect();
        let (verdict, reason) = self.recommendation();
        let recommendation = format!("{verdict} ({reason})");
        html::render(&html::Page {
            title: &self.increment.metadata().title,
            headline: &headline,
            experiments: (head, rows),
            verdicts,
            recommendation: &recommendation,
            plots: plots
                .iter()
                .map(|(_, caption, svg)| (caption.to_string(), svg.clone()))
                .collect(),
        })
    }

    fn living_docs(&self, report: &mut SyncReport) -> Result<()> {
        let meta = self.increment.metadata();
        // increments live in `<root>/increments/<id>`; living docs in `<root>/docs/internal`
        let root = self
            .increment
            .dir()
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| {
                DocsError::invalid("increment folder", "is not inside a .specweave folder")
            })?;
        let internal = root.join("docs/internal");
        let date = meta.created.get(..10).unwrap_or(&meta.created).to_string();
        let algorithm = self.algorithm();
        let headline = self.headline();
        let best_value = self
            .best()
            .and_then(|b| b.metric(headline))
            .map_or("–".into(), fmt);

        let mut section = format!(
            "## {} ({})\n\n- Increment: `{}`\n- Problem: {}\n- Algorithm: {algorithm}\n- Model: {}\n- `{headline}`: {best_value}\n- Reports: `increments/{}/reports/`\n",
            meta.title,
            meta.id,
            meta.id,
            meta.problem.as_str(),
            self.model_name(),
            meta.id
        );
        if let Some(m) = &self.model {
            let _ = writeln!(section, "- Stage: {:?}", m.stage);
        }
        let models_path = internal.join(ML_MODELS_FILE);
        let existing = std::fs::read_to_string(&models_path).ok();
        report.put(
            models_path.clone(),
            upsert_model_section(existing.as_deref(), &meta.id, &section).as_bytes(),
        )?;

        let adr_dir = internal.join(ADR_DIR);
        let slug = format!("{}-algorithm-choice", meta.id);
        let adr_name = adr_file_name(&adr_dir, &slug)?;
        let mut adr = format!(
            "# ADR {}: {algorithm} for {}\n\n**Status**: {}\n**Date**: {date}\n\n## Context\n\n{} needs a {} model; runs are ranked by `{headline}`.\n\n## Decision\n\nUse {algorithm} (`{}`), which scored {best_value}.\n\n## Alternatives considered\n\n| Run | Algorithm | {headline} |\n|---|---|---|\n",
            adr_name.get(..4).unwrap_or("0000"),
            meta.title,
            if self.validation.passed {
                "Accepted"
            } else {
                "Proposed"
            },
            meta.title,
            meta.problem.as_str(),
            self.best().map_or("none", |b| b.record.id.as_str())
        );
        for run in self
            .runs
            .iter()
            .filter(|r| self.best().is_none_or(|b| b.record.id != r.record.id))
        {
            let _ = writeln!(
                adr,
                "| {} | {} | {} |",
                run.record.id,
                run.tag(TAG_ALGORITHM).unwrap_or(&run.record.name),
                run.metric(headline).map_or("–".into(), fmt)
            );
        }
        let (verdict, reason) = self.recommendation();
        let _ = writeln!(
            adr,
            "\n## Consequences\n\n- Recommendation: {verdict} ({reason}).\n- Retraining, monitoring and rollback follow the runbook `operations/runbooks/{}.md`.",
            meta.id
        );
        report.put(adr_dir.join(&adr_name), adr.as_bytes())?;

        let mut runbook = format!(
            "# Runbook: {}\n\nModel {} ({algorithm}) from increment `{}`.\n\n## Hyperparameters\n\n",
            meta.title,
            self.model_name(),
            meta.id
        );
        let params = self
            .model
            .as_ref()
            .map(|m| m.params.clone())
            .or_else(|| self.best().map(|b| b.params.clone()))
            .unwrap_or_default();
        if params.is_empty() {
            runbook.push_str("None recorded.\n");
        }
        for (k, v) in &params {
            let _ = writeln!(runbook, "- `{k}` = `{v}`");
        }
        let fingerprint = self
            .model
            .as_ref()
            .and_then(|m| m.data_fingerprint.clone())
            .or_else(|| self.best().and_then(|b| b.record.data_fingerprint.clone()));
        let _ = writeln!(
            runbook,
            "\n## Data requirements\n\n- Schema: `increments/{}/data/schema.yaml`; requests that do not match it are rejected.\n- Training data fingerprint: `{}`.\n",
            meta.id,
            fingerprint.as_deref().unwrap_or("not recorded")
        );
        let _ = writeln!(
            runbook,
            "## How to retrain\n\n1. Refresh `data/` and re-run the increment's tasks (`specweave do {}`); every run is tracked under `experiments/`.\n2. `specweave validate {}` must pass before registering the new version.\n3. `specweave sync-docs {}` regenerates these documents.\n",
            meta.number, meta.number, meta.number
        );
        let previous = self
            .previous
            .as_ref()
            .map_or("the previous registered version".to_string(), |p| {
                format!("`{}`", p.version)
            });
        let _ = writeln!(
            runbook,
            "## How to roll back\n\n1. Point the service at {previous} in `increments/{}/models/`.\n2. Restart the service and confirm the latency and error-rate alerts clear (`reports/alert-rules.yaml`).\n3. Record the rollback and its cause in the increment's notes.",
            meta.id
        );
        report.put(
            internal.join(RUNBOOKS_DIR).join(format!("{}.md", meta.id)),
            runbook.as_bytes(),
        )?;
        Ok(())
    }
}

/// Area under a curve by the trapezoid rule (the curve sorted by x as roc_curve returns it).
fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2)
        .zip(y.windows(2))
        .map(|(x, y)| (x[1] - x[0]) * (y[0] + y[1]) / 2.0)
        .sum()
}

/// Average precision, scikit-learn's step sum `sum (R_n - R_{n-1}) P_n`.
fn average_precision(recall: &[f64], precision: &[f64]) -> f64 {
    recall
        .windows(2)
        .zip(precision)
        .map(|(r, p)| (r[0] - r[1]) * p)
        .sum()
}

fn confusion(p: &crate::artifacts::HeldOutPredictions) -> (Vec<Vec<u64>>, Vec<String>) {
    let mut m = vec![vec![0u64; 2]; 2];
    for (y, s) in p.y_true.iter().zip(&p.scores) {
        let t = usize::from(*y >= 0.5);
        let pr = usize::from(*s >= p.threshold);
        m[t][pr] += 1;
    }
    let labels = if p.class_names.len() == 2 {
        p.class_names.clone()
    } else {
        vec!["0".into(), "1".into()]
    };
    (m, labels)
}
