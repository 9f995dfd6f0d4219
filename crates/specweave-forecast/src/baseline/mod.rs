//! The benchmark forecasters every model must beat, with the interval formulas of
//! Hyndman & Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed.), §5.5.
//!
//! Each estimates the residual standard deviation from its one-step in-sample errors,
//! σ̂ = √(Σe² / (T − K − M)) with K estimated parameters and M missing residuals, and widens
//! it by the method's h-step factor.

mod drift;
mod moving_average;
mod naive;
mod seasonal_naive;

pub use drift::Drift;
pub use moving_average::MovingAverage;
pub use naive::Naive;
pub use seasonal_naive::SeasonalNaive;

use crate::{ForecastError, Result};
use specweave_core::Series;

/// The series values as a slice, requiring at least `needed` of them.
fn values_at_least<'a>(series: &'a Series, needed: usize, what: &str) -> Result<&'a [f64]> {
    let values = series
        .values()
        .as_slice()
        .ok_or_else(|| ForecastError::InvalidData {
            what: what.into(),
            reason: "series values are not contiguous".into(),
        })?;
    if values.len() < needed {
        return Err(ForecastError::too_short(what, needed, values.len()));
    }
    Ok(values)
}
