//! Forecaster experiments: each configured forecaster runs in parallel as a tracked run,
//! backtested by rolling origin over the training series (never a random split), then
//! fitted on the whole series and scored on the held-out period that follows it.

use super::{
    Build, ExperimentMetrics, ExperimentResult, ExperimentsOutcome, Ranking, check_not_empty,
    conclude, log_finite, log_model, save_model, track,
};
use crate::error::{Error, Result};
use crate::pipeline::forecasting::evaluate_forecast;
use rayon::prelude::*;
use specweave_core::{Forecaster, ProblemKind, Series};
use specweave_eval::report::EvalOptions;
use specweave_forecast::{RollingOrigin, Window};
use specweave_spec::{Increment, default_headline_metric, lower_is_better};
use specweave_tracking::{Role, Run, Tracker};
use specweave_train::MetricSummary;
use std::collections::BTreeMap;
use std::time::Instant;

/// Builds the unfitted forecaster of an experiment.
type BuildForecaster = dyn FnOnce() -> Result<Box<dyn Forecaster>> + Send;

/// One forecaster experiment: a name, a configured, unfitted forecaster (its parameters
/// travel with it) and a role.
///
/// A forecaster is fitted in place, so each experiment owns its own. Build it with
/// [`ForecasterExperiment::new`], or with [`ForecasterExperiment::build`] to construct it
/// inside the run, so that a constructor rejecting its parameters becomes a failed run with
/// the error as its note.
#[derive(Debug)]
pub struct ForecasterExperiment {
    name: String,
    build: Build<BuildForecaster>,
    role: Role,
}

impl ForecasterExperiment {
    /// A candidate experiment called `name` with an unfitted forecaster.
    pub fn new(
        name: impl Into<String>,
        forecaster: impl Forecaster + 'static,
    ) -> ForecasterExperiment {
        ForecasterExperiment::boxed(name, Box::new(forecaster))
    }

    /// A candidate experiment with a boxed, unfitted forecaster.
    pub fn boxed(name: impl Into<String>, forecaster: Box<dyn Forecaster>) -> ForecasterExperiment {
        ForecasterExperiment::build(name, move || Ok(forecaster))
    }

    /// A candidate experiment whose forecaster is built inside its run; an error from
    /// `build` fails the run.
    pub fn build<F>(name: impl Into<String>, build: F) -> ForecasterExperiment
    where
        F: FnOnce() -> Result<Box<dyn Forecaster>> + Send + 'static,
    {
        ForecasterExperiment {
            name: name.into(),
            build: Build(Box::new(build)),
            role: Role::Candidate,
        }
    }

    /// Sets the role (baseline, candidate or tuning).
    pub fn role(mut self, role: Role) -> ForecasterExperiment {
        self.role = role;
        self
    }

    /// The experiment's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The data every forecaster experiment sees: the training series (backtested by rolling
/// origin, then fitted on in full), the forecast horizon, and optionally the held-out
/// observations that follow the training series.
///
/// The backtest's origins are the last `origins` positions of the training series that
/// leave a full horizon after them, `step` apart (the last origin forecasts the final
/// `horizon` training observations); each origin fits on every observation before it (an
/// expanding window).
#[derive(Debug, Clone, Copy)]
pub struct ForecastData<'a> {
    train: &'a Series,
    test: Option<&'a Series>,
    horizon: usize,
    origins: usize,
    step: Option<usize>,
    level: f64,
    resamples: usize,
    seed: u64,
    register: bool,
}

impl<'a> ForecastData<'a> {
    /// The training series and the horizon; 3 origins one horizon apart, 95% intervals,
    /// 1,000 bootstrap resamples for the held-out metrics, seed 0.
    pub fn new(train: &'a Series, horizon: usize) -> Self {
        ForecastData {
            train,
            test: None,
            horizon,
            origins: 3,
            step: None,
            level: 0.95,
            resamples: 1_000,
            seed: 0,
            register: true,
        }
    }

    /// The held-out observations: `horizon` of them, right after the training series. With
    /// them the runs are scored on this period and ranked by its `mape`; without, they are
    /// ranked by the backtest's `cv_mape`.
    pub fn test(mut self, test: &'a Series) -> Self {
        self.test = Some(test);
        self
    }

    /// Rolling origins of the backtest (at least 1; default 3).
    pub fn origins(mut self, origins: usize) -> Self {
        self.origins = origins;
        self
    }

    /// Observations between successive origins (at least 1; default: the horizon).
    pub fn step(mut self, step: usize) -> Self {
        self.step = Some(step);
        self
    }

    /// Nominal coverage of the prediction intervals (default 0.95).
    pub fn level(mut self, level: f64) -> Self {
        self.level = level;
        self
    }

    /// Bootstrap resamples for the held-out metrics' intervals (0 for none).
    pub fn resamples(mut self, resamples: usize) -> Self {
        self.resamples = resamples;
        self
    }

    /// Seed of the bootstrap.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether the best non-baseline run is registered (default `true`).
    pub fn register(mut self, register: bool) -> Self {
        self.register = register;
        self
    }

    /// The rolling-origin plan, after checking every setting against the series.
    fn plan(&self) -> Result<RollingOrigin> {
        let step = self.step.unwrap_or(self.horizon);
        if self.horizon == 0 {
            return Err(Error::invalid(
                "horizon",
                "forecasts must cover at least one step",
            ));
        }
        if self.origins == 0 {
            return Err(Error::invalid(
                "backtest origins",
                "the backtest needs at least one rolling origin",
            ));
        }
        if step == 0 {
            return Err(Error::invalid(
                "backtest step",
                "successive origins must be at least one observation apart",
            ));
        }
        let n = self.train.len();
        let held = (self.origins - 1)
            .saturating_mul(step)
            .saturating_add(self.horizon);
        let initial = n.saturating_sub(held);
        if initial == 0 {
            return Err(Error::invalid(
                "training series",
                format!(
                    "{n} observations are too few for the backtest: {} rolling origins {step} \
                     apart with a horizon of {} need more than {held} (at least one observation \
                     to fit on before the first origin)",
                    self.origins, self.horizon
                ),
            ));
        }
        if let Some(test) = self.test {
            if test.len() != self.horizon {
                return Err(Error::invalid(
                    "held-out series",
                    format!(
                        "it has {} observations; the horizon is {}",
                        test.len(),
                        self.horizon
                    ),
                ));
            }
            let (last_train, first_test) =
                (self.train.timestamps().last(), test.timestamps().first());
            if let (Some(last_train), Some(first_test)) = (last_train, first_test)
                && first_test <= last_train
            {
                return Err(Error::invalid(
                    "held-out series",
                    format!(
                        "it must follow the training series in time; it starts at \
                         {first_test}, the training series ends at {last_train}"
                    ),
                ));
            }
        }
        Ok(RollingOrigin::builder()
            .window(Window::Expanding { initial })
            .horizon(self.horizon)
            .step(step)
            .level(self.level)
            .build()?)
    }

    /// The metric that ranks the runs: held-out `mape`, or the backtest's `cv_mape`.
    fn ranking_metric(&self) -> String {
        let base = default_headline_metric(ProblemKind::Forecasting);
        match self.test {
            Some(_) => base.to_owned(),
            None => format!("cv_{base}"),
        }
    }
}

/// Runs every forecaster experiment in parallel as a tracked run of `increment`, writes
/// `experiments/comparison.md` and registers the best non-baseline model: by held-out
/// `mape` when [`ForecastData::test`] is given, by the backtest's `cv_mape` otherwise.
///
/// Each run records the forecaster's parameters and backtests it by rolling origin over the
/// training series: MAPE, sMAPE, RMSE, MAE, MASE and interval coverage of every origin are
/// step metrics `cv_<metric>` (step = origin number), and their mean and spread over the
/// origins are `cv_<metric>` and `<metric>_cv_std`. The forecaster is then fitted on the
/// whole training series (timed as `training_time_s`) and forecasts the horizon, saved as
/// `artifacts/forecast.json`; with held-out observations, every metric of that period is
/// logged with its bootstrap interval (`<metric>_ci_lower` / `_ci_upper`). The model is
/// saved as `artifacts/model.swm`.
///
/// A failing experiment is recorded as a failed run with its error as a note; the others
/// go on. Invalid settings (an empty list, a zero horizon, a series too short for the
/// backtest, held-out observations that do not follow the series) are refused before any
/// run starts; only tracking failures stop the call once runs started.
///
/// ```
/// use specweave::data::synth::SeriesSpec;
/// use specweave::experiments::{ForecastData, ForecasterExperiment, run_forecaster_experiments};
/// use specweave::forecast::{HoltWinters, Seasonality, SeasonalNaive, Trend};
/// use specweave::spec::Increment;
/// use specweave::tracking::Role;
///
/// let root = tempfile::tempdir()?;
/// let increment = Increment::create(root.path(), "forecast daily sales", None)?;
/// let series = SeriesSpec::new(70).period(7).seed(1).generate()?;
/// let (train, test) = (series.slice(0, 63)?, series.slice(63, 70)?);
/// let holt_winters = HoltWinters::builder()
///     .trend(Trend::Additive)
///     .seasonality(Seasonality::Additive, 7)
///     .build()?;
/// let outcome = run_forecaster_experiments(
///     &increment,
///     vec![
///         ForecasterExperiment::new("seasonal-naive", SeasonalNaive::new(7)?).role(Role::Baseline),
///         ForecasterExperiment::new("holt-winters", holt_winters),
///     ],
///     &ForecastData::new(&train, 7).origins(2).test(&test).resamples(100),
/// )?;
/// assert_eq!(outcome.headline_metric, "mape");
/// assert!(outcome.results.iter().all(|r| r.outcome.is_ok()));
/// assert!(outcome.registered.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_forecaster_experiments(
    increment: &Increment,
    experiments: Vec<ForecasterExperiment>,
    data: &ForecastData<'_>,
) -> Result<ExperimentsOutcome> {
    check_not_empty(experiments.len())?;
    let plan = data.plan()?;
    let headline = data.ranking_metric();
    let tracker = Tracker::open(increment.dir())?;
    let results = experiments
        .into_par_iter()
        .map(|experiment| run_one(&tracker, experiment, data, &plan, &headline))
        .collect::<Result<Vec<_>>>()?;
    let ranking = Ranking {
        metric: headline.clone(),
        lower_is_better: lower_is_better(default_headline_metric(ProblemKind::Forecasting)),
        register: data.register,
    };
    conclude(&tracker, results, headline, &ranking)
}

fn run_one(
    tracker: &Tracker,
    experiment: ForecasterExperiment,
    data: &ForecastData<'_>,
    plan: &RollingOrigin,
    headline: &str,
) -> Result<ExperimentResult> {
    let ForecasterExperiment { name, build, role } = experiment;
    track(tracker, &name, role, headline, |run| {
        measure(run, build, data, plan)
    })
}

fn measure(
    run: &Run,
    build: Build<BuildForecaster>,
    data: &ForecastData<'_>,
    plan: &RollingOrigin,
) -> Result<ExperimentMetrics> {
    let mut model = (build.0)()?;
    log_model(run, model.name(), model.params())?;
    run.log_param("horizon", data.horizon as u64)?;
    run.log_param("backtest_origins", data.origins as u64)?;
    run.log_param("backtest_step", data.step.unwrap_or(data.horizon) as u64)?;
    run.log_param("interval_level", data.level)?;
    run.log_param("train_observations", data.train.len() as u64)?;

    let mut metrics = backtest(run, model.as_mut(), data.train, plan)?;

    let started = Instant::now();
    model.fit(data.train)?;
    metrics.insert(
        "training_time_s".to_owned(),
        started.elapsed().as_secs_f64(),
    );
    let forecast = model.forecast(data.horizon, data.level)?;
    if let Some(test) = data.test {
        let options = EvalOptions::default()
            .bootstrap(data.resamples)
            .seed(data.seed);
        metrics.extend(evaluate_forecast(data.train, test, &forecast, &options)?);
    }
    run.save_artifact(
        "forecast.json",
        &serde_json::json!({
            "start": data.train.len(),
            "timestamps": data.test.map(|t| t.timestamps().to_vec()),
            "actual": data.test.map(|t| t.values().to_vec()),
            "mean": forecast.mean.to_vec(),
            "lower": forecast.lower.to_vec(),
            "upper": forecast.upper.to_vec(),
            "level": forecast.level,
        }),
    )?;
    let model_file = save_model(run, &model.to_bytes()?, &mut metrics)?;
    log_finite(run, &metrics)?;
    Ok(ExperimentMetrics {
        metrics,
        model_file,
    })
}

/// Backtests `model` by rolling origin over `train`: every forecasting metric of each
/// origin as a step metric `cv_<metric>` (step = origin number, from 1), and their mean and
/// spread over the origins as `cv_<metric>` / `<metric>_cv_std`.
fn backtest(
    run: &Run,
    model: &mut dyn Forecaster,
    train: &Series,
    plan: &RollingOrigin,
) -> Result<BTreeMap<String, f64>> {
    let report = plan.run(model, train)?;
    let options = EvalOptions::default().bootstrap(0);
    let mut by_metric: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (number, origin) in (1u64..).zip(&report.origins) {
        let history = train.slice(origin.train_start, origin.origin)?;
        let actual = train.slice(origin.origin, origin.origin + plan.horizon())?;
        let scored = evaluate_forecast(&history, &actual, &origin.forecast, &options)?;
        for (name, value) in scored.into_iter().filter(|(_, v)| v.is_finite()) {
            run.log_metric(&format!("cv_{name}"), value, number)?;
            by_metric.entry(name).or_default().push(value);
        }
    }
    let mut metrics = BTreeMap::new();
    for (name, values) in by_metric {
        let summary = MetricSummary::of(&values);
        metrics.insert(format!("cv_{name}"), summary.mean);
        metrics.insert(format!("{name}_cv_std"), summary.std);
    }
    Ok(metrics)
}
