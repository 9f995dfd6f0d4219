//! Learners and models by name: [`learner_from_params`] builds a learner from its registered
//! name and JSON parameters (for tuners and configuration files), and [`load_model`] reads any
//! model file this crate writes, dispatching on the algorithm recorded in its header.

use crate::error::{Result, TrainError};
use crate::imbalance::{ClassWeighted, ThresholdedModel};
use crate::neural;
use crate::{
    DecisionTree, DecisionTreeModel, DummyClassifier, DummyClassifierModel, DummyRegressor,
    DummyRegressorModel, ElasticNet, GaussianNaiveBayes, GaussianNbModel, GradientBoosting,
    GradientBoostingModel, KNearestNeighbours, KnnModel, LinearModel, LinearRegression,
    LogisticRegression, RandomForest, RandomForestModel, Ridge, ThresholdRule, ThresholdRuleModel,
};
use serde::de::DeserializeOwned;
use specweave_core::{Learner, Model, ModelFile};
use std::sync::Arc;

/// Names [`learner_from_params`] knows.
pub const LEARNER_NAMES: &[&str] = &[
    DummyClassifier::NAME,
    DummyRegressor::NAME,
    ThresholdRule::NAME,
    LogisticRegression::NAME,
    LinearRegression::NAME,
    Ridge::NAME,
    ElasticNet::NAME,
    DecisionTree::NAME,
    RandomForest::NAME,
    GradientBoosting::NAME,
    KNearestNeighbours::NAME,
    GaussianNaiveBayes::NAME,
    neural::ALGORITHM_CLASSIFIER,
    neural::ALGORITHM_REGRESSOR,
];

/// Algorithm names [`load_model`] knows.
pub const MODEL_NAMES: &[&str] = &[
    DummyClassifier::NAME,
    DummyRegressor::NAME,
    ThresholdRule::NAME,
    LogisticRegression::NAME,
    LinearRegression::NAME,
    Ridge::NAME,
    ElasticNet::NAME,
    DecisionTree::NAME,
    RandomForest::NAME,
    GradientBoosting::NAME,
    KNearestNeighbours::NAME,
    GaussianNaiveBayes::NAME,
    ThresholdedModel::NAME,
    neural::ALGORITHM_CLASSIFIER,
    neural::ALGORITHM_REGRESSOR,
];

fn parse<T: DeserializeOwned + Default>(name: &str, params: &serde_json::Value) -> Result<T> {
    if params.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(params.clone())
        .map_err(|e| TrainError::param(name, "params", format!("do not parse: {e}")))
}

/// Classifiers that fit with sample weights, and so take a `class_weight` parameter.
const CLASS_WEIGHTED_LEARNERS: [&str; 5] = [
    LogisticRegression::NAME,
    DecisionTree::NAME,
    RandomForest::NAME,
    GradientBoosting::NAME,
    neural::ALGORITHM_CLASSIFIER,
];

/// Whether the learner called `name` takes a `class_weight` parameter (it fits with sample
/// weights).
///
/// ```
/// assert!(specweave_train::honours_class_weight("gradient_boosting"));
/// assert!(!specweave_train::honours_class_weight("k_nearest_neighbours"));
/// ```
pub fn honours_class_weight(name: &str) -> bool {
    CLASS_WEIGHTED_LEARNERS.contains(&name)
}

/// Builds a learner from its registered name and parameters (`null` or `{}` for defaults);
/// unknown names and unknown or invalid parameters are errors.
///
/// ```
/// use specweave_train::learner_from_params;
///
/// let forest = learner_from_params("random_forest", &serde_json::json!({"n_estimators": 50}))?;
/// assert_eq!(forest.params()["n_estimators"], 50);
/// let err = learner_from_params("xgboost", &serde_json::json!({})).unwrap_err();
/// assert!(err.to_string().contains("gradient_boosting"));
/// # Ok::<(), specweave_train::TrainError>(())
/// ```
pub fn learner_from_params(name: &str, params: &serde_json::Value) -> Result<Box<dyn Learner>> {
    if let Some(class_weight) = params.get("class_weight") {
        // the others would silently ignore the weights
        if !honours_class_weight(name) {
            return Err(TrainError::param(
                name,
                "class_weight",
                format!(
                    "{name} does not use sample weights; class_weight works with {}",
                    CLASS_WEIGHTED_LEARNERS.join(", ")
                ),
            ));
        }
        let mut inner_params = params.clone();
        if let Some(map) = inner_params.as_object_mut() {
            map.remove("class_weight");
        }
        let inner = learner_from_params(name, &inner_params)?;
        return Ok(match ClassWeighted::parse(class_weight)? {
            Some(weights) => Box::new(ClassWeighted::new(Arc::from(inner), weights)),
            None => inner,
        });
    }
    Ok(match name {
        DummyClassifier::NAME => Box::new(DummyClassifier::from_params(parse(name, params)?)?),
        DummyRegressor::NAME => Box::new(DummyRegressor::from_params(parse(name, params)?)?),
        ThresholdRule::NAME => {
            let parsed = serde_json::from_value(params.clone())
                .map_err(|e| TrainError::param(name, "params", format!("do not parse: {e}")))?;
            Box::new(ThresholdRule::from_params(parsed)?)
        }
        LogisticRegression::NAME => Box::new(LogisticRegression::new(parse(name, params)?)?),
        LinearRegression::NAME => Box::new(LinearRegression::new(parse(name, params)?)?),
        Ridge::NAME => Box::new(Ridge::new(parse(name, params)?)?),
        ElasticNet::NAME => Box::new(ElasticNet::new(parse(name, params)?)?),
        DecisionTree::NAME => Box::new(DecisionTree::new(parse(name, params)?)?),
        RandomForest::NAME => Box::new(RandomForest::new(parse(name, params)?)?),
        GradientBoosting::NAME => Box::new(GradientBoosting::new(parse(name, params)?)?),
        KNearestNeighbours::NAME => Box::new(KNearestNeighbours::new(parse(name, params)?)?),
        GaussianNaiveBayes::NAME => Box::new(GaussianNaiveBayes::new(parse(name, params)?)?),
        neural::ALGORITHM_CLASSIFIER => Box::new(neural::MlpClassifier::new(parse(name, params)?)?),
        neural::ALGORITHM_REGRESSOR => Box::new(neural::MlpRegressor::new(parse(name, params)?)?),
        other => {
            return Err(specweave_core::Error::UnknownModel {
                name: other.to_string(),
                known: LEARNER_NAMES.join(", "),
            }
            .into());
        }
    })
}

/// Reads a model file written by any model of this crate.
///
/// Truncated or altered files fail the checksum; unknown algorithms fail with the list of
/// known ones. Loading never runs code from the file.
pub fn load_model(bytes: &[u8]) -> Result<Box<dyn Model>> {
    let file = ModelFile::decode(bytes)?;
    let algorithm = file.header.info.algorithm.as_str();
    Ok(match algorithm {
        DummyClassifier::NAME => Box::new(file.json_payload::<DummyClassifierModel>()?),
        DummyRegressor::NAME => Box::new(file.json_payload::<DummyRegressorModel>()?),
        ThresholdRule::NAME => Box::new(file.json_payload::<ThresholdRuleModel>()?),
        LogisticRegression::NAME | LinearRegression::NAME | Ridge::NAME | ElasticNet::NAME => {
            Box::new(file.json_payload::<LinearModel>()?)
        }
        DecisionTree::NAME => Box::new(validated_trees(file.json_payload::<DecisionTreeModel>()?)?),
        RandomForest::NAME => Box::new(validated_trees(file.json_payload::<RandomForestModel>()?)?),
        GradientBoosting::NAME => Box::new(validated_trees(
            file.json_payload::<GradientBoostingModel>()?,
        )?),
        KNearestNeighbours::NAME => Box::new(file.json_payload::<KnnModel>()?),
        GaussianNaiveBayes::NAME => Box::new(file.json_payload::<GaussianNbModel>()?),
        ThresholdedModel::NAME => Box::new(ThresholdedModel::from_file(&file)?),
        neural::ALGORITHM_CLASSIFIER | neural::ALGORITHM_REGRESSOR => {
            return Ok(neural::load_neural_model(bytes)?);
        }
        other => {
            return Err(specweave_core::Error::UnknownModel {
                name: other.to_string(),
                known: MODEL_NAMES.join(", "),
            }
            .into());
        }
    })
}

/// Re-checks tree invariants after deserialising (serde bypasses `TreeEnsemble::new`).
fn validated_trees<M: specweave_core::TreeModel>(model: M) -> Result<M> {
    let ensemble = model.tree_ensemble();
    for (i, tree) in ensemble.trees().iter().enumerate() {
        tree.validate(ensemble.n_features())
            .map_err(|e| specweave_core::Error::ModelFile(format!("tree {i}: {e}")))?;
    }
    Ok(model)
}
