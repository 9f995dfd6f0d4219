//! Gaussian naive Bayes with scikit-learn's definition (weighted class priors, per-class
//! means and variances, variances smoothed by `var_smoothing × the largest feature variance`).
//!
//! smartcore 0.7's `GaussianNB` predicts labels only and keeps its fitted distribution
//! private, so it can neither return probabilities nor be saved; the model is small enough to
//! fit here exactly.

use crate::common::{
    FRAMEWORK, check_columns, class_target, encode_model, model_info, require_finite,
    require_finite_features, softmax_rows, weights_or_ones,
};
use crate::error::{Result, TrainError};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, Learner, Model, ModelInfo, Predictions, ProblemKind};

/// Hyperparameters of [`GaussianNaiveBayes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GaussianNbParams {
    /// Share of the largest feature variance added to every variance (scikit-learn: 1e-9).
    pub var_smoothing: f64,
}

impl Default for GaussianNbParams {
    fn default() -> Self {
        GaussianNbParams {
            var_smoothing: 1e-9,
        }
    }
}

/// Gaussian naive Bayes classifier.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::GaussianNaiveBayes;
///
/// let data = Dataset::builder(array![[0.0], [0.2], [0.4], [3.0], [3.2], [3.4]])
///     .target(Target::Classes { labels: vec![0, 0, 0, 1, 1, 1], class_names: vec!["a".into(), "b".into()] })
///     .build()?;
/// let model = GaussianNaiveBayes::default().fit(&data)?;
/// let p = model.predict(array![[1.7]].view())?;
/// assert!((p.probabilities().unwrap()[[0, 0]] - 0.5).abs() < 1e-9);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct GaussianNaiveBayes {
    params: GaussianNbParams,
}

impl GaussianNaiveBayes {
    /// Registered name.
    pub const NAME: &'static str = "gaussian_naive_bayes";

    /// A learner with validated parameters.
    pub fn new(params: GaussianNbParams) -> Result<Self> {
        crate::common::check_non_negative(Self::NAME, "var_smoothing", params.var_smoothing)?;
        Ok(GaussianNaiveBayes { params })
    }
}

impl Learner for GaussianNaiveBayes {
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
        let weights = weights_or_ones(data);
        let (k, d) = (class_names.len(), data.n_features());
        let x = data.features();
        let mut mass = vec![0.0; k];
        let mut means = Array2::<f64>::zeros((k, d));
        let mut variances = Array2::<f64>::zeros((k, d));
        for (row, (&label, &w)) in x.rows().into_iter().zip(labels.iter().zip(&weights)) {
            mass[label] += w;
            means.row_mut(label).scaled_add(w, &row);
        }
        for (mut mean, &m) in means.rows_mut().into_iter().zip(&mass) {
            if m > 0.0 {
                mean.mapv_inplace(|v| v / m);
            }
        }
        for (row, (&label, &w)) in x.rows().into_iter().zip(labels.iter().zip(&weights)) {
            let centred = &row - &means.row(label);
            variances
                .row_mut(label)
                .scaled_add(w, &centred.mapv(|v| v * v));
        }
        for (mut variance, &m) in variances.rows_mut().into_iter().zip(&mass) {
            if m > 0.0 {
                variance.mapv_inplace(|v| v / m);
            }
        }
        let total: f64 = mass.iter().sum();
        if total <= 0.0 {
            return Err(TrainError::data(Self::NAME, "all sample weights are zero").into());
        }
        let largest_variance = x
            .columns()
            .into_iter()
            .map(|c| c.var(0.0))
            .fold(0.0f64, f64::max);
        let epsilon = self.params.var_smoothing * largest_variance;
        variances.mapv_inplace(|v| v + epsilon);
        if variances.iter().any(|&v| v <= 0.0) {
            return Err(TrainError::data(
                Self::NAME,
                "every feature is constant; raise var_smoothing above 0",
            )
            .into());
        }
        Ok(Box::new(GaussianNbModel {
            params: self.params.clone(),
            log_priors: mass
                .iter()
                .map(|m| {
                    if *m > 0.0 {
                        (m / total).ln()
                    } else {
                        f64::NEG_INFINITY
                    }
                })
                .collect(),
            means,
            variances,
            feature_names: data.feature_names().to_vec(),
            class_names: class_names.to_vec(),
        }))
    }
}

/// A fitted [`GaussianNaiveBayes`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianNbModel {
    params: GaussianNbParams,
    #[serde(with = "crate::naive_bayes::log_prior_serde")]
    log_priors: Vec<f64>,
    means: Array2<f64>,
    variances: Array2<f64>,
    feature_names: Vec<String>,
    class_names: Vec<String>,
}

/// Absent classes have a log prior of −∞, which JSON cannot hold; store it as null.
mod log_prior_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[f64], serializer: S) -> Result<S::Ok, S::Error> {
        let wrapped: Vec<Option<f64>> =
            values.iter().map(|v| v.is_finite().then_some(*v)).collect();
        wrapped.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f64>, D::Error> {
        let wrapped = Vec::<Option<f64>>::deserialize(deserializer)?;
        Ok(wrapped
            .into_iter()
            .map(|v| v.unwrap_or(f64::NEG_INFINITY))
            .collect())
    }
}

impl Model for GaussianNbModel {
    fn info(&self) -> ModelInfo {
        model_info(
            GaussianNaiveBayes::NAME,
            ProblemKind::Classification,
            serde_json::to_value(&self.params).unwrap_or_default(),
            &self.feature_names,
            &self.class_names,
            FRAMEWORK,
        )
    }
    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        check_columns(features, self.feature_names.len())?;
        require_finite_features(GaussianNaiveBayes::NAME, features)?;
        let k = self.class_names.len();
        let mut scores = Array2::zeros((features.nrows(), k));
        for (r, row) in features.rows().into_iter().enumerate() {
            for c in 0..k {
                let mut log_likelihood = self.log_priors[c];
                for ((x, mean), var) in row.iter().zip(self.means.row(c)).zip(self.variances.row(c))
                {
                    log_likelihood -=
                        0.5 * ((2.0 * std::f64::consts::PI * var).ln() + (x - mean).powi(2) / var);
                }
                scores[[r, c]] = log_likelihood;
            }
        }
        softmax_rows(&mut scores);
        Ok(Predictions::Probabilities {
            probabilities: scores,
            class_names: self.class_names.clone(),
        })
    }
    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        encode_model(self.info(), self)
    }
}
