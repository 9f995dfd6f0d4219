//! k-nearest-neighbour classification through smartcore (cover tree, Euclidean distance).
//!
//! smartcore's fitted model is not serialisable without its `serde` feature and is cheap to
//! rebuild, so the model file stores the training rows and the model is rebuilt, identically,
//! the first time a loaded model predicts.

use crate::common::{
    check_columns, class_target, encode_model, model_info, require_finite, require_finite_features,
};
use crate::error::{Result, TrainError};
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use smartcore::metrics::distance::euclidian::Euclidian;
use smartcore::neighbors::KNNWeightFunction;
use smartcore::neighbors::knn_classifier::{KNNClassifier, KNNClassifierParameters};
use specweave_core::{Dataset, Learner, Model, ModelInfo, Predictions, ProblemKind};
use std::sync::OnceLock;

/// How neighbours vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeighbourWeights {
    /// Every neighbour counts the same.
    #[default]
    Uniform,
    /// Closer neighbours count more (inverse distance).
    Distance,
}

/// Hyperparameters of [`KNearestNeighbours`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KnnParams {
    /// Number of neighbours.
    pub k: usize,
    /// Voting weights.
    pub weights: NeighbourWeights,
}

impl Default for KnnParams {
    fn default() -> Self {
        KnnParams {
            k: 5,
            weights: NeighbourWeights::Uniform,
        }
    }
}

/// A k-nearest-neighbour classifier (smartcore) returning neighbour-vote probabilities.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::{KNearestNeighbours, KnnParams};
///
/// let data = Dataset::builder(array![[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
///     .target(Target::Classes { labels: vec![0, 0, 0, 1, 1, 1], class_names: vec!["a".into(), "b".into()] })
///     .build()?;
/// let model = KNearestNeighbours::new(KnnParams { k: 3, ..Default::default() })?.fit(&data)?;
/// assert_eq!(model.predict(array![[0.05], [4.9]].view())?.labels(), Some(vec![0, 1]));
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct KNearestNeighbours {
    params: KnnParams,
}

impl KNearestNeighbours {
    /// Registered name.
    pub const NAME: &'static str = "k_nearest_neighbours";

    /// A learner with validated parameters.
    pub fn new(params: KnnParams) -> Result<Self> {
        if params.k == 0 {
            return Err(TrainError::param(Self::NAME, "k", "must be at least 1"));
        }
        Ok(KNearestNeighbours { params })
    }
}

impl Learner for KNearestNeighbours {
    fn name(&self) -> &str {
        Self::NAME
    }
    fn problem(&self) -> ProblemKind {
        ProblemKind::Classification
    }
    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }
    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        require_finite(Self::NAME, data)?;
        let (labels, class_names) = class_target(Self::NAME, data)?;
        if self.params.k > data.n_rows() {
            return Err(TrainError::param(
                Self::NAME,
                "k",
                format!(
                    "{} exceeds the {} training rows",
                    self.params.k,
                    data.n_rows()
                ),
            )
            .into());
        }
        let model = KnnModel {
            params: self.params.clone(),
            train_x: data.features().to_owned(),
            train_y: labels.iter().map(|&l| l as u32).collect(),
            feature_names: data.feature_names().to_vec(),
            class_names: class_names.to_vec(),
            fitted: OnceLock::new(),
        };
        model.fitted()?;
        Ok(Box::new(model))
    }
}

type SmartcoreKnn = KNNClassifier<f64, u32, Array2<f64>, Array1<u32>, Euclidian<f64>>;

/// A fitted [`KNearestNeighbours`].
#[derive(Serialize, Deserialize)]
pub struct KnnModel {
    params: KnnParams,
    train_x: Array2<f64>,
    train_y: Array1<u32>,
    feature_names: Vec<String>,
    class_names: Vec<String>,
    #[serde(skip)]
    fitted: OnceLock<SmartcoreKnn>,
}

impl std::fmt::Debug for KnnModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnnModel")
            .field("params", &self.params)
            .field("training_rows", &self.train_x.nrows())
            .finish()
    }
}

impl KnnModel {
    fn fitted(&self) -> Result<&SmartcoreKnn> {
        if let Some(fitted) = self.fitted.get() {
            return Ok(fitted);
        }
        let parameters = KNNClassifierParameters::default()
            .with_k(self.params.k)
            .with_weight(match self.params.weights {
                NeighbourWeights::Uniform => KNNWeightFunction::Uniform,
                NeighbourWeights::Distance => KNNWeightFunction::Distance,
            });
        let fitted = SmartcoreKnn::fit(&self.train_x, &self.train_y, parameters).map_err(|e| {
            TrainError::data(KNearestNeighbours::NAME, format!("smartcore failed: {e}"))
        })?;
        Ok(self.fitted.get_or_init(|| fitted))
    }
}

impl Model for KnnModel {
    fn info(&self) -> ModelInfo {
        model_info(
            KNearestNeighbours::NAME,
            ProblemKind::Classification,
            serde_json::to_value(&self.params).unwrap_or_default(),
            &self.feature_names,
            &self.class_names,
            "smartcore 0.7",
        )
    }
    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        check_columns(features, self.feature_names.len())?;
        require_finite_features(KNearestNeighbours::NAME, features)?;
        let fitted = self.fitted()?;
        let rows = features.to_owned();
        let votes = fitted.predict_proba(&rows).map_err(|e| {
            TrainError::data(KNearestNeighbours::NAME, format!("smartcore failed: {e}"))
        })?;
        // smartcore orders columns by the distinct training labels; map them to all classes.
        let mut present: Vec<u32> = self.train_y.to_vec();
        present.sort_unstable();
        present.dedup();
        let mut probabilities = Array2::zeros((rows.nrows(), self.class_names.len()));
        for (r, row) in votes.iter().enumerate() {
            for (&class, &p) in present.iter().zip(row) {
                probabilities[[r, class as usize]] = p;
            }
        }
        Ok(Predictions::Probabilities {
            probabilities,
            class_names: self.class_names.clone(),
        })
    }
    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        encode_model(self.info(), self)
    }
}
