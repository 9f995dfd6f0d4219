//! Hyperparameters of [`HoltWinters`](super::HoltWinters), validated before fitting.

use super::HoltWinters;
use crate::{ForecastError, Result};
use serde::{Deserialize, Serialize};

/// The trend component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// No trend: forecasts are flat apart from the season.
    None,
    /// A linear trend that continues indefinitely.
    Additive,
    /// A linear trend damped by φ ∈ [0.8, 0.98], which flattens long-horizon forecasts.
    AdditiveDamped,
}

/// The seasonal component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seasonality {
    /// No seasonality.
    None,
    /// Seasonal effects added to the level (constant amplitude).
    Additive,
    /// Seasonal factors multiplying the level (amplitude grows with the level); needs
    /// strictly positive data.
    Multiplicative,
}

/// The configuration of a Holt-Winters model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoltWintersParams {
    /// Trend component.
    pub trend: Trend,
    /// Seasonal component.
    pub seasonality: Seasonality,
    /// Season length in observations (ignored without seasonality).
    pub period: usize,
    /// Number of simulated sample paths for intervals of multiplicative models.
    pub simulations: usize,
    /// Seed of those simulations, so that intervals are reproducible.
    pub seed: u64,
}

impl Default for HoltWintersParams {
    fn default() -> Self {
        HoltWintersParams {
            trend: Trend::Additive,
            seasonality: Seasonality::Additive,
            period: 12,
            simulations: 2_000,
            seed: 42,
        }
    }
}

impl HoltWintersParams {
    /// Checks every rule; called by the builder and again before fitting.
    pub fn validate(&self) -> Result<()> {
        if self.seasonality != Seasonality::None && self.period < 2 {
            return Err(ForecastError::parameter(
                "period",
                format!(
                    "a seasonal model needs a season of at least 2 observations, got {}",
                    self.period
                ),
            ));
        }
        if self.seasonality == Seasonality::Multiplicative && self.simulations < 100 {
            return Err(ForecastError::parameter(
                "simulations",
                format!(
                    "intervals of multiplicative models need at least 100 simulated paths, got {}",
                    self.simulations
                ),
            ));
        }
        Ok(())
    }

    /// The number of observations fitting needs: two full seasons for seasonal models
    /// (the seasonal start values come from them), otherwise enough to estimate the states.
    pub fn min_observations(&self) -> usize {
        let trend_states = usize::from(self.trend != Trend::None);
        match self.seasonality {
            Seasonality::None => 3 + 2 * trend_states,
            _ => (2 * self.period).max(self.period + 3 + trend_states),
        }
    }

    /// Short description such as `"A,Ad,M"` (error, trend, season), as ETS names models.
    pub fn label(&self) -> String {
        let trend = match self.trend {
            Trend::None => "N",
            Trend::Additive => "A",
            Trend::AdditiveDamped => "Ad",
        };
        let season = match self.seasonality {
            Seasonality::None => "N",
            Seasonality::Additive => "A",
            Seasonality::Multiplicative => "M",
        };
        format!("A,{trend},{season}")
    }
}

/// Builder for [`HoltWinters`]; see [`HoltWinters::builder`].
#[derive(Debug, Clone, Default)]
pub struct HoltWintersBuilder {
    params: HoltWintersParams,
}

impl HoltWintersBuilder {
    /// The trend component (default additive).
    pub fn trend(mut self, trend: Trend) -> Self {
        self.params.trend = trend;
        self
    }

    /// The seasonal component and the season length (default additive, 12).
    pub fn seasonality(mut self, seasonality: Seasonality, period: usize) -> Self {
        self.params.seasonality = seasonality;
        self.params.period = period;
        self
    }

    /// Sample paths simulated for intervals of multiplicative models (default 2000).
    pub fn simulations(mut self, simulations: usize) -> Self {
        self.params.simulations = simulations;
        self
    }

    /// Seed of the interval simulations (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.params.seed = seed;
        self
    }

    /// Validates the configuration and returns the unfitted model.
    pub fn build(self) -> Result<HoltWinters> {
        HoltWinters::new(self.params)
    }
}
