//! A weekly sales forecasting increment, end to end: stationarity tests, time-based
//! backtests, the final forecast of the held-out weeks with intervals, residual analysis,
//! living docs, validation and completion.

use specweave::data::synth::SeriesSpec;
use specweave::pipeline::TaskSelection;
use specweave::pipeline::forecasting::{ForecastConfig, run_forecasting, run_forecasting_tasks};
use specweave::spec::{DoneOptions, Increment, TaskStatus};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;

#[test]
fn weekly_sales_forecast_completes_with_time_based_validation() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut increment = Increment::create(root.path(), "forecast weekly sales", None)?;
    assert_eq!(
        increment.metadata().problem,
        specweave::core::ProblemKind::Forecasting
    );
    let series = SeriesSpec::new(52 * 3 + 24)
        .level(1_000.0)
        .trend(2.0)
        .period(52)
        .amplitude(150.0)
        .noise(20.0)
        .timing(1_600_000_000_000, WEEK_MS)
        .seed(11)
        .generate()?;
    let config = ForecastConfig::new(series, 52)
        .horizon(8)
        .backtest_origins(2)
        .resamples(100)
        .latency_calls(50);
    let outcome = run_forecasting(&mut increment, &config)?;
    eprintln!("{}", outcome.summary_table());
    eprintln!("{}", outcome.validation.to_table());

    assert_eq!(outcome.baselines.len(), 3);
    assert_eq!(outcome.candidates.len(), 3);
    assert!(
        outcome
            .candidates
            .iter()
            .all(|c| c.metrics.contains_key("val_mape") && !c.metrics.contains_key("mape")),
        "candidates never see the test weeks"
    );
    let metric = |name: &str| {
        outcome
            .final_run
            .metrics
            .get(name)
            .copied()
            .unwrap_or(f64::NAN)
    };
    assert!(metric("mape") < 0.10, "{}", metric("mape"));
    assert!(metric("mape_ci_lower") <= metric("mape"));
    assert_eq!(outcome.forecast.mean.len(), 8);
    assert_eq!(outcome.future.mean.len(), 8);
    assert!(
        outcome
            .forecast
            .lower
            .iter()
            .zip(outcome.forecast.upper.iter())
            .all(|(l, u)| l <= u)
    );

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
    if outcome.summary_path.is_none() {
        Increment::open_dir(&outcome.increment_dir)?.done(&DoneOptions {
            force: true,
            reason: Some("debug build: throughput measured without optimisations".into()),
        })?;
    }

    let dir = &outcome.increment_dir;
    let tasks = Increment::open_dir(dir)?.tasks()?;
    for id in [
        "T-001", "T-002", "T-003", "T-004", "T-005", "T-006", "T-007", "T-008", "T-009", "T-010",
        "T-011",
    ] {
        assert_eq!(
            tasks.get(id).map(|t| t.status),
            Some(TaskStatus::Completed),
            "{id}"
        );
    }
    for file in [
        "data/series.parquet",
        "data/profile.json",
        "data/schema.yaml",
        "data/stationarity.json",
        "data/split.json",
        "experiments/comparison.md",
        "reports/evaluation-report.md",
        "models/model-v1.metadata.json",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    let artifacts = dir
        .join("experiments")
        .join(&outcome.final_run.run_id)
        .join("artifacts");
    for file in [
        "forecast.json",
        "future_forecast.json",
        "decomposition.json",
        "residuals.json",
        "model.swm",
        "deployed-model.swm",
    ] {
        assert!(artifacts.join(file).is_file(), "{file} missing");
    }
    Ok(())
}

#[test]
fn a_series_too_short_for_the_backtest_is_refused_before_any_task() -> TestResult {
    let root = tempfile::tempdir()?;
    let mut increment = Increment::create(root.path(), "forecast weekly sales", None)?;
    let series = SeriesSpec::new(60).period(52).seed(1).generate()?;
    let error = run_forecasting(&mut increment, &ForecastConfig::new(series, 52))
        .err()
        .ok_or("a short series must fail")?;
    assert!(error.to_string().contains("too few"), "{error}");
    assert_eq!(
        increment.tasks()?.get("T-001").map(|t| t.status),
        Some(TaskStatus::Pending)
    );
    Ok(())
}

fn run_folders(increment: &Increment) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(increment.dir().join("experiments"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

#[test]
fn a_stopped_run_resumes_without_retraining_and_a_rerun_reproduces_the_model() -> TestResult {
    let root = tempfile::tempdir()?;
    let config = || -> Result<ForecastConfig, Box<dyn std::error::Error>> {
        let series = SeriesSpec::new(52 * 2 + 16)
            .period(26)
            .noise(10.0)
            .timing(1_600_000_000_000, WEEK_MS)
            .seed(5)
            .generate()?;
        Ok(ForecastConfig::new(series, 26)
            .horizon(4)
            .backtest_origins(2)
            .resamples(50)
            .latency_calls(20))
    };
    let mut first = Increment::create(root.path(), "forecast weekly sales", None)?;
    let stopped = run_forecasting_tasks(
        &mut first,
        &config()?,
        &TaskSelection::default().until("T-004"),
    )?;
    assert!(stopped.is_none(), "the run stops after T-004");
    let tasks = first.tasks()?;
    let status = |id: &str| tasks.get(id).map(|t| t.status);
    assert_eq!(status("T-004"), Some(TaskStatus::Completed));
    assert_eq!(status("T-005"), Some(TaskStatus::Pending));
    let trained = run_folders(&first)?;
    assert_eq!(
        trained.len(),
        6,
        "three baselines, three candidates: {trained:?}"
    );

    let outcome = run_forecasting(&mut first, &config()?)?;
    let all = run_folders(&first)?;
    assert!(all.starts_with(&trained), "{all:?}");
    assert!(
        outcome
            .baselines
            .iter()
            .all(|b| trained.contains(&b.run_id))
            && outcome
                .candidates
                .iter()
                .all(|c| trained.contains(&c.run_id)),
        "resumed, not retrained: {all:?}"
    );
    assert!(
        all[trained.len()..]
            .iter()
            .all(|run| !run.contains("baseline")),
        "{all:?}"
    );

    // the same seed and data in a fresh increment: the same metrics and the same model bytes
    let mut second = Increment::create(root.path(), "forecast weekly sales", None)?;
    let again = run_forecasting(&mut second, &config()?)?;
    assert_eq!(again.final_run.family, outcome.final_run.family);
    for metric in ["mape", "mase", "rmse", "mape_ci_lower", "mape_ci_upper"] {
        assert_eq!(
            again.final_run.metrics.get(metric),
            outcome.final_run.metrics.get(metric),
            "{metric}"
        );
    }
    let model = |increment: &Increment, run: &str| {
        std::fs::read(
            increment
                .dir()
                .join("experiments")
                .join(run)
                .join("artifacts/model.swm"),
        )
    };
    assert_eq!(
        model(&second, &again.final_run.run_id)?,
        model(&first, &outcome.final_run.run_id)?
    );
    Ok(())
}
