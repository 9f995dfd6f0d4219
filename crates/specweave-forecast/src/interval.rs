//! Building [`Forecast`]s from point forecasts and per-step spreads.

use crate::{ForecastError, Result, stats};
use ndarray::Array1;
use specweave_core::Forecast;

/// A forecast with Gaussian intervals: `mean ± z(level) · sd` per step.
pub(crate) fn gaussian(mean: Vec<f64>, sd: &[f64], level: f64) -> Result<Forecast> {
    let z = stats::z_for_level(level)?;
    let lower = mean.iter().zip(sd).map(|(m, s)| m - z * s).collect();
    let upper = mean.iter().zip(sd).map(|(m, s)| m + z * s).collect();
    Ok(Forecast {
        mean: Array1::from(mean),
        lower,
        upper,
        level,
    })
}

/// Checks that a forecast horizon is at least one step.
pub(crate) fn check_horizon(horizon: usize) -> Result<()> {
    if horizon == 0 {
        return Err(ForecastError::parameter(
            "horizon",
            "the forecast horizon must be at least one step",
        ));
    }
    Ok(())
}

/// The residual standard deviation √(Σe² / dof), requiring at least one degree of freedom.
pub(crate) fn residual_sd(residuals: &[f64], dof: usize, what: &str) -> Result<f64> {
    if dof == 0 {
        return Err(ForecastError::too_short(
            what,
            residuals.len() + 1,
            residuals.len(),
        ));
    }
    Ok((residuals.iter().map(|e| e * e).sum::<f64>() / dof as f64).sqrt())
}
