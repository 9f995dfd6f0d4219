//! Rolling-origin backtesting: refit at successive forecast origins and score the next
//! `horizon` observations. Training data always precedes the forecast window; there is no
//! random split anywhere in this crate.

use crate::{ForecastError, Result};
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, Fold, Forecast, Forecaster, Series, Splitter};

/// How the training window moves with the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Window {
    /// Train on everything before the origin; the first origin follows `initial` observations.
    Expanding {
        /// Observations in the first training window.
        initial: usize,
    },
    /// Train on the `size` observations just before the origin.
    Sliding {
        /// Observations in every training window.
        size: usize,
    },
}

/// A rolling-origin evaluation plan; build it with [`RollingOrigin::builder`].
///
/// Besides running forecasters over a [`Series`], it is a [`Splitter`] for tabular data with
/// timestamps, producing the same time-ordered folds over rows sorted by time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollingOrigin {
    window: Window,
    horizon: usize,
    step: usize,
    level: f64,
}

/// Builder for [`RollingOrigin`].
#[derive(Debug, Clone)]
pub struct RollingOriginBuilder {
    plan: RollingOrigin,
}

impl RollingOriginBuilder {
    /// The training window (default: expanding from 24 observations).
    pub fn window(mut self, window: Window) -> Self {
        self.plan.window = window;
        self
    }

    /// Steps forecast at each origin (default 12).
    pub fn horizon(mut self, horizon: usize) -> Self {
        self.plan.horizon = horizon;
        self
    }

    /// Observations between successive origins (default 1).
    pub fn step(mut self, step: usize) -> Self {
        self.plan.step = step;
        self
    }

    /// Nominal coverage of the intervals scored for coverage (default 0.95).
    pub fn level(mut self, level: f64) -> Self {
        self.plan.level = level;
        self
    }

    /// Validates and returns the plan.
    pub fn build(self) -> Result<RollingOrigin> {
        let plan = self.plan;
        let window_len = match plan.window {
            Window::Expanding { initial } => initial,
            Window::Sliding { size } => size,
        };
        if window_len == 0 {
            return Err(ForecastError::parameter(
                "window",
                "the training window must hold at least one observation",
            ));
        }
        if plan.horizon == 0 {
            return Err(ForecastError::parameter(
                "horizon",
                "the horizon must be at least one step",
            ));
        }
        if plan.step == 0 {
            return Err(ForecastError::parameter(
                "step",
                "origins must advance by at least one step",
            ));
        }
        if !(plan.level > 0.0 && plan.level < 1.0) {
            return Err(ForecastError::parameter(
                "level",
                format!("must lie strictly between 0 and 1, got {}", plan.level),
            ));
        }
        Ok(plan)
    }
}

/// The forecast made at one origin, beside what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OriginResult {
    /// Index of the first forecast observation (training covers `train_start..origin`).
    pub origin: usize,
    /// Index of the first training observation.
    pub train_start: usize,
    /// Timestamp of the first forecast observation.
    pub origin_timestamp: i64,
    /// Observed values over the horizon.
    pub actual: Vec<f64>,
    /// The forecast made at the origin.
    pub forecast: Forecast,
}

impl OriginResult {
    /// Forecast errors `actual − forecast` per step.
    pub fn errors(&self) -> Vec<f64> {
        self.actual
            .iter()
            .zip(self.forecast.mean.iter())
            .map(|(a, f)| a - f)
            .collect()
    }

    /// Mean absolute error at this origin.
    pub fn mae(&self) -> f64 {
        let errors = self.errors();
        errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len() as f64
    }

    /// Root mean squared error at this origin.
    pub fn rmse(&self) -> f64 {
        let errors = self.errors();
        (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt()
    }
}

/// Every origin's forecast and errors for one forecaster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestReport {
    /// The forecaster's name.
    pub forecaster: String,
    /// The forecaster's hyperparameters.
    pub params: serde_json::Value,
    /// The plan that produced the report.
    pub plan: RollingOrigin,
    /// Per-origin results, in time order.
    pub origins: Vec<OriginResult>,
}

impl BacktestReport {
    fn all_errors(&self) -> impl Iterator<Item = f64> + '_ {
        self.origins.iter().flat_map(OriginResult::errors)
    }

    /// Mean absolute error over every origin and step.
    pub fn mae(&self) -> f64 {
        let (sum, count) = self
            .all_errors()
            .fold((0.0, 0usize), |(s, c), e| (s + e.abs(), c + 1));
        sum / count as f64
    }

    /// Root mean squared error over every origin and step.
    pub fn rmse(&self) -> f64 {
        let (sum, count) = self
            .all_errors()
            .fold((0.0, 0usize), |(s, c), e| (s + e * e, c + 1));
        (sum / count as f64).sqrt()
    }

    /// Share of actual values inside the forecast intervals.
    pub fn coverage(&self) -> f64 {
        let (inside, count) = self
            .origins
            .iter()
            .flat_map(|o| {
                o.actual
                    .iter()
                    .enumerate()
                    .map(move |(i, a)| o.forecast.lower[i] <= *a && *a <= o.forecast.upper[i])
            })
            .fold((0usize, 0usize), |(i, c), hit| {
                (i + usize::from(hit), c + 1)
            });
        inside as f64 / count as f64
    }

    /// Errors grouped by step ahead: entry h − 1 holds every origin's h-step error.
    pub fn errors_by_step(&self) -> Vec<Vec<f64>> {
        let mut by_step = vec![Vec::with_capacity(self.origins.len()); self.plan.horizon];
        for origin in &self.origins {
            for (h, e) in origin.errors().into_iter().enumerate() {
                by_step[h].push(e);
            }
        }
        by_step
    }
}

impl RollingOrigin {
    /// A builder with the defaults (expanding from 24, horizon 12, step 1, level 0.95).
    pub fn builder() -> RollingOriginBuilder {
        RollingOriginBuilder {
            plan: RollingOrigin {
                window: Window::Expanding { initial: 24 },
                horizon: 12,
                step: 1,
                level: 0.95,
            },
        }
    }

    /// The forecast horizon.
    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// The training window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The `(train_start, origin)` pairs for a series of `n` observations; each forecast
    /// window `origin..origin + horizon` lies inside the series.
    pub fn origins(&self, n: usize) -> Result<Vec<(usize, usize)>> {
        let first = match self.window {
            Window::Expanding { initial } => initial,
            Window::Sliding { size } => size,
        };
        let needed = first + self.horizon;
        if n < needed {
            return Err(ForecastError::too_short(
                "rolling-origin backtest",
                needed,
                n,
            ));
        }
        Ok((first..=n - self.horizon)
            .step_by(self.step)
            .map(|origin| match self.window {
                Window::Expanding { .. } => (0, origin),
                Window::Sliding { size } => (origin - size, origin),
            })
            .collect())
    }

    /// Refits `forecaster` at every origin and forecasts the following `horizon` steps.
    pub fn run(&self, forecaster: &mut dyn Forecaster, series: &Series) -> Result<BacktestReport> {
        let values = series.values();
        let mut origins = Vec::new();
        for (train_start, origin) in self.origins(series.len())? {
            forecaster.fit(&series.slice(train_start, origin)?)?;
            let forecast = forecaster.forecast(self.horizon, self.level)?;
            origins.push(OriginResult {
                origin,
                train_start,
                origin_timestamp: series.timestamps()[origin],
                actual: values
                    .slice(ndarray::s![origin..origin + self.horizon])
                    .to_vec(),
                forecast,
            });
        }
        tracing::debug!(
            forecaster = forecaster.name(),
            origins = origins.len(),
            "backtest finished"
        );
        Ok(BacktestReport {
            forecaster: forecaster.name().to_string(),
            params: forecaster.params(),
            plan: self.clone(),
            origins,
        })
    }
}

impl Splitter for RollingOrigin {
    fn name(&self) -> String {
        match self.window {
            Window::Expanding { initial } => format!(
                "rolling_origin(expanding {initial}, horizon {}, step {})",
                self.horizon, self.step
            ),
            Window::Sliding { size } => format!(
                "rolling_origin(sliding {size}, horizon {}, step {})",
                self.horizon, self.step
            ),
        }
    }

    fn split(&self, data: &Dataset) -> specweave_core::Result<Vec<Fold>> {
        let timestamps = data.timestamps().ok_or_else(|| {
            specweave_core::Error::InvalidInput(
                "a rolling-origin split needs the dataset's timestamps".into(),
            )
        })?;
        let mut order: Vec<usize> = (0..data.n_rows()).collect();
        order.sort_by_key(|&row| (timestamps[row], row));
        Ok(self
            .origins(order.len())?
            .into_iter()
            .map(|(start, origin)| Fold {
                train: order[start..origin].to_vec(),
                validation: order[origin..origin + self.horizon].to_vec(),
            })
            .collect())
    }

    fn is_time_ordered(&self) -> bool {
        true
    }
}
