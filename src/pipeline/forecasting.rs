//! The forecasting pipeline: a time series from data to a validated, completed increment,
//! validated in time order only.
//!
//! T-001 writes the series as Parquet with its profile and schema, and T-010 tests it for
//! stationarity (ADF, KPSS) and decomposes it (STL). T-002 holds out the last `horizon`
//! points as the test period. T-003 backtests the naive baselines by rolling origin over
//! the training period and scores them on the test period; T-004 backtests Holt-Winters,
//! AutoETS and gradient-boosted trees on lag features (validation metrics `val_*` only, so
//! the test period stays untouched); T-005 searches the best family's variants; T-006 refits
//! the winner on the whole training period, forecasts the test period with a prediction
//! interval and scores it with bootstrap intervals; T-007 records the trend/season
//! decomposition; T-008 refits it on the whole series, forecasts the next `horizon` steps
//! and times forecast calls; T-011 tests the test-period residuals for
//! autocorrelation (Ljung-Box); T-009 writes the living docs.
//!
//! ```no_run
//! use specweave::data::synth::SeriesSpec;
//! use specweave::pipeline::forecasting::{ForecastConfig, run_forecasting};
//! use specweave::spec::Increment;
//!
//! let weekly = SeriesSpec::new(208).period(52).seed(1).generate()?;
//! let mut increment = Increment::create(std::path::Path::new(".specweave"), "forecast weekly sales", None)?;
//! let outcome = run_forecasting(&mut increment, &ForecastConfig::new(weekly, 52))?;
//! println!("{}", outcome.summary_table());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::living_docs::{Closing, LivingDocs, PipelineFacts, SyncedDocs, close_increment};
use super::{TaskRunner, TaskSelection, nan_tolerant};
use crate::error::{Error, Result, write_atomic};
use arrow::array::{ArrayRef, Int64Array};
use rayon::prelude::*;
use specweave_core::{Forecaster, ProblemKind, Series};
use specweave_data::{
    ColumnRole, ProfileOptions, SchemaOptions, Table, infer_schema, profile_file, write_parquet,
};
use specweave_eval::latency::{LatencyConfig, measure, throughput};
use specweave_eval::registry::{EvalInput, Task};
use specweave_eval::report::{EvalOptions, evaluate};
use specweave_forecast::{
    AutoEts, Drift, HoltWinters, LagFeatures, LagForecaster, Naive, RollingOrigin, SeasonalNaive,
    Seasonality, Trend, Window, adf, kpss, ljung_box, stl,
};
use specweave_spec::{Increment, ValidationReport};
use specweave_tracking::{ModelRegistry, RegisterModel, Role, Run, Tracker};
use specweave_train::{GradientBoosting, GradientBoostingParams};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

/// The headline metric of forecasting increments.
pub const HEADLINE: &str = "mape";

/// A forecasting family with its settings; builds fresh, unfitted forecasters.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ForecastFamily {
    /// The last value.
    Naive,
    /// The value one season earlier.
    SeasonalNaive,
    /// The line through the first and last values.
    Drift,
    /// Holt-Winters exponential smoothing.
    HoltWinters {
        /// Trend component.
        trend: Trend,
        /// Seasonal component.
        seasonality: Seasonality,
    },
    /// Exponential smoothing with the variant chosen by AICc.
    AutoEts,
    /// Gradient-boosted trees on lag, rolling and Fourier features, forecasting recursively.
    LagBoosting {
        /// Lags used as features.
        lags: Vec<usize>,
        /// Boosting rounds.
        rounds: usize,
    },
}

impl ForecastFamily {
    /// The algorithm name recorded in runs and the registry.
    pub fn algorithm(&self) -> &'static str {
        match self {
            ForecastFamily::Naive => "naive",
            ForecastFamily::SeasonalNaive => "seasonal_naive",
            ForecastFamily::Drift => "drift",
            ForecastFamily::HoltWinters { .. } => "holt_winters",
            ForecastFamily::AutoEts => "auto_ets",
            ForecastFamily::LagBoosting { .. } => "lag_gradient_boosting",
        }
    }

    /// An unfitted forecaster for a series with seasonal `period`.
    pub fn build(&self, period: usize, seed: u64) -> Result<Box<dyn Forecaster>> {
        Ok(match self {
            ForecastFamily::Naive => Box::new(Naive::new()),
            ForecastFamily::SeasonalNaive => Box::new(SeasonalNaive::new(period)?),
            ForecastFamily::Drift => Box::new(Drift::new()),
            ForecastFamily::HoltWinters { trend, seasonality } => Box::new(
                HoltWinters::builder()
                    .trend(*trend)
                    .seasonality(*seasonality, period)
                    .seed(seed)
                    .build()?,
            ),
            ForecastFamily::AutoEts => Box::new(AutoEts::new(Some(period))?),
            ForecastFamily::LagBoosting { lags, rounds } => {
                let booster = GradientBoosting::new(GradientBoostingParams {
                    n_estimators: *rounds,
                    num_leaves: 15,
                    min_data_in_leaf: 5,
                    seed,
                    ..GradientBoostingParams::default()
                })?;
                let features = LagFeatures::new(lags.clone())?
                    .rolling_windows(vec![4, 13])?
                    .fourier(period, 3)?
                    .trend(true);
                Box::new(LagForecaster::new(Arc::new(booster), features)?)
            }
        })
    }
}

/// Settings of [`run_forecasting`].
#[derive(Clone)]
pub struct ForecastConfig {
    series: Series,
    period: usize,
    horizon: usize,
    backtest_origins: usize,
    level: f64,
    resamples: usize,
    latency_calls: usize,
    seed: u64,
    living_docs: Option<Arc<dyn LivingDocs>>,
}

impl std::fmt::Debug for ForecastConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForecastConfig")
            .field("len", &self.series.len())
            .field("period", &self.period)
            .field("horizon", &self.horizon)
            .finish_non_exhaustive()
    }
}

impl ForecastConfig {
    /// A series with seasonal `period` (52 for weekly data with a yearly season); forecasts
    /// 12 steps, backtests over 3 origins, 95% intervals, 1000 bootstrap resamples.
    pub fn new(series: Series, period: usize) -> ForecastConfig {
        ForecastConfig {
            series,
            period,
            horizon: 12,
            backtest_origins: 3,
            level: 0.95,
            resamples: 1000,
            latency_calls: 500,
            seed: 42,
            living_docs: Some(Arc::new(SyncedDocs::default())),
        }
    }

    /// Steps forecast, and held out as the test period (default 12).
    pub fn horizon(mut self, horizon: usize) -> Self {
        self.horizon = horizon;
        self
    }

    /// Rolling origins of the validation backtest (default 3).
    pub fn backtest_origins(mut self, origins: usize) -> Self {
        self.backtest_origins = origins;
        self
    }

    /// Bootstrap resamples for the intervals (default 1000).
    pub fn resamples(mut self, resamples: usize) -> Self {
        self.resamples = resamples;
        self
    }

    /// Timed forecast calls (default 500).
    pub fn latency_calls(mut self, calls: usize) -> Self {
        self.latency_calls = calls;
        self
    }

    /// Seed of the models and resampling (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Replaces the living-docs stage (`None` skips it and cancels T-009).
    pub fn living_docs(mut self, stage: Option<Arc<dyn LivingDocs>>) -> Self {
        self.living_docs = stage;
        self
    }

    fn validate(&self) -> Result<()> {
        let n = self.series.len();
        let needed = 2 * self.period + (self.backtest_origins + 1) * self.horizon;
        if self.horizon == 0 || self.backtest_origins == 0 || self.period < 2 {
            return Err(Error::invalid(
                "forecast config",
                "horizon and backtest origins must be at least 1 and the period at least 2",
            ));
        }
        if n < needed {
            return Err(Error::invalid(
                "forecast config",
                format!(
                    "{n} observations are too few: two seasons of {} plus {} backtest origins and the test period of {} need {needed}",
                    self.period, self.backtest_origins, self.horizon
                ),
            ));
        }
        if let Some(i) = self.series.values().iter().position(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "series",
                format!("observation {i} is not a finite number"),
            ));
        }
        Ok(())
    }
}

/// One tracked forecaster run and what it scored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ForecastRun {
    /// Run folder name.
    pub run_id: String,
    /// The family.
    pub family: ForecastFamily,
    /// Metrics (validation metrics prefixed `val_`).
    #[serde(deserialize_with = "nan_tolerant::map")]
    pub metrics: BTreeMap<String, f64>,
}

impl ForecastRun {
    fn metric(&self, name: &str) -> f64 {
        self.metrics.get(name).copied().unwrap_or(f64::INFINITY)
    }
}

/// What a forecasting pipeline run produced.
#[derive(Debug)]
pub struct ForecastOutcome {
    /// The increment folder.
    pub increment_dir: PathBuf,
    /// Baselines (T-003).
    pub baselines: Vec<ForecastRun>,
    /// Candidates (T-004).
    pub candidates: Vec<ForecastRun>,
    /// Tuning trials (T-005).
    pub trials: Vec<ForecastRun>,
    /// The final model's run (T-006 to T-008).
    pub final_run: ForecastRun,
    /// The forecast of the held-out test period: mean, lower and upper bounds.
    pub forecast: specweave_core::Forecast,
    /// The deployed model's forecast of the next `horizon` steps after the series.
    pub future: specweave_core::Forecast,
    /// The registered version.
    pub model_version: String,
    /// Living docs written (T-009).
    pub living_docs: Option<Vec<PathBuf>>,
    /// The validation report at closing time.
    pub validation: ValidationReport,
    /// `COMPLETION-SUMMARY.md`, when the increment was closed.
    pub summary_path: Option<PathBuf>,
}

impl ForecastOutcome {
    /// Every run with its MAPE (validation backtest for candidates and trials).
    pub fn summary_table(&self) -> String {
        let mut out = format!("{:<40} {:<10} {:>16}\n", "run", "role", "mape");
        let roles = [
            ("baseline", &self.baselines, ""),
            ("candidate", &self.candidates, "val_"),
            ("tuning", &self.trials, "val_"),
        ];
        for (role, runs, prefix) in roles {
            for run in runs {
                let value = run.metric(&format!("{prefix}{HEADLINE}"));
                let note = if prefix.is_empty() { "" } else { " (val)" };
                let _ = writeln!(out, "{:<40} {role:<10} {value:>10.4}{note}", run.run_id);
            }
        }
        let _ = writeln!(
            out,
            "{:<40} {:<10} {:>10.4} [{:.4}, {:.4}]",
            self.final_run.run_id,
            "final",
            self.final_run.metric(HEADLINE),
            self.final_run.metric("mape_ci_lower"),
            self.final_run.metric("mape_ci_upper"),
        );
        out
    }
}

/// What T-006 to T-008 and T-011 leave behind: the final run, finished and registered.
#[derive(serde::Serialize, serde::Deserialize)]
struct FinalModel {
    run: ForecastRun,
    forecast: specweave_core::Forecast,
    future: specweave_core::Forecast,
    model_version: String,
}

/// Runs every task of a forecasting increment and closes it when validation passes; a
/// re-run resumes at the first task that is not completed (see [`run_forecasting_tasks`]
/// to force a full re-run or stop after one task).
pub fn run_forecasting(
    increment: &mut Increment,
    config: &ForecastConfig,
) -> Result<ForecastOutcome> {
    run_forecasting_tasks(increment, config, &TaskSelection::default())?
        .ok_or_else(|| Error::invalid("forecasting pipeline", "stopped before its last task"))
}

/// [`run_forecasting`] under a [`TaskSelection`]; `None` when the selection stopped the run
/// before the increment could be closed.
pub fn run_forecasting_tasks(
    increment: &mut Increment,
    config: &ForecastConfig,
    selection: &TaskSelection,
) -> Result<Option<ForecastOutcome>> {
    config.validate()?;
    if increment.metadata().problem != ProblemKind::Forecasting {
        return Err(Error::invalid(
            "forecasting pipeline",
            format!(
                "runs forecasting increments; {} is {}",
                increment.id(),
                increment.metadata().problem.as_str()
            ),
        ));
    }
    let tracker = Tracker::open(increment.dir())?;
    let mut tasks = TaskRunner::new(increment, selection)?;
    let stopped = tasks
        .saved("T-001", "Exploratory data analysis", || {
            data_stage(increment, &config.series)
        })?
        .is_none()
        || tasks
            .saved("T-010", "Stationarity tests", || {
                stationarity_stage(increment, config)
            })?
            .is_none();
    if stopped {
        return Ok(None);
    }
    let Some((train, test)) = tasks.recomputed(
        "T-002",
        "Feature engineering",
        || split_stage(increment, config, true),
        || split_stage(increment, config, false),
    )?
    else {
        return Ok(None);
    };
    let backtest = RollingOrigin::builder()
        .window(Window::Expanding {
            initial: train.len() - config.backtest_origins * config.horizon,
        })
        .horizon(config.horizon)
        .step(config.horizon)
        .level(config.level)
        .build()?;
    let Some(baselines) = tasks.saved("T-003", "Train baseline models", || {
        let jobs = [
            ("baseline-naive", ForecastFamily::Naive),
            ("baseline-seasonal-naive", ForecastFamily::SeasonalNaive),
            ("baseline-drift", ForecastFamily::Drift),
        ];
        track_all(
            &tracker,
            &jobs,
            Role::Baseline,
            &backtest,
            &train,
            Some(&test),
            config,
        )
    })?
    else {
        return Ok(None);
    };
    let Some(candidates) = tasks.saved("T-004", "Train candidate models", || {
        let jobs = [
            (
                "holt-winters-additive",
                ForecastFamily::HoltWinters {
                    trend: Trend::Additive,
                    seasonality: Seasonality::Additive,
                },
            ),
            ("auto-ets", ForecastFamily::AutoEts),
            (
                "lag-gradient-boosting",
                ForecastFamily::LagBoosting {
                    lags: vec![1, 2, 3, 4, config.period],
                    rounds: 150,
                },
            ),
        ];
        track_all(
            &tracker,
            &jobs,
            Role::Candidate,
            &backtest,
            &train,
            None,
            config,
        )
    })?
    else {
        return Ok(None);
    };
    let Some((trials, chosen)) = tasks.saved("T-005", "Hyperparameter tuning", || {
        tuning_stage(&tracker, &candidates, &backtest, &train, config)
    })?
    else {
        return Ok(None);
    };
    let final_tasks = ["T-006", "T-007", "T-008", "T-011"];
    let Some(final_model) = tasks.group("T-006-T-011", &final_tasks, |tasks| {
        final_stages(tasks, &tracker, &chosen, &train, &test, config)
    })?
    else {
        return Ok(None);
    };
    if tasks.stopped() {
        return Ok(None);
    }
    let FinalModel {
        run: final_run,
        forecast,
        future,
        model_version,
    } = final_model;

    let best_baseline = baselines
        .iter()
        .map(|b| b.metric(HEADLINE))
        .fold(f64::INFINITY, f64::min);
    let facts = PipelineFacts {
        headline_metric: HEADLINE.to_owned(),
        best_value: final_run.metrics.get(HEADLINE).copied().unwrap_or(f64::NAN),
        baseline_value: best_baseline,
        best_run: final_run.run_id.clone(),
        model_version: model_version.clone(),
        latency_p99_ms: final_run
            .metrics
            .get("latency_p99_ms")
            .copied()
            .unwrap_or(f64::NAN),
        throughput_rps: final_run
            .metrics
            .get("throughput_rps")
            .copied()
            .unwrap_or(f64::NAN),
    };
    let Closing {
        living_docs,
        validation,
        summary_path,
    } = close_increment(increment, config.living_docs.as_deref(), &facts)?;
    Ok(Some(ForecastOutcome {
        increment_dir: increment.dir().to_path_buf(),
        baselines,
        candidates,
        trials,
        final_run,
        forecast,
        future,
        model_version,
        living_docs,
        validation,
        summary_path,
    }))
}

/// T-006 to T-008 and T-011 in the final model's run, which is then finished and registered.
fn final_stages(
    tasks: &mut TaskRunner<'_>,
    tracker: &Tracker,
    chosen: &ForecastFamily,
    train: &Series,
    test: &Series,
    config: &ForecastConfig,
) -> Result<FinalModel> {
    let run =
        tracker.start_experiment(&format!("{}-final", chosen.algorithm().replace('_', "-")))?;
    let result = (|| -> Result<_> {
        let (metrics, forecast, model_path, residuals) =
            tasks.run("T-006", "Evaluate against the success criteria", || {
                final_stage(&run, chosen, train, test, config)
            })?;
        tasks.run("T-007", "Explainability", || {
            explanation_stage(&run, train, config)
        })?;
        let serving = tasks.run("T-008", "Deployment preparation", || {
            serving_stage(&run, chosen, config)
        })?;
        tasks.run("T-011", "Residual analysis", || {
            residual_stage(&run, &residuals, config)
        })?;
        Ok((metrics, forecast, model_path, serving))
    })();
    let (mut metrics, forecast, model_path, (serving, future)) = match result {
        Ok(done) => done,
        Err(error) => {
            run.fail(&error.to_string())?;
            return Err(error);
        }
    };
    metrics.extend(serving);
    let record = run.finish()?;
    let version = ModelRegistry::new(tracker).register(
        RegisterModel::new(record.id.clone(), &model_path)
            .algorithm(chosen.algorithm())
            .framework("specweave-forecast"),
    )?;
    tracker.write_comparison()?;
    Ok(FinalModel {
        run: ForecastRun {
            run_id: record.id,
            family: chosen.clone(),
            metrics,
        },
        forecast,
        future,
        model_version: version.metadata.version,
    })
}

/// T-001: the series as `data/series.parquet`, its profile, EDA summary and schema.
fn data_stage(increment: &Increment, series: &Series) -> Result<()> {
    let dir = increment.dir().join("data");
    let path = dir.join("series.parquet");
    let timestamps: ArrayRef = Arc::new(Int64Array::from(series.timestamps().to_vec()));
    let table = Table::builder()
        .array("timestamp", timestamps)
        .f64("value", series.values().to_vec())
        .build()?;
    write_parquet(&path, &table)?;
    profile_file(&path, &ProfileOptions::new().target("value"))?.write_to(&dir)?;
    infer_schema(
        &path,
        &SchemaOptions::new()
            .role("timestamp", ColumnRole::Timestamp)
            .role("value", ColumnRole::Target),
    )?
    .write(dir.join("schema.yaml"))?;
    Ok(())
}

/// T-010: ADF and KPSS on the levels and the seasonal differences, and an STL
/// decomposition, in `data/stationarity.json`.
fn stationarity_stage(increment: &Increment, config: &ForecastConfig) -> Result<()> {
    let values = config.series.values().to_vec();
    let seasonal_difference: Vec<f64> = values
        .iter()
        .skip(config.period)
        .zip(&values)
        .map(|(now, before)| now - before)
        .collect();
    let levels_adf = adf(&values)?;
    let levels_kpss = kpss(&values)?;
    let diff_adf = adf(&seasonal_difference)?;
    let diff_kpss = kpss(&seasonal_difference)?;
    let decomposition = stl(&values, config.period)?;
    let variance = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len().max(1) as f64
    };
    let deseasonalised: Vec<f64> = decomposition
        .trend
        .iter()
        .zip(&decomposition.residual)
        .map(|(t, r)| t + r)
        .collect();
    let detrended: Vec<f64> = decomposition
        .seasonal
        .iter()
        .zip(&decomposition.residual)
        .map(|(s, r)| s + r)
        .collect();
    let residual_variance = variance(&decomposition.residual);
    // Hyndman's strength measures: 1 − Var(R) / Var(T + R) and 1 − Var(R) / Var(S + R).
    let trend_strength = (1.0 - residual_variance / variance(&deseasonalised)).max(0.0);
    let seasonal_strength = (1.0 - residual_variance / variance(&detrended)).max(0.0);
    let needs_differencing = levels_adf.p_value > 0.05 || levels_kpss.p_value < 0.05;
    let summary = serde_json::json!({
        "levels": {"adf_statistic": levels_adf.statistic, "adf_p_value": levels_adf.p_value,
                   "kpss_statistic": levels_kpss.statistic, "kpss_p_value": levels_kpss.p_value},
        "seasonal_difference": {"lag": config.period,
                   "adf_statistic": diff_adf.statistic, "adf_p_value": diff_adf.p_value,
                   "kpss_statistic": diff_kpss.statistic, "kpss_p_value": diff_kpss.p_value},
        "stl": {"period": config.period, "trend_strength": trend_strength, "seasonal_strength": seasonal_strength},
        "decision": if needs_differencing {
            "the levels are not stationary (ADF does not reject a unit root or KPSS rejects stationarity): models with trend and season components, or differenced lags"
        } else {
            "the levels look stationary: no differencing needed"
        },
    });
    write_json(&increment.dir().join("data/stationarity.json"), &summary)
}

fn write_json(path: &std::path::Path, value: &serde_json::Value) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| Error::Json {
        what: path.display().to_string(),
        source,
    })?;
    write_atomic(path, &bytes)
}

/// T-002: the last `horizon` observations are the test period; `data/split.json` says so.
fn split_stage(
    increment: &Increment,
    config: &ForecastConfig,
    write: bool,
) -> Result<(Series, Series)> {
    let n = config.series.len();
    let cut = n - config.horizon;
    let train = config.series.slice(0, cut)?;
    let test = config.series.slice(cut, n)?;
    if !write {
        return Ok((train, test));
    }
    write_json(
        &increment.dir().join("data/split.json"),
        &serde_json::json!({
            "protocol": "time-based: train on the past, test on the last horizon; rolling-origin backtest inside the training period",
            "observations": {"train": train.len(), "test": test.len()},
            "test_starts_at": test.timestamps().first(),
            "horizon": config.horizon,
            "backtest_origins": config.backtest_origins,
            "period": config.period,
            "lag_features": {"lags": [1, 2, 3, 4, config.period], "rolling_windows": [4, 13], "fourier_harmonics": 3},
        }),
    )?;
    Ok((train, test))
}

/// Backtests each job on the training period (`val_` metrics); with `test`, also refits on
/// the whole training period and scores the test period (plain metrics).
fn track_all(
    tracker: &Tracker,
    jobs: &[(&str, ForecastFamily)],
    role: Role,
    backtest: &RollingOrigin,
    train: &Series,
    test: Option<&Series>,
    config: &ForecastConfig,
) -> Result<Vec<ForecastRun>> {
    let results: Vec<Result<ForecastRun>> = jobs
        .par_iter()
        .map(|(name, family)| {
            let run = tracker.start_experiment(name)?;
            match backtest_run(&run, family, role, backtest, train, test, config) {
                Ok(metrics) => Ok(ForecastRun {
                    run_id: run.finish()?.id,
                    family: family.clone(),
                    metrics,
                }),
                Err(error) => {
                    run.fail(&error.to_string())?;
                    Err(error)
                }
            }
        })
        .collect();
    let mut runs = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(run) => runs.push(run),
            Err(error) => errors.push(error.to_string()),
        }
    }
    if runs.is_empty() {
        return Err(Error::invalid(
            "forecasters",
            format!("every run failed: {}", errors.join("; ")),
        ));
    }
    Ok(runs)
}

fn backtest_run(
    run: &Run,
    family: &ForecastFamily,
    role: Role,
    backtest: &RollingOrigin,
    train: &Series,
    test: Option<&Series>,
    config: &ForecastConfig,
) -> Result<BTreeMap<String, f64>> {
    run.set_role(role)?;
    run.set_headline_metric(HEADLINE)?;
    run.set_algorithm(family.algorithm())?;
    let mut forecaster = family.build(config.period, config.seed)?;
    run.log_param("algorithm", family.algorithm())?;
    run.log_param("params", forecaster.params())?;
    run.log_param("horizon", config.horizon as u64)?;
    let report = backtest.run(forecaster.as_mut(), train)?;
    let mut metrics = BTreeMap::new();
    let mut per_origin = Vec::new();
    for (step, origin) in report.origins.iter().enumerate() {
        let mape = mape(
            &origin.actual,
            origin.forecast.mean.as_slice().unwrap_or(&[]),
        );
        run.log_metric("val_mape_by_origin", mape, step as u64 + 1)?;
        per_origin.push(mape);
    }
    let mean = per_origin.iter().sum::<f64>() / per_origin.len().max(1) as f64;
    let spread = (per_origin.iter().map(|m| (m - mean).powi(2)).sum::<f64>()
        / per_origin.len().max(1) as f64)
        .sqrt();
    metrics.insert("val_mape".to_owned(), mean);
    metrics.insert("val_mape_cv_std".to_owned(), spread);
    metrics.insert("val_mae".to_owned(), report.mae());
    metrics.insert("val_rmse".to_owned(), report.rmse());
    metrics.insert("val_interval_coverage".to_owned(), report.coverage());
    if let Some(test) = test {
        let mut fresh = family.build(config.period, config.seed)?;
        fresh.fit(train)?;
        let forecast = fresh.forecast(test.len(), config.level)?;
        let options = EvalOptions::default().bootstrap(0);
        let report = evaluate_forecast(train, test, &forecast, &options)?;
        metrics.extend(report);
        let bytes = fresh.to_bytes()?;
        write_atomic(
            &run.dir()
                .join(specweave_tracking::ARTIFACTS_DIR)
                .join("model.swm"),
            &bytes,
        )?;
    }
    crate::experiments::log_finite(run, &metrics)?;
    Ok(metrics)
}

/// Mean absolute percentage error as a fraction (the spec's `MAPE < 10%` is 0.10).
fn mape(actual: &[f64], forecast: &[f64]) -> f64 {
    let terms: Vec<f64> = actual
        .iter()
        .zip(forecast)
        .filter(|(a, _)| **a != 0.0)
        .map(|(a, f)| ((a - f) / a).abs())
        .collect();
    terms.iter().sum::<f64>() / terms.len().max(1) as f64
}

/// Forecast metrics of the test period, with interval bounds as `<metric>_ci_lower/upper`.
pub(crate) fn evaluate_forecast(
    train: &Series,
    test: &Series,
    forecast: &specweave_core::Forecast,
    options: &EvalOptions,
) -> Result<BTreeMap<String, f64>> {
    let actual = test.values().to_vec();
    let mean = forecast.mean.to_vec();
    let lower = forecast.lower.to_vec();
    let upper = forecast.upper.to_vec();
    let history = train.values().to_vec();
    let input = EvalInput::scored(&actual, &mean)
        .with_interval(&lower, &upper)
        .with_training_series(&history);
    let report = evaluate(Task::Forecasting, &input, options)?;
    Ok(super::interval_metrics(&report))
}

/// T-005: variants of the best candidate family, backtested like the candidates; the
/// candidate itself competes, so tuning never makes things worse.
fn tuning_stage(
    tracker: &Tracker,
    candidates: &[ForecastRun],
    backtest: &RollingOrigin,
    train: &Series,
    config: &ForecastConfig,
) -> Result<(Vec<ForecastRun>, ForecastFamily)> {
    let best = candidates
        .iter()
        .min_by(|a, b| a.metric("val_mape").total_cmp(&b.metric("val_mape")))
        .ok_or_else(|| Error::invalid("tuning", "no candidate finished"))?;
    let grid: Vec<ForecastFamily> = match &best.family {
        ForecastFamily::HoltWinters { .. } | ForecastFamily::AutoEts => {
            [Trend::None, Trend::Additive, Trend::AdditiveDamped]
                .into_iter()
                .flat_map(|trend| {
                    [Seasonality::Additive, Seasonality::Multiplicative]
                        .into_iter()
                        .map(move |seasonality| ForecastFamily::HoltWinters { trend, seasonality })
                })
                .collect()
        }
        ForecastFamily::LagBoosting { .. } => [
            vec![1, 2, 3, 4, config.period],
            vec![1, 2, config.period],
            vec![1, 2, 3, 4, 8, 13, config.period],
        ]
        .into_iter()
        .flat_map(|lags| {
            [100, 250]
                .into_iter()
                .map(move |rounds| ForecastFamily::LagBoosting {
                    lags: lags.clone(),
                    rounds,
                })
        })
        .collect(),
        other => vec![other.clone()],
    };
    let names: Vec<String> = (1..=grid.len())
        .map(|i| {
            format!(
                "tune-{}-trial-{i:02}",
                best.family.algorithm().replace('_', "-")
            )
        })
        .collect();
    let jobs: Vec<(&str, ForecastFamily)> = names.iter().map(String::as_str).zip(grid).collect();
    let trials = track_all(tracker, &jobs, Role::Tuning, backtest, train, None, config)?;
    let chosen = trials
        .iter()
        .chain(std::iter::once(best))
        .min_by(|a, b| a.metric("val_mape").total_cmp(&b.metric("val_mape")))
        .map_or_else(|| best.family.clone(), |r| r.family.clone());
    Ok((trials, chosen))
}

/// T-006: the chosen family refitted on the whole training period, its forecast of the test
/// period with a prediction interval, every forecasting metric with bootstrap intervals,
/// `forecast.json` and the model file.
#[allow(clippy::type_complexity)]
fn final_stage(
    run: &Run,
    chosen: &ForecastFamily,
    train: &Series,
    test: &Series,
    config: &ForecastConfig,
) -> Result<(
    BTreeMap<String, f64>,
    specweave_core::Forecast,
    PathBuf,
    Vec<f64>,
)> {
    run.set_role(Role::Tuning)?;
    run.set_headline_metric(HEADLINE)?;
    run.set_algorithm(chosen.algorithm())?;
    let mut model = chosen.build(config.period, config.seed)?;
    run.log_param("algorithm", chosen.algorithm())?;
    run.log_param("params", model.params())?;
    run.log_param("horizon", config.horizon as u64)?;
    run.log_param("interval_level", config.level)?;
    model.fit(train)?;
    let forecast = model.forecast(test.len(), config.level)?;
    let options = EvalOptions::default()
        .bootstrap(config.resamples)
        .seed(config.seed);
    let metrics = evaluate_forecast(train, test, &forecast, &options)?;
    crate::experiments::log_finite(run, &metrics)?;
    for (step, (actual, predicted)) in test.values().iter().zip(forecast.mean.iter()).enumerate() {
        run.log_metric(
            "forecast_abs_pct_error",
            ((actual - predicted) / actual).abs(),
            step as u64 + 1,
        )?;
    }
    run.save_artifact(
        "forecast.json",
        &serde_json::json!({
            "actual": config.series.values().to_vec(),
            "start": train.len(),
            "mean": forecast.mean.to_vec(),
            "lower": forecast.lower.to_vec(),
            "upper": forecast.upper.to_vec(),
        }),
    )?;
    let bytes = model.to_bytes()?;
    let path = run
        .dir()
        .join(specweave_tracking::ARTIFACTS_DIR)
        .join("model.swm");
    write_atomic(&path, &bytes)?;
    run.log_metric("model_size_bytes", bytes.len() as f64, 0)?;
    let residuals: Vec<f64> = test
        .values()
        .iter()
        .zip(forecast.mean.iter())
        .map(|(a, f)| a - f)
        .collect();
    Ok((metrics, forecast, path, residuals))
}

/// T-007: the series' trend and seasonal components (STL) as `decomposition.json`.
fn explanation_stage(run: &Run, train: &Series, config: &ForecastConfig) -> Result<()> {
    let values = train.values().to_vec();
    let decomposition = stl(&values, config.period)?;
    run.save_artifact(
        "decomposition.json",
        &serde_json::json!({
            "period": config.period,
            "timestamps": train.timestamps(),
            "observed": values,
            "trend": decomposition.trend,
            "seasonal": decomposition.seasonal,
            "residual": decomposition.residual,
        }),
    )?;
    Ok(())
}

/// T-008: the deployed forecaster, refitted on the whole series (test weeks included), its
/// forecast of the next `horizon` steps as `future_forecast.json` and its model file, the
/// latency of one forecast call and concurrent throughput.
fn serving_stage(
    run: &Run,
    chosen: &ForecastFamily,
    config: &ForecastConfig,
) -> Result<(BTreeMap<String, f64>, specweave_core::Forecast)> {
    let mut model = chosen.build(config.period, config.seed)?;
    model.fit(&config.series)?;
    let future = model.forecast(config.horizon, config.level)?;
    let timestamps = config.series.timestamps();
    let step = match timestamps {
        [.., before, last] => last - before,
        _ => 1,
    };
    let last = timestamps.last().copied().unwrap_or(0);
    run.save_artifact(
        "future_forecast.json",
        &serde_json::json!({
            "timestamps": (1..=config.horizon as i64).map(|k| last + k * step).collect::<Vec<_>>(),
            "mean": future.mean.to_vec(),
            "lower": future.lower.to_vec(),
            "upper": future.upper.to_vec(),
            "level": config.level,
        }),
    )?;
    write_atomic(
        &run.dir()
            .join(specweave_tracking::ARTIFACTS_DIR)
            .join("deployed-model.swm"),
        &model.to_bytes()?,
    )?;
    let model: &dyn Forecaster = model.as_ref();
    let to_eval = |e: specweave_core::Error| specweave_eval::EvalError::Empty(e.to_string());
    let latency = measure(
        &LatencyConfig {
            warmup: 10,
            iterations: config.latency_calls,
            batch_size: 1,
        },
        || {
            model
                .forecast(config.horizon, config.level)
                .map(|f| drop(std::hint::black_box(f)))
                .map_err(to_eval)
        },
    )?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = (config.latency_calls / threads).max(1);
    let rate = throughput(threads, per_thread, |_, _| {
        model
            .forecast(config.horizon, config.level)
            .map(|f| f.mean.len())
            .map_err(to_eval)
    })?;
    let measured: BTreeMap<String, f64> = [
        ("latency_p50_ms", latency.p50 * 1e3),
        ("latency_p95_ms", latency.p95 * 1e3),
        ("latency_p99_ms", latency.p99 * 1e3),
        ("throughput_rps", rate.requests_per_second),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    run.log_metrics(measured.iter().map(|(k, v)| (k.as_str(), *v)), 0)?;
    run.log_param("serving_threads", threads as u64)?;
    Ok((measured, future))
}

/// T-011: Ljung-Box on the test-period errors, and their bias.
fn residual_stage(run: &Run, residuals: &[f64], config: &ForecastConfig) -> Result<()> {
    let lags = (residuals.len() / 2).clamp(1, 10);
    let test = ljung_box(residuals, lags, 0)?;
    let bias = residuals.iter().sum::<f64>() / residuals.len().max(1) as f64;
    run.log_metrics(
        [
            ("ljung_box_statistic", test.statistic),
            ("ljung_box_p_value", test.p_value),
            ("residual_bias", bias),
        ],
        0,
    )?;
    run.save_artifact(
        "residuals.json",
        &serde_json::json!({
            "residuals": residuals,
            "ljung_box": {"lags": test.lags, "statistic": test.statistic, "p_value": test.p_value},
            "bias": bias,
            "horizon": config.horizon,
            "verdict": if test.p_value < 0.05 { "autocorrelated errors: structure is left in the residuals" } else { "no autocorrelation detected in the errors" },
        }),
    )?;
    Ok(())
}
