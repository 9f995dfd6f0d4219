//! The drift forecaster: the line from the first to the last observation, extended.

use super::values_at_least;
use crate::{ForecastError, Result, interval, persist};
use serde::{Deserialize, Serialize};
use specweave_core::{Forecast, Forecaster, Series};

/// Drift forecasts ŷ(T+h) = y(T) + h·(y(T) − y(1))/(T − 1), with interval half-width
/// z·σ̂·√(h(1 + h/(T−1))): the random-walk variance plus the slope's estimation variance
/// (FPP3 Table 5.2, with T − 1 differences as fable computes it).
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Forecaster, Series};
/// use specweave_forecast::Drift;
///
/// let series = Series::new(vec![1, 2, 3, 4, 5], array![1.0, 2.2, 2.9, 4.1, 5.0])?;
/// let mut drift = Drift::new();
/// drift.fit(&series)?;
/// assert!((drift.forecast(2, 0.95)?.mean[1] - 7.0).abs() < 1e-12);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Drift {
    fitted: Option<DriftState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DriftState {
    last: f64,
    slope: f64,
    differences: usize,
    sigma: f64,
}

impl Drift {
    /// An unfitted drift forecaster.
    pub fn new() -> Drift {
        Drift::default()
    }

    /// Reads a drift forecaster from its model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Drift> {
        persist::from_model_file("drift", bytes)
    }

    fn state(&self) -> Result<&DriftState> {
        self.fitted
            .as_ref()
            .ok_or_else(|| ForecastError::not_fitted("drift"))
    }
}

impl Forecaster for Drift {
    fn name(&self) -> &str {
        "drift"
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn fit(&mut self, series: &Series) -> specweave_core::Result<()> {
        let y = values_at_least(series, 3, "drift")?;
        let differences = y.len() - 1;
        let slope = (y[differences] - y[0]) / differences as f64;
        let residuals: Vec<f64> = y.windows(2).map(|w| w[1] - w[0] - slope).collect();
        // one parameter (the slope) is estimated from the differences
        let sigma = interval::residual_sd(&residuals, differences - 1, "drift")?;
        self.fitted = Some(DriftState {
            last: y[differences],
            slope,
            differences,
            sigma,
        });
        Ok(())
    }

    fn forecast(&self, horizon: usize, level: f64) -> specweave_core::Result<Forecast> {
        interval::check_horizon(horizon)?;
        let state = self.state()?;
        let t = state.differences as f64;
        let mean = (1..=horizon)
            .map(|h| state.last + h as f64 * state.slope)
            .collect();
        let sd: Vec<f64> = (1..=horizon)
            .map(|h| {
                let h = h as f64;
                state.sigma * (h * (1.0 + h / t)).sqrt()
            })
            .collect();
        Ok(interval::gaussian(mean, &sd, level)?)
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        self.state()?;
        Ok(persist::to_model_file("drift", self.params(), self)?)
    }
}
