//! The augmented Dickey-Fuller unit-root test with AIC lag selection and MacKinnon
//! (1994, 2010) p-values and critical values, following statsmodels' `adfuller`.

use super::check_values;
use crate::stats::{OlsFit, least_squares, normal_cdf};
use crate::{ForecastError, Result};
use serde::{Deserialize, Serialize};

/// Deterministic terms of the test regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdfRegression {
    /// No constant (`"n"`).
    None,
    /// A constant (`"c"`, the default).
    Constant,
    /// A constant and a linear trend (`"ct"`).
    ConstantTrend,
}

impl AdfRegression {
    fn n_terms(self) -> usize {
        match self {
            AdfRegression::None => 0,
            AdfRegression::Constant => 1,
            AdfRegression::ConstantTrend => 2,
        }
    }

    /// MacKinnon (1994) p-value surface: (max, min, star, small-p coefficients, large-p
    /// coefficients) for one integrated variable, from statsmodels' `adfvalues`.
    fn p_value_table(self) -> (f64, f64, f64, [f64; 3], [f64; 4]) {
        match self {
            AdfRegression::None => (
                f64::INFINITY,
                -19.04,
                -1.04,
                [0.6344, 1.2378, 0.032496],
                [0.4797, 0.93557, -0.06999, 0.033066],
            ),
            AdfRegression::Constant => (
                2.74,
                -18.83,
                -1.61,
                [2.1659, 1.4412, 0.038269],
                [1.7339, 0.93202, -0.12745, -0.010368],
            ),
            AdfRegression::ConstantTrend => (
                0.7,
                -16.18,
                -2.89,
                [3.2512, 1.6047, 0.049588],
                [2.5261, 0.61654, -0.37956, -0.060285],
            ),
        }
    }

    /// MacKinnon (2010) response surfaces for the 1%, 5% and 10% critical values.
    fn critical_value_table(self) -> [[f64; 4]; 3] {
        match self {
            AdfRegression::None => [
                [-2.56574, -2.2358, -3.627, 0.0],
                [-1.941, -0.2686, -3.365, 31.223],
                [-1.61682, 0.2656, -2.714, 25.364],
            ],
            AdfRegression::Constant => [
                [-3.43035, -6.5393, -16.786, -79.433],
                [-2.86154, -2.8903, -4.234, -40.04],
                [-2.56677, -1.5384, -2.809, 0.0],
            ],
            AdfRegression::ConstantTrend => [
                [-3.95877, -9.0531, -28.428, -134.155],
                [-3.41049, -4.3904, -9.036, -45.374],
                [-3.12705, -2.5856, -3.925, -22.38],
            ],
        }
    }
}

/// How many lagged differences enter the regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LagSelection {
    /// Minimise AIC over 0…max lags on a common sample; `None` uses
    /// ⌈12·(n/100)^¼⌉ capped at n/2 − terms − 1 (Schwert's rule, statsmodels' default).
    Aic {
        /// Largest lag considered.
        max_lag: Option<usize>,
    },
    /// Exactly this many lags.
    Fixed(usize),
}

/// Critical values of a test statistic at conventional sizes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CriticalValues {
    /// 1% level.
    pub one_percent: f64,
    /// 5% level.
    pub five_percent: f64,
    /// 10% level.
    pub ten_percent: f64,
}

/// The outcome of an augmented Dickey-Fuller test (H₀: a unit root).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdfResult {
    /// The t-statistic of the lagged level.
    pub statistic: f64,
    /// MacKinnon's approximate p-value; small values reject the unit root.
    pub p_value: f64,
    /// Lagged differences used.
    pub used_lag: usize,
    /// Observations in the final regression.
    pub n_obs: usize,
    /// MacKinnon (2010) finite-sample critical values.
    pub critical_values: CriticalValues,
    /// The minimal AIC when the lag was selected by AIC.
    pub ic_best: Option<f64>,
}

/// Configuration of the augmented Dickey-Fuller test.
///
/// ```
/// use specweave_forecast::{Adf, AdfRegression, LagSelection};
///
/// let noise: Vec<f64> = (0..200).map(|i| ((i * 7919) % 101) as f64 / 50.0 - 1.0).collect();
/// let result = Adf::new()
///     .regression(AdfRegression::Constant)
///     .lags(LagSelection::Aic { max_lag: None })
///     .test(&noise)?;
/// assert!(result.p_value < 0.05); // no unit root in bounded noise
/// # Ok::<(), specweave_forecast::ForecastError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Adf {
    regression: AdfRegression,
    lags: LagSelection,
}

impl Default for Adf {
    fn default() -> Self {
        Adf {
            regression: AdfRegression::Constant,
            lags: LagSelection::Aic { max_lag: None },
        }
    }
}

/// The ADF test with statsmodels' defaults (constant, AIC lag selection).
pub fn adf(values: &[f64]) -> Result<AdfResult> {
    Adf::new().test(values)
}

impl Adf {
    /// Defaults: constant, AIC lag selection with Schwert's maximum.
    pub fn new() -> Adf {
        Adf::default()
    }

    /// The deterministic terms.
    pub fn regression(mut self, regression: AdfRegression) -> Adf {
        self.regression = regression;
        self
    }

    /// The lag selection.
    pub fn lags(mut self, lags: LagSelection) -> Adf {
        self.lags = lags;
        self
    }

    /// Runs the test.
    pub fn test(&self, values: &[f64]) -> Result<AdfResult> {
        check_values(values, 4, "adf")?;
        let n = values.len();
        let (min, max) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(*v), hi.max(*v))
            });
        if min == max {
            return Err(ForecastError::InvalidData {
                what: "adf".into(),
                reason: "the series is constant".into(),
            });
        }
        let terms = self.regression.n_terms();
        let cap = (n / 2).checked_sub(terms + 1).ok_or_else(|| {
            ForecastError::too_short("adf with these deterministic terms", 2 * (terms + 1), n)
        })?;
        let (max_lag, select) = match self.lags {
            LagSelection::Aic { max_lag: None } => {
                let schwert = (12.0 * (n as f64 / 100.0).powf(0.25)).ceil() as usize;
                (schwert.min(cap), true)
            }
            LagSelection::Aic { max_lag: Some(lag) } => (check_lag(lag, cap)?, true),
            LagSelection::Fixed(lag) => (check_lag(lag, cap)?, false),
        };
        let diff: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
        let (used_lag, ic_best) = if select {
            let mut best: Option<(f64, usize)> = None;
            for lag in 0..=max_lag {
                // a lag whose regressors are collinear (exactly periodic data) cannot be chosen
                let Ok(fit) = self.regress(values, &diff, max_lag, lag) else {
                    continue;
                };
                let aic = fit.aic();
                if best.is_none_or(|(b, _)| aic < b) {
                    best = Some((aic, lag));
                }
            }
            let (aic, lag) = best.ok_or_else(|| ForecastError::Numerical {
                what: "adf lag selection".into(),
                reason: "no lag could be evaluated".into(),
            })?;
            (lag, Some(aic))
        } else {
            (max_lag, None)
        };
        let fit = self.regress(values, &diff, used_lag, used_lag)?;
        let statistic = fit.t_value(0);
        let n_obs = fit.n;
        let table = self.regression.critical_value_table();
        let critical = |row: [f64; 4]| {
            let x = 1.0 / n_obs as f64;
            row[0] + x * (row[1] + x * (row[2] + x * row[3]))
        };
        Ok(AdfResult {
            statistic,
            p_value: self.mackinnon_p_value(statistic),
            used_lag,
            n_obs,
            critical_values: CriticalValues {
                one_percent: critical(table[0]),
                five_percent: critical(table[1]),
                ten_percent: critical(table[2]),
            },
            ic_best,
        })
    }

    /// Regresses Δyₜ on yₜ₋₁, `lag` lagged differences and the deterministic terms, over the
    /// sample that `sample_lag` lags leave (a common sample while selecting the lag).
    fn regress(&self, y: &[f64], diff: &[f64], sample_lag: usize, lag: usize) -> Result<OlsFit> {
        let nobs = diff.len() - sample_lag;
        let mut rows = Vec::with_capacity(nobs);
        let mut target = Vec::with_capacity(nobs);
        for i in 0..nobs {
            let t = sample_lag + i;
            let mut row = Vec::with_capacity(1 + lag + 2);
            row.push(y[t]);
            row.extend((1..=lag).map(|k| diff[t - k]));
            if self.regression != AdfRegression::None {
                row.push(1.0);
            }
            if self.regression == AdfRegression::ConstantTrend {
                row.push((i + 1) as f64);
            }
            rows.push(row);
            target.push(diff[t]);
        }
        least_squares(&rows, &target, "adf regression")
    }

    fn mackinnon_p_value(&self, statistic: f64) -> f64 {
        let (max, min, star, small, large) = self.regression.p_value_table();
        if statistic > max {
            return 1.0;
        }
        if statistic < min {
            return 0.0;
        }
        let poly = |c: &[f64]| c.iter().rev().fold(0.0, |acc, coef| acc * statistic + coef);
        if statistic <= star {
            normal_cdf(poly(&small))
        } else {
            normal_cdf(poly(&large))
        }
    }
}

fn check_lag(lag: usize, cap: usize) -> Result<usize> {
    if lag > cap {
        return Err(ForecastError::parameter(
            "max_lag",
            format!("{lag} lags exceed the largest the sample allows ({cap} = n/2 − terms − 1)"),
        ));
    }
    Ok(lag)
}
