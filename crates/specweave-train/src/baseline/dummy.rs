//! Dummy classifiers and regressors: predictions that ignore the features.

use crate::common::{
    FRAMEWORK, check_columns, class_target, continuous_target, encode_model, model_info,
    require_rows, weights_or_ones,
};
use crate::error::{Result, TrainError};
use ndarray::{Array1, Array2, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, Learner, Model, ModelInfo, Predictions, ProblemKind};

/// How a [`DummyClassifier`] predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassifierStrategy {
    /// Every class equally likely (probability `1/k` each).
    Uniform,
    /// Probability 1 for the most frequent training class.
    MostFrequent,
    /// A one-hot draw per row from the training class distribution (deterministic under `seed`).
    Stratified,
    /// The training class distribution as the probability of every row.
    #[default]
    Prior,
}

/// Hyperparameters of [`DummyClassifier`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DummyClassifierParams {
    /// The strategy.
    pub strategy: ClassifierStrategy,
    /// Seed of the stratified draws.
    pub seed: u64,
}

/// A classifier that ignores the features; the floor every candidate must beat.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::{ClassifierStrategy, DummyClassifier};
///
/// let data = Dataset::builder(array![[0.0], [1.0], [2.0]])
///     .target(Target::Classes { labels: vec![0, 1, 1], class_names: vec!["a".into(), "b".into()] })
///     .build()?;
/// let model = DummyClassifier::new(ClassifierStrategy::Prior).fit(&data)?;
/// let p = model.predict(data.features())?;
/// assert!((p.probabilities().unwrap()[[0, 1]] - 2.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DummyClassifier {
    params: DummyClassifierParams,
}

impl DummyClassifier {
    /// Registered name.
    pub const NAME: &'static str = "dummy_classifier";

    /// A dummy classifier with `strategy`.
    pub fn new(strategy: ClassifierStrategy) -> Self {
        DummyClassifier {
            params: DummyClassifierParams { strategy, seed: 0 },
        }
    }

    /// From validated parameters.
    pub fn from_params(params: DummyClassifierParams) -> Result<Self> {
        Ok(DummyClassifier { params })
    }

    /// Sets the seed of the stratified strategy.
    pub fn seed(mut self, seed: u64) -> Self {
        self.params.seed = seed;
        self
    }
}

impl Learner for DummyClassifier {
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
        require_rows(Self::NAME, data)?;
        let (labels, class_names) = class_target(Self::NAME, data)?;
        let weights = weights_or_ones(data);
        let mut prior = vec![0.0; class_names.len()];
        for (&label, &w) in labels.iter().zip(&weights) {
            prior[label] += w;
        }
        let total: f64 = prior.iter().sum();
        if total <= 0.0 {
            return Err(TrainError::data(Self::NAME, "all sample weights are zero").into());
        }
        prior.iter_mut().for_each(|p| *p /= total);
        Ok(Box::new(DummyClassifierModel {
            params: self.params.clone(),
            prior,
            feature_names: data.feature_names().to_vec(),
            class_names: class_names.to_vec(),
        }))
    }
}

/// A fitted [`DummyClassifier`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DummyClassifierModel {
    params: DummyClassifierParams,
    prior: Vec<f64>,
    feature_names: Vec<String>,
    class_names: Vec<String>,
}

impl DummyClassifierModel {
    /// The weighted class distribution seen in training.
    pub fn prior(&self) -> &[f64] {
        &self.prior
    }
}

impl Model for DummyClassifierModel {
    fn info(&self) -> ModelInfo {
        model_info(
            DummyClassifier::NAME,
            ProblemKind::Classification,
            serde_json::to_value(&self.params).unwrap_or_default(),
            &self.feature_names,
            &self.class_names,
            FRAMEWORK,
        )
    }

    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        check_columns(features, self.feature_names.len())?;
        let (rows, k) = (features.nrows(), self.prior.len());
        let mut probabilities = Array2::zeros((rows, k));
        let most_frequent = self
            .prior
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (i, &p)| {
                if p > best.1 { (i, p) } else { best }
            })
            .0;
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.seed);
        for mut row in probabilities.rows_mut() {
            match self.params.strategy {
                ClassifierStrategy::Uniform => row.fill(1.0 / k as f64),
                ClassifierStrategy::MostFrequent => row[most_frequent] = 1.0,
                ClassifierStrategy::Prior => row.assign(&Array1::from(self.prior.clone())),
                ClassifierStrategy::Stratified => {
                    let u: f64 = rng.random();
                    let mut cumulative = 0.0;
                    let mut drawn = k - 1;
                    for (i, &p) in self.prior.iter().enumerate() {
                        cumulative += p;
                        if u < cumulative {
                            drawn = i;
                            break;
                        }
                    }
                    row[drawn] = 1.0;
                }
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

/// How a [`DummyRegressor`] predicts.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum RegressorStrategy {
    /// The weighted mean of the training target.
    #[default]
    Mean,
    /// The weighted median of the training target.
    Median,
    /// A fixed value.
    Constant(f64),
}

/// Hyperparameters of [`DummyRegressor`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DummyRegressorParams {
    /// The strategy.
    pub strategy: RegressorStrategy,
}

/// A regressor that predicts one value for every row.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::{DummyRegressor, RegressorStrategy};
///
/// let data = Dataset::builder(array![[0.0], [1.0], [2.0]])
///     .target(Target::Continuous(array![1.0, 2.0, 9.0]))
///     .build()?;
/// let model = DummyRegressor::new(RegressorStrategy::Median).fit(&data)?;
/// assert_eq!(model.predict(data.features())?.scores()?, array![2.0, 2.0, 2.0]);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DummyRegressor {
    params: DummyRegressorParams,
}

impl DummyRegressor {
    /// Registered name.
    pub const NAME: &'static str = "dummy_regressor";

    /// A dummy regressor with `strategy`.
    pub fn new(strategy: RegressorStrategy) -> Self {
        DummyRegressor {
            params: DummyRegressorParams { strategy },
        }
    }

    /// From validated parameters.
    pub fn from_params(params: DummyRegressorParams) -> Result<Self> {
        if let RegressorStrategy::Constant(v) = params.strategy
            && !v.is_finite()
        {
            return Err(TrainError::param(
                Self::NAME,
                "strategy",
                format!("constant {v} is not finite"),
            ));
        }
        Ok(DummyRegressor { params })
    }
}

/// Weighted median: the smallest value whose cumulative weight reaches half the total.
pub(crate) fn weighted_median(values: &[f64], weights: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let total: f64 = weights.iter().sum();
    let mut cumulative = 0.0;
    for &i in &order {
        cumulative += weights[i];
        if cumulative >= total / 2.0 {
            // With unit weights and an even count, average the two middle values as numpy does.
            if (cumulative - total / 2.0).abs() < 1e-12 && weights.iter().all(|&w| w == 1.0) {
                let next = order.iter().map(|&j| values[j]).find(|&v| v > values[i]);
                if let Some(next) = next {
                    return (values[i] + next) / 2.0;
                }
            }
            return values[i];
        }
    }
    values.first().copied().unwrap_or(0.0)
}

impl Learner for DummyRegressor {
    fn name(&self) -> &str {
        Self::NAME
    }
    fn problem(&self) -> ProblemKind {
        ProblemKind::Regression
    }
    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }
    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        require_rows(Self::NAME, data)?;
        let target = continuous_target(Self::NAME, data)?;
        let weights = weights_or_ones(data);
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(TrainError::data(Self::NAME, "all sample weights are zero").into());
        }
        let value = match self.params.strategy {
            RegressorStrategy::Mean => {
                target.iter().zip(&weights).map(|(y, w)| y * w).sum::<f64>() / total
            }
            RegressorStrategy::Median => {
                weighted_median(target.as_slice().unwrap_or(&target.to_vec()), &weights)
            }
            RegressorStrategy::Constant(v) => v,
        };
        Ok(Box::new(DummyRegressorModel {
            params: self.params.clone(),
            value,
            feature_names: data.feature_names().to_vec(),
        }))
    }
}

/// A fitted [`DummyRegressor`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DummyRegressorModel {
    params: DummyRegressorParams,
    value: f64,
    feature_names: Vec<String>,
}

impl DummyRegressorModel {
    /// The value predicted for every row.
    pub fn value(&self) -> f64 {
        self.value
    }
}

impl Model for DummyRegressorModel {
    fn info(&self) -> ModelInfo {
        model_info(
            DummyRegressor::NAME,
            ProblemKind::Regression,
            serde_json::to_value(&self.params).unwrap_or_default(),
            &self.feature_names,
            &[],
            FRAMEWORK,
        )
    }
    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        check_columns(features, self.feature_names.len())?;
        Ok(Predictions::Values(Array1::from_elem(
            features.nrows(),
            self.value,
        )))
    }
    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        encode_model(self.info(), self)
    }
}
