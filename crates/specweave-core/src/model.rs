//! The object-safe traits every learner, model, recommender and forecaster implements.
//!
//! The pipeline holds `Box<dyn Learner>` and `Box<dyn Model>`; capability traits
//! ([`TreeModel`](crate::TreeModel), [`Differentiable`](crate::Differentiable)) are reached
//! through [`Model::as_tree_model`] and [`Model::as_differentiable`], so explainers never
//! depend on a concrete model crate.

use crate::{
    Dataset, Differentiable, Forecast, Interactions, Predictions, ProblemKind, Result, Series,
    TreeModel,
};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// Descriptive facts about a fitted model, stored with it and shown in reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Registered algorithm name, e.g. `"random_forest"`; loaders dispatch on it.
    pub algorithm: String,
    /// The problem the model solves.
    pub problem: ProblemKind,
    /// Hyperparameters as JSON.
    pub params: serde_json::Value,
    /// Names of the input features, in column order.
    pub feature_names: Vec<String>,
    /// Class names for classifiers, empty otherwise.
    pub class_names: Vec<String>,
    /// The library that implements it, e.g. `"linfa-trees 0.8"` or `"specweave"`.
    pub framework: String,
}

/// A fitted model: predicts, describes itself and serialises to bytes.
pub trait Model: Send + Sync + Debug {
    /// What the model is.
    fn info(&self) -> ModelInfo;

    /// Predicts a batch of rows (rows × features, in the order of `info().feature_names`).
    ///
    /// Fails with a shape error when the number of columns differs.
    fn predict(&self, features: ArrayView2<'_, f64>) -> Result<Predictions>;

    /// The model as a self-describing model file (see [`ModelFile`](crate::ModelFile)).
    fn to_bytes(&self) -> Result<Vec<u8>>;

    /// The model as a tree ensemble, when it is one.
    fn as_tree_model(&self) -> Option<&dyn TreeModel> {
        None
    }

    /// The model's input gradients, when it can compute them.
    fn as_differentiable(&self) -> Option<&dyn Differentiable> {
        None
    }
}

/// A configured algorithm that fits a [`Model`] to a [`Dataset`].
///
/// Hyperparameters are validated before fitting; `fit` never panics on user data.
pub trait Learner: Send + Sync + Debug {
    /// Short name used in experiment names and reports, e.g. `"logistic_regression"`.
    fn name(&self) -> &str;

    /// The problem kind this learner is primarily for.
    fn problem(&self) -> ProblemKind;

    /// Whether the learner can fit data of `problem`; learners that fit both classification
    /// and regression targets (trees, forests, boosting) override it.
    fn supports(&self, problem: ProblemKind) -> bool {
        self.problem() == problem
    }

    /// Hyperparameters as JSON (what tracking logs as params).
    fn params(&self) -> serde_json::Value;

    /// Fits a model.
    fn fit(&self, data: &Dataset) -> Result<Box<dyn Model>>;

    /// The same learner reporting its per-epoch (or per-round) training metrics to `sink`,
    /// for learners that train iteratively; `None` for the others. Experiment runners use it
    /// to turn training curves into step metrics of the tracked run.
    fn with_metric_sink(&self, sink: std::sync::Arc<dyn MetricSink>) -> Option<Box<dyn Learner>> {
        let _ = sink;
        None
    }
}

/// A recommender over [`Interactions`] with dense user and item ids.
pub trait Recommender: Send + Sync + Debug {
    /// Short name, e.g. `"item_knn"`.
    fn name(&self) -> &str;

    /// Hyperparameters as JSON.
    fn params(&self) -> serde_json::Value;

    /// Fits on the interactions; refitting replaces the previous state.
    fn fit(&mut self, interactions: &Interactions) -> Result<()>;

    /// Top-`k` items for an internal user id, best first, as `(item, score)`.
    ///
    /// With `exclude_seen`, items the user interacted with during fitting are skipped. An
    /// unknown user is an error.
    fn recommend(&self, user: u32, k: usize, exclude_seen: bool) -> Result<Vec<(u32, f64)>>;

    /// Scores of the given items for a user (higher is better).
    fn score(&self, user: u32, items: &[u32]) -> Result<Vec<f64>>;

    /// The fitted recommender as a model file.
    fn to_bytes(&self) -> Result<Vec<u8>>;
}

/// A forecaster over a univariate [`Series`].
pub trait Forecaster: Send + Sync + Debug {
    /// Short name, e.g. `"holt_winters"`.
    fn name(&self) -> &str;

    /// Hyperparameters as JSON.
    fn params(&self) -> serde_json::Value;

    /// Fits on the series; refitting replaces the previous state.
    fn fit(&mut self, series: &Series) -> Result<()>;

    /// Forecasts `horizon` steps after the end of the fitted series with a `level` interval.
    fn forecast(&self, horizon: usize, level: f64) -> Result<Forecast>;

    /// The fitted forecaster as a model file.
    fn to_bytes(&self) -> Result<Vec<u8>>;
}

/// Receives step metrics while a model trains or a search runs (epochs, trials, folds).
///
/// Tracking implements it for a run, so per-epoch losses become step metrics of the tracked
/// run without the training crate depending on tracking.
pub trait MetricSink: Send + Sync {
    /// Records `value` for `key` at `step`.
    fn log_metric(&self, key: &str, value: f64, step: u64);
}

/// A [`MetricSink`] that drops everything, for training without tracking.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMetrics;

impl MetricSink for NoMetrics {
    fn log_metric(&self, _key: &str, _value: f64, _step: u64) {}
}
