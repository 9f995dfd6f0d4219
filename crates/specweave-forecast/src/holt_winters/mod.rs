//! Holt-Winters exponential smoothing: level, optional (damped) additive trend, optional
//! additive or multiplicative seasonality, smoothing parameters fitted by minimising the
//! in-sample one-step squared error.

mod algorithm;
mod hyperparams;

pub use algorithm::{HoltWinters, SmoothingParameters};
pub use hyperparams::{HoltWintersBuilder, HoltWintersParams, Seasonality, Trend};
