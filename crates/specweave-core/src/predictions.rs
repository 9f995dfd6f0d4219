//! Model outputs: class probabilities with labels, or continuous values.

use crate::{Error, Result};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// What a [`Model`](crate::Model) returns for a batch of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Predictions {
    /// Class probabilities (rows × classes, each row summing to 1).
    Probabilities {
        /// Probability of each class per row.
        probabilities: Array2<f64>,
        /// Class names in column order.
        class_names: Vec<String>,
    },
    /// One continuous value per row.
    Values(Array1<f64>),
}

impl Predictions {
    /// Number of rows predicted.
    pub fn len(&self) -> usize {
        match self {
            Predictions::Probabilities { probabilities, .. } => probabilities.nrows(),
            Predictions::Values(v) => v.len(),
        }
    }

    /// True when no row was predicted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most probable class per row (first of equals), or `None` for values.
    pub fn labels(&self) -> Option<Vec<usize>> {
        match self {
            Predictions::Probabilities { probabilities, .. } => Some(
                probabilities
                    .rows()
                    .into_iter()
                    .map(|row| {
                        row.iter()
                            .enumerate()
                            .fold((0, f64::NEG_INFINITY), |best, (i, &p)| {
                                if p > best.1 { (i, p) } else { best }
                            })
                            .0
                    })
                    .collect(),
            ),
            Predictions::Values(_) => None,
        }
    }

    /// The score used by binary metrics: probability of class 1, or the values themselves.
    ///
    /// Fails for multiclass probabilities, where no single score exists.
    pub fn scores(&self) -> Result<Array1<f64>> {
        match self {
            Predictions::Probabilities { probabilities, .. } if probabilities.ncols() == 2 => {
                Ok(probabilities.column(1).to_owned())
            }
            Predictions::Probabilities { probabilities, .. } => Err(Error::InvalidInput(format!(
                "a single score per row needs binary probabilities; these have {} classes",
                probabilities.ncols()
            ))),
            Predictions::Values(v) => Ok(v.clone()),
        }
    }

    /// The class probabilities, or `None` for values.
    pub fn probabilities(&self) -> Option<&Array2<f64>> {
        match self {
            Predictions::Probabilities { probabilities, .. } => Some(probabilities),
            Predictions::Values(_) => None,
        }
    }
}
