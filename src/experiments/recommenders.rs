//! Recommender experiments: each configured recommender runs in parallel as a tracked run,
//! fitted on the training interactions and ranked against the held-out ones, with bootstrap
//! intervals over users, training time, model size and the model file.

use super::{
    Build, ExperimentMetrics, ExperimentResult, ExperimentsOutcome, Ranking, check_not_empty,
    conclude, log_finite, log_model, save_model, track,
};
use crate::error::{Error, Result};
use crate::pipeline::evaluate_recommender;
use rayon::prelude::*;
use specweave_core::{MetricSink, Recommender};
use specweave_recommend::InteractionSplit;
use specweave_spec::{Increment, lower_is_better};
use specweave_tracking::{MetricBuffer, Role, Run, Tracker};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// Builds the unfitted recommender of an experiment, given the sink its training curves
/// (per-epoch losses, for recommenders that report them) go to.
type BuildRecommender = dyn FnOnce(Arc<dyn MetricSink>) -> Result<Box<dyn Recommender>> + Send;

/// One recommender experiment: a name, a configured, unfitted recommender (its parameters
/// travel with it) and a role.
///
/// A recommender is fitted in place, so each experiment owns its own. Build it with
/// [`RecommenderExperiment::new`], or with [`RecommenderExperiment::build`] to construct it
/// inside the run: a constructor that rejects its parameters then becomes a failed run with
/// the error as its note, and a recommender that trains by epochs can report its curves.
#[derive(Debug)]
pub struct RecommenderExperiment {
    name: String,
    build: Build<BuildRecommender>,
    role: Role,
}

impl RecommenderExperiment {
    /// A candidate experiment called `name` with an unfitted recommender.
    pub fn new(
        name: impl Into<String>,
        recommender: impl Recommender + 'static,
    ) -> RecommenderExperiment {
        RecommenderExperiment::boxed(name, Box::new(recommender))
    }

    /// A candidate experiment with a boxed, unfitted recommender.
    pub fn boxed(
        name: impl Into<String>,
        recommender: Box<dyn Recommender>,
    ) -> RecommenderExperiment {
        RecommenderExperiment::build(name, move |_| Ok(recommender))
    }

    /// A candidate experiment whose recommender is built inside its run.
    ///
    /// `build` receives the run's metric sink: a recommender that trains by epochs and
    /// reports to a [`MetricSink`] (BPR matrix factorisation's `with_metrics`) stores its
    /// training curve as step metrics of the run. An error from `build` fails the run.
    pub fn build<F>(name: impl Into<String>, build: F) -> RecommenderExperiment
    where
        F: FnOnce(Arc<dyn MetricSink>) -> Result<Box<dyn Recommender>> + Send + 'static,
    {
        RecommenderExperiment {
            name: name.into(),
            build: Build(Box::new(build)),
            role: Role::Candidate,
        }
    }

    /// Sets the role (baseline, candidate or tuning).
    pub fn role(mut self, role: Role) -> RecommenderExperiment {
        self.role = role;
        self
    }

    /// The experiment's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The data every recommender experiment sees: a split of the interaction log into
/// training events (fitted on) and held-out events (ranked against), made by the caller in
/// time ([`temporal_split`](specweave_recommend::temporal_split) or
/// [`leave_last_out`](specweave_recommend::leave_last_out)).
#[derive(Debug, Clone, Copy)]
pub struct RecommenderData<'a> {
    split: &'a InteractionSplit,
    k: usize,
    resamples: usize,
    seed: u64,
    register: bool,
}

impl<'a> RecommenderData<'a> {
    /// The split; top-10 lists, 1,000 bootstrap resamples over users, seed 0.
    pub fn new(split: &'a InteractionSplit) -> Self {
        RecommenderData {
            split,
            k: 10,
            resamples: 1_000,
            seed: 0,
            register: true,
        }
    }

    /// Length of the ranked lists scored (at least 1; default 10).
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// Bootstrap resamples over users for the metrics' intervals (0 for none).
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

    /// The headline metric, `precision@<k>`.
    fn headline(&self) -> String {
        format!("precision@{}", self.k)
    }

    /// Checks the settings and the split; returns the number of evaluated users.
    fn check(&self) -> Result<usize> {
        let (train, test) = (&self.split.train, &self.split.test);
        if self.k == 0 {
            return Err(Error::invalid(
                "k",
                "the ranked lists must hold at least one item",
            ));
        }
        if train.is_empty() {
            return Err(Error::invalid(
                "recommender data",
                "the training interactions are empty",
            ));
        }
        if train.n_users() != test.n_users() || train.n_items() != test.n_items() {
            return Err(Error::invalid(
                "recommender data",
                format!(
                    "training ({} users, {} items) and held-out ({} users, {} items) \
                     interactions must share one id space; split one log with \
                     temporal_split or leave_last_out",
                    train.n_users(),
                    train.n_items(),
                    test.n_users(),
                    test.n_items()
                ),
            ));
        }
        let users = self.split.test_users().len();
        if users == 0 {
            return Err(Error::invalid(
                "recommender data",
                "no user has a held-out item outside their training history, so there is \
                 nothing to rank against",
            ));
        }
        Ok(users)
    }
}

/// Runs every recommender experiment in parallel as a tracked run of `increment`, writes
/// `experiments/comparison.md` and registers the best non-baseline model by held-out
/// `precision@<k>`.
///
/// Each run records the recommender's parameters, fits it on the training events (timed;
/// recommenders built with a metric sink store their training curves), ranks the top `k`
/// unseen items of every user with held-out items through
/// [`evaluate_recommender`](crate::pipeline::evaluate_recommender), and logs every ranking
/// metric with its bootstrap interval over users (`<metric>_ci_lower` / `_ci_upper`),
/// catalog coverage, `training_time_s`, `model_size_bytes` and `artifacts/model.swm`.
///
/// A failing experiment is recorded as a failed run with its error as a note; the others
/// go on. Invalid settings (an empty list, `k = 0`, a split without evaluable users) are
/// refused before any run starts; only tracking failures stop the call once runs started.
///
/// ```
/// use specweave::data::synth::InteractionsSpec;
/// use specweave::experiments::{RecommenderData, RecommenderExperiment, run_recommender_experiments};
/// use specweave::recommend::{ItemKnn, ItemKnnParams, Popularity, temporal_split};
/// use specweave::spec::Increment;
/// use specweave::tracking::Role;
///
/// let root = tempfile::tempdir()?;
/// let increment = Increment::create(root.path(), "recommend products", None)?;
/// let log = InteractionsSpec::new(60, 40).interactions_per_user(12.0).seed(1).generate()?;
/// let split = temporal_split(&log, 0.2)?;
/// let outcome = run_recommender_experiments(
///     &increment,
///     vec![
///         RecommenderExperiment::new("popularity", Popularity::default()).role(Role::Baseline),
///         RecommenderExperiment::new("item-knn", ItemKnn::new(ItemKnnParams::default())?),
///     ],
///     &RecommenderData::new(&split).k(5).resamples(100),
/// )?;
/// assert_eq!(outcome.headline_metric, "precision@5");
/// assert!(outcome.results.iter().all(|r| r.outcome.is_ok()));
/// assert!(outcome.registered.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_recommender_experiments(
    increment: &Increment,
    experiments: Vec<RecommenderExperiment>,
    data: &RecommenderData<'_>,
) -> Result<ExperimentsOutcome> {
    check_not_empty(experiments.len())?;
    let users = data.check()?;
    let headline = data.headline();
    let tracker = Tracker::open(increment.dir())?;
    let results = experiments
        .into_par_iter()
        .map(|experiment| run_one(&tracker, experiment, data, users, &headline))
        .collect::<Result<Vec<_>>>()?;
    let ranking = Ranking {
        metric: headline.clone(),
        lower_is_better: lower_is_better(&headline),
        register: data.register,
    };
    conclude(&tracker, results, headline, &ranking)
}

fn run_one(
    tracker: &Tracker,
    experiment: RecommenderExperiment,
    data: &RecommenderData<'_>,
    users: usize,
    headline: &str,
) -> Result<ExperimentResult> {
    let RecommenderExperiment { name, build, role } = experiment;
    track(tracker, &name, role, headline, |run| {
        measure(run, build, data, users)
    })
}

fn measure(
    run: &Run,
    build: Build<BuildRecommender>,
    data: &RecommenderData<'_>,
    users: usize,
) -> Result<ExperimentMetrics> {
    // Recommenders that train by epochs report their curves; they become step metrics.
    let curves = MetricBuffer::new();
    let mut model = (build.0)(curves.clone())?;
    log_model(run, model.name(), model.params())?;
    run.log_param("k", data.k as u64)?;
    run.log_param("bootstrap_resamples", data.resamples as u64)?;
    run.log_param("train_events", data.split.train.len() as u64)?;
    run.log_param("evaluated_users", users as u64)?;
    let started = Instant::now();
    model.fit(&data.split.train)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    run.log_buffered(&curves)?;
    let evaluation = evaluate_recommender(
        model.as_ref(),
        data.split,
        data.k,
        data.resamples,
        data.seed,
    )?;
    // Every ranking metric with its interval over users; coverage over the whole catalog.
    let mut metrics: BTreeMap<String, f64> = crate::pipeline::interval_metrics(&evaluation.report);
    metrics.insert("coverage".to_owned(), evaluation.coverage);
    metrics.insert("training_time_s".to_owned(), fit_seconds);
    let model_file = save_model(run, &model.to_bytes()?, &mut metrics)?;
    log_finite(run, &metrics)?;
    Ok(ExperimentMetrics {
        metrics,
        model_file,
    })
}
