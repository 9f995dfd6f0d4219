//! Logistic regression through linfa-logistic (L-BFGS with an L2 penalty).

use super::{LinearLink, LinearModel};
use crate::common::{check_non_negative, class_target, require_finite, with_nd16};
use crate::error::{Result, TrainError};
use linfa::prelude::Fit;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, Learner, Model, ProblemKind};

/// Hyperparameters of [`LogisticRegression`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticRegressionParams {
    /// L2 penalty strength (linfa's `alpha`).
    pub alpha: f64,
    /// Maximum L-BFGS iterations.
    pub max_iterations: u64,
    /// Gradient norm at which the solver stops.
    pub gradient_tolerance: f64,
    /// Fit an intercept.
    pub fit_intercept: bool,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        LogisticRegressionParams {
            alpha: 1.0,
            max_iterations: 100,
            gradient_tolerance: 1e-4,
            fit_intercept: true,
        }
    }
}

/// Logistic regression: binary with a sigmoid, multinomial (softmax) for three or more
/// classes. Sample weights are not supported by linfa-logistic; weighted data is refused
/// (resample instead, see [`resample`](crate::resample)).
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::{LogisticRegression, LogisticRegressionParams};
///
/// let data = Dataset::builder(array![[0.0], [1.0], [2.0], [3.0]])
///     .target(Target::Classes { labels: vec![0, 0, 1, 1], class_names: vec!["a".into(), "b".into()] })
///     .build()?;
/// let model = LogisticRegression::new(LogisticRegressionParams { alpha: 0.01, ..Default::default() })?.fit(&data)?;
/// assert_eq!(model.predict(data.features())?.labels(), Some(vec![0, 0, 1, 1]));
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogisticRegression {
    params: LogisticRegressionParams,
}

impl LogisticRegression {
    /// Registered name.
    pub const NAME: &'static str = "logistic_regression";

    /// A learner with validated parameters.
    pub fn new(params: LogisticRegressionParams) -> Result<Self> {
        check_non_negative(Self::NAME, "alpha", params.alpha)?;
        if params.gradient_tolerance.is_nan() || params.gradient_tolerance <= 0.0 {
            return Err(TrainError::param(
                Self::NAME,
                "gradient_tolerance",
                "must be > 0",
            ));
        }
        if params.max_iterations == 0 {
            return Err(TrainError::param(
                Self::NAME,
                "max_iterations",
                "must be at least 1",
            ));
        }
        Ok(LogisticRegression { params })
    }

    fn fit_linear(&self, data: &Dataset) -> Result<LinearModel> {
        require_finite(Self::NAME, data)?;
        let (labels, class_names) = class_target(Self::NAME, data)?;
        if data.weights().is_some_and(|w| w.iter().any(|&v| v != 1.0)) {
            return Err(TrainError::data(
                Self::NAME,
                "linfa-logistic does not support sample weights; resample the data instead",
            ));
        }
        let p = &self.params;
        let n_features = data.n_features();
        let mut present: Vec<usize> = labels.to_vec();
        present.sort_unstable();
        present.dedup();
        let targets = ndarray16::Array1::from(labels.to_vec());
        let fail = |e: linfa_logistic::error::Error| {
            TrainError::data(Self::NAME, format!("linfa-logistic failed: {e}"))
        };
        let (coefficients, intercepts, link) = if class_names.len() == 2 && present.len() == 2 {
            let fitted = with_nd16(data.features(), |records| {
                let dataset = linfa::DatasetBase::new(records, targets);
                linfa_logistic::LogisticRegression::default()
                    .alpha(p.alpha)
                    .max_iterations(p.max_iterations)
                    .gradient_tolerance(p.gradient_tolerance)
                    .with_intercept(p.fit_intercept)
                    .fit(&dataset)
            })?
            .map_err(fail)?;
            // linfa models P(positive class); store the model for P(class 1).
            let sign = if fitted.labels().pos.class == 1 {
                1.0
            } else {
                -1.0
            };
            let coefficients =
                Array2::from_shape_fn((n_features, 1), |(j, _)| sign * fitted.params()[j]);
            (
                coefficients,
                vec![sign * fitted.intercept()],
                LinearLink::Logistic,
            )
        } else if present.len() >= 2 {
            let fitted = with_nd16(data.features(), |records| {
                let dataset = linfa::DatasetBase::new(records, targets);
                linfa_logistic::MultiLogisticRegression::default()
                    .alpha(p.alpha)
                    .max_iterations(p.max_iterations)
                    .gradient_tolerance(p.gradient_tolerance)
                    .with_intercept(p.fit_intercept)
                    .fit(&dataset)
            })?
            .map_err(fail)?;
            // Classes absent from the training rows get a score that is never chosen.
            let k = class_names.len();
            let mut coefficients = Array2::zeros((n_features, k));
            let mut intercepts = vec![-1e9; k];
            for (column, &class) in fitted.classes().iter().enumerate() {
                for j in 0..n_features {
                    coefficients[[j, class]] = fitted.params()[[j, column]];
                }
                intercepts[class] = fitted.intercept()[column];
            }
            (coefficients, intercepts, LinearLink::Softmax)
        } else {
            return Err(TrainError::data(
                Self::NAME,
                "the training rows hold a single class",
            ));
        };
        Ok(LinearModel {
            algorithm: Self::NAME.into(),
            params: serde_json::to_value(p).unwrap_or_default(),
            framework: "linfa-logistic 0.8".into(),
            coefficients,
            intercepts,
            link,
            feature_names: data.feature_names().to_vec(),
            class_names: class_names.to_vec(),
        })
    }
}

impl Learner for LogisticRegression {
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
        Ok(Box::new(self.fit_linear(data)?))
    }
}
