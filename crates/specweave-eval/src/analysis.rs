//! Error analysis: the worst predictions and metrics per slice (by a categorical column or
//! by quantile bins of a numeric one).

use crate::error::{EvalError, Result, check_finite, check_len};
use crate::registry::{EvalInput, MetricSettings, Task, evaluate_metrics};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One badly predicted row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorstRow {
    /// Row index in the input.
    pub row: usize,
    /// The label.
    pub label: f64,
    /// The prediction or score.
    pub prediction: f64,
    /// The row's error (larger is worse).
    pub error: f64,
}

/// How a row's error is measured for [`worst_n`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowError {
    /// |label − prediction| (regression, forecasting).
    Absolute,
    /// Binary cross-entropy of the probability of class 1 (clipped like `log_loss`).
    LogLoss,
}

/// The `n` rows with the largest error, worst first (ties by row index).
///
/// ```
/// use specweave_eval::analysis::{worst_n, RowError};
/// let worst = worst_n(&[1.0, 2.0, 3.0], &[1.1, 4.0, 2.0], 2, RowError::Absolute)?;
/// assert_eq!(worst.iter().map(|w| w.row).collect::<Vec<_>>(), vec![1, 2]);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn worst_n(
    labels: &[f64],
    predictions: &[f64],
    n: usize,
    error: RowError,
) -> Result<Vec<WorstRow>> {
    check_len("predictions", labels.len(), predictions.len())?;
    check_finite("labels", labels)?;
    check_finite("predictions", predictions)?;
    let mut rows: Vec<WorstRow> = labels
        .iter()
        .zip(predictions)
        .enumerate()
        .map(|(row, (&label, &prediction))| {
            let e = match error {
                RowError::Absolute => (label - prediction).abs(),
                RowError::LogLoss => {
                    let p = prediction.clamp(f64::EPSILON, 1.0 - f64::EPSILON);
                    if label == 1.0 {
                        -p.ln()
                    } else {
                        -(1.0 - p).ln()
                    }
                }
            };
            WorstRow {
                row,
                label,
                prediction,
                error: e,
            }
        })
        .collect();
    let by_error = |a: &WorstRow, b: &WorstRow| b.error.total_cmp(&a.error).then(a.row.cmp(&b.row));
    let n = n.min(rows.len());
    if n == 0 {
        return Ok(Vec::new());
    }
    if n < rows.len() {
        rows.select_nth_unstable_by(n - 1, by_error);
        rows.truncate(n);
    }
    rows.sort_by(by_error);
    Ok(rows)
}

/// Metrics of one slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceMetrics {
    /// Slice name (the category, or the bin's range).
    pub slice: String,
    /// Rows in the slice.
    pub rows: usize,
    /// Every metric of the task on the slice.
    pub metrics: BTreeMap<String, f64>,
    /// Why metrics are missing, when the slice cannot be evaluated (e.g. one class only).
    pub error: Option<String>,
}

/// Evaluates every metric of `task` separately for each value of `categories` (one per
/// row), slices in sorted order.
///
/// ```
/// use specweave_eval::analysis::metrics_by_category;
/// use specweave_eval::registry::{EvalInput, MetricSettings, Task};
/// let input = EvalInput::scored(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 4.0, 2.0]);
/// let slices = metrics_by_category(Task::Regression, &input, &["a", "a", "b", "b"], &MetricSettings::default())?;
/// assert_eq!(slices[0].metrics["mae"], 0.0);
/// assert_eq!(slices[1].metrics["mae"], 1.5);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn metrics_by_category<S: AsRef<str>>(
    task: Task,
    input: &EvalInput<'_>,
    categories: &[S],
    settings: &MetricSettings,
) -> Result<Vec<SliceMetrics>> {
    check_len("slice column", input.len(), categories.len())?;
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (row, c) in categories.iter().enumerate() {
        groups.entry(c.as_ref()).or_default().push(row);
    }
    Ok(groups
        .into_iter()
        .map(|(name, rows)| evaluate_slice(task, input, name.to_string(), &rows, settings))
        .collect())
}

/// Evaluates every metric of `task` per quantile bin of a numeric column (`bins` bins of
/// roughly equal size; equal values stay in one bin). Bins are named by their value range.
///
/// ```
/// use specweave_eval::analysis::metrics_by_quantile;
/// use specweave_eval::registry::{EvalInput, MetricSettings, Task};
/// let input = EvalInput::scored(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 4.0, 2.0]);
/// let slices = metrics_by_quantile(Task::Regression, &input, &[10.0, 20.0, 30.0, 40.0], 2, &MetricSettings::default())?;
/// assert_eq!(slices.len(), 2);
/// assert_eq!(slices[1].metrics["mae"], 1.5);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn metrics_by_quantile(
    task: Task,
    input: &EvalInput<'_>,
    column: &[f64],
    bins: usize,
    settings: &MetricSettings,
) -> Result<Vec<SliceMetrics>> {
    check_len("slice column", input.len(), column.len())?;
    check_finite("slice column", column)?;
    if bins == 0 {
        return Err(EvalError::param("bins", "need at least one bin"));
    }
    let mut order: Vec<usize> = (0..column.len()).collect();
    order.sort_by(|&a, &b| column[a].total_cmp(&column[b]));
    let n = order.len();
    let mut slices = Vec::new();
    let mut start = 0;
    for b in 1..=bins {
        if start >= n {
            break;
        }
        let mut end = (b * n).div_ceil(bins).max(start + 1).min(n);
        // keep equal values together
        while end < n && column[order[end]] == column[order[end - 1]] {
            end += 1;
        }
        let rows: Vec<usize> = order[start..end].to_vec();
        let name = format!("[{}, {}]", column[order[start]], column[order[end - 1]]);
        slices.push(evaluate_slice(task, input, name, &rows, settings));
        start = end;
    }
    Ok(slices)
}

fn evaluate_slice(
    task: Task,
    input: &EvalInput<'_>,
    slice: String,
    rows: &[usize],
    settings: &MetricSettings,
) -> SliceMetrics {
    let gathered = input.gather(rows);
    let sliced = gathered.view(input.training_series);
    match evaluate_metrics(task, &sliced, settings) {
        Ok(metrics) => SliceMetrics {
            slice,
            rows: rows.len(),
            metrics,
            error: None,
        },
        Err(e) => SliceMetrics {
            slice,
            rows: rows.len(),
            metrics: BTreeMap::new(),
            error: Some(e.to_string()),
        },
    }
}
