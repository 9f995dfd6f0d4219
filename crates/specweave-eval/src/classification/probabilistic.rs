//! Metrics of predicted probabilities: log loss, Brier score, one-vs-rest ROC AUC.

use super::ranked::{check_binary, check_probabilities, roc_auc_unchecked};
use crate::error::{EvalError, Result, check_finite, check_len, check_weights, weight_at};
use ndarray::ArrayView2;

/// Machine epsilon of `f64`, the clipping bound scikit-learn uses for `log_loss`.
const EPS: f64 = f64::EPSILON;

/// Binary log loss (cross-entropy) of the probability of class 1, with probabilities
/// clipped to [ε, 1 − ε] (ε = `f64::EPSILON`), weighted mean over rows.
///
/// ```
/// use specweave_eval::classification::log_loss;
/// let loss = log_loss(&[0.0, 1.0, 1.0, 0.0], &[0.1, 0.9, 0.8, 0.35], None)?;
/// assert!((loss - 0.21616187468057912).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn log_loss(y_true: &[f64], probabilities: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    check_binary(y_true, probabilities, weights)?;
    check_probabilities("probabilities", probabilities)?;
    let (mut sum, mut total) = (0.0, 0.0);
    for (i, (&y, &p)) in y_true.iter().zip(probabilities).enumerate() {
        let w = weight_at(weights, i);
        let p = p.clamp(EPS, 1.0 - EPS);
        let l = if y == 1.0 { -p.ln() } else { -(1.0 - p).ln() };
        sum += w * l;
        total += w;
    }
    weighted_mean(sum, total)
}

/// Multiclass log loss over a rows × classes probability matrix, clipped like [`log_loss`].
///
/// ```
/// use specweave_eval::classification::log_loss_multiclass;
/// let p = ndarray::array![[0.9, 0.1], [0.2, 0.8]];
/// let loss = log_loss_multiclass(&[0, 1], p.view(), None)?;
/// assert!((loss - (-(0.9f64.ln() + 0.8f64.ln()) / 2.0)).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn log_loss_multiclass(
    y_true: &[usize],
    probabilities: ArrayView2<'_, f64>,
    weights: Option<&[f64]>,
) -> Result<f64> {
    check_class_probabilities(y_true, probabilities, weights)?;
    let (mut sum, mut total) = (0.0, 0.0);
    for (i, &y) in y_true.iter().enumerate() {
        let w = weight_at(weights, i);
        let p = probabilities[[i, y]].clamp(EPS, 1.0 - EPS);
        sum -= w * p.ln();
        total += w;
    }
    weighted_mean(sum, total)
}

/// Brier score of binary probabilities: weighted mean of (p − y)².
///
/// ```
/// use specweave_eval::classification::brier;
/// // scikit-learn's documentation example
/// let score = brier(&[0.0, 1.0, 1.0, 0.0], &[0.1, 0.9, 0.8, 0.3], None)?;
/// assert!((score - 0.0375).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn brier(y_true: &[f64], probabilities: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    check_binary(y_true, probabilities, weights)?;
    check_probabilities("probabilities", probabilities)?;
    let (mut sum, mut total) = (0.0, 0.0);
    for (i, (&y, &p)) in y_true.iter().zip(probabilities).enumerate() {
        let w = weight_at(weights, i);
        sum += w * (p - y) * (p - y);
        total += w;
    }
    weighted_mean(sum, total)
}

/// Multiclass Brier score: weighted mean over rows of Σₖ (pₖ − 1[y = k])², as scikit-learn's
/// `brier_score_loss` for more than two classes.
pub fn brier_multiclass(
    y_true: &[usize],
    probabilities: ArrayView2<'_, f64>,
    weights: Option<&[f64]>,
) -> Result<f64> {
    check_class_probabilities(y_true, probabilities, weights)?;
    let (mut sum, mut total) = (0.0, 0.0);
    for (i, row) in probabilities.rows().into_iter().enumerate() {
        let w = weight_at(weights, i);
        let s: f64 = row
            .iter()
            .enumerate()
            .map(|(k, &p)| {
                let target = if k == y_true[i] { 1.0 } else { 0.0 };
                (p - target) * (p - target)
            })
            .sum();
        sum += w * s;
        total += w;
    }
    weighted_mean(sum, total)
}

/// How one-vs-rest AUCs of the classes are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OvrAverage {
    /// Unweighted mean over classes.
    Macro,
    /// Mean weighted by class prevalence.
    Weighted,
}

/// One-vs-rest multiclass ROC AUC (scikit-learn `roc_auc_score(multi_class="ovr")`).
///
/// Each class's probability column is scored against "this class or not". A class absent
/// from the labels makes its AUC undefined and the result NaN (with a warning).
///
/// ```
/// use specweave_eval::classification::{roc_auc_ovr, OvrAverage};
/// let p = ndarray::array![[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]];
/// let auc = roc_auc_ovr(&[0, 1, 2, 1], p.view(), None, OvrAverage::Macro)?;
/// assert!((auc - 1.0).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn roc_auc_ovr(
    y_true: &[usize],
    probabilities: ArrayView2<'_, f64>,
    weights: Option<&[f64]>,
    average: OvrAverage,
) -> Result<f64> {
    check_class_probabilities(y_true, probabilities, weights)?;
    let k = probabilities.ncols();
    let (mut sum, mut total) = (0.0, 0.0);
    for c in 0..k {
        let labels: Vec<f64> = y_true
            .iter()
            .map(|&y| f64::from(u8::from(y == c)))
            .collect();
        let column: Vec<f64> = probabilities.column(c).to_vec();
        let auc = roc_auc_unchecked(&labels, &column, weights)?;
        let prevalence: f64 = match weights {
            None => labels.iter().sum(),
            Some(w) => labels.iter().zip(w).map(|(l, w)| l * w).sum(),
        };
        let class_weight = match average {
            OvrAverage::Macro => 1.0,
            OvrAverage::Weighted => prevalence,
        };
        sum += class_weight * auc;
        total += class_weight;
    }
    Ok(sum / total)
}

fn check_class_probabilities(
    y_true: &[usize],
    probabilities: ArrayView2<'_, f64>,
    weights: Option<&[f64]>,
) -> Result<()> {
    check_len("probability rows", y_true.len(), probabilities.nrows())?;
    check_weights(weights, y_true.len())?;
    if let Some(row) = y_true.iter().position(|&y| y >= probabilities.ncols()) {
        return Err(EvalError::invalid(
            "labels",
            row,
            format!(
                "class {} has no probability column ({} columns)",
                y_true[row],
                probabilities.ncols()
            ),
        ));
    }
    for (row, values) in probabilities.rows().into_iter().enumerate() {
        let values = values.to_vec();
        check_finite("probabilities", &values)
            .map_err(|_| EvalError::invalid("probabilities", row, "not finite"))?;
        check_probabilities("probabilities", &values).map_err(|_| {
            EvalError::invalid("probabilities", row, "a probability is outside [0, 1]")
        })?;
    }
    Ok(())
}

fn weighted_mean(sum: f64, total: f64) -> Result<f64> {
    if total > 0.0 {
        Ok(sum / total)
    } else {
        Err(EvalError::Empty("no rows with positive weight".into()))
    }
}
