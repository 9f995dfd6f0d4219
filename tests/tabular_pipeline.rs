//! Small classification and regression increments, end to end: every task ticked, every
//! experiment tracked, the final model scored once on the test rows with intervals,
//! explained, bundled, documented, validated and closed.

use serde_json::json;
use specweave::data::synth::{ClassificationSpec, RegressionSpec};
use specweave::pipeline::tabular::{LearnerSpec, TabularConfig, run_tabular};
use specweave::spec::{DoneOptions, Increment, TaskStatus};
use specweave::train::ThresholdObjective;
use std::path::Path;

mod support;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn small_candidates(mlp: &str) -> Vec<LearnerSpec> {
    vec![
        LearnerSpec::new(
            "random-forest",
            "random_forest",
            json!({"n_estimators": 20, "seed": 1}),
        ),
        LearnerSpec::new(
            "gradient-boosting",
            "gradient_boosting",
            json!({"n_estimators": 30, "seed": 1}),
        ),
        LearnerSpec::new(
            "mlp",
            mlp,
            json!({"hidden_layers": [16], "epochs": 8, "batch_size": 64, "seed": 1}),
        ),
    ]
}

/// Closes the increment; a debug build may only miss the throughput target.
fn close(outcome: &specweave::pipeline::tabular::TabularOutcome) -> TestResult {
    let failed: Vec<&str> = outcome
        .validation
        .failures()
        .map(|r| r.rule.as_str())
        .collect();
    if cfg!(debug_assertions) {
        assert!(
            failed.iter().all(|rule| *rule == "deployment-requirement"),
            "{}",
            outcome.validation.to_table()
        );
    } else {
        assert!(failed.is_empty(), "{}", outcome.validation.to_table());
    }
    let summary = match &outcome.summary_path {
        Some(path) => path.clone(),
        None => {
            let mut reopened = Increment::open_dir(&outcome.increment_dir)?;
            reopened
                .done(&DoneOptions {
                    force: true,
                    reason: Some("debug build: throughput measured without optimisations".into()),
                })?
                .summary_path
        }
    };
    assert!(summary.is_file());
    Ok(())
}

fn assert_tasks_and_files(dir: &Path, extra: &[&str]) -> TestResult {
    let tasks = Increment::open_dir(dir)?.tasks()?;
    for id in [
        "T-001", "T-002", "T-003", "T-004", "T-005", "T-006", "T-007", "T-008", "T-009",
    ] {
        assert_eq!(
            tasks.get(id).map(|t| t.status),
            Some(TaskStatus::Completed),
            "{id}"
        );
    }
    for file in [
        "data/dataset.parquet",
        "data/profile.json",
        "data/eda-summary.md",
        "data/schema.yaml",
        "data/sample.parquet",
        "data/feature-pipeline.json",
        "data/split.json",
        "experiments/comparison.md",
        "reports/evaluation-report.md",
        "reports/explainability-report.md",
        "reports/ab-test-plan.md",
        "models/model-v1.metadata.json",
        "models/bundle/bundle.json",
    ]
    .iter()
    .chain(extra)
    {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    Ok(())
}

#[test]
fn fraud_like_classification_tunes_its_threshold_and_completes() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut increment = Increment::create(root.path(), "detect fraudulent transactions", None)?;
    increment.set_success_criteria(&[
        "ROC AUC > 0.85",
        "Precision >= 0.80",
        "Recall >= 0.30",
        "New model must beat best baseline by 5%+",
    ])?;
    let rows = ClassificationSpec::new(1_500)
        .positive_rate(0.1)
        .separation(1.5)
        .nonlinear(true)
        .seed(3)
        .generate()?;
    let config = TabularConfig::from_rows(rows)
        .candidates(small_candidates("mlp_classifier"))
        .threshold(ThresholdObjective::MinPrecision(0.9))
        .max_trials(2)
        .resamples(100)
        .explained_rows(30)
        .latency_calls(100)
        .seed(5);
    let outcome = run_tabular(&mut increment, &config)?;
    eprintln!("{}", outcome.summary_table());
    eprintln!("{}", outcome.validation.to_table());

    assert_eq!(outcome.headline, "roc_auc");
    assert_eq!(outcome.baselines.results.len(), 2);
    assert_eq!(outcome.candidates.results.len(), 3);
    assert!(
        outcome.candidates.results.iter().all(|r| r
            .outcome
            .as_ref()
            .is_ok_and(|m| m.metrics.contains_key("val_roc_auc"))),
        "candidates are scored on the validation split only"
    );
    let metric = |name: &str| outcome.final_metrics.get(name).copied().unwrap_or(f64::NAN);
    assert!(metric("roc_auc") > 0.85, "{}", metric("roc_auc"));
    assert!(metric("roc_auc_ci_lower") <= metric("roc_auc"));
    assert!(metric("roc_auc") <= metric("roc_auc_ci_upper"));
    let threshold = outcome.threshold.ok_or("no tuned threshold")?;
    assert!((0.0..=1.0).contains(&threshold));
    assert!(metric("latency_p99_ms") > 0.0);

    let artifacts = outcome
        .increment_dir
        .join("experiments")
        .join(&outcome.final_run)
        .join("artifacts");
    for file in [
        "model.swm",
        "predictions.json",
        "shap_values.json",
        "shap_values.parquet",
    ] {
        assert!(artifacts.join(file).is_file(), "{file} missing");
    }
    assert_tasks_and_files(&outcome.increment_dir, &[])?;
    close(&outcome)?;

    // what a reader opens: the notebooks run in a real kernel, the page in a real browser
    let notebooks = support::execute_notebooks(&outcome.increment_dir)?;
    assert!(
        notebooks[0].starts_with("01-eda.ipynb 4 (1000, "),
        "{notebooks:?}"
    );
    support::render_index(
        &outcome.increment_dir,
        &[
            "detect fraudulent transactions",
            "Success criteria",
            "ROC AUC > 0.85",
            &outcome.final_run,
        ],
    )
}

#[test]
fn regression_completes_with_rmse_intervals() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut increment = Increment::create(root.path(), "predict customer lifetime value", None)?;
    assert_eq!(
        increment.metadata().problem,
        specweave::core::ProblemKind::Regression
    );
    // The template's dollar thresholds are for a real LTV; these generated amounts have
    // their own scale, so the criteria are set for them, as a user would for their data.
    increment
        .set_success_criteria(&["R² > 0.50", "New model must beat the mean baseline by 20%+"])?;
    let rows = RegressionSpec::new(800).noise(0.1).seed(4).generate()?;
    let config = TabularConfig::from_rows(rows)
        .candidates(small_candidates("mlp_regressor"))
        .max_trials(2)
        .resamples(100)
        .explained_rows(20)
        .latency_calls(100);
    let outcome = run_tabular(&mut increment, &config)?;
    eprintln!("{}", outcome.summary_table());
    eprintln!("{}", outcome.validation.to_table());
    assert_eq!(outcome.headline, "rmse");
    let metric = |name: &str| outcome.final_metrics.get(name).copied().unwrap_or(f64::NAN);
    assert!(metric("rmse_ci_lower") <= metric("rmse"));
    assert!(metric("r2") > 0.5, "{}", metric("r2"));
    assert!(outcome.threshold.is_none());
    assert_tasks_and_files(&outcome.increment_dir, &[])?;
    close(&outcome)
}

#[test]
fn a_missing_target_column_fails_t001_and_names_it() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut increment = Increment::create(root.path(), "predict churn", None)?;
    let csv = root.path().join("churn.csv");
    std::fs::write(&csv, "tenure,plan\n1,a\n2,b\n3,a\n")?;
    let error = run_tabular(&mut increment, &TabularConfig::from_file(&csv, "churned"))
        .err()
        .ok_or("a missing target must fail")?;
    let text = error.to_string();
    assert!(text.contains("T-001") && text.contains("churned"), "{text}");
    let tasks = increment.tasks()?;
    assert_ne!(
        tasks.get("T-001").map(|t| t.status),
        Some(TaskStatus::Completed)
    );
    Ok(())
}
