//! Forecast metrics: MASE with a seasonal period and prediction-interval coverage.
//!
//! Point-error metrics shared with regression (`mape`, `smape`, `rmse`, `mae`) live in
//! [`crate::regression`] and apply to forecasts unchanged.

use crate::error::{EvalError, Result, check_finite, check_len};

/// Mean absolute scaled error (Hyndman & Koehler, 2006): the forecast's MAE divided by the
/// in-sample MAE of the seasonal naive forecast `y[t] = y[t − m]` on the training series.
///
/// `m = 1` scales by the one-step naive forecast. Fails when the training series has no more
/// than `m` values; a perfectly periodic training series (scale 0) gives NaN or infinity,
/// as the definition does.
///
/// ```
/// use specweave_eval::forecasting::mase;
/// let train = [1.0, 2.0, 3.0, 4.0]; // naive one-step MAE = 1
/// assert_eq!(mase(&[5.0, 6.0], &[5.5, 5.0], &train, 1)?, 0.75);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn mase(y_true: &[f64], y_pred: &[f64], y_train: &[f64], season: usize) -> Result<f64> {
    check_len("forecast", y_true.len(), y_pred.len())?;
    check_finite("actuals", y_true)?;
    check_finite("forecast", y_pred)?;
    check_finite("training series", y_train)?;
    if season == 0 {
        return Err(EvalError::param(
            "season",
            "the seasonal period must be at least 1",
        ));
    }
    if y_train.len() <= season {
        return Err(EvalError::param(
            "season",
            format!(
                "the training series ({} values) must be longer than the season ({season})",
                y_train.len()
            ),
        ));
    }
    if y_true.is_empty() {
        return Err(EvalError::Empty("no forecast values".into()));
    }
    let scale = y_train[season..]
        .iter()
        .zip(y_train)
        .map(|(a, b)| (a - b).abs())
        .sum::<f64>()
        / (y_train.len() - season) as f64;
    let error = y_true
        .iter()
        .zip(y_pred)
        .map(|(y, p)| (y - p).abs())
        .sum::<f64>()
        / y_true.len() as f64;
    Ok(error / scale)
}

/// Fraction of actual values inside their prediction interval `[lower, upper]` (inclusive).
///
/// ```
/// use specweave_eval::forecasting::interval_coverage;
/// let c = interval_coverage(&[1.0, 2.0, 3.0, 4.0], &[0.0, 2.5, 2.0, 4.0], &[2.0, 3.0, 4.0, 5.0])?;
/// assert_eq!(c, 0.75);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn interval_coverage(y_true: &[f64], lower: &[f64], upper: &[f64]) -> Result<f64> {
    check_len("lower bounds", y_true.len(), lower.len())?;
    check_len("upper bounds", y_true.len(), upper.len())?;
    check_finite("actuals", y_true)?;
    if let Some(row) = lower
        .iter()
        .zip(upper)
        .position(|(l, u)| l > u || l.is_nan() || u.is_nan())
    {
        return Err(EvalError::invalid(
            "interval",
            row,
            format!("lower {} is above upper {}", lower[row], upper[row]),
        ));
    }
    if y_true.is_empty() {
        return Err(EvalError::Empty("no forecast values".into()));
    }
    let inside = y_true
        .iter()
        .zip(lower.iter().zip(upper))
        .filter(|(y, (l, u))| *l <= *y && *y <= *u)
        .count();
    Ok(inside as f64 / y_true.len() as f64)
}
