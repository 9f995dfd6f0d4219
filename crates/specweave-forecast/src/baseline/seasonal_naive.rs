//! The seasonal naive forecaster: each future value repeats the same season of the last cycle.

use super::values_at_least;
use crate::{ForecastError, Result, interval, persist};
use serde::{Deserialize, Serialize};
use specweave_core::{Forecast, Forecaster, Series};

/// Seasonal naive forecasts ŷ(T+h) = y(T+h−m(k+1)), k = ⌊(h−1)/m⌋, with interval
/// half-width z·σ̂·√(k+1) (FPP3 Table 5.2).
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Forecaster, Series};
/// use specweave_forecast::SeasonalNaive;
///
/// let series = Series::new((0..6).collect(), array![1.0, 5.0, 9.0, 2.0, 6.0, 10.0])?;
/// let mut snaive = SeasonalNaive::new(3)?;
/// snaive.fit(&series)?;
/// assert_eq!(snaive.forecast(4, 0.8)?.mean.to_vec(), vec![2.0, 6.0, 10.0, 2.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeasonalNaive {
    period: usize,
    fitted: Option<SeasonalNaiveState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SeasonalNaiveState {
    last_cycle: Vec<f64>,
    sigma: f64,
}

impl SeasonalNaive {
    /// A seasonal naive forecaster for seasons of `period` observations (at least 1).
    pub fn new(period: usize) -> Result<SeasonalNaive> {
        if period == 0 {
            return Err(ForecastError::parameter(
                "period",
                "the season length must be at least 1",
            ));
        }
        Ok(SeasonalNaive {
            period,
            fitted: None,
        })
    }

    /// The season length.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Reads a seasonal naive forecaster from its model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<SeasonalNaive> {
        persist::from_model_file("seasonal_naive", bytes)
    }

    fn state(&self) -> Result<&SeasonalNaiveState> {
        self.fitted
            .as_ref()
            .ok_or_else(|| ForecastError::not_fitted("seasonal_naive"))
    }
}

impl Forecaster for SeasonalNaive {
    fn name(&self) -> &str {
        "seasonal_naive"
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "period": self.period })
    }

    fn fit(&mut self, series: &Series) -> specweave_core::Result<()> {
        let m = self.period;
        let y = values_at_least(series, m + 1, "seasonal_naive")?;
        let residuals: Vec<f64> = (m..y.len()).map(|t| y[t] - y[t - m]).collect();
        let sigma = interval::residual_sd(&residuals, residuals.len(), "seasonal_naive")?;
        self.fitted = Some(SeasonalNaiveState {
            last_cycle: y[y.len() - m..].to_vec(),
            sigma,
        });
        Ok(())
    }

    fn forecast(&self, horizon: usize, level: f64) -> specweave_core::Result<Forecast> {
        interval::check_horizon(horizon)?;
        let state = self.state()?;
        let m = self.period;
        let mean = (0..horizon).map(|i| state.last_cycle[i % m]).collect();
        let sd: Vec<f64> = (0..horizon)
            .map(|i| state.sigma * ((i / m + 1) as f64).sqrt())
            .collect();
        Ok(interval::gaussian(mean, &sd, level)?)
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        self.state()?;
        Ok(persist::to_model_file(
            "seasonal_naive",
            self.params(),
            self,
        )?)
    }
}
