//! # specweave-forecast
//!
//! Forecasting for specweave increments, all behind [`specweave_core::Forecaster`] with
//! prediction intervals and model files:
//!
//! - baselines: [`Naive`], [`SeasonalNaive`], [`Drift`], [`MovingAverage`];
//! - exponential smoothing: [`HoltWinters`] (additive or multiplicative season, damped trend)
//!   and [`AutoEts`], which selects the variant by AICc;
//! - [`LagForecaster`]: any tabular [`specweave_core::Learner`] (e.g. gradient boosting) on
//!   lag, rolling and calendar features, forecasting recursively;
//! - [`RollingOrigin`] backtesting (expanding or sliding windows, never random splits);
//! - diagnostics for the EDA: [`adf`], [`kpss`], [`stl`], [`acf`] and [`ljung_box`].
//!
//! ```
//! use ndarray::Array1;
//! use specweave_core::{Forecaster, Series};
//! use specweave_forecast::{HoltWinters, RollingOrigin, SeasonalNaive, Window};
//!
//! let values: Array1<f64> = (0..96)
//!     .map(|t| 20.0 + 0.2 * t as f64 + 5.0 * (t as f64 * std::f64::consts::PI / 6.0).sin())
//!     .collect();
//! let series = Series::new((0..96).collect(), values)?;
//! let backtest = RollingOrigin::builder()
//!     .window(Window::Expanding { initial: 60 })
//!     .horizon(12)
//!     .step(12)
//!     .build()?;
//! let mut holt_winters = HoltWinters::builder().build()?;
//! let mut seasonal_naive = SeasonalNaive::new(12)?;
//! let hw = backtest.run(&mut holt_winters, &series)?;
//! let snaive = backtest.run(&mut seasonal_naive, &series)?;
//! assert!(hw.mae() < snaive.mae());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod auto;
mod backtest;
mod baseline;
mod diagnostics;
mod error;
mod holt_winters;
mod interval;
mod lag;
mod optimize;
mod persist;
mod stats;

pub use auto::{AutoEts, Candidate};
pub use backtest::{BacktestReport, OriginResult, RollingOrigin, RollingOriginBuilder, Window};
pub use baseline::{Drift, MovingAverage, Naive, SeasonalNaive};
pub use diagnostics::*;
pub use error::{ForecastError, Result};
pub use holt_winters::{
    HoltWinters, HoltWintersBuilder, HoltWintersParams, Seasonality, SmoothingParameters, Trend,
};
pub use lag::{LagFeatures, LagForecaster, ModelLoader};
pub use persist::{LOADABLE_FORECASTERS, load_forecaster};
