//! # specweave-train
//!
//! Training for specweave: baselines, candidate model families, cross-validation,
//! hyperparameter search, imbalance handling and model files, all behind the shared
//! [`Learner`](specweave_core::Learner) / [`Model`](specweave_core::Model) traits.
//!
//! - Baselines: [`DummyClassifier`] (uniform, most frequent, stratified, prior),
//!   [`DummyRegressor`] (mean, median, constant), [`ThresholdRule`] and [`RuleClassifier`].
//! - Candidates: [`LogisticRegression`] (linfa-logistic), [`LinearRegression`] (linfa-linear),
//!   [`Ridge`], [`ElasticNet`] (lasso), [`DecisionTree`] (linfa-trees), and our histogram
//!   [`RandomForest`] and [`GradientBoosting`]. Tree models expose a
//!   [`TreeEnsemble`](specweave_core::TreeEnsemble) with covers through
//!   [`Model::as_tree_model`](specweave_core::Model::as_tree_model).
//! - [`cross_validate`] runs folds in parallel; [`Tuner`] searches a [`SearchSpace`] by grid,
//!   random or successive halving; [`ThresholdTuned`] tunes a decision threshold out of fold.
//! - [`learner_from_params`] builds learners by name; [`load_model`] reads any model file.
//!
//! ```
//! use ndarray::Array2;
//! use specweave_core::{Dataset, Learner, Target};
//! use specweave_train::{learner_from_params, load_model};
//!
//! let x = Array2::from_shape_fn((300, 2), |(i, j)| ((i * (j + 5)) % 31) as f64);
//! let labels: Vec<usize> = x.rows().into_iter().map(|r| usize::from(r[0] + r[1] > 30.0)).collect();
//! let data = Dataset::builder(x)
//!     .target(Target::Classes { labels, class_names: vec!["no".into(), "yes".into()] })
//!     .build()?;
//!
//! let learner = learner_from_params("gradient_boosting", &serde_json::json!({"n_estimators": 30}))?;
//! let model = learner.fit(&data)?;
//! let bytes = model.to_bytes()?;
//! let loaded = load_model(&bytes)?;
//! assert_eq!(loaded.predict(data.features())?, model.predict(data.features())?);
//! let trees = loaded.as_tree_model().expect("a booster is a tree model").tree_ensemble();
//! assert_eq!(trees.trees().len(), 30);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod baseline;
mod common;
mod cv;
mod error;
mod imbalance;
mod knn;
mod linear;
mod measured;
mod naive_bayes;
pub mod neural;
mod registry;
mod trees;
mod tune;

pub use baseline::*;
pub use cv::{
    CrossValidation, CvResult, FoldResult, Metric, MetricFn, MetricSummary, cross_validate,
};
pub use error::{Result, TrainError};
pub use imbalance::{
    ClassWeight, ClassWeighted, Resampling, ThresholdChoice, ThresholdObjective, ThresholdTuned,
    ThresholdedModel, choose_threshold, resample, with_class_weights,
};
pub use knn::{KNearestNeighbours, KnnModel, KnnParams, NeighbourWeights};
pub use linear::{
    ElasticNet, ElasticNetParams, LinearLink, LinearModel, LinearRegression,
    LinearRegressionParams, LogisticRegression, LogisticRegressionParams, Ridge, RidgeParams,
};
pub use measured::{MeasuredFit, fit_measured};
pub use naive_bayes::{GaussianNaiveBayes, GaussianNbModel, GaussianNbParams};
pub use registry::{
    LEARNER_NAMES, MODEL_NAMES, honours_class_weight, learner_from_params, load_model,
};
pub use trees::boosting::{GradientBoosting, GradientBoostingModel, GradientBoostingParams};
pub use trees::decision_tree::{Criterion, DecisionTree, DecisionTreeModel, DecisionTreeParams};
pub use trees::forest::{MaxFeatures, RandomForest, RandomForestModel, RandomForestParams};
pub use tune::{
    Direction, NoTrialObserver, ParamSpace, SearchSpace, SearchStrategy, Trial, TrialObserver,
    TuneResult, Tuner,
};
