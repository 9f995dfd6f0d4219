//! Score-ranked binary metrics: ROC AUC, average precision, PR AUC and the curves behind them.
//!
//! Every metric here walks the rows once in descending score order, one step per distinct
//! score (a block of tied scores is one step, as in scikit-learn's `_binary_clf_curve`).
//! Positives and negatives are radix-sorted separately and merged, so the cost is the sort
//! plus one linear pass.

use crate::error::{Result, check_finite, check_len, check_weights};
use crate::sort::{f64_key, key_f64, radix_sort_by_key, radix_sort_u64};

/// Cumulative weight of positives and negatives at or above each distinct score.
///
/// Thresholds are descending; `tps[i]` and `fps[i]` count rows with score ≥ `thresholds[i]`
/// (scikit-learn's `_binary_clf_curve`).
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryCurve {
    /// Distinct scores, descending.
    pub thresholds: Vec<f64>,
    /// Cumulative (weighted) true positives at each threshold.
    pub tps: Vec<f64>,
    /// Cumulative (weighted) false positives at each threshold.
    pub fps: Vec<f64>,
}

/// The ROC curve as data: false and true positive rates per threshold.
///
/// The first point is `(0, 0)` at threshold `+inf`, as in scikit-learn; intermediate
/// collinear points are kept (`drop_intermediate=False`).
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// False positive rate per point.
    pub fpr: Vec<f64>,
    /// True positive rate per point.
    pub tpr: Vec<f64>,
    /// Score threshold per point (`+inf` first).
    pub thresholds: Vec<f64>,
}

/// The precision-recall curve as data, in scikit-learn's order: recall decreasing, ending
/// with the point `(recall 0, precision 1)` that has no threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionRecallCurve {
    /// Precision per point.
    pub precision: Vec<f64>,
    /// Recall per point.
    pub recall: Vec<f64>,
    /// Score threshold per point (one fewer than points).
    pub thresholds: Vec<f64>,
}

/// Checks binary labels (0 or 1), finite scores and weights; returns nothing on success.
pub(crate) fn check_binary(y_true: &[f64], scores: &[f64], weights: Option<&[f64]>) -> Result<()> {
    check_len("scores", y_true.len(), scores.len())?;
    check_weights(weights, y_true.len())?;
    check_finite("scores", scores)?;
    if let Some(row) = y_true.iter().position(|&y| y != 0.0 && y != 1.0) {
        return Err(crate::EvalError::invalid(
            "labels",
            row,
            format!("binary labels must be 0 or 1, found {}", y_true[row]),
        ));
    }
    Ok(())
}

/// Visits each block of tied scores from the highest score down with
/// `(threshold key, positive weight, negative weight)` of the block.
///
/// Rows with zero weight are dropped first, as scikit-learn does. Labels and scores are
/// validated while the keys are built (one pass instead of three); lengths and weights must
/// have been checked by the caller.
pub(crate) fn for_each_tie_block(
    y_true: &[f64],
    scores: &[f64],
    weights: Option<&[f64]>,
    mut visit: impl FnMut(u64, f64, f64),
) -> Result<()> {
    match weights {
        None => {
            // Both get room for every row: capacity that is never written costs no memory
            // traffic, while growing by doubling would copy.
            let mut pos = Vec::with_capacity(y_true.len());
            let mut neg = Vec::with_capacity(y_true.len());
            for (row, (&y, &s)) in y_true.iter().zip(scores).enumerate() {
                if !s.is_finite() {
                    return Err(non_finite_score(row, s));
                }
                if y == 1.0 {
                    pos.push(f64_key(s));
                } else if y == 0.0 {
                    neg.push(f64_key(s));
                } else {
                    return Err(non_binary_label(row, y));
                }
            }
            radix_sort_u64(&mut pos);
            radix_sort_u64(&mut neg);
            merge_blocks(&pos, &neg, |_| 1.0, |_| 1.0, &mut visit);
        }
        Some(w) => {
            let mut pos: Vec<(u64, f64)> = Vec::new();
            let mut neg: Vec<(u64, f64)> = Vec::new();
            for (row, ((&y, &s), &wi)) in y_true.iter().zip(scores).zip(w).enumerate() {
                if !s.is_finite() {
                    return Err(non_finite_score(row, s));
                }
                if y != 0.0 && y != 1.0 {
                    return Err(non_binary_label(row, y));
                }
                if wi == 0.0 {
                    continue;
                }
                if y == 1.0 {
                    pos.push((f64_key(s), wi));
                } else {
                    neg.push((f64_key(s), wi));
                }
            }
            radix_sort_by_key(&mut pos, |p| p.0);
            radix_sort_by_key(&mut neg, |p| p.0);
            let pos_keys: Vec<u64> = pos.iter().map(|p| p.0).collect();
            let neg_keys: Vec<u64> = neg.iter().map(|p| p.0).collect();
            merge_blocks(&pos_keys, &neg_keys, |i| pos[i].1, |j| neg[j].1, &mut visit);
        }
    }
    Ok(())
}

fn non_finite_score(row: usize, value: f64) -> crate::EvalError {
    crate::EvalError::NonFinite {
        what: "scores".into(),
        row,
        value,
    }
}

fn non_binary_label(row: usize, value: f64) -> crate::EvalError {
    crate::EvalError::invalid(
        "labels",
        row,
        format!("binary labels must be 0 or 1, found {value}"),
    )
}

/// Checks what [`for_each_tie_block`] does not: lengths and weights.
fn check_shape(y_true: &[f64], scores: &[f64], weights: Option<&[f64]>) -> Result<()> {
    check_len("scores", y_true.len(), scores.len())?;
    check_weights(weights, y_true.len())
}

/// Merges two ascending key arrays from the top, grouping equal keys across both.
fn merge_blocks(
    pos: &[u64],
    neg: &[u64],
    pos_weight: impl Fn(usize) -> f64,
    neg_weight: impl Fn(usize) -> f64,
    visit: &mut impl FnMut(u64, f64, f64),
) {
    let (mut i, mut j) = (pos.len(), neg.len());
    while i > 0 || j > 0 {
        let top = match (i > 0, j > 0) {
            (true, true) => pos[i - 1].max(neg[j - 1]),
            (true, false) => pos[i - 1],
            _ => neg[j - 1],
        };
        let mut dtp = 0.0;
        while i > 0 && pos[i - 1] == top {
            i -= 1;
            dtp += pos_weight(i);
        }
        let mut dfp = 0.0;
        while j > 0 && neg[j - 1] == top {
            j -= 1;
            dfp += neg_weight(j);
        }
        visit(top, dtp, dfp);
    }
}

/// Cumulative true and false positives at each distinct score, descending.
///
/// ```
/// use specweave_eval::classification::binary_curve;
/// let curve = binary_curve(&[0.0, 0.0, 1.0, 1.0], &[0.1, 0.4, 0.35, 0.8], None)?;
/// assert_eq!(curve.thresholds, vec![0.8, 0.4, 0.35, 0.1]);
/// assert_eq!(curve.tps, vec![1.0, 1.0, 2.0, 2.0]);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn binary_curve(
    y_true: &[f64],
    scores: &[f64],
    weights: Option<&[f64]>,
) -> Result<BinaryCurve> {
    check_binary(y_true, scores, weights)?;
    let mut curve = BinaryCurve {
        thresholds: Vec::new(),
        tps: Vec::new(),
        fps: Vec::new(),
    };
    let (mut tp, mut fp) = (0.0, 0.0);
    for_each_tie_block(y_true, scores, weights, |key, dtp, dfp| {
        tp += dtp;
        fp += dfp;
        curve.thresholds.push(key_f64(key));
        curve.tps.push(tp);
        curve.fps.push(fp);
    })?;
    Ok(curve)
}

/// Area under the ROC curve (scikit-learn `roc_auc_score`, binary).
///
/// Trapezoids over distinct thresholds, so a tied positive/negative pair counts one half
/// (the Mann-Whitney U statistic divided by n₁·n₀). With only one class present the AUC is
/// undefined: the result is NaN and a warning is logged. Zero-weight rows are ignored.
///
/// ```
/// use specweave_eval::classification::roc_auc;
/// // scikit-learn's documentation example
/// let auc = roc_auc(&[0.0, 0.0, 1.0, 1.0], &[0.1, 0.4, 0.35, 0.8], None)?;
/// assert!((auc - 0.75).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn roc_auc(y_true: &[f64], scores: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    check_shape(y_true, scores, weights)?;
    roc_auc_unchecked(y_true, scores, weights)
}

/// ROC AUC after lengths and weights were checked (labels and scores are checked here).
pub(crate) fn roc_auc_unchecked(
    y_true: &[f64],
    scores: &[f64],
    weights: Option<&[f64]>,
) -> Result<f64> {
    let (mut tp, mut fp, mut area) = (0.0, 0.0, 0.0);
    for_each_tie_block(y_true, scores, weights, |_, dtp, dfp| {
        // trapezoid between (fp, tp) and (fp + dfp, tp + dtp), in unnormalised units
        area += dfp * (2.0 * tp + dtp);
        tp += dtp;
        fp += dfp;
    })?;
    if tp <= 0.0 || fp <= 0.0 {
        tracing::warn!("only one class present in the labels; ROC AUC is undefined (NaN)");
        return Ok(f64::NAN);
    }
    Ok(area / (2.0 * tp * fp))
}

/// Average precision (scikit-learn `average_precision_score`, binary): the step-wise sum
/// Σₙ (Rₙ − Rₙ₋₁)·Pₙ over distinct thresholds, not interpolated.
///
/// Without positives the result is 0 with a warning.
///
/// ```
/// use specweave_eval::classification::average_precision;
/// // scikit-learn's documentation example
/// let ap = average_precision(&[0.0, 0.0, 1.0, 1.0], &[0.1, 0.4, 0.35, 0.8], None)?;
/// assert!((ap - 0.8333333333333333).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn average_precision(y_true: &[f64], scores: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    check_shape(y_true, scores, weights)?;
    average_precision_unchecked(y_true, scores, weights)
}

/// Average precision after lengths and weights were checked.
pub(crate) fn average_precision_unchecked(
    y_true: &[f64],
    scores: &[f64],
    weights: Option<&[f64]>,
) -> Result<f64> {
    let (mut tp, mut fp, mut sum) = (0.0, 0.0, 0.0);
    for_each_tie_block(y_true, scores, weights, |_, dtp, dfp| {
        tp += dtp;
        fp += dfp;
        if dtp > 0.0 {
            sum += dtp * tp / (tp + fp);
        }
    })?;
    if tp <= 0.0 {
        tracing::warn!("no positive labels; average precision is 0");
        return Ok(0.0);
    }
    Ok(sum / tp)
}

/// Area under the precision-recall curve by the trapezoid rule, as scikit-learn's
/// `auc(recall, precision)` over `precision_recall_curve` (which starts at recall 0,
/// precision 1). Prefer [`average_precision`]; trapezoids over-estimate on PR curves.
///
/// ```
/// use specweave_eval::classification::pr_auc;
/// let area = pr_auc(&[0.0, 0.0, 1.0, 1.0], &[0.1, 0.4, 0.35, 0.8], None)?;
/// assert!((area - 0.7916666666666666).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn pr_auc(y_true: &[f64], scores: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    check_shape(y_true, scores, weights)?;
    pr_auc_unchecked(y_true, scores, weights)
}

/// PR AUC after lengths and weights were checked.
pub(crate) fn pr_auc_unchecked(
    y_true: &[f64],
    scores: &[f64],
    weights: Option<&[f64]>,
) -> Result<f64> {
    let total_pos: f64 = match weights {
        None => y_true.iter().filter(|&&y| y == 1.0).count() as f64,
        Some(w) => y_true
            .iter()
            .zip(w)
            .filter(|p| *p.0 == 1.0)
            .map(|p| p.1)
            .sum(),
    };
    if total_pos <= 0.0 {
        tracing::warn!("no positive labels; PR AUC is undefined (NaN)");
        return Ok(f64::NAN);
    }
    let (mut tp, mut fp, mut area) = (0.0, 0.0, 0.0);
    let (mut prev_recall, mut prev_precision) = (0.0, 1.0);
    for_each_tie_block(y_true, scores, weights, |_, dtp, dfp| {
        tp += dtp;
        fp += dfp;
        let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
        let recall = tp / total_pos;
        area += (recall - prev_recall) * (precision + prev_precision) / 2.0;
        prev_recall = recall;
        prev_precision = precision;
    })?;
    Ok(area)
}

/// The ROC curve (scikit-learn `roc_curve` with `drop_intermediate=False`).
///
/// ```
/// use specweave_eval::classification::roc_curve;
/// let roc = roc_curve(&[0.0, 0.0, 1.0, 1.0], &[0.1, 0.4, 0.35, 0.8], None)?;
/// assert_eq!(roc.tpr, vec![0.0, 0.5, 0.5, 1.0, 1.0]);
/// assert_eq!(roc.fpr, vec![0.0, 0.0, 0.5, 0.5, 1.0]);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn roc_curve(y_true: &[f64], scores: &[f64], weights: Option<&[f64]>) -> Result<RocCurve> {
    let curve = binary_curve(y_true, scores, weights)?;
    let p = curve.tps.last().copied().unwrap_or(0.0);
    let n = curve.fps.last().copied().unwrap_or(0.0);
    let rate = |v: f64, total: f64| if total > 0.0 { v / total } else { f64::NAN };
    let mut roc = RocCurve {
        fpr: vec![0.0],
        tpr: vec![0.0],
        thresholds: vec![f64::INFINITY],
    };
    for i in 0..curve.thresholds.len() {
        roc.fpr.push(rate(curve.fps[i], n));
        roc.tpr.push(rate(curve.tps[i], p));
        roc.thresholds.push(curve.thresholds[i]);
    }
    Ok(roc)
}

/// The precision-recall curve (scikit-learn `precision_recall_curve`).
///
/// ```
/// use specweave_eval::classification::precision_recall_curve;
/// let pr = precision_recall_curve(&[0.0, 0.0, 1.0, 1.0], &[0.1, 0.4, 0.35, 0.8], None)?;
/// assert_eq!(pr.recall, vec![1.0, 1.0, 0.5, 0.5, 0.0]);
/// assert_eq!(pr.thresholds, vec![0.1, 0.35, 0.4, 0.8]);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn precision_recall_curve(
    y_true: &[f64],
    scores: &[f64],
    weights: Option<&[f64]>,
) -> Result<PrecisionRecallCurve> {
    let curve = binary_curve(y_true, scores, weights)?;
    let p = curve.tps.last().copied().unwrap_or(0.0);
    let mut out = PrecisionRecallCurve {
        precision: Vec::with_capacity(curve.tps.len() + 1),
        recall: Vec::with_capacity(curve.tps.len() + 1),
        thresholds: Vec::with_capacity(curve.tps.len()),
    };
    for i in (0..curve.thresholds.len()).rev() {
        let predicted = curve.tps[i] + curve.fps[i];
        out.precision.push(if predicted > 0.0 {
            curve.tps[i] / predicted
        } else {
            0.0
        });
        out.recall
            .push(if p > 0.0 { curve.tps[i] / p } else { 1.0 });
        out.thresholds.push(curve.thresholds[i]);
    }
    out.precision.push(1.0);
    out.recall.push(0.0);
    Ok(out)
}

/// One point of a lift (cumulative gains) curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiftPoint {
    /// Score threshold: rows at or above it are targeted.
    pub threshold: f64,
    /// Fraction of the (weighted) population targeted.
    pub population_fraction: f64,
    /// Fraction of all positives captured (cumulative gain).
    pub gain: f64,
    /// Precision among the targeted rows divided by the base rate.
    pub lift: f64,
}

/// The lift and cumulative gains curve, one point per distinct score, best first.
///
/// ```
/// use specweave_eval::classification::lift_curve;
/// let lift = lift_curve(&[0.0, 1.0, 1.0, 0.0], &[0.2, 0.9, 0.7, 0.1], None)?;
/// assert_eq!(lift[1].gain, 1.0);
/// assert_eq!(lift[1].lift, 2.0);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn lift_curve(
    y_true: &[f64],
    scores: &[f64],
    weights: Option<&[f64]>,
) -> Result<Vec<LiftPoint>> {
    let curve = binary_curve(y_true, scores, weights)?;
    let p = curve.tps.last().copied().unwrap_or(0.0);
    let total = p + curve.fps.last().copied().unwrap_or(0.0);
    let base_rate = if total > 0.0 { p / total } else { f64::NAN };
    Ok((0..curve.thresholds.len())
        .map(|i| {
            let targeted = curve.tps[i] + curve.fps[i];
            LiftPoint {
                threshold: curve.thresholds[i],
                population_fraction: targeted / total,
                gain: if p > 0.0 { curve.tps[i] / p } else { f64::NAN },
                lift: (curve.tps[i] / targeted) / base_rate,
            }
        })
        .collect())
}

/// A reliability diagram as data (scikit-learn `calibration_curve`, uniform bins).
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationCurve {
    /// Observed fraction of positives per non-empty bin.
    pub fraction_of_positives: Vec<f64>,
    /// Mean predicted probability per non-empty bin.
    pub mean_predicted: Vec<f64>,
    /// Number of rows per non-empty bin.
    pub counts: Vec<usize>,
}

/// Calibration curve over `n_bins` equal-width bins of [0, 1]; empty bins are left out.
///
/// ```
/// use specweave_eval::classification::calibration_curve;
/// // scikit-learn's documentation example
/// let y = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
/// let p = [0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0];
/// let c = calibration_curve(&y, &p, 3)?;
/// assert_eq!(c.fraction_of_positives, vec![0.0, 0.5, 1.0]);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn calibration_curve(
    y_true: &[f64],
    probabilities: &[f64],
    n_bins: usize,
) -> Result<CalibrationCurve> {
    check_binary(y_true, probabilities, None)?;
    if n_bins == 0 {
        return Err(crate::EvalError::param("n_bins", "must be at least 1"));
    }
    check_probabilities("probabilities", probabilities)?;
    let mut sum_true = vec![0.0; n_bins];
    let mut sum_pred = vec![0.0; n_bins];
    let mut counts = vec![0usize; n_bins];
    // scikit-learn: edges = linspace(0, 1, n_bins + 1); bin = searchsorted(edges[1:-1], p),
    // so a probability exactly on an inner edge falls in the lower bin.
    let step = 1.0 / n_bins as f64;
    let inner_edges: Vec<f64> = (1..n_bins).map(|j| j as f64 * step).collect();
    for (&y, &p) in y_true.iter().zip(probabilities) {
        let bin = inner_edges.partition_point(|&e| e < p);
        sum_true[bin] += y;
        sum_pred[bin] += p;
        counts[bin] += 1;
    }
    let mut out = CalibrationCurve {
        fraction_of_positives: Vec::new(),
        mean_predicted: Vec::new(),
        counts: Vec::new(),
    };
    for b in 0..n_bins {
        if counts[b] > 0 {
            out.fraction_of_positives
                .push(sum_true[b] / counts[b] as f64);
            out.mean_predicted.push(sum_pred[b] / counts[b] as f64);
            out.counts.push(counts[b]);
        }
    }
    Ok(out)
}

/// Fails unless every value lies in [0, 1].
pub(crate) fn check_probabilities(what: &str, values: &[f64]) -> Result<()> {
    check_finite(what, values)?;
    match values.iter().position(|&p| !(0.0..=1.0).contains(&p)) {
        None => Ok(()),
        Some(row) => Err(crate::EvalError::invalid(
            what,
            row,
            format!("probability {} is outside [0, 1]", values[row]),
        )),
    }
}
