//! Metrics of predicted labels: confusion matrix, accuracy, balanced accuracy,
//! precision / recall / F-beta with their averages, Matthews correlation, per-class report.
//!
//! Classes are indices `0..n`. As in scikit-learn without an explicit `labels` argument,
//! averages run over the classes that occur in the labels or the predictions.

use crate::error::{EvalError, Result, check_len, check_weights, weight_at};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// How per-class precision, recall and F-scores are combined (scikit-learn's `average`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Average {
    /// The score of one class, the positive one (scikit-learn `average="binary"`).
    Binary {
        /// Index of the positive class.
        positive: usize,
    },
    /// Global counts of true positives, false positives and false negatives.
    Micro,
    /// Unweighted mean of the per-class scores.
    Macro,
    /// Mean of the per-class scores weighted by support (true count).
    Weighted,
}

/// Most classes a confusion matrix may have (its size grows with the square).
pub const MAX_CLASSES: usize = 4096;

/// A (weighted) confusion matrix: rows are true classes, columns predicted classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// `matrix[[t, p]]` = weight of rows with true class `t` predicted as `p`.
    pub matrix: Array2<f64>,
}

impl ConfusionMatrix {
    /// Builds the matrix; the number of classes is one more than the largest index seen
    /// (at most [`MAX_CLASSES`]).
    ///
    /// ```
    /// use specweave_eval::classification::ConfusionMatrix;
    /// // scikit-learn's documentation example
    /// let cm = ConfusionMatrix::new(&[2, 0, 2, 2, 0, 1], &[0, 0, 2, 2, 0, 2], None)?;
    /// assert_eq!(cm.matrix, ndarray::array![[2.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 2.0]]);
    /// # Ok::<(), specweave_eval::EvalError>(())
    /// ```
    pub fn new(y_true: &[usize], y_pred: &[usize], weights: Option<&[f64]>) -> Result<Self> {
        check_len("predicted labels", y_true.len(), y_pred.len())?;
        check_weights(weights, y_true.len())?;
        if y_true.is_empty() {
            return Err(EvalError::Empty(
                "no rows to build a confusion matrix from".into(),
            ));
        }
        let n = y_true.iter().chain(y_pred).max().map_or(0, |&m| m + 1);
        if n > MAX_CLASSES {
            let row = y_true
                .iter()
                .zip(y_pred)
                .position(|(&t, &p)| t.max(p) + 1 == n)
                .unwrap_or(0);
            return Err(EvalError::invalid(
                "labels",
                row,
                format!(
                    "class index {} is above the supported {MAX_CLASSES} classes",
                    n - 1
                ),
            ));
        }
        let mut matrix = Array2::zeros((n, n));
        for (i, (&t, &p)) in y_true.iter().zip(y_pred).enumerate() {
            matrix[[t, p]] += weight_at(weights, i);
        }
        Ok(ConfusionMatrix { matrix })
    }

    /// Number of classes (rows of the matrix).
    pub fn n_classes(&self) -> usize {
        self.matrix.nrows()
    }

    /// Total weight.
    pub fn total(&self) -> f64 {
        self.matrix.sum()
    }

    /// Weight of rows whose true class is `c`.
    pub fn support(&self, c: usize) -> f64 {
        self.matrix.row(c).sum()
    }

    /// Weight of rows predicted as `c`.
    pub fn predicted(&self, c: usize) -> f64 {
        self.matrix.column(c).sum()
    }

    /// True positives of class `c`.
    pub fn true_positives(&self, c: usize) -> f64 {
        self.matrix[[c, c]]
    }

    /// Classes that occur in the labels or the predictions (nonzero weight).
    pub fn present_classes(&self) -> Vec<usize> {
        (0..self.n_classes())
            .filter(|&c| self.support(c) > 0.0 || self.predicted(c) > 0.0)
            .collect()
    }

    /// Fraction (of weight) predicted correctly.
    pub fn accuracy(&self) -> f64 {
        let correct: f64 = (0..self.n_classes()).map(|c| self.matrix[[c, c]]).sum();
        correct / self.total()
    }

    /// Mean recall over classes with support (scikit-learn `balanced_accuracy_score`).
    pub fn balanced_accuracy(&self) -> f64 {
        let recalls: Vec<f64> = (0..self.n_classes())
            .filter(|&c| self.support(c) > 0.0)
            .map(|c| self.true_positives(c) / self.support(c))
            .collect();
        recalls.iter().sum::<f64>() / recalls.len() as f64
    }

    /// Precision of class `c`; 0 when nothing was predicted as `c`.
    pub fn class_precision(&self, c: usize) -> f64 {
        ratio(self.true_positives(c), self.predicted(c), "precision")
    }

    /// Recall of class `c`; 0 when class `c` has no support.
    pub fn class_recall(&self, c: usize) -> f64 {
        ratio(self.true_positives(c), self.support(c), "recall")
    }

    /// F-beta of class `c`: (1+β²)·tp / (β²·(tp+fn) + tp+fp); 0 when undefined.
    pub fn class_fbeta(&self, c: usize, beta: f64) -> f64 {
        fbeta_from_counts(
            self.true_positives(c),
            self.predicted(c),
            self.support(c),
            beta,
        )
    }

    /// Precision with the given averaging.
    pub fn precision(&self, average: Average) -> Result<f64> {
        self.averaged(
            average,
            |cm, c| cm.class_precision(c),
            |tp, pred, _| ratio(tp, pred, "precision"),
        )
    }

    /// Recall with the given averaging.
    pub fn recall(&self, average: Average) -> Result<f64> {
        self.averaged(
            average,
            |cm, c| cm.class_recall(c),
            |tp, _, sup| ratio(tp, sup, "recall"),
        )
    }

    /// F-beta with the given averaging (`beta = 1` is F1).
    pub fn fbeta(&self, beta: f64, average: Average) -> Result<f64> {
        if !(beta.is_finite() && beta >= 0.0) {
            return Err(EvalError::param(
                "beta",
                format!("must be finite and ≥ 0, got {beta}"),
            ));
        }
        self.averaged(
            average,
            |cm, c| cm.class_fbeta(c, beta),
            |tp, pred, sup| fbeta_from_counts(tp, pred, sup, beta),
        )
    }

    fn averaged(
        &self,
        average: Average,
        per_class: impl Fn(&Self, usize) -> f64,
        from_counts: impl Fn(f64, f64, f64) -> f64,
    ) -> Result<f64> {
        let classes = self.present_classes();
        Ok(match average {
            Average::Binary { positive } => {
                if positive >= self.n_classes() {
                    // The positive class never occurs: every count is zero.
                    from_counts(0.0, 0.0, 0.0)
                } else {
                    per_class(self, positive)
                }
            }
            Average::Micro => {
                let tp = classes.iter().map(|&c| self.true_positives(c)).sum();
                let pred = classes.iter().map(|&c| self.predicted(c)).sum();
                let sup = classes.iter().map(|&c| self.support(c)).sum();
                from_counts(tp, pred, sup)
            }
            Average::Macro => {
                classes.iter().map(|&c| per_class(self, c)).sum::<f64>() / classes.len() as f64
            }
            Average::Weighted => {
                let total: f64 = classes.iter().map(|&c| self.support(c)).sum();
                if total == 0.0 {
                    return Ok(0.0);
                }
                classes
                    .iter()
                    .map(|&c| per_class(self, c) * self.support(c))
                    .sum::<f64>()
                    / total
            }
        })
    }

    /// Matthews correlation coefficient (multiclass form of scikit-learn's
    /// `matthews_corrcoef`); 0 when a marginal is constant.
    pub fn mcc(&self) -> f64 {
        let n = self.n_classes();
        let t: Vec<f64> = (0..n).map(|c| self.support(c)).collect();
        let p: Vec<f64> = (0..n).map(|c| self.predicted(c)).collect();
        let correct: f64 = (0..n).map(|c| self.matrix[[c, c]]).sum();
        let s = self.total();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let cov_tp = correct * s - dot(&t, &p);
        let cov_pp = s * s - dot(&p, &p);
        let cov_tt = s * s - dot(&t, &t);
        if cov_pp * cov_tt == 0.0 {
            return 0.0;
        }
        cov_tp / (cov_tt * cov_pp).sqrt()
    }

    /// Per-class precision, recall, F1 and support (scikit-learn `classification_report`).
    ///
    /// ```
    /// use specweave_eval::classification::ConfusionMatrix;
    /// let cm = ConfusionMatrix::new(&[0, 1, 2, 2, 2], &[0, 0, 2, 2, 1], None)?;
    /// let report = cm.report();
    /// assert_eq!(report[2].support, 3.0);
    /// assert!((report[2].recall - 2.0 / 3.0).abs() < 1e-12);
    /// # Ok::<(), specweave_eval::EvalError>(())
    /// ```
    pub fn report(&self) -> Vec<ClassReport> {
        (0..self.n_classes())
            .map(|c| ClassReport {
                class: c,
                precision: self.class_precision(c),
                recall: self.class_recall(c),
                f1: self.class_fbeta(c, 1.0),
                support: self.support(c),
            })
            .collect()
    }
}

/// One row of a per-class report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    /// Class index.
    pub class: usize,
    /// Precision of the class.
    pub precision: f64,
    /// Recall of the class.
    pub recall: f64,
    /// F1 of the class.
    pub f1: f64,
    /// Weight of rows of the class.
    pub support: f64,
}

/// Metrics already warned about: like Python's default warning filter, which shows
/// scikit-learn's `UndefinedMetricWarning` once per place, a bootstrap over a majority-class
/// baseline warns once rather than once per resample.
static WARNED: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

fn ratio(numerator: f64, denominator: f64, what: &str) -> f64 {
    if denominator == 0.0 {
        let first = WARNED
            .lock()
            .map(|mut warned| warned.insert(what.to_owned()))
            .unwrap_or(true);
        if first {
            tracing::warn!("{what} is ill-defined (zero division) and set to 0");
        } else {
            tracing::debug!("{what} is ill-defined (zero division) and set to 0");
        }
        0.0
    } else {
        numerator / denominator
    }
}

fn fbeta_from_counts(tp: f64, predicted: f64, support: f64, beta: f64) -> f64 {
    let b2 = beta * beta;
    let denominator = b2 * support + predicted;
    if denominator == 0.0 {
        0.0
    } else {
        (1.0 + b2) * tp / denominator
    }
}

/// Turns binary scores into labels: class 1 when the score is above `threshold`.
///
/// With probabilities and `threshold = 0.5` this is what `predict` of a probabilistic
/// classifier returns (the most probable class, class 0 on an exact tie).
pub fn threshold_labels(scores: &[f64], threshold: f64) -> Vec<usize> {
    scores.iter().map(|&s| usize::from(s > threshold)).collect()
}

/// Converts 0/1 float labels to class indices, failing on anything else.
pub fn binary_labels(y_true: &[f64]) -> Result<Vec<usize>> {
    y_true
        .iter()
        .enumerate()
        .map(|(row, &y)| {
            if y == 0.0 {
                Ok(0)
            } else if y == 1.0 {
                Ok(1)
            } else {
                Err(EvalError::invalid(
                    "labels",
                    row,
                    format!("binary labels must be 0 or 1, found {y}"),
                ))
            }
        })
        .collect()
}
