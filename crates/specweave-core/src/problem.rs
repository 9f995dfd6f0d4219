//! The kinds of machine-learning problem an increment can address.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The problem an increment solves; it decides default metrics, plans and pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// Predict a class label (binary or multiclass), with class probabilities.
    Classification,
    /// Predict a continuous value.
    Regression,
    /// Rank items for users from interactions.
    Recommendation,
    /// Predict future values of a time series.
    Forecasting,
}

impl ProblemKind {
    /// All kinds, in a stable order.
    pub const ALL: [ProblemKind; 4] = [
        ProblemKind::Classification,
        ProblemKind::Regression,
        ProblemKind::Recommendation,
        ProblemKind::Forecasting,
    ];

    /// The lowercase name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Classification => "classification",
            ProblemKind::Regression => "regression",
            ProblemKind::Recommendation => "recommendation",
            ProblemKind::Forecasting => "forecasting",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProblemKind {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProblemKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                crate::Error::InvalidInput(format!(
                    "unknown problem kind `{s}`; expected one of classification, regression, recommendation, forecasting"
                ))
            })
    }
}
