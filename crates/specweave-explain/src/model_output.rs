//! The numbers model-agnostic explainers explain: class probabilities (one output per
//! class) or predicted values (one output).

use crate::{ExplainError, Result};
use ndarray::{Array2, ArrayView2, Axis};
use specweave_core::{Model, Predictions};

/// Model outputs for `rows`, rows × outputs.
pub(crate) fn outputs(model: &dyn Model, rows: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    let predictions = model.predict(rows)?;
    let out = match predictions {
        Predictions::Probabilities { probabilities, .. } => probabilities,
        Predictions::Values(values) => values.insert_axis(Axis(1)),
    };
    if out.nrows() != rows.nrows() {
        return Err(ExplainError::shape(
            "model predictions vs rows",
            rows.nrows(),
            out.nrows(),
        ));
    }
    Ok(out)
}

/// Names of the outputs [`outputs`] returns: class names, or `"value"`.
pub(crate) fn output_names(model: &dyn Model, n_outputs: usize) -> Vec<String> {
    let classes = model.info().class_names;
    if classes.len() == n_outputs {
        classes
    } else if n_outputs == 1 {
        vec!["value".to_string()]
    } else {
        (0..n_outputs).map(|k| format!("output_{k}")).collect()
    }
}

/// Feature names from the model, or `x0`, `x1`, ... when it has none of the right length.
pub(crate) fn feature_names(model: &dyn Model, n_features: usize) -> Vec<String> {
    let names = model.info().feature_names;
    if names.len() == n_features {
        names
    } else {
        (0..n_features).map(|f| format!("x{f}")).collect()
    }
}

/// Predicts in chunks of at most `chunk_rows` rows to bound memory.
pub(crate) fn outputs_chunked(
    model: &dyn Model,
    rows: ArrayView2<'_, f64>,
    chunk_rows: usize,
) -> Result<Array2<f64>> {
    if rows.nrows() <= chunk_rows {
        return outputs(model, rows);
    }
    let parts: Vec<Array2<f64>> = rows
        .axis_chunks_iter(Axis(0), chunk_rows.max(1))
        .map(|chunk| outputs(model, chunk))
        .collect::<Result<_>>()?;
    let views: Vec<ArrayView2<'_, f64>> = parts.iter().map(|p| p.view()).collect();
    ndarray::concatenate(Axis(0), &views)
        .map_err(|e| ExplainError::shape("model outputs of chunks", "equal widths", e))
}

/// Solves the symmetric positive (semi-)definite system `a x = b` by Gaussian elimination
/// with partial pivoting; a singular system gets a tiny ridge so that it still has the
/// minimum-norm-like solution instead of failing.
pub(crate) fn solve(mut a: Array2<f64>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    let trace: f64 = (0..n).map(|i| a[[i, i]].abs()).sum::<f64>().max(1e-300);
    let singular = 1e-13 * trace;
    for i in 0..n {
        if a[[i, i]].abs() <= singular {
            a[[i, i]] += singular;
        }
    }
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[[x, col]].abs().total_cmp(&a[[y, col]].abs()))
            .unwrap_or(col);
        if pivot != col {
            for k in 0..n {
                a.swap([col, k], [pivot, k]);
            }
            b.swap(col, pivot);
        }
        let p = a[[col, col]];
        if p.abs() <= f64::MIN_POSITIVE {
            continue;
        }
        for row in col + 1..n {
            let factor = a[[row, col]] / p;
            if factor != 0.0 {
                for k in col..n {
                    a[[row, k]] -= factor * a[[col, k]];
                }
                b[row] -= factor * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let mut sum = b[row];
        for k in row + 1..n {
            sum -= a[[row, k]] * x[k];
        }
        let p = a[[row, row]];
        x[row] = if p.abs() > f64::MIN_POSITIVE {
            sum / p
        } else {
            0.0
        };
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn solves_small_systems() {
        let x = solve(array![[4.0, 1.0], [1.0, 3.0]], vec![1.0, 2.0]);
        assert!((x[0] - 1.0 / 11.0).abs() < 1e-12);
        assert!((x[1] - 7.0 / 11.0).abs() < 1e-12);
    }
}
