//! Linear models: logistic regression (linfa-logistic, binary and multinomial), ordinary
//! least squares (linfa-linear), ridge (closed form) and lasso / elastic net (coordinate
//! descent). All fitted models share [`LinearModel`]: coefficients, intercepts and a link.

mod logistic;
mod regression;

pub use logistic::{LogisticRegression, LogisticRegressionParams};
pub use regression::{
    ElasticNet, ElasticNetParams, LinearRegression, LinearRegressionParams, Ridge, RidgeParams,
};

use crate::common::{check_columns, encode_model, model_info, sigmoid, softmax_rows};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use specweave_core::{Model, ModelInfo, Predictions, ProblemKind};

/// How a linear model turns `x·β + b` into a prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinearLink {
    /// The value itself (regression).
    Identity,
    /// Binary: probability of class 1 is `sigmoid(x·β + b)`.
    Logistic,
    /// Multinomial: softmax over one column of coefficients per class.
    Softmax,
}

/// A fitted linear model of any of this module's learners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    algorithm: String,
    params: serde_json::Value,
    framework: String,
    /// Coefficients, features × outputs.
    coefficients: Array2<f64>,
    /// One intercept per output.
    intercepts: Vec<f64>,
    link: LinearLink,
    feature_names: Vec<String>,
    class_names: Vec<String>,
}

impl LinearModel {
    /// Coefficients, features × outputs (one output for regression and binary models).
    pub fn coefficients(&self) -> &Array2<f64> {
        &self.coefficients
    }

    /// Intercepts, one per output.
    pub fn intercepts(&self) -> &[f64] {
        &self.intercepts
    }

    /// The link.
    pub fn link(&self) -> LinearLink {
        self.link
    }
}

impl Model for LinearModel {
    fn info(&self) -> ModelInfo {
        let problem = if self.link == LinearLink::Identity {
            ProblemKind::Regression
        } else {
            ProblemKind::Classification
        };
        model_info(
            &self.algorithm,
            problem,
            self.params.clone(),
            &self.feature_names,
            &self.class_names,
            &self.framework,
        )
    }

    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        check_columns(features, self.coefficients.nrows())?;
        let mut scores = features.dot(&self.coefficients);
        for mut row in scores.rows_mut() {
            row.iter_mut()
                .zip(&self.intercepts)
                .for_each(|(s, b)| *s += b);
        }
        Ok(match self.link {
            LinearLink::Identity => Predictions::Values(scores.column(0).to_owned()),
            LinearLink::Logistic => {
                let mut probabilities = Array2::zeros((scores.nrows(), 2));
                for (r, &s) in scores.column(0).iter().enumerate() {
                    let p = sigmoid(s);
                    probabilities[[r, 0]] = 1.0 - p;
                    probabilities[[r, 1]] = p;
                }
                Predictions::Probabilities {
                    probabilities,
                    class_names: self.class_names.clone(),
                }
            }
            LinearLink::Softmax => {
                softmax_rows(&mut scores);
                Predictions::Probabilities {
                    probabilities: scores,
                    class_names: self.class_names.clone(),
                }
            }
        })
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        encode_model(self.info(), self)
    }
}
