//! Sample autocorrelation and the Ljung-Box portmanteau test of residual whiteness.

use super::check_values;
use crate::{ForecastError, Result, stats};
use serde::{Deserialize, Serialize};

/// Sample autocorrelations r₀ … r_{max_lag} (r₀ = 1), with the biased (divide-by-n)
/// autocovariance as statsmodels' `acf(adjusted=False)` computes it.
///
/// ```
/// let r = specweave_forecast::acf(&[1.0, 3.0, 2.0, 4.0, 3.0, 5.0], 2)?;
/// assert_eq!(r[0], 1.0);
/// assert!(r[1] < 0.0);
/// # Ok::<(), specweave_forecast::ForecastError>(())
/// ```
pub fn acf(values: &[f64], max_lag: usize) -> Result<Vec<f64>> {
    check_values(values, max_lag + 2, "acf")?;
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let centred: Vec<f64> = values.iter().map(|v| v - mean).collect();
    let c0: f64 = centred.iter().map(|v| v * v).sum();
    if c0 == 0.0 {
        return Err(ForecastError::InvalidData {
            what: "acf".into(),
            reason: "the series is constant, so autocorrelation is undefined".into(),
        });
    }
    Ok((0..=max_lag)
        .map(|k| {
            centred[k..]
                .iter()
                .zip(&centred[..n - k])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / c0
        })
        .collect())
}

/// The Ljung-Box test of no autocorrelation up to a lag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LjungBox {
    /// Number of autocorrelations summed.
    pub lags: usize,
    /// Q = n(n+2) Σₖ rₖ²/(n−k).
    pub statistic: f64,
    /// Degrees of freedom of the reference chi-square: lags − model_df.
    pub df: usize,
    /// P(χ²(df) ≥ Q); small values reject white noise.
    pub p_value: f64,
}

/// Ljung-Box Q over lags 1…`lags` of (usually) model residuals; `model_df` subtracts the
/// number of fitted ARMA-type parameters from the degrees of freedom, as statsmodels'
/// `acorr_ljungbox(model_df=…)` does.
///
/// ```
/// let residuals = [0.3, -1.2, 0.8, 0.1, -0.5, 1.1, -0.9, 0.2, 0.4, -0.3, 0.7, -1.0];
/// let test = specweave_forecast::ljung_box(&residuals, 3, 0)?;
/// assert!(test.p_value > 0.0 && test.p_value <= 1.0);
/// # Ok::<(), specweave_forecast::ForecastError>(())
/// ```
pub fn ljung_box(residuals: &[f64], lags: usize, model_df: usize) -> Result<LjungBox> {
    if lags == 0 || lags <= model_df {
        return Err(ForecastError::parameter(
            "lags",
            format!(
                "Ljung-Box needs more lags ({lags}) than model degrees of freedom ({model_df}), and at least one"
            ),
        ));
    }
    let r = acf(residuals, lags)?;
    let n = residuals.len() as f64;
    let statistic = n
        * (n + 2.0)
        * (1..=lags)
            .map(|k| r[k] * r[k] / (n - k as f64))
            .sum::<f64>();
    let df = lags - model_df;
    Ok(LjungBox {
        lags,
        statistic,
        df,
        p_value: stats::chi2_sf(statistic, df as f64),
    })
}
