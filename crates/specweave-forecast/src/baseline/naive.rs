//! The naive (random walk) forecaster: every future value equals the last observation.

use super::values_at_least;
use crate::{ForecastError, Result, interval, persist};
use serde::{Deserialize, Serialize};
use specweave_core::{Forecast, Forecaster, Series};

/// Naive forecasts ŷ(T+h) = y(T) with interval half-width z·σ̂·√h (FPP3 Table 5.2).
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Forecaster, Series};
/// use specweave_forecast::Naive;
///
/// let series = Series::new(vec![1, 2, 3, 4], array![10.0, 12.0, 11.0, 13.0])?;
/// let mut naive = Naive::new();
/// naive.fit(&series)?;
/// let forecast = naive.forecast(3, 0.95)?;
/// assert_eq!(forecast.mean.to_vec(), vec![13.0; 3]);
/// assert!(forecast.upper[2] - forecast.lower[2] > forecast.upper[0] - forecast.lower[0]);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Naive {
    fitted: Option<NaiveState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NaiveState {
    last: f64,
    sigma: f64,
}

impl Naive {
    /// An unfitted naive forecaster.
    pub fn new() -> Naive {
        Naive::default()
    }

    /// Reads a naive forecaster from its model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Naive> {
        persist::from_model_file("naive", bytes)
    }

    fn state(&self) -> Result<&NaiveState> {
        self.fitted
            .as_ref()
            .ok_or_else(|| ForecastError::not_fitted("naive"))
    }
}

impl Forecaster for Naive {
    fn name(&self) -> &str {
        "naive"
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn fit(&mut self, series: &Series) -> specweave_core::Result<()> {
        let y = values_at_least(series, 2, "naive")?;
        let residuals: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
        let sigma = interval::residual_sd(&residuals, residuals.len(), "naive")?;
        self.fitted = Some(NaiveState {
            last: y[y.len() - 1],
            sigma,
        });
        Ok(())
    }

    fn forecast(&self, horizon: usize, level: f64) -> specweave_core::Result<Forecast> {
        interval::check_horizon(horizon)?;
        let state = self.state()?;
        let sd: Vec<f64> = (1..=horizon)
            .map(|h| state.sigma * (h as f64).sqrt())
            .collect();
        Ok(interval::gaussian(vec![state.last; horizon], &sd, level)?)
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        self.state()?;
        Ok(persist::to_model_file("naive", self.params(), self)?)
    }
}
