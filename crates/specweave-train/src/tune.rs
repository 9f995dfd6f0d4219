//! Hyperparameter search: search spaces declared as data, grid search, random search and
//! successive halving (sample-efficient: many candidates on few rows, the best on more).
//! Deterministic under a seed; every trial is reported to a [`TrialObserver`] (the facade
//! turns each into a tracked child run) and to a [`MetricSink`].

use crate::cv::{CrossValidation, Metric, MetricSummary};
use crate::error::{Result, TrainError};
use crate::registry::learner_from_params;
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use specweave_core::{Dataset, MetricSink, Splitter};
use std::collections::BTreeMap;

/// The values one hyperparameter may take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamSpace {
    /// Integers in `[low, high]`, uniform or log-uniform.
    Int {
        /// Smallest value.
        low: i64,
        /// Largest value.
        high: i64,
        /// Sample on a log scale (needs `low > 0`).
        #[serde(default)]
        log: bool,
    },
    /// Reals in `[low, high]`, uniform or log-uniform.
    Float {
        /// Smallest value.
        low: f64,
        /// Largest value.
        high: f64,
        /// Sample on a log scale (needs `low > 0`).
        #[serde(default)]
        log: bool,
    },
    /// One of a list of JSON values.
    Categorical {
        /// The choices.
        choices: Vec<Value>,
    },
}

impl ParamSpace {
    fn validate(&self, name: &str) -> Result<()> {
        let bad = |m: String| Err(TrainError::SearchSpace(format!("`{name}`: {m}")));
        match *self {
            ParamSpace::Int { low, high, log } => {
                if low > high {
                    return bad(format!("low {low} > high {high}"));
                }
                if log && low <= 0 {
                    return bad("a log scale needs low > 0".into());
                }
            }
            ParamSpace::Float { low, high, log } => {
                if !(low.is_finite() && high.is_finite()) || low > high {
                    return bad(format!("needs finite low <= high, got [{low}, {high}]"));
                }
                if log && low <= 0.0 {
                    return bad("a log scale needs low > 0".into());
                }
            }
            ParamSpace::Categorical { ref choices } => {
                if choices.is_empty() {
                    return bad("needs at least one choice".into());
                }
            }
        }
        Ok(())
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> Value {
        match *self {
            ParamSpace::Int { low, high, log } => {
                if log {
                    let (a, b) = ((low as f64).ln(), (high as f64 + 1.0).ln());
                    let v = (a + rng.random::<f64>() * (b - a)).exp().floor() as i64;
                    Value::from(v.clamp(low, high))
                } else {
                    Value::from(rng.random_range(low..=high))
                }
            }
            ParamSpace::Float { low, high, log } => {
                let u: f64 = rng.random();
                let v = if log {
                    (low.ln() + u * (high.ln() - low.ln())).exp()
                } else {
                    low + u * (high - low)
                };
                Value::from(v)
            }
            ParamSpace::Categorical { ref choices } => {
                choices[rng.random_range(0..choices.len())].clone()
            }
        }
    }

    fn grid(&self, steps: usize) -> Vec<Value> {
        let steps = steps.max(1);
        let spaced = |low: f64, high: f64, log: bool| -> Vec<f64> {
            if steps == 1 || low == high {
                return vec![low];
            }
            (0..steps)
                .map(|i| {
                    let t = i as f64 / (steps - 1) as f64;
                    if log {
                        (low.ln() + t * (high.ln() - low.ln())).exp()
                    } else {
                        low + t * (high - low)
                    }
                })
                .collect()
        };
        match *self {
            ParamSpace::Int { low, high, log } => {
                if (high - low + 1) as usize <= steps && !log {
                    (low..=high).map(Value::from).collect()
                } else {
                    let mut values: Vec<i64> = spaced(low as f64, high as f64, log)
                        .into_iter()
                        .map(|v| v.round() as i64)
                        .collect();
                    values.dedup();
                    values.into_iter().map(Value::from).collect()
                }
            }
            ParamSpace::Float { low, high, log } => spaced(low, high, log)
                .into_iter()
                .map(Value::from)
                .collect(),
            ParamSpace::Categorical { ref choices } => choices.clone(),
        }
    }
}

/// A search space: parameter name → its values. Serialises as a JSON object.
///
/// ```
/// use specweave_train::SearchSpace;
///
/// let space: SearchSpace = serde_json::from_str(r#"{
///     "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": true},
///     "num_leaves": {"type": "int", "low": 8, "high": 64},
///     "subsample": {"type": "categorical", "choices": [0.7, 1.0]}
/// }"#)?;
/// assert_eq!(space.grid(3)?.len(), 3 * 3 * 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SearchSpace {
    /// The parameters, in name order.
    pub params: BTreeMap<String, ParamSpace>,
}

impl SearchSpace {
    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<()> {
        if self.params.is_empty() {
            return Err(TrainError::SearchSpace("the search space is empty".into()));
        }
        self.params
            .iter()
            .try_for_each(|(name, space)| space.validate(name))
    }

    /// One random configuration.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> Map<String, Value> {
        self.params
            .iter()
            .map(|(name, space)| (name.clone(), space.sample(rng)))
            .collect()
    }

    /// Every combination, with `steps` values for each numeric range.
    pub fn grid(&self, steps: usize) -> Result<Vec<Map<String, Value>>> {
        self.validate()?;
        let mut configurations = vec![Map::new()];
        for (name, space) in &self.params {
            let values = space.grid(steps);
            configurations = configurations
                .into_iter()
                .flat_map(|config| {
                    values.iter().map(move |v| {
                        let mut next = config.clone();
                        next.insert(name.clone(), v.clone());
                        next
                    })
                })
                .collect();
        }
        Ok(configurations)
    }
}

/// How configurations are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SearchStrategy {
    /// Every combination of the grid (`steps` values per numeric range).
    Grid {
        /// Values per numeric range.
        steps: usize,
    },
    /// `n_trials` random configurations.
    Random {
        /// Number of trials.
        n_trials: usize,
    },
    /// Successive halving: `n_candidates` random configurations on a `min_fraction` of the
    /// rows; the best `1/eta` move on to `eta` times more rows, until one is left or all rows
    /// are used.
    SuccessiveHalving {
        /// Configurations in the first rung.
        n_candidates: usize,
        /// Reduction factor (at least 2).
        eta: usize,
        /// Share of rows in the first rung.
        min_fraction: f64,
    },
}

/// Whether larger or smaller scores are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Larger is better (accuracy, AUC).
    Maximize,
    /// Smaller is better (RMSE, log loss).
    Minimize,
}

/// One evaluated configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Trial number, from 0, in evaluation order.
    pub number: usize,
    /// The full learner parameters evaluated.
    pub params: Value,
    /// The cross-validated mean of the objective metric (NaN when the trial failed).
    pub score: f64,
    /// Every metric's mean and standard deviation over folds.
    pub metrics: BTreeMap<String, MetricSummary>,
    /// Rows the trial was cross-validated on.
    pub n_rows: usize,
    /// Successive-halving rung (0 for grid and random search).
    pub rung: usize,
    /// Seconds spent fitting, summed over folds.
    pub fit_seconds: f64,
    /// Why the trial failed, if it did.
    pub error: Option<String>,
}

/// Receives every trial as soon as it is evaluated.
pub trait TrialObserver: Send + Sync {
    /// Called once per trial, failed ones included.
    fn on_trial(&self, trial: &Trial);
}

/// An observer that ignores trials.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrialObserver;

impl TrialObserver for NoTrialObserver {
    fn on_trial(&self, _trial: &Trial) {}
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneResult {
    /// Parameters of the best trial (of the last rung for successive halving).
    pub best_params: Value,
    /// Its score.
    pub best_score: f64,
    /// Every trial in order.
    pub trials: Vec<Trial>,
}

/// A hyperparameter search over one learner.
///
/// ```
/// use ndarray::{Array1, Array2};
/// use specweave_core::{Dataset, Fold, NoMetrics, Splitter, Target};
/// use specweave_train::{Direction, Metric, NoTrialObserver, SearchSpace, SearchStrategy, Tuner};
///
/// #[derive(Debug)]
/// struct Halves;
/// impl Splitter for Halves {
///     fn name(&self) -> String { "halves".into() }
///     fn split(&self, data: &Dataset) -> specweave_core::Result<Vec<Fold>> {
///         let (a, b): (Vec<usize>, Vec<usize>) = (0..data.n_rows()).partition(|i| i % 2 == 0);
///         Ok(vec![Fold { train: a.clone(), validation: b.clone() }, Fold { train: b, validation: a }])
///     }
/// }
/// let x = Array2::from_shape_fn((60, 1), |(i, _)| i as f64);
/// let y: Array1<f64> = x.column(0).mapv(|v| 2.0 * v + 1.0);
/// let data = Dataset::builder(x).target(Target::Continuous(y)).build()?;
/// let rmse = Metric::new("rmse", |t, p| {
///     let d = t.as_f64().unwrap_or_default() - p.scores()?;
///     Ok(d.mapv(|v| v * v).mean().unwrap_or(f64::NAN).sqrt())
/// });
/// let space: SearchSpace = serde_json::from_str(r#"{"alpha": {"type": "float", "low": 0.001, "high": 1000, "log": true}}"#)?;
/// let result = Tuner::new("ridge", space, SearchStrategy::Grid { steps: 7 }, "rmse", Direction::Minimize)
///     .run(&data, &Halves, &[rmse], &NoTrialObserver, &NoMetrics)?;
/// assert_eq!(result.trials.len(), 7);
/// assert!((result.best_params["alpha"].as_f64().unwrap() - 0.001).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Tuner {
    learner: String,
    base_params: Value,
    space: SearchSpace,
    strategy: SearchStrategy,
    metric: String,
    direction: Direction,
    seed: u64,
    progress: bool,
}

impl Tuner {
    /// Searches `space` for `learner` (a registered name), ranking by the mean of `metric`.
    pub fn new(
        learner: impl Into<String>,
        space: SearchSpace,
        strategy: SearchStrategy,
        metric: impl Into<String>,
        direction: Direction,
    ) -> Tuner {
        Tuner {
            learner: learner.into(),
            base_params: Value::Object(Map::new()),
            space,
            strategy,
            metric: metric.into(),
            direction,
            seed: 0,
            progress: true,
        }
    }

    /// Fixed parameters every trial starts from (the search space overrides them).
    pub fn base_params(mut self, params: Value) -> Self {
        self.base_params = params;
        self
    }

    /// Seed of sampling and subsampling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Shows a progress bar of trials on a terminal (on by default; hidden off a terminal).
    pub fn progress(mut self, progress: bool) -> Self {
        self.progress = progress;
        self
    }

    /// Runs the search, cross-validating each configuration with `splitter`.
    pub fn run(
        &self,
        data: &Dataset,
        splitter: &dyn Splitter,
        metrics: &[Metric],
        observer: &dyn TrialObserver,
        sink: &dyn MetricSink,
    ) -> Result<TuneResult> {
        self.space.validate()?;
        if !metrics.iter().any(|m| m.name() == self.metric) {
            return Err(TrainError::SearchSpace(format!(
                "objective metric `{}` is not among the metrics ({})",
                self.metric,
                metrics
                    .iter()
                    .map(Metric::name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if !self.base_params.is_object() {
            return Err(TrainError::SearchSpace(
                "base params must be a JSON object".into(),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut state = SearchState {
            tuner: self,
            splitter,
            metrics,
            observer,
            sink,
            trials: Vec::new(),
            bar: self.bar(0),
        };
        match self.strategy {
            SearchStrategy::Grid { steps } => {
                let grid = self.space.grid(steps)?;
                state.bar = self.bar(grid.len());
                for config in grid {
                    state.evaluate(config, data, 0);
                }
            }
            SearchStrategy::Random { n_trials } => {
                if n_trials == 0 {
                    return Err(TrainError::SearchSpace(
                        "random search needs n_trials >= 1".into(),
                    ));
                }
                state.bar = self.bar(n_trials);
                for _ in 0..n_trials {
                    let config = self.space.sample(&mut rng);
                    state.evaluate(config, data, 0);
                }
            }
            SearchStrategy::SuccessiveHalving {
                n_candidates,
                eta,
                min_fraction,
            } => {
                if n_candidates == 0 || eta < 2 || !(min_fraction > 0.0 && min_fraction <= 1.0) {
                    return Err(TrainError::SearchSpace(format!(
                        "successive halving needs n_candidates >= 1, eta >= 2 and min_fraction in (0, 1]; got {n_candidates}, {eta}, {min_fraction}"
                    )));
                }
                let mut order: Vec<usize> = (0..data.n_rows()).collect();
                order.shuffle(&mut rng);
                let mut candidates: Vec<Map<String, Value>> = (0..n_candidates)
                    .map(|_| self.space.sample(&mut rng))
                    .collect();
                let mut fraction = min_fraction;
                let mut rung = 0;
                state.bar = self.bar(0);
                loop {
                    let n_rows =
                        ((data.n_rows() as f64 * fraction).ceil() as usize).clamp(1, data.n_rows());
                    let mut rows = order[..n_rows].to_vec();
                    rows.sort_unstable();
                    let subset = data.select_rows(&rows)?;
                    state.bar.inc_length(candidates.len() as u64);
                    let mut scored: Vec<(f64, Map<String, Value>)> = Vec::new();
                    for config in candidates {
                        let score = state.evaluate(config.clone(), &subset, rung);
                        scored.push((score, config));
                    }
                    if scored.len() <= 1 || fraction >= 1.0 {
                        break;
                    }
                    scored.sort_by(|a, b| self.compare(a.0, b.0));
                    let keep = scored.len().div_ceil(eta);
                    candidates = scored.into_iter().take(keep).map(|(_, c)| c).collect();
                    fraction = (fraction * eta as f64).min(1.0);
                    rung += 1;
                }
            }
        }
        state.bar.finish_and_clear();
        let trials = state.trials;
        let last_rung = trials.iter().map(|t| t.rung).max().unwrap_or(0);
        let best = trials
            .iter()
            .filter(|t| t.rung == last_rung && !t.score.is_nan())
            .min_by(|a, b| self.compare(a.score, b.score))
            .ok_or_else(|| {
                let first_error = trials
                    .iter()
                    .find_map(|t| t.error.clone())
                    .unwrap_or_default();
                TrainError::SearchSpace(format!(
                    "every trial failed; the first error: {first_error}"
                ))
            })?;
        Ok(TuneResult {
            best_params: best.params.clone(),
            best_score: best.score,
            trials: trials.clone(),
        })
    }

    /// Orders scores best first; NaN last.
    fn compare(&self, a: f64, b: f64) -> std::cmp::Ordering {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ => match self.direction {
                Direction::Maximize => b.total_cmp(&a),
                Direction::Minimize => a.total_cmp(&b),
            },
        }
    }

    fn bar(&self, len: usize) -> ProgressBar {
        let bar = if self.progress {
            ProgressBar::new(len as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} trials")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("tune {}", self.learner));
        bar
    }
}

struct SearchState<'a> {
    tuner: &'a Tuner,
    splitter: &'a dyn Splitter,
    metrics: &'a [Metric],
    observer: &'a dyn TrialObserver,
    sink: &'a dyn MetricSink,
    trials: Vec<Trial>,
    bar: ProgressBar,
}

impl SearchState<'_> {
    /// Evaluates one configuration on `data`, records and reports the trial, returns its score.
    fn evaluate(&mut self, config: Map<String, Value>, data: &Dataset, rung: usize) -> f64 {
        let mut params = self.tuner.base_params.clone();
        if let Some(object) = params.as_object_mut() {
            object.extend(config);
        }
        let outcome = learner_from_params(&self.tuner.learner, &params).and_then(|learner| {
            CrossValidation::new(self.metrics.to_vec())
                .progress(false)
                .run(learner.as_ref(), data, self.splitter)
        });
        let number = self.trials.len();
        let trial = match outcome {
            Ok(cv) => Trial {
                number,
                score: cv.mean(&self.tuner.metric).unwrap_or(f64::NAN),
                fit_seconds: cv.total_fit_seconds(),
                metrics: cv.summary,
                params,
                n_rows: data.n_rows(),
                rung,
                error: None,
            },
            Err(e) => Trial {
                number,
                params,
                score: f64::NAN,
                metrics: BTreeMap::new(),
                n_rows: data.n_rows(),
                rung,
                fit_seconds: 0.0,
                error: Some(e.to_string()),
            },
        };
        self.sink
            .log_metric("trial_score", trial.score, number as u64);
        for (name, summary) in &trial.metrics {
            self.sink
                .log_metric(&format!("trial_{name}"), summary.mean, number as u64);
        }
        self.observer.on_trial(&trial);
        self.bar.inc(1);
        let score = trial.score;
        self.trials.push(trial);
        score
    }
}
