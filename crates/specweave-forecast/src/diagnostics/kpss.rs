//! The KPSS stationarity test (Kwiatkowski, Phillips, Schmidt & Shin 1992) with the
//! Newey-West long-run variance and the tabulated critical values, following statsmodels'
//! `kpss`.

use super::check_values;
use crate::{ForecastError, Result};
use serde::{Deserialize, Serialize};

/// The null hypothesis' deterministic part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpssRegression {
    /// Stationary around a constant level (`"c"`, the default).
    Level,
    /// Stationary around a linear trend (`"ct"`).
    Trend,
}

/// The Newey-West bandwidth (number of autocovariance lags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KpssLags {
    /// Hobijn, Franses & Ooms (2004) data-dependent bandwidth (statsmodels' `"auto"`).
    Auto,
    /// ⌈12·(n/100)^¼⌉ (statsmodels' `"legacy"`).
    Legacy,
    /// A fixed number of lags (less than the number of observations).
    Fixed(usize),
}

/// The outcome of a KPSS test (H₀: stationarity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpssResult {
    /// η / σ̂², the KPSS statistic.
    pub statistic: f64,
    /// p-value interpolated in the KPSS table, hence clipped to [0.01, 0.10].
    pub p_value: f64,
    /// Newey-West lags used.
    pub lags: usize,
    /// Critical values at 10%, 5%, 2.5% and 1%, as `(size, value)`.
    pub critical_values: [(f64, f64); 4],
}

/// Configuration of the KPSS test.
///
/// ```
/// use specweave_forecast::{Kpss, KpssLags, KpssRegression};
///
/// let trending: Vec<f64> = (0..120).map(|t| t as f64 + ((t * 37) % 11) as f64).collect();
/// let result = Kpss::new().regression(KpssRegression::Level).lags(KpssLags::Auto).test(&trending)?;
/// assert!(result.p_value <= 0.05); // a trend is not level-stationary
/// # Ok::<(), specweave_forecast::ForecastError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Kpss {
    regression: KpssRegression,
    lags: KpssLags,
}

impl Default for Kpss {
    fn default() -> Self {
        Kpss {
            regression: KpssRegression::Level,
            lags: KpssLags::Auto,
        }
    }
}

/// The KPSS test with statsmodels' defaults (level stationarity, automatic bandwidth).
pub fn kpss(values: &[f64]) -> Result<KpssResult> {
    Kpss::new().test(values)
}

impl Kpss {
    /// Defaults: level stationarity, automatic bandwidth.
    pub fn new() -> Kpss {
        Kpss::default()
    }

    /// The null hypothesis' deterministic part.
    pub fn regression(mut self, regression: KpssRegression) -> Kpss {
        self.regression = regression;
        self
    }

    /// The bandwidth rule.
    pub fn lags(mut self, lags: KpssLags) -> Kpss {
        self.lags = lags;
        self
    }

    /// Runs the test.
    pub fn test(&self, values: &[f64]) -> Result<KpssResult> {
        check_values(values, 3, "kpss")?;
        let n = values.len();
        let (residuals, critical) = match self.regression {
            KpssRegression::Level => {
                let mean = values.iter().sum::<f64>() / n as f64;
                (
                    values.iter().map(|v| v - mean).collect::<Vec<f64>>(),
                    [0.347, 0.463, 0.574, 0.739],
                )
            }
            KpssRegression::Trend => (detrend(values), [0.119, 0.146, 0.176, 0.216]),
        };
        let lags = match self.lags {
            KpssLags::Auto => auto_lags(&residuals).min(n - 1),
            KpssLags::Legacy => ((12.0 * (n as f64 / 100.0).powf(0.25)).ceil() as usize).min(n - 1),
            KpssLags::Fixed(lags) => {
                if lags >= n {
                    return Err(ForecastError::parameter(
                        "lags",
                        format!("{lags} lags must be fewer than the {n} observations"),
                    ));
                }
                lags
            }
        };
        let mut partial = 0.0;
        let eta = residuals
            .iter()
            .map(|e| {
                partial += e;
                partial * partial
            })
            .sum::<f64>()
            / (n * n) as f64;
        let mut long_run = residuals.iter().map(|e| e * e).sum::<f64>();
        for lag in 1..=lags {
            let weight = 1.0 - lag as f64 / (lags as f64 + 1.0);
            long_run += 2.0 * weight * autocovariance_sum(&residuals, lag);
        }
        let long_run = long_run / n as f64;
        if long_run <= 0.0 {
            return Err(ForecastError::InvalidData {
                what: "kpss".into(),
                reason: "the series has no variance around its deterministic part".into(),
            });
        }
        let statistic = eta / long_run;
        let sizes = [0.10, 0.05, 0.025, 0.01];
        Ok(KpssResult {
            statistic,
            p_value: interpolate(statistic, &critical, &sizes),
            lags,
            critical_values: [
                (sizes[0], critical[0]),
                (sizes[1], critical[1]),
                (sizes[2], critical[2]),
                (sizes[3], critical[3]),
            ],
        })
    }
}

/// Σₜ eₜ·eₜ₋ₗ.
fn autocovariance_sum(residuals: &[f64], lag: usize) -> f64 {
    residuals[lag..]
        .iter()
        .zip(residuals)
        .map(|(a, b)| a * b)
        .sum()
}

/// Residuals of a least-squares line on t = 1…n.
fn detrend(values: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    let t_mean = (n + 1.0) / 2.0;
    let y_mean = values.iter().sum::<f64>() / n;
    let (mut cov, mut var) = (0.0, 0.0);
    for (i, v) in values.iter().enumerate() {
        let dt = (i + 1) as f64 - t_mean;
        cov += dt * (v - y_mean);
        var += dt * dt;
    }
    let slope = cov / var;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| v - y_mean - slope * ((i + 1) as f64 - t_mean))
        .collect()
}

/// The data-dependent bandwidth of Hobijn et al. (2004), as statsmodels computes it.
fn auto_lags(residuals: &[f64]) -> usize {
    let n = residuals.len();
    let cov_lags = (n as f64).powf(2.0 / 9.0) as usize;
    let mut s0 = residuals.iter().map(|e| e * e).sum::<f64>() / n as f64;
    let mut s1 = 0.0;
    for lag in 1..=cov_lags.min(n - 1) {
        let product = autocovariance_sum(residuals, lag) / (n as f64 / 2.0);
        s0 += product;
        s1 += lag as f64 * product;
    }
    let s_hat = s1 / s0;
    let gamma_hat = 1.1447 * (s_hat * s_hat).powf(1.0 / 3.0);
    (gamma_hat * (n as f64).powf(1.0 / 3.0)) as usize
}

/// `numpy.interp`: piecewise-linear in increasing `xs`, clamped at both ends.
fn interpolate(x: f64, xs: &[f64], ys: &[f64]) -> f64 {
    if x <= xs[0] {
        return ys[0];
    }
    for i in 1..xs.len() {
        if x <= xs[i] {
            let fraction = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
            return ys[i - 1] + fraction * (ys[i] - ys[i - 1]);
        }
    }
    ys[ys.len() - 1]
}
