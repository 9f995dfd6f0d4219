//! # specweave-train
//!
//! Training for specweave.
#![warn(missing_docs)]

mod baseline;
mod common;
mod cv;
mod error;
mod imbalance;
mod linear;
mod registry;
mod trees;
mod tune;

pub use baseline::*;
pub use cv::{
    CrossValidation, CvResult, FoldResult, Metric, MetricFn, MetricSummary, cross_validate,
};
pub use error::{Result, TrainError};
pub use imbalance::{
    ClassWeight, Resampling, ThresholdChoice, ThresholdObjective, ThresholdTuned, ThresholdedModel,
    choose_threshold, resample, with_class_weights,
};
pub use linear::{
    ElasticNet, ElasticNetParams, LinearLink, LinearModel, LinearRegression,
    LinearRegressionParams, LogisticRegression, LogisticRegressionParams, Ridge, RidgeParams,
};
pub use registry::{LEARNER_NAMES, MODEL_NAMES, learner_from_params, load_model};
pub use trees::boosting::{GradientBoosting, GradientBoostingModel, GradientBoostingParams};
pub use trees::decision_tree::{Criterion, DecisionTree, DecisionTreeModel, DecisionTreeParams};
pub use trees::forest::{MaxFeatures, RandomForest, RandomForestModel, RandomForestParams};
pub use tune::{
    Direction, NoTrialObserver, ParamSpace, SearchSpace, SearchStrategy, Trial, TrialObserver,
    TuneResult, Tuner,
};
