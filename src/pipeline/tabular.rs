//! The tabular pipeline: classification and regression increments from a CSV or Parquet
//! file (or generated rows) to a validated, completed increment.
//!
//! T-001 profiles the data and writes its schema; T-002 splits it (stratified for classes)
//! and fits the feature pipeline on the training rows only; T-003 cross-validates the
//! baselines and scores them on the test rows; T-004 cross-validates at least three
//! candidate families and scores them on a validation split carved from training (`val_`
//! metrics), so the test rows stay untouched; T-005 searches a grid around the best family
//! on the same split; T-006 refits the winner on all training rows (with a decision
//! threshold tuned out of fold when asked), scores it once on the test rows with bootstrap
//! intervals and writes the comparison; T-007 explains it with SHAP values; T-008 measures
//! single-row latency and throughput and writes a serving bundle; T-009 writes the living
//! docs. The increment is then validated and closed when its criteria pass.
//!
//! ```no_run
//! use specweave::pipeline::tabular::{TabularConfig, run_tabular};
//! use specweave::spec::Increment;
//!
//! let mut increment = Increment::create(std::path::Path::new(".specweave"), "predict churn", None)?;
//! let outcome = run_tabular(&mut increment, &TabularConfig::from_file("churn.csv", "churned"))?;
//! println!("{}", outcome.summary_table());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::living_docs::{Closing, LivingDocs, PipelineFacts, SyncedDocs, close_increment};
use super::{TaskRunner, TaskSelection, nan_tolerant};
use crate::error::{Error, Result, write_atomic};
use crate::experiments::{Experiment, ExperimentData, ExperimentsOutcome, run_experiments};
use ndarray::Array2;
use specweave_core::{Dataset, FeatureKind, Learner, Model, ProblemKind, Splitter, Target};
use specweave_data::pipeline::{FeaturePipeline, FittedPipeline, Imputation, UnseenCategory};
use specweave_data::split::{Holdout, StratifiedKFold};
use specweave_data::{
    ColumnRole, LoadOptions, ProfileOptions, SampleOptions, SchemaOptions, Table, TargetKind,
    infer_schema, load_dataset, profile_file, write_parquet, write_sample,
};
use specweave_eval::latency::{LatencyConfig, model_latency, model_throughput};
use specweave_eval::registry::Task;
use specweave_eval::report::EvalOptions;
use specweave_explain::{KernelExplainer, ShapValues, TreeExplainer, impurity_importance};
use specweave_spec::{Increment, ValidationReport, default_headline_metric, lower_is_better};
use specweave_tracking::{MetricBuffer, ModelRegistry, RegisterModel, Role, Tracker};
use specweave_train::{
    ClassWeight, ClassWeighted, ThresholdObjective, ThresholdTuned, honours_class_weight,
    learner_from_params,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File name of a model inside a run's `artifacts/`.
const MODEL_FILE: &str = "model.swm";

/// Where the rows come from.
#[derive(Debug, Clone)]
pub enum TabularSource {
    /// A CSV or Parquet file and the name of its target column.
    File {
        /// The file.
        path: PathBuf,
        /// The target column.
        target: String,
    },
    /// Rows already in memory (generated data in examples and tests).
    Rows(Box<Dataset>),
}

/// A learner by its registered name and JSON parameters (`{}` for defaults).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LearnerSpec {
    /// Experiment name, e.g. `random-forest`.
    pub name: String,
    /// Registered learner name, e.g. `random_forest`.
    pub learner: String,
    /// Parameters.
    pub params: serde_json::Value,
}

impl LearnerSpec {
    /// A learner spec.
    pub fn new(name: &str, learner: &str, params: serde_json::Value) -> LearnerSpec {
        LearnerSpec {
            name: name.to_owned(),
            learner: learner.to_owned(),
            params,
        }
    }

    fn build(&self) -> Result<Arc<dyn Learner>> {
        Ok(Arc::from(learner_from_params(&self.learner, &self.params)?))
    }
}

/// Settings of [`run_tabular`]; defaults per problem kind, so only the data is required.
#[derive(Clone)]
pub struct TabularConfig {
    source: TabularSource,
    test_fraction: f64,
    validation_fraction: f64,
    folds: usize,
    seed: u64,
    baselines: Option<Vec<LearnerSpec>>,
    candidates: Option<Vec<LearnerSpec>>,
    max_trials: usize,
    threshold: Option<ThresholdObjective>,
    class_weight: Option<ClassWeight>,
    resamples: usize,
    explained_rows: usize,
    latency_calls: usize,
    living_docs: Option<Arc<dyn LivingDocs>>,
}

impl std::fmt::Debug for TabularConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TabularConfig")
            .field("source", &self.source)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl TabularConfig {
    /// Rows from a CSV or Parquet file with `target` as the column to predict.
    pub fn from_file(path: impl Into<PathBuf>, target: impl Into<String>) -> TabularConfig {
        TabularConfig::with_source(TabularSource::File {
            path: path.into(),
            target: target.into(),
        })
    }

    /// Rows in memory; they are written to `data/dataset.parquet` first.
    pub fn from_rows(rows: Dataset) -> TabularConfig {
        TabularConfig::with_source(TabularSource::Rows(Box::new(rows)))
    }

    fn with_source(source: TabularSource) -> TabularConfig {
        TabularConfig {
            source,
            test_fraction: 0.2,
            validation_fraction: 0.25,
            folds: 3,
            seed: 42,
            baselines: None,
            candidates: None,
            max_trials: 6,
            threshold: None,
            class_weight: None,
            resamples: 1000,
            explained_rows: 200,
            latency_calls: 2000,
            living_docs: Some(Arc::new(SyncedDocs::default())),
        }
    }

    /// Fraction of rows held out as the test set (default 0.2).
    pub fn test_fraction(mut self, fraction: f64) -> Self {
        self.test_fraction = fraction;
        self
    }

    /// Cross-validation folds (default 3).
    pub fn folds(mut self, folds: usize) -> Self {
        self.folds = folds;
        self
    }

    /// Seed of splits, models and resampling (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Replaces the default baselines.
    pub fn baselines(mut self, baselines: Vec<LearnerSpec>) -> Self {
        self.baselines = Some(baselines);
        self
    }

    /// Replaces the default candidates (at least three for validation to pass).
    pub fn candidates(mut self, candidates: Vec<LearnerSpec>) -> Self {
        self.candidates = Some(candidates);
        self
    }

    /// Tuning trials at most (default 6).
    pub fn max_trials(mut self, trials: usize) -> Self {
        self.max_trials = trials;
        self
    }

    /// Tunes the final classifier's decision threshold out of fold for this objective,
    /// e.g. `ThresholdObjective::MinPrecision(0.99)` for fraud review queues.
    pub fn threshold(mut self, objective: ThresholdObjective) -> Self {
        self.threshold = Some(objective);
        self
    }

    /// Fits the classification candidates that take sample weights with these class
    /// weights (scikit-learn's `class_weight=`), e.g. `ClassWeight::Balanced` when the
    /// positives are rare; a candidate whose params set `class_weight` keeps its own.
    pub fn class_weight(mut self, class_weight: ClassWeight) -> Self {
        self.class_weight = Some(class_weight);
        self
    }

    /// The candidates of T-004: the configured ones or the defaults, class-weighted when
    /// asked.
    fn candidate_specs(&self, problem: ProblemKind) -> Vec<LearnerSpec> {
        let mut specs = self
            .candidates
            .clone()
            .unwrap_or_else(|| default_candidates(problem, self.seed));
        let Some(class_weight) = self.class_weight.as_ref() else {
            return specs;
        };
        if problem != ProblemKind::Classification {
            return specs;
        }
        let value = ClassWeighted::param(class_weight);
        for spec in &mut specs {
            if !honours_class_weight(&spec.learner) {
                tracing::info!(
                    "{} ({}) does not take sample weights; fitted without class weights",
                    spec.name,
                    spec.learner
                );
                continue;
            }
            if spec.params.is_null() {
                spec.params = serde_json::json!({});
            }
            if let Some(map) = spec.params.as_object_mut() {
                map.entry("class_weight").or_insert_with(|| value.clone());
            }
        }
        specs
    }

    /// Bootstrap resamples for the intervals (default 1000).
    pub fn resamples(mut self, resamples: usize) -> Self {
        self.resamples = resamples;
        self
    }

    /// Test rows explained with SHAP values (default 200).
    pub fn explained_rows(mut self, rows: usize) -> Self {
        self.explained_rows = rows;
        self
    }

    /// Timed single-row predictions (default 2000).
    pub fn latency_calls(mut self, calls: usize) -> Self {
        self.latency_calls = calls;
        self
    }

    /// Replaces the living-docs stage (`None` skips it and cancels T-009).
    pub fn living_docs(mut self, stage: Option<Arc<dyn LivingDocs>>) -> Self {
        self.living_docs = stage;
        self
    }

    fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("test fraction", self.test_fraction),
            ("validation fraction", self.validation_fraction),
        ] {
            if !(value > 0.0 && value < 1.0) {
                return Err(Error::invalid(
                    "tabular config",
                    format!("{name} must be in (0, 1), got {value}"),
                ));
            }
        }
        if self.folds < 2 {
            return Err(Error::invalid(
                "tabular config",
                format!(
                    "cross-validation needs at least 2 folds, got {}",
                    self.folds
                ),
            ));
        }
        if self.latency_calls == 0 {
            return Err(Error::invalid(
                "tabular config",
                "latency needs at least one timed call",
            ));
        }
        Ok(())
    }
}

/// Default baselines of a problem kind (the spec's baseline rule).
pub fn default_baselines(problem: ProblemKind) -> Vec<LearnerSpec> {
    use serde_json::json;
    match problem {
        ProblemKind::Regression => vec![
            LearnerSpec::new("baseline-mean", "dummy_regressor", json!({})),
            LearnerSpec::new("baseline-linear-regression", "linear_regression", json!({})),
        ],
        _ => vec![
            LearnerSpec::new(
                "baseline-majority",
                "dummy_classifier",
                json!({"strategy": "most_frequent"}),
            ),
            LearnerSpec::new(
                "baseline-logistic-regression",
                "logistic_regression",
                json!({}),
            ),
        ],
    }
}

/// Default candidate families of a problem kind.
pub fn default_candidates(problem: ProblemKind, seed: u64) -> Vec<LearnerSpec> {
    use serde_json::json;
    let forest = json!({"n_estimators": 100, "seed": seed});
    let boosting = json!({"n_estimators": 150, "learning_rate": 0.1, "seed": seed});
    let mlp = json!({"hidden_layers": [32, 16], "epochs": 30, "batch_size": 128, "seed": seed});
    match problem {
        ProblemKind::Regression => vec![
            LearnerSpec::new("ridge", "ridge", json!({"alpha": 1.0})),
            LearnerSpec::new("random-forest", "random_forest", forest),
            LearnerSpec::new("gradient-boosting", "gradient_boosting", boosting),
            LearnerSpec::new("mlp", "mlp_regressor", mlp),
        ],
        _ => vec![
            LearnerSpec::new("random-forest", "random_forest", forest),
            LearnerSpec::new("gradient-boosting", "gradient_boosting", boosting),
            LearnerSpec::new("mlp", "mlp_classifier", mlp),
        ],
    }
}

/// Parameter variations searched around a family in T-005 (keys merged into its params).
fn search_grid(learner: &str) -> Vec<serde_json::Value> {
    use serde_json::json;
    match learner {
        "gradient_boosting" => [0.05, 0.1]
            .into_iter()
            .flat_map(|lr| {
                [15, 31].into_iter().flat_map(move |leaves| {
                    [100, 250].into_iter().map(move |n| {
                        json!({"learning_rate": lr, "num_leaves": leaves, "n_estimators": n})
                    })
                })
            })
            .collect(),
        "random_forest" => [100, 200]
            .into_iter()
            .flat_map(|n| {
                [2, 5]
                    .into_iter()
                    .map(move |leaf| json!({"n_estimators": n, "min_samples_leaf": leaf}))
            })
            .collect(),
        "mlp_classifier" | "mlp_regressor" => [vec![32, 16], vec![64, 32], vec![64]]
            .into_iter()
            .flat_map(|layers| {
                [0.001, 0.003]
                    .into_iter()
                    .map(move |lr| json!({"hidden_layers": layers.clone(), "learning_rate": lr}))
            })
            .collect(),
        "ridge" | "logistic_regression" => [0.01, 0.1, 1.0, 10.0]
            .into_iter()
            .map(|alpha| json!({"alpha": alpha}))
            .collect(),
        _ => Vec::new(),
    }
}

/// What a tabular pipeline run produced.
#[derive(Debug)]
pub struct TabularOutcome {
    /// The increment folder.
    pub increment_dir: PathBuf,
    /// Classification or regression.
    pub problem: ProblemKind,
    /// The headline metric, e.g. `roc_auc`.
    pub headline: String,
    /// Baselines (T-003), scored on the test rows.
    pub baselines: ExperimentsOutcome,
    /// Candidates (T-004), scored on the validation split (`val_` metrics).
    pub candidates: ExperimentsOutcome,
    /// Tuning trials (T-005), `None` when the best family has no search grid.
    pub trials: Option<ExperimentsOutcome>,
    /// The final run id.
    pub final_run: String,
    /// The final learner and its parameters.
    pub final_learner: LearnerSpec,
    /// The final model's test metrics with intervals and serving measurements.
    pub final_metrics: BTreeMap<String, f64>,
    /// The tuned decision threshold, for classifiers tuned to an objective.
    pub threshold: Option<f64>,
    /// The registered version, e.g. `0002-v1`.
    pub model_version: String,
    /// Living docs written (T-009), `None` when no stage is configured.
    pub living_docs: Option<Vec<PathBuf>>,
    /// The validation report at closing time.
    pub validation: ValidationReport,
    /// `COMPLETION-SUMMARY.md`, when the increment was closed.
    pub summary_path: Option<PathBuf>,
}

impl TabularOutcome {
    /// A short table: every baseline and candidate with its headline metric, and the final
    /// model with its interval.
    pub fn summary_table(&self) -> String {
        let mut out = format!("{:<34} {:<10} {:>14}\n", "run", "role", self.headline);
        let rows = [
            ("baseline", &self.baselines, ""),
            ("candidate", &self.candidates, "val_"),
        ];
        for (role, outcome, prefix) in rows {
            for result in &outcome.results {
                let value = result
                    .outcome
                    .as_ref()
                    .ok()
                    .and_then(|m| m.metrics.get(&format!("{prefix}{}", self.headline)))
                    .map_or_else(|| "failed".to_owned(), |v| format!("{v:.4}"));
                let shown = if prefix.is_empty() {
                    value
                } else {
                    format!("{value} (val)")
                };
                let _ = writeln!(out, "{:<34} {role:<10} {shown:>14}", result.run_id);
            }
        }
        let metric = |name: &str| self.final_metrics.get(name).copied().unwrap_or(f64::NAN);
        let _ = writeln!(
            out,
            "{:<34} {:<10} {:>14.4} [{:.4}, {:.4}]",
            self.final_run,
            "final",
            metric(&self.headline),
            metric(&format!("{}_ci_lower", self.headline)),
            metric(&format!("{}_ci_upper", self.headline)),
        );
        let _ = writeln!(
            out,
            "latency p99 {:.3} ms, throughput {:.0} req/s, model {}",
            metric("latency_p99_ms"),
            metric("throughput_rps"),
            self.model_version
        );
        out
    }
}

/// The split and transformed rows every stage after T-002 uses.
struct Prepared {
    problem: ProblemKind,
    train: Dataset,
    test: Dataset,
    inner_train: Dataset,
    validation: Dataset,
    pipeline: FittedPipeline,
}

/// What T-006 to T-008 leave behind: the final run, finished and registered.
#[derive(serde::Serialize, serde::Deserialize)]
struct FinalModel {
    run_id: String,
    /// Test metrics with intervals, then the serving measurements.
    #[serde(deserialize_with = "nan_tolerant::map")]
    metrics: BTreeMap<String, f64>,
    threshold: Option<f64>,
    model_version: String,
}

/// Runs every task of a classification or regression increment and closes it when its
/// validation passes. A failing task stops the run with an error naming it and leaves the
/// earlier tasks completed; a re-run resumes at the first task that is not completed (see
/// [`run_tabular_tasks`] to force a full re-run or stop after one task).
pub fn run_tabular(increment: &mut Increment, config: &TabularConfig) -> Result<TabularOutcome> {
    run_tabular_tasks(increment, config, &TaskSelection::default())?
        .ok_or_else(|| Error::invalid("tabular pipeline", "stopped before its last task"))
}

/// [`run_tabular`] under a [`TaskSelection`]; `None` when the selection stopped the run
/// before the increment could be closed.
pub fn run_tabular_tasks(
    increment: &mut Increment,
    config: &TabularConfig,
    selection: &TaskSelection,
) -> Result<Option<TabularOutcome>> {
    config.validate()?;
    let problem = increment.metadata().problem;
    if !matches!(
        problem,
        ProblemKind::Classification | ProblemKind::Regression
    ) {
        return Err(Error::invalid(
            "tabular pipeline",
            format!(
                "runs classification and regression increments; {} is {}",
                increment.id(),
                problem.as_str()
            ),
        ));
    }
    let headline = default_headline_metric(problem).to_owned();
    let tracker = Tracker::open(increment.dir())?;
    let mut tasks = TaskRunner::new(increment, selection)?;

    let Some(data) = tasks.recomputed(
        "T-001",
        "Exploratory data analysis",
        || data_stage(increment, config, problem),
        || load_rows(increment, config, problem),
    )?
    else {
        return Ok(None);
    };
    let Some(prepared) = tasks.recomputed(
        "T-002",
        "Feature engineering",
        || feature_stage(increment, &data, config, problem, true),
        || feature_stage(increment, &data, config, problem, false),
    )?
    else {
        return Ok(None);
    };
    let Some(baselines) = tasks.saved("T-003", "Train baseline models", || {
        let specs = config
            .baselines
            .clone()
            .unwrap_or_else(|| default_baselines(problem));
        let experiments = experiments(&specs, Role::Baseline)?;
        let data = ExperimentData::new(&prepared.train, &prepared.test)
            .folds(config.folds)
            .seed(config.seed)
            .register(false);
        run_experiments(increment, experiments, &data)
    })?
    else {
        return Ok(None);
    };
    let candidate_specs = config.candidate_specs(problem);
    let validation_data = ExperimentData::new(&prepared.inner_train, &prepared.validation)
        .folds(config.folds)
        .seed(config.seed)
        .held_out_prefix("val_")
        .register(false);
    let Some(candidates) = tasks.saved("T-004", "Train candidate models", || {
        let outcome = run_experiments(
            increment,
            experiments(&candidate_specs, Role::Candidate)?,
            &validation_data,
        )?;
        if best_of(&outcome, &headline, &candidate_specs).is_none() {
            return Err(Error::invalid(
                "candidates",
                "every candidate failed; see the failed runs' notes",
            ));
        }
        Ok(outcome)
    })?
    else {
        return Ok(None);
    };
    let Some((trials, final_learner)) = tasks.saved("T-005", "Hyperparameter tuning", || {
        tuning_stage(
            increment,
            &candidates,
            &candidate_specs,
            &validation_data,
            &headline,
            config,
        )
    })?
    else {
        return Ok(None);
    };
    let Some(final_model) = tasks.group("T-006-T-008", &["T-006", "T-007", "T-008"], |tasks| {
        final_stages(
            tasks,
            increment,
            &tracker,
            &prepared,
            &final_learner,
            config,
            &headline,
        )
    })?
    else {
        return Ok(None);
    };
    if tasks.stopped() {
        return Ok(None);
    }

    let best_baseline = baselines
        .results
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok()?.metrics.get(&headline).copied())
        .filter(|v| v.is_finite())
        .reduce(|a, b| better(&headline, a, b))
        .unwrap_or(f64::NAN);
    let metric = |name: &str| final_model.metrics.get(name).copied().unwrap_or(f64::NAN);
    let facts = PipelineFacts {
        headline_metric: headline.clone(),
        best_value: metric(&headline),
        baseline_value: best_baseline,
        best_run: final_model.run_id.clone(),
        model_version: final_model.model_version.clone(),
        latency_p99_ms: metric("latency_p99_ms"),
        throughput_rps: metric("throughput_rps"),
    };
    let Closing {
        living_docs,
        validation,
        summary_path,
    } = close_increment(increment, config.living_docs.as_deref(), &facts)?;
    Ok(Some(TabularOutcome {
        increment_dir: increment.dir().to_path_buf(),
        problem,
        headline,
        baselines,
        candidates,
        trials,
        final_run: final_model.run_id,
        final_learner,
        final_metrics: final_model.metrics,
        threshold: final_model.threshold,
        model_version: final_model.model_version,
        living_docs,
        validation,
        summary_path,
    }))
}

/// T-006 to T-008 in the final model's run, which is then finished and registered.
fn final_stages(
    tasks: &mut TaskRunner<'_>,
    increment: &Increment,
    tracker: &Tracker,
    prepared: &Prepared,
    final_learner: &LearnerSpec,
    config: &TabularConfig,
    headline: &str,
) -> Result<FinalModel> {
    let run = tracker.start_experiment(&format!("{}-final", final_learner.name))?;
    let result = (|| -> Result<_> {
        run.set_role(Role::Tuning)?;
        run.set_headline_metric(headline)?;
        let evaluated = tasks.run("T-006", "Evaluate against the success criteria", || {
            evaluation_stage(&run, prepared, final_learner, config, headline)
        })?;
        tasks.run("T-007", "Explainability", || {
            explanation_stage(&run, prepared, evaluated.model.as_ref(), config)
        })?;
        let serving = tasks.run("T-008", "Deployment preparation", || {
            deployment_stage(increment, &run, prepared, &evaluated, config)
        })?;
        Ok((evaluated, serving))
    })();
    let (evaluated, serving) = match result {
        Ok(done) => done,
        Err(error) => {
            run.fail(&error.to_string())?;
            return Err(error);
        }
    };
    let record = run.finish()?;
    let version = ModelRegistry::new(tracker).register(
        RegisterModel::new(record.id.clone(), &evaluated.model_path)
            .algorithm(&final_learner.learner)
            .framework("specweave-train"),
    )?;
    tracker.write_comparison()?;
    let mut metrics = evaluated.metrics;
    metrics.extend(serving);
    Ok(FinalModel {
        run_id: record.id,
        metrics,
        threshold: evaluated.threshold,
        model_version: version.metadata.version,
    })
}

fn better(headline: &str, a: f64, b: f64) -> f64 {
    if lower_is_better(headline) {
        a.min(b)
    } else {
        a.max(b)
    }
}

fn experiments(specs: &[LearnerSpec], role: Role) -> Result<Vec<Experiment>> {
    specs
        .iter()
        .map(|spec| Ok(Experiment::shared(spec.name.clone(), spec.build()?).role(role)))
        .collect()
}

/// T-001: the rows as `data/dataset.parquet` (when given in memory), their profile and EDA
/// summary, the inferred schema and a stratified sample; then the rows as a dataset.
fn data_stage(
    increment: &Increment,
    config: &TabularConfig,
    problem: ProblemKind,
) -> Result<Dataset> {
    let data_dir = increment.dir().join("data");
    if let TabularSource::Rows(rows) = &config.source {
        write_parquet(data_dir.join("dataset.parquet"), &rows_table(rows)?)?;
    }
    let (path, target) = data_source(increment, config);
    let data = load_rows(increment, config, problem)?;
    profile_file(&path, &ProfileOptions::new().target(&target))?.write_to(&data_dir)?;
    infer_schema(
        &path,
        &SchemaOptions::new().role(&target, ColumnRole::Target),
    )?
    .write(data_dir.join("schema.yaml"))?;
    let mut sample = SampleOptions::new(1_000).seed(config.seed);
    if problem == ProblemKind::Classification {
        sample = sample.stratify_by(&target);
    }
    write_sample(&path, data_dir.join("sample.parquet"), &sample)?;
    Ok(data)
}

/// The file the rows are read from (in-memory rows are written by T-001) and the target.
fn data_source(increment: &Increment, config: &TabularConfig) -> (PathBuf, String) {
    match &config.source {
        TabularSource::File { path, target } => (path.clone(), target.clone()),
        TabularSource::Rows(_) => (
            increment.dir().join("data").join("dataset.parquet"),
            "target".to_owned(),
        ),
    }
}

/// The rows as a dataset, read from the file T-001 profiled; also how a resumed run gets
/// them back without redoing T-001.
fn load_rows(
    increment: &Increment,
    config: &TabularConfig,
    problem: ProblemKind,
) -> Result<Dataset> {
    let (path, target) = data_source(increment, config);
    let target_kind = if problem == ProblemKind::Regression {
        TargetKind::Continuous
    } else {
        TargetKind::Classes
    };
    Ok(load_dataset(
        &path,
        &LoadOptions::new().target(&target).target_kind(target_kind),
    )?)
}

/// In-memory rows as a table: one column per feature (categories by name) and `target`.
fn rows_table(rows: &Dataset) -> Result<Table> {
    let mut builder = Table::builder();
    for (j, (name, kind)) in rows
        .feature_names()
        .iter()
        .zip(rows.feature_kinds())
        .enumerate()
    {
        let column = rows.features().column(j).to_vec();
        builder = match kind {
            FeatureKind::Categorical { categories } => builder.strings(
                name,
                column.iter().map(|&code| {
                    if code.is_finite() {
                        categories.get(code as usize).map_or("", String::as_str)
                    } else {
                        ""
                    }
                }),
            ),
            _ => builder.f64(name, column),
        };
    }
    builder = match rows.target() {
        Target::Classes {
            labels,
            class_names,
        } => builder.strings("target", labels.iter().map(|&l| class_names[l].as_str())),
        Target::Continuous(values) => builder.f64("target", values.to_vec()),
        Target::None => {
            return Err(Error::invalid("rows", "the rows have no target to learn"));
        }
    };
    Ok(builder.build()?)
}

/// T-002: test split (stratified for classes), the feature pipeline fitted on the training
/// rows only (median imputation and standard scaling of numeric columns, one-hot encoding
/// of categorical ones), and a validation split carved from the training rows.
fn feature_stage(
    increment: &Increment,
    data: &Dataset,
    config: &TabularConfig,
    problem: ProblemKind,
    write: bool,
) -> Result<Prepared> {
    let classes = problem == ProblemKind::Classification;
    let split = |rows: &Dataset, fraction: f64| -> Result<(Dataset, Dataset)> {
        let folds = Holdout::new(fraction)
            .stratified(classes)
            .seed(config.seed)
            .split(rows)?;
        let fold = folds
            .into_iter()
            .next()
            .ok_or_else(|| Error::invalid("split", "the hold-out split gave no fold"))?;
        Ok((
            rows.select_rows(&fold.train)?,
            rows.select_rows(&fold.validation)?,
        ))
    };
    let (raw_train, raw_test) = split(data, config.test_fraction)?;
    let mut numeric = Vec::new();
    let mut categorical = Vec::new();
    for (name, kind) in data.feature_names().iter().zip(data.feature_kinds()) {
        match kind {
            FeatureKind::Categorical { .. } => categorical.push(name.clone()),
            _ => numeric.push(name.clone()),
        }
    }
    let mut steps = FeaturePipeline::new();
    if !numeric.is_empty() {
        steps = steps
            .impute(numeric.clone(), Imputation::Median)
            .standard_scale(numeric);
    }
    if !categorical.is_empty() {
        steps = steps
            .impute(categorical.clone(), Imputation::MostFrequent)
            .one_hot(categorical, UnseenCategory::Ignore);
    }
    let pipeline = steps.fit(&raw_train)?;
    let train = pipeline.transform(&raw_train)?;
    let test = pipeline.transform(&raw_test)?;
    let (inner_train, validation) = split(&train, config.validation_fraction)?;
    let prepared = Prepared {
        problem,
        train,
        test,
        inner_train,
        validation,
        pipeline,
    };
    if write {
        write_feature_documents(increment, &prepared, config)?;
    }
    Ok(prepared)
}

/// `data/feature-pipeline.json` and `data/split.json`.
fn write_feature_documents(
    increment: &Increment,
    prepared: &Prepared,
    config: &TabularConfig,
) -> Result<()> {
    let Prepared {
        problem,
        train,
        test,
        inner_train,
        validation,
        pipeline,
    } = prepared;
    let classes = *problem == ProblemKind::Classification;
    let dir = increment.dir().join("data");
    write_atomic(
        &dir.join("feature-pipeline.json"),
        pipeline.to_json()?.as_bytes(),
    )?;
    let summary = serde_json::json!({
        "protocol": if classes { "stratified hold-out test split; validation carved from training the same way" } else { "random hold-out test split; validation carved from training" },
        "test_fraction": config.test_fraction,
        "validation_fraction_of_train": config.validation_fraction,
        "rows": { "train": train.n_rows(), "test": test.n_rows(), "inner_train": inner_train.n_rows(), "validation": validation.n_rows() },
        "features_in": pipeline.input_names(),
        "features_out": pipeline.output_names(),
        "seed": config.seed,
    });
    let json = serde_json::to_vec_pretty(&summary).map_err(|source| Error::Json {
        what: "data/split.json".into(),
        source,
    })?;
    write_atomic(&dir.join("split.json"), &json)
}

/// The best finished candidate's spec by its validation headline metric.
fn best_of<'a>(
    outcome: &ExperimentsOutcome,
    headline: &str,
    specs: &'a [LearnerSpec],
) -> Option<(&'a LearnerSpec, f64)> {
    let key = format!("val_{headline}");
    outcome
        .results
        .iter()
        .filter_map(|r| {
            let value = *r.outcome.as_ref().ok()?.metrics.get(&key)?;
            let spec = specs.iter().find(|s| s.name == r.name)?;
            value.is_finite().then_some((spec, value))
        })
        .reduce(|a, b| {
            if better(headline, a.1, b.1) == b.1 && b.1 != a.1 {
                b
            } else {
                a
            }
        })
}

/// T-005: a grid around the best candidate family, scored on the validation split; the
/// candidate's own configuration competes, so tuning never makes things worse.
fn tuning_stage(
    increment: &Increment,
    candidates: &ExperimentsOutcome,
    specs: &[LearnerSpec],
    data: &ExperimentData<'_>,
    headline: &str,
    config: &TabularConfig,
) -> Result<(Option<ExperimentsOutcome>, LearnerSpec)> {
    let (best, best_value) = best_of(candidates, headline, specs)
        .ok_or_else(|| Error::invalid("tuning", "no candidate finished"))?;
    let base = best.build()?.params();
    let grid = search_grid(&best.learner);
    let stride = grid.len().div_ceil(config.max_trials.max(1)).max(1);
    let trial_specs: Vec<LearnerSpec> = grid
        .into_iter()
        .step_by(stride)
        .enumerate()
        .map(|(i, patch)| {
            let mut params = base.clone();
            if let (Some(map), Some(patch)) = (params.as_object_mut(), patch.as_object()) {
                for (key, value) in patch {
                    map.insert(key.clone(), value.clone());
                }
            }
            LearnerSpec::new(
                &format!("tune-{}-trial-{:02}", best.name, i + 1),
                &best.learner,
                params,
            )
        })
        .collect();
    if trial_specs.is_empty() {
        return Ok((None, best.clone()));
    }
    let outcome = run_experiments(increment, experiments(&trial_specs, Role::Tuning)?, data)?;
    let chosen = match best_of(&outcome, headline, &trial_specs) {
        Some((trial, value))
            if better(headline, value, best_value) == value && value != best_value =>
        {
            trial.clone()
        }
        _ => best.clone(),
    };
    Ok((Some(outcome), chosen))
}

/// The final model after T-006.
struct Evaluated {
    model: Box<dyn Model>,
    model_path: PathBuf,
    metrics: BTreeMap<String, f64>,
    threshold: Option<f64>,
}

/// T-006: fits the chosen configuration on all training rows (tuning its threshold out of
/// fold when asked), scores it once on the test rows with bootstrap intervals, and saves
/// the model, the predictions and the training curve.
fn evaluation_stage(
    run: &specweave_tracking::Run,
    prepared: &Prepared,
    chosen: &LearnerSpec,
    config: &TabularConfig,
    headline: &str,
) -> Result<Evaluated> {
    run.set_algorithm(&chosen.learner)?;
    run.log_param("algorithm", chosen.learner.as_str())?;
    match &chosen.params {
        serde_json::Value::Object(params) if !params.is_empty() => {
            run.log_params(params.clone())?
        }
        _ => {}
    }
    run.log_dataset(&prepared.train)?;
    let curves = MetricBuffer::new();
    let inner = chosen.build()?;
    let inner: Arc<dyn Learner> = match inner.with_metric_sink(curves.clone()) {
        Some(reporting) => Arc::from(reporting),
        None => inner,
    };
    let (model, threshold): (Box<dyn Model>, Option<f64>) = match config.threshold {
        Some(objective) if prepared.problem == ProblemKind::Classification => {
            run.log_param(
                "threshold_objective",
                serde_json::to_value(objective).unwrap_or_default(),
            )?;
            let tuned = ThresholdTuned::new(
                inner,
                Arc::new(StratifiedKFold::new(config.folds).shuffled(config.seed)),
                objective,
            )
            .fit_thresholded(&prepared.train)?;
            let threshold = tuned.choice().threshold;
            (Box::new(tuned), Some(threshold))
        }
        _ => (inner.fit(&prepared.train)?, None),
    };
    run.log_buffered(&curves)?;
    let predictions = model.predict(prepared.test.features())?;
    let mut options = EvalOptions::default()
        .bootstrap(config.resamples)
        .seed(config.seed);
    if let Some(t) = threshold {
        options = options.threshold(t);
        run.log_param("decision_threshold", t)?;
    }
    let task = Task::from(prepared.problem);
    let report = crate::experiments::score(task, prepared.test.target(), &predictions, &options)?;
    let metrics = super::interval_metrics(&report);
    crate::experiments::log_finite(run, &metrics)?;
    if !metrics.contains_key(headline) {
        return Err(Error::invalid(
            "evaluation",
            format!("the report has no `{headline}`"),
        ));
    }
    let bytes = model.to_bytes()?;
    let model_path = run
        .dir()
        .join(specweave_tracking::ARTIFACTS_DIR)
        .join(MODEL_FILE);
    write_atomic(&model_path, &bytes)?;
    run.log_metric("model_size_bytes", bytes.len() as f64, 0)?;
    if let (
        Target::Classes {
            labels,
            class_names,
        },
        Some(scores),
    ) = (
        prepared.test.target(),
        predictions.probabilities().filter(|p| p.ncols() == 2),
    ) {
        run.save_artifact(
            "predictions.json",
            &serde_json::json!({
                "y_true": labels,
                "scores": scores.column(1).to_vec(),
                "threshold": threshold.unwrap_or(0.5),
                "class_names": class_names,
            }),
        )?;
    }
    Ok(Evaluated {
        model,
        model_path,
        metrics,
        threshold,
    })
}

/// T-007: SHAP values of test rows (TreeSHAP for tree models, KernelSHAP over a k-means
/// background otherwise), saved as `shap_values.json` and `shap_values.parquet`, with
/// impurity importances for tree models.
fn explanation_stage(
    run: &specweave_tracking::Run,
    prepared: &Prepared,
    model: &dyn Model,
    config: &TabularConfig,
) -> Result<()> {
    let n = config
        .explained_rows
        .clamp(1, prepared.test.n_rows().max(1));
    let rows = prepared
        .test
        .features()
        .slice(ndarray::s![..n.min(prepared.test.n_rows()), ..])
        .to_owned();
    let names = prepared.pipeline.output_names().to_vec();
    let to_core = |e: specweave_explain::ExplainError| {
        Error::Core(specweave_core::Error::InvalidInput(e.to_string()))
    };
    let (shap, method): (ShapValues, &str) = match model.as_tree_model() {
        Some(trees) => {
            let shap = TreeExplainer::from_model(trees)
                .and_then(|e| e.feature_names(&names))
                .and_then(|e| e.shap_values(rows.view()))
                .map_err(to_core)?;
            let importance = impurity_importance(trees.tree_ensemble(), &names).map_err(to_core)?;
            run.save_artifact(
                "feature_importance.json",
                &serde_json::json!({
                    "feature_names": importance.feature_names,
                    "importances": importance.mean,
                    "method": "gain",
                }),
            )?;
            (shap, "tree")
        }
        None => {
            let background = prepared.train.features();
            let shap = KernelExplainer::summarized(model, background, 10, config.seed)
                .map(|e| e.seed(config.seed))
                .and_then(|e| e.shap_values(rows.view()))
                .map_err(to_core)?;
            (shap, "kernel")
        }
    };
    let output = shap.n_outputs() - 1;
    let values: Vec<Vec<f64>> = shap
        .output(output)
        .rows()
        .into_iter()
        .map(|r| r.to_vec())
        .collect();
    let base_value = shap
        .columns()
        .into_iter()
        .filter(|(name, _)| name.starts_with("expected_value"))
        .nth(output)
        .and_then(|(_, v)| v.first().copied())
        .unwrap_or(f64::NAN);
    let feature_values: Vec<Vec<f64>> = rows.rows().into_iter().map(|r| r.to_vec()).collect();
    run.save_artifact(
        "shap_values.json",
        &serde_json::json!({
            "feature_names": names,
            "base_value": base_value,
            "values": values,
            "feature_values": feature_values,
            "method": method,
        }),
    )?;
    let table = shap
        .columns()
        .into_iter()
        .fold(Table::builder(), |b, (name, column)| b.f64(name, column))
        .build()?;
    write_parquet(
        run.dir()
            .join(specweave_tracking::ARTIFACTS_DIR)
            .join("shap_values.parquet"),
        &table,
    )?;
    run.log_param("explainer", method)?;
    Ok(())
}

/// T-008: single-row latency and concurrent throughput of the model, and a serving bundle
/// (model, feature pipeline, reference profile, threshold) under `models/bundle/`.
fn deployment_stage(
    increment: &Increment,
    run: &specweave_tracking::Run,
    prepared: &Prepared,
    evaluated: &Evaluated,
    config: &TabularConfig,
) -> Result<BTreeMap<String, f64>> {
    let features: Array2<f64> = prepared.test.features().to_owned();
    let latency = model_latency(
        evaluated.model.as_ref(),
        features.view(),
        &LatencyConfig {
            warmup: 20,
            iterations: config.latency_calls,
            batch_size: 256,
        },
    )?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = (config.latency_calls / threads).max(1);
    let rate = model_throughput(
        evaluated.model.as_ref(),
        features.view(),
        1,
        threads,
        per_thread,
    )?;
    let measured: BTreeMap<String, f64> = [
        ("latency_p50_ms", latency.single_row.p50 * 1e3),
        ("latency_p95_ms", latency.single_row.p95 * 1e3),
        ("latency_p99_ms", latency.single_row.p99 * 1e3),
        ("batch_rows_per_second", latency.batch_rows_per_second),
        ("throughput_rps", rate.requests_per_second),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    run.log_metrics(measured.iter().map(|(k, v)| (k.as_str(), *v)), 0)?;
    run.log_param("serving_threads", threads as u64)?;
    let mut bundle = specweave_serve::BundleBuilder::new(evaluated.model.as_ref())
        .pipeline(prepared.pipeline.clone())
        .reference_from(&prepared.train);
    if let Some(t) = evaluated.threshold {
        bundle = bundle.threshold(t);
    }
    let dir: &Path = &increment.dir().join("models").join("bundle");
    bundle
        .write_to(dir)
        .map_err(|e| Error::invalid("deployment bundle", e.to_string()))?;
    Ok(measured)
}
