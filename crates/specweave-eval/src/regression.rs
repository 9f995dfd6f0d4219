//! Regression metrics with the definitions of scikit-learn 1.9 (optional sample weights
//! where scikit-learn accepts them).

use crate::error::{EvalError, Result, check_finite, check_len, check_weights, weight_at};

fn check(y_true: &[f64], y_pred: &[f64], weights: Option<&[f64]>) -> Result<()> {
    check_len("predictions", y_true.len(), y_pred.len())?;
    check_weights(weights, y_true.len())?;
    check_finite("labels", y_true)?;
    check_finite("predictions", y_pred)?;
    if y_true.is_empty() {
        return Err(EvalError::Empty("no rows to evaluate".into()));
    }
    Ok(())
}

fn weighted_mean_of(
    y_true: &[f64],
    y_pred: &[f64],
    weights: Option<&[f64]>,
    f: impl Fn(f64, f64) -> f64,
) -> Result<f64> {
    check(y_true, y_pred, weights)?;
    let (mut sum, mut total) = (0.0, 0.0);
    for (i, (&y, &p)) in y_true.iter().zip(y_pred).enumerate() {
        let w = weight_at(weights, i);
        sum += w * f(y, p);
        total += w;
    }
    if total > 0.0 {
        Ok(sum / total)
    } else {
        Err(EvalError::Empty("no rows with positive weight".into()))
    }
}

/// Mean squared error.
///
/// ```
/// use specweave_eval::regression::mse;
/// // scikit-learn's documentation example
/// assert_eq!(mse(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None)?, 0.375);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn mse(y_true: &[f64], y_pred: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    weighted_mean_of(y_true, y_pred, weights, |y, p| (y - p) * (y - p))
}

/// Root mean squared error.
pub fn rmse(y_true: &[f64], y_pred: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    mse(y_true, y_pred, weights).map(f64::sqrt)
}

/// Mean absolute error.
///
/// ```
/// use specweave_eval::regression::mae;
/// assert_eq!(mae(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None)?, 0.5);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn mae(y_true: &[f64], y_pred: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    weighted_mean_of(y_true, y_pred, weights, |y, p| (y - p).abs())
}

/// Mean absolute percentage error as a fraction: |ŷ − y| / max(|y|, ε) with ε the machine
/// epsilon (scikit-learn's guard, so a zero label gives a huge but finite error).
///
/// ```
/// use specweave_eval::regression::mape;
/// let m = mape(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None)?;
/// assert!((m - 0.3273809523809524).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn mape(y_true: &[f64], y_pred: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    weighted_mean_of(y_true, y_pred, weights, |y, p| {
        (p - y).abs() / y.abs().max(f64::EPSILON)
    })
}

/// Symmetric mean absolute percentage error as a fraction in [0, 2]:
/// 2·|ŷ − y| / (|y| + |ŷ|), with 0/0 counted as 0 (a perfect prediction of zero).
///
/// ```
/// use specweave_eval::regression::smape;
/// assert_eq!(smape(&[1.0, 0.0], &[3.0, 0.0], None)?, 0.5);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn smape(y_true: &[f64], y_pred: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    weighted_mean_of(y_true, y_pred, weights, |y, p| {
        let denominator = y.abs() + p.abs();
        if denominator == 0.0 {
            0.0
        } else {
            2.0 * (p - y).abs() / denominator
        }
    })
}

/// Median absolute error (unweighted; the mean of the two middle values for an even count,
/// as NumPy's median).
///
/// ```
/// use specweave_eval::regression::medae;
/// assert_eq!(medae(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0])?, 0.5);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn medae(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check(y_true, y_pred, None)?;
    let mut errors: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .map(|(y, p)| (y - p).abs())
        .collect();
    Ok(median_in_place(&mut errors))
}

/// Median of finite values (reorders them).
pub(crate) fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let mid = n / 2;
    let (_, &mut upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = values[..mid]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

/// Largest absolute error.
///
/// ```
/// use specweave_eval::regression::max_error;
/// assert_eq!(max_error(&[3.0, 2.0, 7.0, 1.0], &[4.0, 2.0, 7.0, 1.0])?, 1.0);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn max_error(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check(y_true, y_pred, None)?;
    Ok(y_true
        .iter()
        .zip(y_pred)
        .map(|(y, p)| (y - p).abs())
        .fold(0.0, f64::max))
}

fn weighted_average(values: impl Iterator<Item = f64>, weights: Option<&[f64]>) -> (f64, f64) {
    let (mut sum, mut total) = (0.0, 0.0);
    for (i, v) in values.enumerate() {
        let w = weight_at(weights, i);
        sum += w * v;
        total += w;
    }
    (sum / total, total)
}

/// Coefficient of determination R² (scikit-learn `r2_score`, `force_finite=True`: a
/// constant label gives 1 for a perfect prediction and 0 otherwise).
///
/// ```
/// use specweave_eval::regression::r2;
/// let score = r2(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None)?;
/// assert!((score - 0.9486081370449679).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn r2(y_true: &[f64], y_pred: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    check(y_true, y_pred, weights)?;
    let (mean, total) = weighted_average(y_true.iter().copied(), weights);
    if total <= 0.0 {
        return Err(EvalError::Empty("no rows with positive weight".into()));
    }
    let mut residual = 0.0;
    let mut spread = 0.0;
    for (i, (&y, &p)) in y_true.iter().zip(y_pred).enumerate() {
        let w = weight_at(weights, i);
        residual += w * (y - p) * (y - p);
        spread += w * (y - mean) * (y - mean);
    }
    Ok(finite_ratio_score(residual, spread))
}

/// R² adjusted for the number of features: 1 − (1 − R²)(n − 1)/(n − p − 1).
///
/// Fails when `n_features + 1 ≥ n` (the adjustment is undefined).
pub fn adjusted_r2(y_true: &[f64], y_pred: &[f64], n_features: usize) -> Result<f64> {
    let n = y_true.len();
    if n_features + 1 >= n {
        return Err(EvalError::param(
            "n_features",
            format!(
                "adjusted R² needs more rows ({n}) than features + 1 ({})",
                n_features + 1
            ),
        ));
    }
    let score = r2(y_true, y_pred, None)?;
    Ok(1.0 - (1.0 - score) * (n as f64 - 1.0) / (n as f64 - n_features as f64 - 1.0))
}

/// Explained variance: 1 − Var(y − ŷ)/Var(y), with scikit-learn's `force_finite` rule.
///
/// ```
/// use specweave_eval::regression::explained_variance;
/// let score = explained_variance(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0], None)?;
/// assert!((score - 0.9571734475374732).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn explained_variance(y_true: &[f64], y_pred: &[f64], weights: Option<&[f64]>) -> Result<f64> {
    check(y_true, y_pred, weights)?;
    let (mean_y, total) = weighted_average(y_true.iter().copied(), weights);
    if total <= 0.0 {
        return Err(EvalError::Empty("no rows with positive weight".into()));
    }
    let (mean_e, _) = weighted_average(y_true.iter().zip(y_pred).map(|(y, p)| y - p), weights);
    let mut var_e = 0.0;
    let mut var_y = 0.0;
    for (i, (&y, &p)) in y_true.iter().zip(y_pred).enumerate() {
        let w = weight_at(weights, i);
        let e = y - p - mean_e;
        var_e += w * e * e;
        var_y += w * (y - mean_y) * (y - mean_y);
    }
    Ok(finite_ratio_score(var_e, var_y))
}

fn finite_ratio_score(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        if numerator == 0.0 { 1.0 } else { 0.0 }
    } else {
        1.0 - numerator / denominator
    }
}
