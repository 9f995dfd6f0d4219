//! The recommendation pipeline: data, temporal split, baselines, candidates, tuning,
//! evaluation with intervals, explanations, deployment measurements, living docs, then
//! validation and `done`, each task ticked in `tasks.md` as it completes.
//!
//! ```no_run
//! use specweave::pipeline::recommendation::{RecommendationConfig, run_recommendation};
//! use specweave::spec::Increment;
//!
//! let root = std::path::Path::new("/tmp/specweave-demo");
//! let mut increment = Increment::create(root, "build recommendation model", None)?;
//! let outcome = run_recommendation(&mut increment, &RecommendationConfig::default())?;
//! println!("{}", outcome.summary_table());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::living_docs::{Closing, LivingDocs, PipelineFacts, SyncedDocs, close_increment};
use super::ranking::{RankingEvaluation, evaluate_recommender};
use super::{TaskRunner, TaskSelection, nan_tolerant};
use crate::error::{Error, Result, write_atomic};
use arrow::array::{ArrayRef, Int64Array};
use rayon::prelude::*;
use specweave_core::{Interactions, MetricSink, Recommender};
use specweave_data::synth::InteractionsSpec;
use specweave_data::{
    ColumnRole, ProfileOptions, SampleOptions, SchemaOptions, Table, infer_schema, load_movielens,
    profile_file, write_parquet, write_sample,
};
use specweave_eval::latency::{LatencyConfig, measure, throughput};
use specweave_eval::stats::Bootstrap;
use specweave_recommend::{
    Als, AlsParams, ExplainRecommendation, InteractionSplit, ItemKnn, ItemKnnParams, MultiStage,
    MultiStageParams, Popularity, RandomRecommender, RecencyPopularity, Similarity, temporal_split,
};
use specweave_spec::{Increment, Status, ValidationReport};
use specweave_tracking::{MetricBuffer, ModelRegistry, RegisterModel, Role, Run, Tracker};
use specweave_train::neural::{BprMatrixFactorization, BprParams};
use specweave_train::{GradientBoosting, GradientBoostingParams};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The headline metric of recommendation increments.
pub const HEADLINE: &str = "precision@10";
/// File name of a model inside a run's `artifacts/`.
pub const MODEL_ARTIFACT: &str = "model.swm";

/// Settings of a recommendation pipeline run (a builder; checked when the run starts).
#[derive(Clone)]
pub struct RecommendationConfig {
    users: usize,
    items: usize,
    interactions_per_user: f64,
    affinity: f64,
    movielens: Option<PathBuf>,
    test_fraction: f64,
    validation_fraction: f64,
    k: usize,
    resamples: usize,
    explained_users: usize,
    latency_calls: usize,
    boosting_rounds: usize,
    max_trials: usize,
    seed: u64,
    living_docs: Option<Arc<dyn LivingDocs>>,
}

impl std::fmt::Debug for RecommendationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecommendationConfig")
            .field("users", &self.users)
            .field("items", &self.items)
            .field("interactions_per_user", &self.interactions_per_user)
            .field("movielens", &self.movielens)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl Default for RecommendationConfig {
    /// 3,000 users × 1,000 items with 60 events each on average (about 180,000 events), a
    /// 20% per-user temporal test split, 20% of training carved out for tuning, k = 10,
    /// 1,000 bootstrap resamples.
    fn default() -> Self {
        RecommendationConfig {
            users: 3_000,
            items: 1_000,
            interactions_per_user: 60.0,
            affinity: 3.0,
            movielens: None,
            test_fraction: 0.2,
            validation_fraction: 0.2,
            k: 10,
            resamples: 1_000,
            explained_users: 3,
            latency_calls: 2_000,
            boosting_rounds: 100,
            max_trials: 12,
            seed: 42,
            living_docs: Some(Arc::new(SyncedDocs::default())),
        }
    }
}

impl RecommendationConfig {
    /// Size of the generated implicit-feedback log.
    pub fn synthetic(mut self, users: usize, items: usize, interactions_per_user: f64) -> Self {
        self.users = users;
        self.items = items;
        self.interactions_per_user = interactions_per_user;
        self
    }

    /// Weight of taste against popularity in the generated log.
    pub fn affinity(mut self, affinity: f64) -> Self {
        self.affinity = affinity;
        self
    }

    /// Reads a MovieLens `u.data` file instead of generating data.
    pub fn movielens(mut self, path: impl Into<PathBuf>) -> Self {
        self.movielens = Some(path.into());
        self
    }

    /// Bootstrap resamples of the final evaluation (0 for none).
    pub fn resamples(mut self, resamples: usize) -> Self {
        self.resamples = resamples;
        self
    }

    /// Timed recommend calls of the deployment stage.
    pub fn latency_calls(mut self, calls: usize) -> Self {
        self.latency_calls = calls;
        self
    }

    /// Boosting rounds of the multi-stage reranker.
    pub fn boosting_rounds(mut self, rounds: usize) -> Self {
        self.boosting_rounds = rounds;
        self
    }

    /// At most this many tuning trials, spread evenly over the family's grid.
    pub fn max_trials(mut self, trials: usize) -> Self {
        self.max_trials = trials;
        self
    }

    /// Seed of data generation, models and resampling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The living-docs stage that writes the A/B plan and monitoring documents (T-009).
    pub fn living_docs(mut self, stage: Arc<dyn LivingDocs>) -> Self {
        self.living_docs = Some(stage);
        self
    }

    fn check(&self) -> Result<()> {
        let fraction = |v: f64| v > 0.0 && v < 1.0;
        if !fraction(self.test_fraction) || !fraction(self.validation_fraction) {
            return Err(Error::invalid(
                "split fractions",
                "test and validation fractions must lie strictly between 0 and 1",
            ));
        }
        if self.k == 0 || self.latency_calls == 0 || self.explained_users == 0 {
            return Err(Error::invalid(
                "recommendation settings",
                "k, latency calls and explained users must be at least 1",
            ));
        }
        if self.movielens.is_none() && (self.users < 2 || self.items < 2) {
            return Err(Error::invalid(
                "synthetic data size",
                "need at least two users and two items",
            ));
        }
        Ok(())
    }
}

/// A model family with its hyperparameters; builds fresh, unfitted recommenders.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Family {
    /// Uniformly random items.
    Random {
        /// Seed.
        seed: u64,
    },
    /// Most interacted items.
    Popularity,
    /// Popularity with exponentially decaying weights.
    RecencyPopularity {
        /// Half-life in timestamp units.
        half_life: i64,
    },
    /// Item-based nearest neighbours.
    ItemKnn(ItemKnnParams),
    /// Implicit-feedback matrix factorisation.
    Als(AlsParams),
    /// kNN + ALS + popularity candidates reranked by gradient-boosted trees.
    MultiStage(MultiStageParams, GradientBoostingParams),
    /// Matrix factorisation trained with the BPR loss by burn.
    Bpr(BprParams),
}

impl Family {
    /// The algorithm name recorded in runs and the registry.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Family::Random { .. } => "random",
            Family::Popularity => "popularity",
            Family::RecencyPopularity { .. } => "recency_popularity",
            Family::ItemKnn(_) => "item_knn",
            Family::Als(_) => "als",
            Family::MultiStage(..) => "multi_stage_gbdt",
            Family::Bpr(_) => "bpr_mf",
        }
    }

    /// An unfitted recommender that can also explain its recommendations, for the
    /// families that can.
    pub fn build_explainable(&self) -> Result<Option<Box<dyn ExplainRecommendation>>> {
        Ok(match self {
            Family::ItemKnn(p) => Some(Box::new(ItemKnn::new(p.clone())?)),
            Family::Als(p) => Some(Box::new(Als::new(p.clone())?)),
            Family::MultiStage(p, booster) => Some(Box::new(MultiStage::new(
                p.clone(),
                Arc::new(GradientBoosting::new(booster.clone())?),
            )?)),
            _ => None,
        })
    }

    /// An unfitted recommender that reports its per-epoch training metrics to `sink` where
    /// it trains by epochs (BPR), else the same as [`Family::build`].
    pub fn build_reporting(&self, sink: Arc<dyn MetricSink>) -> Result<Box<dyn Recommender>> {
        match self {
            Family::Bpr(p) => Ok(Box::new(
                BprMatrixFactorization::new(p.clone())?.with_metrics(sink),
            )),
            _ => self.build(),
        }
    }

    /// An unfitted recommender.
    pub fn build(&self) -> Result<Box<dyn Recommender>> {
        if let Some(model) = self.build_explainable()? {
            let model: Box<dyn Recommender> = model;
            return Ok(model);
        }
        Ok(match self {
            Family::Random { seed } => Box::new(RandomRecommender::new(*seed)),
            Family::RecencyPopularity { half_life } => {
                Box::new(RecencyPopularity::new(*half_life)?)
            }
            Family::Bpr(p) => Box::new(BprMatrixFactorization::new(p.clone())?),
            _ => Box::new(Popularity::default()),
        })
    }
}

/// One tracked model run and what it scored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ModelRun {
    /// Run folder name, e.g. `exp-004-item-knn`.
    pub run_id: String,
    /// Experiment name.
    pub name: String,
    /// The family and its parameters.
    pub family: Family,
    /// Metrics on the split it was evaluated on.
    #[serde(deserialize_with = "nan_tolerant::pairs")]
    pub metrics: Vec<(String, f64)>,
    /// Seconds spent fitting.
    #[serde(deserialize_with = "nan_tolerant::value")]
    pub fit_seconds: f64,
}

impl ModelRun {
    /// A metric's value.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// What a recommendation pipeline run produced.
#[derive(Debug)]
pub struct RecommendationOutcome {
    /// The increment folder.
    pub increment_dir: PathBuf,
    /// Baseline runs (T-003).
    pub baselines: Vec<ModelRun>,
    /// Candidate runs (T-004).
    pub candidates: Vec<ModelRun>,
    /// Tuning trials on the validation split (T-005), metrics prefixed `val_`.
    pub trials: Vec<ModelRun>,
    /// The final model's run with its test metrics, intervals and deployment measurements.
    pub final_run: ModelRun,
    /// Paired bootstrap of the headline metric: final model minus the best baseline.
    pub improvement: specweave_eval::stats::PairedBootstrap,
    /// The best baseline's run id.
    pub best_baseline: String,
    /// The registered model version, e.g. `0001-v1`.
    pub model_version: String,
    /// The validation report at closing time.
    pub validation: ValidationReport,
    /// Whether the increment was closed.
    pub completed: bool,
    /// `COMPLETION-SUMMARY.md`, when the increment was closed.
    pub summary_path: Option<PathBuf>,
    /// Documents written by the living-docs stage; `None` when no stage is configured.
    pub living_docs: Option<Vec<PathBuf>>,
}

impl RecommendationOutcome {
    /// A short table of every model's test metrics, best last.
    pub fn summary_table(&self) -> String {
        let mut out = format!(
            "{:<34} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            "run", "role", "val P@10", "P@10", "R@10", "NDCG@10", "MAP@10", "coverage"
        );
        let rows = self
            .baselines
            .iter()
            .map(|r| ("baseline", r))
            .chain(self.candidates.iter().map(|r| ("candidate", r)))
            .chain(std::iter::once(("final", &self.final_run)));
        for (role, run) in rows {
            let cell = |name: &str| {
                run.metric(name)
                    .map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"))
            };
            let _ = writeln!(
                out,
                "{:<34} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
                run.run_id,
                role,
                cell("val_precision@10"),
                cell("precision@10"),
                cell("recall@10"),
                cell("ndcg@10"),
                cell("map@10"),
                cell("coverage")
            );
        }
        let _ = writeln!(
            out,
            "\n{} vs {}: {:+.4} [{:.4}, {:.4}] (paired bootstrap, p = {:.4})",
            HEADLINE,
            self.best_baseline,
            self.improvement.difference.estimate,
            self.improvement.difference.lower,
            self.improvement.difference.upper,
            self.improvement.p_value
        );
        if let (Some(p99), Some(rps)) = (
            self.final_run.metric("latency_p99_ms"),
            self.final_run.metric("throughput_rps"),
        ) {
            let _ = writeln!(
                out,
                "latency p99 {p99:.3} ms, throughput {rps:.0} req/s; model {}; validation: {}",
                self.model_version,
                self.validation.summary()
            );
        }
        out
    }
}

/// What T-006 to T-008 leave behind: the final run and how it compares with the best
/// baseline.
#[derive(serde::Serialize, serde::Deserialize)]
struct FinalModel {
    run: ModelRun,
    model_version: String,
    improvement: specweave_eval::stats::PairedBootstrap,
}

/// Runs every task of a recommendation increment and closes it when validation passes; a
/// re-run resumes at the first task that is not completed (see
/// [`run_recommendation_tasks`] to force a full re-run or stop after one task).
pub fn run_recommendation(
    increment: &mut Increment,
    config: &RecommendationConfig,
) -> Result<RecommendationOutcome> {
    run_recommendation_tasks(increment, config, &TaskSelection::default())?
        .ok_or_else(|| Error::invalid("recommendation pipeline", "stopped before its last task"))
}

/// [`run_recommendation`] under a [`TaskSelection`]; `None` when the selection stopped the
/// run before the increment could be closed.
pub fn run_recommendation_tasks(
    increment: &mut Increment,
    config: &RecommendationConfig,
    selection: &TaskSelection,
) -> Result<Option<RecommendationOutcome>> {
    config.check()?;
    if increment.metadata().status == Status::Planning {
        increment.set_status(Status::Active, Some("pipeline started"))?;
    }
    let tracker = Tracker::open(increment.dir())?;
    let mut tasks = TaskRunner::new(increment, selection)?;
    let Some(log) = tasks.recomputed(
        "T-001",
        "Exploratory data analysis",
        || data_stage(increment, config),
        || read_log(config),
    )?
    else {
        return Ok(None);
    };
    let Some(splits) = tasks.recomputed(
        "T-002",
        "Feature engineering",
        || split_stage(increment, &log, config, true),
        || split_stage(increment, &log, config, false),
    )?
    else {
        return Ok(None);
    };
    let Some(baselines) = tasks.saved("T-003", "Train baseline models", || {
        baseline_stage(&tracker, &splits, config)
    })?
    else {
        return Ok(None);
    };
    let Some(candidates) = tasks.saved("T-004", "Train candidate models", || {
        candidate_stage(&tracker, &splits, config)
    })?
    else {
        return Ok(None);
    };
    let Some((trials, tuned)) = tasks.saved("T-005", "Hyperparameter tuning", || {
        tuning_stage(&tracker, &splits, &candidates, config)
    })?
    else {
        return Ok(None);
    };
    let best_baseline = baselines
        .iter()
        .max_by(|a, b| headline(a).total_cmp(&headline(b)))
        .cloned()
        .ok_or_else(|| Error::invalid("baselines", "no baseline run finished"))?;
    let Some(final_model) = tasks.group("T-006-T-008", &["T-006", "T-007", "T-008"], |tasks| {
        let evaluated = tasks.run("T-006", "Evaluate against the success criteria", || {
            evaluation_stage(&tracker, increment, &splits, &tuned, &best_baseline, config)
        })?;
        tasks.run("T-007", "Explainability", || {
            explanation_stage(increment, &evaluated, &log, config)
        })?;
        let (run, model_version, improvement) =
            tasks.run("T-008", "Deployment preparation", || {
                deployment_stage(&tracker, evaluated, config)
            })?;
        Ok(FinalModel {
            run,
            model_version,
            improvement,
        })
    })?
    else {
        return Ok(None);
    };
    if tasks.stopped() {
        return Ok(None);
    }
    let FinalModel {
        run: final_run,
        model_version,
        improvement,
    } = final_model;
    let facts = PipelineFacts {
        headline_metric: HEADLINE.to_owned(),
        best_value: final_run.metric(HEADLINE).unwrap_or(f64::NAN),
        baseline_value: headline(&best_baseline),
        best_run: final_run.run_id.clone(),
        model_version: model_version.clone(),
        latency_p99_ms: final_run.metric("latency_p99_ms").unwrap_or(f64::NAN),
        throughput_rps: final_run.metric("throughput_rps").unwrap_or(f64::NAN),
    };
    tracker.write_comparison()?;
    let Closing {
        living_docs,
        validation,
        summary_path,
    } = close_increment(increment, config.living_docs.as_deref(), &facts)?;
    let completed = summary_path.is_some();
    Ok(Some(RecommendationOutcome {
        increment_dir: increment.dir().to_path_buf(),
        baselines,
        candidates,
        trials,
        final_run,
        improvement,
        best_baseline: best_baseline.run_id,
        model_version,
        validation,
        completed,
        summary_path,
        living_docs,
    }))
}

fn headline(run: &ModelRun) -> f64 {
    run.metric(HEADLINE).unwrap_or(f64::NEG_INFINITY)
}

/// T-001: the log as Parquet, its profile, EDA summary, schema and a sample.
fn data_stage(increment: &Increment, config: &RecommendationConfig) -> Result<Interactions> {
    let log = read_log(config)?;
    let data_dir = increment.dir().join("data");
    let path = data_dir.join("interactions.parquet");
    let user_ids = log.user_ids();
    let item_ids = log.item_ids();
    let timestamps: ArrayRef = Arc::new(Int64Array::from(log.timestamps().to_vec()));
    let table = Table::builder()
        .strings(
            "user_id",
            log.users().iter().map(|&u| user_ids[u as usize].as_str()),
        )
        .strings(
            "item_id",
            log.items().iter().map(|&i| item_ids[i as usize].as_str()),
        )
        .f64("weight", log.weights().to_vec())
        .array("timestamp", timestamps)
        .build()?;
    write_parquet(&path, &table)?;
    profile_file(&path, &ProfileOptions::new())?.write_to(&data_dir)?;
    let schema = infer_schema(
        &path,
        &SchemaOptions::new()
            .role("user_id", ColumnRole::Id)
            .role("item_id", ColumnRole::Id)
            .role("weight", ColumnRole::Weight)
            .role("timestamp", ColumnRole::Timestamp),
    )?;
    schema.write(data_dir.join("schema.yaml"))?;
    write_sample(
        &path,
        data_dir.join("sample.parquet"),
        &SampleOptions::new(1_000).seed(config.seed),
    )?;
    Ok(log)
}

/// The interaction log: the MovieLens file, or generated events (deterministic in the
/// seed); also how a resumed run gets it back without redoing T-001.
fn read_log(config: &RecommendationConfig) -> Result<Interactions> {
    let log = match &config.movielens {
        Some(path) => load_movielens(path)?,
        None => InteractionsSpec::new(config.users, config.items)
            .interactions_per_user(config.interactions_per_user)
            .affinity(config.affinity)
            .seed(config.seed)
            .generate()?,
    };
    if log.is_empty() {
        return Err(Error::invalid("interactions", "the log has no events"));
    }
    Ok(log)
}

/// The three splits every later stage uses.
#[derive(Debug)]
struct Splits {
    /// Train (all but each user's latest events) and test (the latest events).
    test: InteractionSplit,
    /// Train carved again in time: inner train and validation, for tuning.
    validation: InteractionSplit,
}

/// T-002: per-user temporal split, and a validation split carved from train.
fn split_stage(
    increment: &Increment,
    log: &Interactions,
    config: &RecommendationConfig,
    write: bool,
) -> Result<Splits> {
    let test = temporal_split(log, config.test_fraction)?;
    let validation = temporal_split(&test.train, config.validation_fraction)?;
    if !write {
        return Ok(Splits { test, validation });
    }
    let summary = serde_json::json!({
        "protocol": "per-user temporal split; seen items excluded from rankings",
        "test_fraction": config.test_fraction,
        "validation_fraction_of_train": config.validation_fraction,
        "events": { "train": test.train.len(), "test": test.test.len(),
                    "inner_train": validation.train.len(), "validation": validation.test.len() },
        "evaluated_users": { "test": test.test_users().len(), "validation": validation.test_users().len() },
        "users": log.n_users(),
        "items": log.n_items(),
    });
    let path = increment.dir().join("data/split.json");
    let bytes = serde_json::to_vec_pretty(&summary).map_err(Error::json("split summary"))?;
    write_atomic(&path, &bytes)?;
    Ok(Splits { test, validation })
}

/// Inside a tracked run, fits `family` on each split's train events and evaluates it on its
/// test events, logging params, metrics (each split's with its prefix), training time,
/// model size and the model file of the last fit.
fn track_model(
    tracker: &Tracker,
    name: &str,
    role: Role,
    family: &Family,
    evaluations: &[(&str, &InteractionSplit)],
    config: &RecommendationConfig,
) -> Result<ModelRun> {
    let run = tracker.start_experiment(name)?;
    match fit_and_log(&run, role, family, evaluations, config) {
        Ok((metrics, fit_seconds)) => {
            let record = run.finish()?;
            Ok(ModelRun {
                run_id: record.id,
                name: name.to_owned(),
                family: family.clone(),
                metrics,
                fit_seconds,
            })
        }
        Err(error) => {
            run.fail(&error.to_string())?;
            Err(error)
        }
    }
}

fn fit_and_log(
    run: &Run,
    role: Role,
    family: &Family,
    evaluations: &[(&str, &InteractionSplit)],
    config: &RecommendationConfig,
) -> Result<(Vec<(String, f64)>, f64)> {
    run.set_role(role)?;
    run.set_headline_metric(HEADLINE)?;
    run.set_algorithm(family.algorithm())?;
    run.log_param("algorithm", family.algorithm())?;
    run.log_param("params", family.build()?.params())?;
    run.log_param("k", config.k as u64)?;
    run.log_param(
        "evaluated_on",
        evaluations
            .iter()
            .map(|(prefix, _)| {
                if prefix.is_empty() {
                    "test"
                } else {
                    "validation"
                }
            })
            .collect::<Vec<_>>()
            .join(","),
    )?;
    let mut metrics = Vec::new();
    let mut fit_seconds = 0.0;
    let mut bytes = Vec::new();
    let curves = MetricBuffer::new();
    for (i, (prefix, split)) in evaluations.iter().enumerate() {
        // The kept model (the last fitted) reports its training curve to the run.
        let mut model = if i + 1 == evaluations.len() {
            family.build_reporting(curves.clone())?
        } else {
            family.build()?
        };
        let started = Instant::now();
        model.fit(&split.train)?;
        fit_seconds = started.elapsed().as_secs_f64();
        run.log_buffered(&curves)?;
        let evaluation = evaluate_recommender(model.as_ref(), split, config.k, 0, config.seed)?;
        metrics.extend(
            evaluation
                .metrics()
                .into_iter()
                .map(|(n, v)| (format!("{prefix}{n}"), v)),
        );
        bytes = model.to_bytes()?;
    }
    save_model(run, &bytes)?;
    metrics.push(("training_time_s".to_owned(), fit_seconds));
    metrics.push(("model_size_bytes".to_owned(), bytes.len() as f64));
    run.log_metrics(metrics.iter().map(|(n, v)| (n.as_str(), *v)), 0)?;
    Ok((metrics, fit_seconds))
}

fn save_model(run: &Run, bytes: &[u8]) -> Result<PathBuf> {
    let path = run
        .dir()
        .join(specweave_tracking::ARTIFACTS_DIR)
        .join(MODEL_ARTIFACT);
    write_atomic(&path, bytes)?;
    Ok(path)
}

/// Runs `jobs` in parallel, each as its own tracked run; a failing run is recorded as
/// failed (with its error as a note) while the others go on.
fn track_all(
    tracker: &Tracker,
    jobs: Vec<(String, Role, Family)>,
    evaluations: &[(&str, &InteractionSplit)],
    config: &RecommendationConfig,
) -> Vec<Result<ModelRun>> {
    jobs.par_iter()
        .map(|(name, role, family)| track_model(tracker, name, *role, family, evaluations, config))
        .collect()
}

fn finished(results: Vec<Result<ModelRun>>, stage: &str) -> Result<Vec<ModelRun>> {
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
            stage,
            format!("every run failed: {}", errors.join("; ")),
        ));
    }
    Ok(runs)
}

/// T-003: random, popularity and recency-weighted popularity. Each is scored on the
/// validation split (`val_` metrics, to compare with the candidates) and, refitted on all
/// training events, on the test split (what the success criteria compare against).
fn baseline_stage(
    tracker: &Tracker,
    splits: &Splits,
    config: &RecommendationConfig,
) -> Result<Vec<ModelRun>> {
    let span = time_span(&splits.test.train);
    let jobs = vec![
        (
            "baseline-random".to_owned(),
            Role::Baseline,
            Family::Random { seed: config.seed },
        ),
        (
            "baseline-popularity".to_owned(),
            Role::Baseline,
            Family::Popularity,
        ),
        (
            "baseline-recency-popularity".to_owned(),
            Role::Baseline,
            Family::RecencyPopularity {
                half_life: (span / 10).max(1),
            },
        ),
    ];
    let evaluations = [("val_", &splits.validation), ("", &splits.test)];
    finished(track_all(tracker, jobs, &evaluations, config), "baselines")
}

fn time_span(log: &Interactions) -> i64 {
    let (min, max) = log
        .timestamps()
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    max.saturating_sub(min)
}

fn default_knn() -> ItemKnnParams {
    ItemKnnParams::default().neighbours(50).shrinkage(2.0)
}

fn default_als(seed: u64) -> AlsParams {
    AlsParams::default()
        .factors(32)
        .iterations(10)
        .alpha(5.0)
        .regularization(1.0)
        .seed(seed)
}

fn default_bpr(seed: u64) -> BprParams {
    BprParams {
        factors: 32,
        epochs: 10,
        batch_size: 4096,
        learning_rate: 0.02,
        seed,
        ..BprParams::default()
    }
}

fn default_multi_stage(config: &RecommendationConfig) -> Family {
    Family::MultiStage(
        MultiStageParams::default()
            .candidates_per_source(50)
            .knn(default_knn())
            .als(default_als(config.seed)),
        GradientBoostingParams {
            n_estimators: config.boosting_rounds,
            seed: config.seed,
            ..GradientBoostingParams::default()
        },
    )
}

/// T-004: item-kNN, ALS, the multi-stage reranker and burn's BPR matrix factorisation,
/// fitted on the inner training events and scored on the validation split only: the test
/// split is kept for the final model.
fn candidate_stage(
    tracker: &Tracker,
    splits: &Splits,
    config: &RecommendationConfig,
) -> Result<Vec<ModelRun>> {
    let families = [
        ("item-knn", Family::ItemKnn(default_knn())),
        ("als", Family::Als(default_als(config.seed))),
        ("multi-stage-gbdt-reranker", default_multi_stage(config)),
        (
            "bpr-matrix-factorization",
            Family::Bpr(default_bpr(config.seed)),
        ),
    ];
    let jobs: Vec<(String, Role, Family)> = families
        .iter()
        .map(|(name, family)| (name.to_string(), Role::Candidate, family.clone()))
        .collect();
    let evaluations = [("val_", &splits.validation)];
    finished(track_all(tracker, jobs, &evaluations, config), "candidates")
}

/// The search space of a family around its default parameters (the default included).
fn search_space(family: &Family, config: &RecommendationConfig) -> Vec<Family> {
    match family {
        Family::ItemKnn(_) => {
            let mut out = Vec::new();
            for similarity in [Similarity::Cosine, Similarity::Jaccard] {
                for neighbours in [20, 50, 100, 200] {
                    for shrinkage in [0.0, 2.0, 10.0] {
                        out.push(Family::ItemKnn(
                            ItemKnnParams::default()
                                .similarity(similarity)
                                .neighbours(neighbours)
                                .shrinkage(shrinkage),
                        ));
                    }
                }
            }
            out
        }
        Family::Als(_) => {
            let mut out = Vec::new();
            for factors in [16, 32, 64] {
                for regularization in [0.1, 1.0, 10.0] {
                    for alpha in [2.0, 5.0, 15.0] {
                        out.push(Family::Als(
                            default_als(config.seed)
                                .factors(factors)
                                .regularization(regularization)
                                .alpha(alpha),
                        ));
                    }
                }
            }
            out
        }
        Family::MultiStage(params, booster) => [30, 50, 100]
            .into_iter()
            .flat_map(|candidates| {
                [31, 63].into_iter().map(move |leaves| {
                    Family::MultiStage(
                        params.clone().candidates_per_source(candidates),
                        GradientBoostingParams {
                            num_leaves: leaves,
                            ..booster.clone()
                        },
                    )
                })
            })
            .collect(),
        other => vec![other.clone()],
    }
}

/// T-005: takes the family whose candidate scored best on the validation split and
/// searches its grid on the same split; every trial is a tracked run (role tuning).
fn tuning_stage(
    tracker: &Tracker,
    splits: &Splits,
    candidates: &[ModelRun],
    config: &RecommendationConfig,
) -> Result<(Vec<ModelRun>, Family)> {
    let validation_headline = format!("val_{HEADLINE}");
    let score = |run: &ModelRun| {
        run.metric(&validation_headline)
            .unwrap_or(f64::NEG_INFINITY)
    };
    // The final model must explain its recommendations (T-007), so tuning chooses among
    // the families that can; the others are still compared as candidates.
    let explainable: Vec<&ModelRun> = candidates
        .iter()
        .filter(|c| matches!(c.family.build_explainable(), Ok(Some(_))))
        .collect();
    let family = explainable
        .iter()
        .max_by(|a, b| score(a).total_cmp(&score(b)))
        .map(|r| r.family.clone())
        .ok_or_else(|| Error::invalid("tuning", "no candidate to tune"))?;
    let grid = search_space(&family, config);
    let stride = grid.len().div_ceil(config.max_trials.max(1)).max(1);
    let jobs: Vec<(String, Role, Family)> = grid
        .into_iter()
        .step_by(stride)
        .enumerate()
        .map(|(i, f)| {
            (
                format!("tune-{}-trial-{:02}", f.algorithm(), i + 1),
                Role::Tuning,
                f,
            )
        })
        .collect();
    let evaluations = [("val_", &splits.validation)];
    let trials = finished(track_all(tracker, jobs, &evaluations, config), "tuning")?;
    // The candidate's own configuration competes too, so tuning never makes things worse.
    let best = trials
        .iter()
        .chain(
            candidates
                .iter()
                .filter(|c| c.family.algorithm() == family.algorithm()),
        )
        .max_by(|a, b| score(a).total_cmp(&score(b)))
        .map(|r| r.family.clone())
        .unwrap_or(family);
    Ok((trials, best))
}

/// The final model, fitted and evaluated, with its still-open run.
struct Evaluated {
    run: Run,
    name: String,
    family: Family,
    model: Box<dyn ExplainRecommendation>,
    evaluation: RankingEvaluation,
    improvement: specweave_eval::stats::PairedBootstrap,
    fit_seconds: f64,
    model_path: PathBuf,
}

/// T-006: refits the tuned family on all training events, evaluates it on the test split
/// with bootstrap intervals, compares it with the best baseline by a paired bootstrap over
/// users, and writes `reports/evaluation-report.md` and `experiments/comparison.md`.
fn evaluation_stage(
    tracker: &Tracker,
    increment: &Increment,
    splits: &Splits,
    tuned: &Family,
    best_baseline: &ModelRun,
    config: &RecommendationConfig,
) -> Result<Evaluated> {
    let name = format!("{}-tuned", tuned.algorithm().replace('_', "-"));
    let run = tracker.start_experiment(&name)?;
    let result = (|| -> Result<_> {
        run.set_role(Role::Tuning)?;
        run.set_headline_metric(HEADLINE)?;
        run.set_algorithm(tuned.algorithm())?;
        let mut model = tuned
            .build_explainable()?
            .ok_or_else(|| Error::invalid("tuned family", "cannot explain its recommendations"))?;
        run.log_param("algorithm", tuned.algorithm())?;
        run.log_param("params", model.params())?;
        run.log_param("k", config.k as u64)?;
        run.log_param("bootstrap_resamples", config.resamples as u64)?;
        let started = Instant::now();
        model.fit(&splits.test.train)?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let evaluation = evaluate_recommender(
            model.as_ref(),
            &splits.test,
            config.k,
            config.resamples,
            config.seed,
        )?;
        let mut baseline_model = best_baseline.family.build()?;
        baseline_model.fit(&splits.test.train)?;
        let baseline = evaluate_recommender(
            baseline_model.as_ref(),
            &splits.test,
            config.k,
            0,
            config.seed,
        )?;
        let mean = |scores: &[specweave_eval::ranking::UserScores], rows: &[usize]| {
            rows.iter().map(|&r| scores[r].precision).sum::<f64>() / rows.len().max(1) as f64
        };
        let improvement = Bootstrap::new()
            .resamples(config.resamples.max(100))
            .seed(config.seed)
            .paired(
                evaluation.per_user.len(),
                |rows| mean(&evaluation.per_user, rows),
                |rows| mean(&baseline.per_user, rows),
            )?;
        let bytes = model.to_bytes()?;
        let model_path = save_model(&run, &bytes)?;
        let mut metrics = evaluation.metrics();
        metrics.extend(evaluation.interval_metrics());
        metrics.push((
            format!("{HEADLINE}_improvement_vs_best_baseline"),
            improvement.difference.estimate,
        ));
        metrics.push((
            format!("{HEADLINE}_improvement_p_value"),
            improvement.p_value,
        ));
        metrics.push(("training_time_s".to_owned(), fit_seconds));
        metrics.push(("model_size_bytes".to_owned(), bytes.len() as f64));
        run.log_metrics(metrics.iter().map(|(n, v)| (n.as_str(), *v)), 0)?;
        run.flush()?;
        let report = evaluation_report(&name, &evaluation, &improvement, best_baseline, config);
        write_atomic(
            &increment.dir().join("reports/evaluation-report.md"),
            report.as_bytes(),
        )?;
        Ok((model, evaluation, improvement, fit_seconds, model_path))
    })();
    match result {
        Ok((model, evaluation, improvement, fit_seconds, model_path)) => {
            tracker.write_comparison()?;
            Ok(Evaluated {
                run,
                name,
                family: tuned.clone(),
                model,
                evaluation,
                improvement,
                fit_seconds,
                model_path,
            })
        }
        Err(error) => {
            run.fail(&error.to_string())?;
            Err(error)
        }
    }
}

fn evaluation_report(
    name: &str,
    evaluation: &RankingEvaluation,
    improvement: &specweave_eval::stats::PairedBootstrap,
    best_baseline: &ModelRun,
    config: &RecommendationConfig,
) -> String {
    let mut md = format!(
        "# Evaluation report\n\nModel `{name}` on the per-user temporal test split \
         ({} users with held-out items; seen items excluded; k = {}).\n\n{}\n\n",
        evaluation.users.len(),
        config.k,
        evaluation.report.to_table()
    );
    let _ = writeln!(
        md,
        "Catalog coverage: {:.4} of all items appear in some top-{} list.\n",
        evaluation.coverage, config.k
    );
    let _ = writeln!(
        md,
        "## Comparison with the best baseline\n\n`{}` ({} = {:.4}): difference {:+.4}, \
         {:.0}% interval [{:.4}, {:.4}], p = {:.4} (paired bootstrap over users, {} resamples).",
        best_baseline.run_id,
        HEADLINE,
        headline(best_baseline),
        improvement.difference.estimate,
        improvement.difference.level * 100.0,
        improvement.difference.lower,
        improvement.difference.upper,
        improvement.p_value,
        improvement.difference.resamples,
    );
    md
}

/// T-007: explanations of the top 3 recommendations of a few users, as a run artifact and
/// `reports/explainability-report.md`.
fn explanation_stage(
    increment: &Increment,
    evaluated: &Evaluated,
    log: &Interactions,
    config: &RecommendationConfig,
) -> Result<()> {
    let users: Vec<u32> = evaluated
        .evaluation
        .users
        .iter()
        .copied()
        .take(config.explained_users)
        .collect();
    let mut explanations = Vec::new();
    for &user in &users {
        explanations.push(evaluated.model.explain_top(user, 3, 3)?);
    }
    evaluated
        .run
        .save_artifact("explanations.json", &explanations)?;
    let mut md = format!(
        "# Explainability report\n\nModel `{}` ({}). Each recommendation is explained by the \
         items of the user's history that contributed most to its score \
         (similarity × interaction weight).\n\n",
        evaluated.name,
        evaluated.family.algorithm()
    );
    for (user, items) in users.iter().zip(&explanations) {
        let _ = writeln!(md, "## User `{}`\n", log.user_ids()[*user as usize]);
        for (rank, item) in items.iter().enumerate() {
            let because: Vec<String> = item
                .contributions
                .iter()
                .map(|c| {
                    format!(
                        "`{}` ({:.3})",
                        log.item_ids()[c.item as usize],
                        c.contribution
                    )
                })
                .collect();
            let _ = writeln!(
                md,
                "{}. `{}` (score {:.4}) because of {}",
                rank + 1,
                log.item_ids()[item.item as usize],
                item.score,
                if because.is_empty() {
                    "no single history item (popularity or reranker features)".to_owned()
                } else {
                    because.join(", ")
                }
            );
        }
        md.push('\n');
    }
    write_atomic(
        &increment.dir().join("reports/explainability-report.md"),
        md.as_bytes(),
    )
}

/// T-008: measures single-user latency and concurrent throughput of `recommend`, logs
/// them to the final run, finishes it and registers its model.
fn deployment_stage(
    tracker: &Tracker,
    evaluated: Evaluated,
    config: &RecommendationConfig,
) -> Result<(ModelRun, String, specweave_eval::stats::PairedBootstrap)> {
    let measured = match measure_serving(&evaluated, config) {
        Ok(measured) => measured,
        Err(error) => {
            evaluated.run.fail(&error.to_string())?;
            return Err(error);
        }
    };
    let mut metrics = evaluated.evaluation.metrics();
    metrics.extend(evaluated.evaluation.interval_metrics());
    metrics.extend(measured.iter().map(|(n, v)| (n.to_string(), *v)));
    let record = evaluated.run.finish()?;
    let version = ModelRegistry::new(tracker).register(
        RegisterModel::new(record.id.clone(), &evaluated.model_path)
            .algorithm(evaluated.family.algorithm())
            .framework("specweave-recommend"),
    )?;
    Ok((
        ModelRun {
            run_id: record.id,
            name: evaluated.name,
            family: evaluated.family,
            metrics,
            fit_seconds: evaluated.fit_seconds,
        },
        version.metadata.version,
        evaluated.improvement,
    ))
}

fn measure_serving(
    evaluated: &Evaluated,
    config: &RecommendationConfig,
) -> Result<[(&'static str, f64); 4]> {
    let users = &evaluated.evaluation.users;
    if users.is_empty() {
        return Err(Error::invalid(
            "deployment",
            "no evaluated user to send requests for",
        ));
    }
    let model = evaluated.model.as_ref();
    let to_eval = |e: specweave_core::Error| specweave_eval::EvalError::Empty(e.to_string());
    let mut next = 0usize;
    let latency = measure(
        &LatencyConfig {
            warmup: 20,
            iterations: config.latency_calls,
            batch_size: 1,
        },
        || {
            let user = users[next % users.len()];
            next += 1;
            model
                .recommend(user, config.k, true)
                .map(|_| ())
                .map_err(to_eval)
        },
    )?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = (config.latency_calls / threads).max(1);
    let rate = throughput(threads, per_thread, |thread, request| {
        let user = users[(thread * per_thread + request) % users.len()];
        model
            .recommend(user, config.k, true)
            .map(|list| list.len())
            .map_err(to_eval)
    })?;
    let measured = [
        ("latency_p50_ms", latency.p50 * 1e3),
        ("latency_p95_ms", latency.p95 * 1e3),
        ("latency_p99_ms", latency.p99 * 1e3),
        ("throughput_rps", rate.requests_per_second),
    ];
    evaluated.run.log_metrics(measured, 0)?;
    evaluated.run.log_param("serving_threads", threads as u64)?;
    Ok(measured)
}
