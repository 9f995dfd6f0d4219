//! Running experiments: each experiment (a named model with its parameters and a role)
//! runs in parallel as a tracked run of the increment, with cross-validated and held-out
//! metrics, training time, model size and the model file; failures are recorded and the
//! others go on; `comparison.md` is written and the best model registered.
//!
//! [`run_experiments`] runs tabular learners (cross-validation, then the held-out rows);
//! [`run_recommender_experiments`] runs recommenders (ranking metrics on a held-out
//! interaction split, with bootstrap intervals over users); [`run_forecaster_experiments`]
//! runs forecasters (a rolling-origin backtest, then the held-out period). All three share
//! the run handling, the comparison and the registration below.
//!
//! ```
//! use specweave::experiments::{Experiment, ExperimentData, run_experiments};
//! use specweave::data::synth::ClassificationSpec;
//! use specweave::spec::Increment;
//! use specweave::tracking::Role;
//! use specweave::train::{DummyClassifier, LogisticRegression, LogisticRegressionParams};
//!
//! let root = tempfile::tempdir()?;
//! let increment = Increment::create(root.path(), "predict churn", None)?;
//! let data = ClassificationSpec::new(400).seed(1).generate()?;
//! let rows: Vec<usize> = (0..400).collect();
//! let (train, test) = (data.select_rows(&rows[..300])?, data.select_rows(&rows[300..])?);
//! let outcome = run_experiments(
//!     &increment,
//!     vec![
//!         Experiment::new("baseline-prior", DummyClassifier::default()).role(Role::Baseline),
//!         Experiment::new("logistic-regression", LogisticRegression::new(LogisticRegressionParams::default())?),
//!     ],
//!     &ExperimentData::new(&train, &test).folds(3),
//! )?;
//! assert!(outcome.results.iter().all(|r| r.outcome.is_ok()));
//! assert!(outcome.registered.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod forecasters;
mod recommenders;

pub use forecasters::{ForecastData, ForecasterExperiment, run_forecaster_experiments};
pub use recommenders::{RecommenderData, RecommenderExperiment, run_recommender_experiments};

use crate::error::{Error, Result, write_atomic};
use rayon::prelude::*;
use specweave_core::{Dataset, Learner, Predictions, ProblemKind, Splitter, Target};
use specweave_data::split::{KFold, StratifiedKFold, TimeSeriesSplit};
use specweave_eval::registry::{EvalInput, Task};
use specweave_eval::report::{EvalOptions, EvalReport, evaluate};
use specweave_spec::{Increment, default_headline_metric, lower_is_better};
use specweave_tracking::{
    MetricBuffer, ModelRegistry, ModelVersion, RegisterModel, Role, Run, Tracker,
};
use specweave_train::{CrossValidation, Metric, fit_measured};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// File name of the model inside a run's `artifacts/`.
pub const MODEL_FILE: &str = "model.swm";

/// One experiment: a name, a configured learner (its parameters travel with it) and a role.
#[derive(Debug, Clone)]
pub struct Experiment {
    name: String,
    learner: Arc<dyn Learner>,
    role: Role,
}

impl Experiment {
    /// A candidate experiment called `name`.
    pub fn new(name: impl Into<String>, learner: impl Learner + 'static) -> Experiment {
        Experiment::shared(name, Arc::new(learner))
    }

    /// A candidate experiment with a shared learner.
    pub fn shared(name: impl Into<String>, learner: Arc<dyn Learner>) -> Experiment {
        Experiment {
            name: name.into(),
            learner,
            role: Role::Candidate,
        }
    }

    /// Sets the role (baseline, candidate or tuning).
    pub fn role(mut self, role: Role) -> Experiment {
        self.role = role;
        self
    }

    /// The experiment's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The data every experiment sees: training rows (cross-validated, then fitted on in full)
/// and held-out rows (scored once).
#[derive(Debug, Clone, Copy)]
pub struct ExperimentData<'a> {
    train: &'a Dataset,
    test: &'a Dataset,
    folds: usize,
    seed: u64,
    held_out_prefix: &'a str,
    register: bool,
}

impl<'a> ExperimentData<'a> {
    /// Training and held-out rows; 5 folds, seed 0.
    pub fn new(train: &'a Dataset, test: &'a Dataset) -> Self {
        ExperimentData {
            train,
            test,
            folds: 5,
            seed: 0,
            held_out_prefix: "",
            register: true,
        }
    }

    /// Prefixes the held-out metrics, e.g. `val_` when the held-out rows are a validation
    /// split carved from training data rather than the test set (the test set then stays
    /// untouched for the final model, and validation does not mistake these runs for it).
    pub fn held_out_prefix(mut self, prefix: &'a str) -> Self {
        self.held_out_prefix = prefix;
        self
    }

    /// Whether the best non-baseline run is registered (default `true`).
    pub fn register(mut self, register: bool) -> Self {
        self.register = register;
        self
    }

    /// Cross-validation folds (at least 2).
    pub fn folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }

    /// Seed of the fold shuffles.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The problem the target describes.
    fn problem(&self) -> Result<ProblemKind> {
        match self.train.target() {
            Target::Classes { .. } => Ok(ProblemKind::Classification),
            Target::Continuous(_) => Ok(ProblemKind::Regression),
            _ => Err(Error::invalid(
                "experiment data",
                "the training rows have no target to learn",
            )),
        }
    }

    /// Time-ordered folds for data with timestamps, stratified folds for classes,
    /// shuffled folds otherwise.
    fn splitter(&self, problem: ProblemKind) -> Box<dyn Splitter> {
        if self.train.timestamps().is_some() {
            Box::new(TimeSeriesSplit::new(self.folds))
        } else if problem == ProblemKind::Classification {
            Box::new(StratifiedKFold::new(self.folds).shuffled(self.seed))
        } else {
            Box::new(KFold::new(self.folds).shuffled(self.seed))
        }
    }
}

/// What a finished experiment measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExperimentMetrics {
    /// Held-out metrics, the cross-validation mean (`cv_<metric>`) and spread
    /// (`<metric>_cv_std`), training time and model size.
    #[serde(deserialize_with = "crate::pipeline::nan_tolerant::map")]
    pub metrics: BTreeMap<String, f64>,
    /// The model file inside the run.
    pub model_file: PathBuf,
}

/// The result of one experiment.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExperimentResult {
    /// Experiment name.
    pub name: String,
    /// Run folder name, e.g. `exp-003-random-forest`.
    pub run_id: String,
    /// Its role.
    pub role: Role,
    /// Metrics, or the error it failed with (also recorded as a note of the failed run).
    pub outcome: std::result::Result<ExperimentMetrics, String>,
}

/// What [`run_experiments`], [`run_recommender_experiments`] or
/// [`run_forecaster_experiments`] did.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ExperimentsOutcome {
    /// One result per experiment, in the order given.
    pub results: Vec<ExperimentResult>,
    /// The metric that ranks the runs (without the held-out prefix of [`run_experiments`]).
    pub headline_metric: String,
    /// `experiments/comparison.md`.
    pub comparison: PathBuf,
    /// The best non-baseline model, registered; `None` when every candidate failed.
    pub registered: Option<ModelVersion>,
}

impl ExperimentsOutcome {
    /// The result of the experiment called `name`.
    pub fn result(&self, name: &str) -> Option<&ExperimentResult> {
        self.results.iter().find(|r| r.name == name)
    }
}

/// Runs every experiment in parallel as a tracked run of `increment`, writes
/// `experiments/comparison.md` and registers the best non-baseline model by the held-out
/// headline metric of the increment's problem kind.
///
/// A failing experiment is recorded as a failed run with its error as a note; the others
/// go on. Only tracking failures (the increment cannot be written) stop the whole call.
pub fn run_experiments(
    increment: &Increment,
    experiments: Vec<Experiment>,
    data: &ExperimentData<'_>,
) -> Result<ExperimentsOutcome> {
    check_not_empty(experiments.len())?;
    let problem = data.problem()?;
    if data.folds < 2 {
        return Err(Error::invalid(
            "folds",
            format!(
                "cross-validation needs at least 2 folds, got {}",
                data.folds
            ),
        ));
    }
    let headline = default_headline_metric(problem).to_owned();
    let tracker = Tracker::open(increment.dir())?;
    let results = experiments
        .par_iter()
        .map(|experiment| {
            track(
                &tracker,
                &experiment.name,
                experiment.role,
                &headline,
                |run| measure(run, experiment, data, problem, &headline),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let ranking = Ranking {
        metric: format!("{}{headline}", data.held_out_prefix),
        lower_is_better: lower_is_better(&headline),
        register: data.register,
    };
    conclude(&tracker, results, headline, &ranking)
}

fn measure(
    run: &Run,
    experiment: &Experiment,
    data: &ExperimentData<'_>,
    problem: ProblemKind,
    headline: &str,
) -> Result<ExperimentMetrics> {
    let learner = experiment.learner.as_ref();
    log_model(run, learner.name(), learner.params())?;
    run.log_param("cv_folds", data.folds as u64)?;
    run.log_dataset(data.train)?;
    if !learner.supports(problem) {
        return Err(Error::invalid(
            "learner",
            format!(
                "{} fits {:?} problems, the data is {problem:?}",
                learner.name(),
                learner.problem()
            ),
        ));
    }

    let task = Task::from(problem);
    let metric_name = headline.to_owned();
    let cv_metric = Metric::new(headline, move |target, predictions| {
        score(task, target, predictions, &EvalOptions::default()).and_then(|report| {
            report.value(&metric_name).ok_or_else(|| {
                specweave_core::Error::InvalidInput(format!("{metric_name} is not reported"))
            })
        })
    });
    let splitter = data.splitter(problem);
    let cv = CrossValidation::new(vec![cv_metric]).progress(false).run(
        learner,
        data.train,
        splitter.as_ref(),
    )?;
    let mut metrics = BTreeMap::new();
    for fold in &cv.folds {
        if let Some(&value) = fold.metrics.get(headline) {
            run.log_metric(&format!("cv_{headline}"), value, fold.fold as u64 + 1)?;
        }
    }
    if let Some(summary) = cv.summary.get(headline) {
        metrics.insert(format!("cv_{headline}"), summary.mean);
        metrics.insert(format!("{headline}_cv_std"), summary.std);
    }

    // Iterative learners report their training curves; they become step metrics of the run.
    let curves = MetricBuffer::new();
    let reporting = learner.with_metric_sink(curves.clone());
    let fit = fit_measured(reporting.as_deref().unwrap_or(learner), data.train)?;
    run.log_buffered(&curves)?;
    let predictions = fit.model.predict(data.test.features())?;
    let held_out = score(
        task,
        data.test.target(),
        &predictions,
        &EvalOptions::default(),
    )?;
    metrics.extend(
        held_out
            .values()
            .into_iter()
            .map(|(name, value)| (format!("{}{name}", data.held_out_prefix), value)),
    );
    metrics.insert("training_time_s".to_owned(), fit.fit_seconds);
    let model_file = save_model(run, &fit.model.to_bytes()?, &mut metrics)?;
    log_finite(run, &metrics)?;
    Ok(ExperimentMetrics {
        metrics,
        model_file,
    })
}

/// Every metric of `task` for predictions of rows whose true values are `target`.
pub(crate) fn score(
    task: Task,
    target: &Target,
    predictions: &Predictions,
    options: &EvalOptions,
) -> specweave_core::Result<EvalReport> {
    let to_core = |e: specweave_eval::EvalError| specweave_core::Error::InvalidInput(e.to_string());
    let labels = target
        .as_f64()
        .ok_or_else(|| specweave_core::Error::InvalidInput("rows without a target".into()))?;
    let labels = labels.to_vec();
    let report = match predictions.probabilities() {
        Some(probabilities) if probabilities.ncols() > 2 => {
            let scores = vec![0.0; labels.len()];
            evaluate(
                task,
                &EvalInput::scored(&labels, &scores).with_probabilities(probabilities.view()),
                options,
            )
        }
        _ => {
            let scores = predictions.scores()?.to_vec();
            evaluate(task, &EvalInput::scored(&labels, &scores), options)
        }
    };
    report.map_err(to_core)
}

/// How an experiment builds its unfitted model inside its run (opaque in debug output).
struct Build<F: ?Sized>(Box<F>);

impl<F: ?Sized> std::fmt::Debug for Build<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Build(..)")
    }
}

/// Refuses an empty list of experiments.
fn check_not_empty(experiments: usize) -> Result<()> {
    if experiments == 0 {
        return Err(Error::invalid(
            "experiments",
            "the list is empty; give at least one experiment to run",
        ));
    }
    Ok(())
}

/// Runs one experiment as a tracked run of its own: sets its role and headline metric and
/// lets `measure` fill it. The run finishes when `measure` succeeds; otherwise it is marked
/// failed with the error as its note, and the error becomes the result's outcome. Only
/// tracking failures (the run cannot be written) are returned as errors.
fn track(
    tracker: &Tracker,
    name: &str,
    role: Role,
    headline: &str,
    measure: impl FnOnce(&Run) -> Result<ExperimentMetrics>,
) -> Result<ExperimentResult> {
    let run = tracker.start_experiment(name)?;
    let run_id = run.id();
    let measured = (|| {
        run.set_role(role)?;
        run.set_headline_metric(headline)?;
        measure(&run)
    })();
    let outcome = match measured {
        Ok(metrics) => {
            run.finish()?;
            Ok(metrics)
        }
        Err(error) => {
            let message = error.to_string();
            run.fail(&message)?;
            Err(message)
        }
    };
    Ok(ExperimentResult {
        name: name.to_owned(),
        run_id,
        role,
        outcome,
    })
}

/// Records the algorithm and its hyperparameters (each top-level key of an object as a
/// param of its own).
fn log_model(run: &Run, algorithm: &str, params: serde_json::Value) -> Result<()> {
    run.set_algorithm(algorithm)?;
    match params {
        serde_json::Value::Object(params) => run.log_params(params)?,
        other => run.log_param("params", other)?,
    }
    Ok(())
}

/// Writes a fitted model's bytes to the run's `artifacts/model.swm`, records their size as
/// `model_size_bytes`, and returns the file.
fn save_model(run: &Run, bytes: &[u8], metrics: &mut BTreeMap<String, f64>) -> Result<PathBuf> {
    let model_file = run
        .dir()
        .join(specweave_tracking::ARTIFACTS_DIR)
        .join(MODEL_FILE);
    write_atomic(&model_file, bytes)?;
    metrics.insert("model_size_bytes".to_owned(), bytes.len() as f64);
    Ok(model_file)
}

/// Logs the finite metrics at step 0 (an undefined metric is left out rather than stored
/// as NaN).
pub(crate) fn log_finite(run: &Run, metrics: &BTreeMap<String, f64>) -> Result<()> {
    run.log_metrics(
        metrics
            .iter()
            .filter(|(_, v)| v.is_finite())
            .map(|(k, v)| (k.as_str(), *v)),
        0,
    )?;
    Ok(())
}

/// How the finished runs are ranked for registration.
struct Ranking {
    /// The metric key compared, as the results hold it (prefix included).
    metric: String,
    /// Whether a smaller value wins.
    lower_is_better: bool,
    /// Whether the winner is registered.
    register: bool,
}

/// Writes `experiments/comparison.md` and, when asked, registers the best finished
/// non-baseline run.
fn conclude(
    tracker: &Tracker,
    results: Vec<ExperimentResult>,
    headline_metric: String,
    ranking: &Ranking,
) -> Result<ExperimentsOutcome> {
    let (comparison, _) = tracker.write_comparison()?;
    let registered = if ranking.register {
        register_best(tracker, &results, ranking)?
    } else {
        None
    };
    Ok(ExperimentsOutcome {
        results,
        headline_metric,
        comparison,
        registered,
    })
}

/// Registers the best finished non-baseline experiment by the ranking metric.
fn register_best(
    tracker: &Tracker,
    results: &[ExperimentResult],
    ranking: &Ranking,
) -> Result<Option<ModelVersion>> {
    let best = results
        .iter()
        .filter(|r| r.role != Role::Baseline)
        .filter_map(|r| {
            let metrics = r.outcome.as_ref().ok()?;
            let value = *metrics.metrics.get(&ranking.metric)?;
            value.is_finite().then_some((r, metrics, value))
        })
        .reduce(|best, next| {
            let better = if ranking.lower_is_better {
                next.2 < best.2
            } else {
                next.2 > best.2
            };
            if better { next } else { best }
        });
    let Some((result, metrics, _)) = best else {
        return Ok(None);
    };
    let version = ModelRegistry::new(tracker).register(RegisterModel::new(
        result.run_id.clone(),
        &metrics.model_file,
    ))?;
    Ok(Some(version))
}
