//! The moving-average forecaster: the mean of the last `window` observations, held flat.

use super::values_at_least;
use crate::{ForecastError, Result, interval, persist};
use serde::{Deserialize, Serialize};
use specweave_core::{Forecast, Forecaster, Series};

/// The mean method of FPP3 §5.2 applied to the last `window` observations: ŷ(T+h) = ȳ(window)
/// with interval half-width z·s·√(1 + 1/q), where s is the window's sample standard deviation
/// and q its length (FPP3 Table 5.2, mean method with T = q).
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Forecaster, Series};
/// use specweave_forecast::MovingAverage;
///
/// let series = Series::new(vec![1, 2, 3, 4], array![9.0, 1.0, 2.0, 3.0])?;
/// let mut average = MovingAverage::new(3)?;
/// average.fit(&series)?;
/// assert_eq!(average.forecast(2, 0.9)?.mean.to_vec(), vec![2.0, 2.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MovingAverage {
    window: usize,
    fitted: Option<MovingAverageState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MovingAverageState {
    mean: f64,
    sd: f64,
}

impl MovingAverage {
    /// A moving average over the last `window` observations (at least 2, so that the spread
    /// can be estimated).
    pub fn new(window: usize) -> Result<MovingAverage> {
        if window < 2 {
            return Err(ForecastError::parameter(
                "window",
                format!("the moving-average window must be at least 2, got {window}"),
            ));
        }
        Ok(MovingAverage {
            window,
            fitted: None,
        })
    }

    /// The window length.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Reads a moving-average forecaster from its model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<MovingAverage> {
        persist::from_model_file("moving_average", bytes)
    }

    fn state(&self) -> Result<&MovingAverageState> {
        self.fitted
            .as_ref()
            .ok_or_else(|| ForecastError::not_fitted("moving_average"))
    }
}

impl Forecaster for MovingAverage {
    fn name(&self) -> &str {
        "moving_average"
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "window": self.window })
    }

    fn fit(&mut self, series: &Series) -> specweave_core::Result<()> {
        let y = values_at_least(series, self.window, "moving_average")?;
        let recent = &y[y.len() - self.window..];
        let mean = recent.iter().sum::<f64>() / self.window as f64;
        let deviations: Vec<f64> = recent.iter().map(|v| v - mean).collect();
        let sd = interval::residual_sd(&deviations, self.window - 1, "moving_average")?;
        self.fitted = Some(MovingAverageState { mean, sd });
        Ok(())
    }

    fn forecast(&self, horizon: usize, level: f64) -> specweave_core::Result<Forecast> {
        interval::check_horizon(horizon)?;
        let state = self.state()?;
        let spread = state.sd * (1.0 + 1.0 / self.window as f64).sqrt();
        Ok(interval::gaussian(
            vec![state.mean; horizon],
            &vec![spread; horizon],
            level,
        )?)
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        self.state()?;
        Ok(persist::to_model_file(
            "moving_average",
            self.params(),
            self,
        )?)
    }
}
