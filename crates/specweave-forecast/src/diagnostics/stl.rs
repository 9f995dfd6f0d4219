//! STL, the seasonal-trend decomposition by loess of Cleveland, Cleveland, McRae & Terpenning
//! (1990), ported from the reference Fortran (netlib `stl`) that statsmodels also wraps.
//!
//! Positions are 1-based inside the loess routines, as in the reference, so that the
//! arithmetic (and therefore the result) matches it exactly.

use super::check_values;
use crate::{ForecastError, Result};
use serde::{Deserialize, Serialize};

/// The three components of a decomposition; `observed = trend + seasonal + residual`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StlDecomposition {
    /// The trend component.
    pub trend: Vec<f64>,
    /// The seasonal component.
    pub seasonal: Vec<f64>,
    /// What remains.
    pub residual: Vec<f64>,
    /// The robustness weights of the last pass (all 1 without robust fitting).
    pub weights: Vec<f64>,
}

impl StlDecomposition {
    /// Strength of seasonality, max(0, 1 − Var(R)/Var(S + R)) (Wang, Smith & Hyndman 2006).
    pub fn seasonal_strength(&self) -> f64 {
        let detrended: Vec<f64> = self
            .seasonal
            .iter()
            .zip(&self.residual)
            .map(|(s, r)| s + r)
            .collect();
        (1.0 - variance(&self.residual) / variance(&detrended)).max(0.0)
    }

    /// Strength of trend, max(0, 1 − Var(R)/Var(T + R)).
    pub fn trend_strength(&self) -> f64 {
        let deseasonalised: Vec<f64> = self
            .trend
            .iter()
            .zip(&self.residual)
            .map(|(t, r)| t + r)
            .collect();
        (1.0 - variance(&self.residual) / variance(&deseasonalised)).max(0.0)
    }
}

fn variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

/// STL configuration with statsmodels' defaults: seasonal smoother 7, trend smoother the
/// smallest odd integer ≥ 1.5·period/(1 − 1.5/seasonal), low-pass the smallest odd integer
/// above the period, local-linear fits, no interpolation jumps, 5 inner passes without
/// robustness and 2 inner × 15 outer passes with it.
///
/// ```
/// use specweave_forecast::Stl;
///
/// let values: Vec<f64> = (0..72)
///     .map(|t| 0.5 * t as f64 + 10.0 * (t as f64 * std::f64::consts::PI / 6.0).sin())
///     .collect();
/// let parts = Stl::new(12)?.decompose(&values)?;
/// assert!(parts.seasonal_strength() > 0.9);
/// # Ok::<(), specweave_forecast::ForecastError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stl {
    period: usize,
    seasonal: usize,
    trend: Option<usize>,
    low_pass: Option<usize>,
    robust: bool,
}

/// STL with the defaults for seasons of `period` observations.
pub fn stl(values: &[f64], period: usize) -> Result<StlDecomposition> {
    Stl::new(period)?.decompose(values)
}

impl Stl {
    /// Defaults for seasons of `period` (at least 2) observations.
    pub fn new(period: usize) -> Result<Stl> {
        if period < 2 {
            return Err(ForecastError::parameter(
                "period",
                format!("STL needs a period of at least 2, got {period}"),
            ));
        }
        Ok(Stl {
            period,
            seasonal: 7,
            trend: None,
            low_pass: None,
            robust: false,
        })
    }

    /// Length of the seasonal smoother (odd, at least 3).
    pub fn seasonal(mut self, length: usize) -> Result<Stl> {
        check_odd("seasonal", length)?;
        self.seasonal = length;
        Ok(self)
    }

    /// Length of the trend smoother (odd, at least 3).
    pub fn trend(mut self, length: usize) -> Result<Stl> {
        check_odd("trend", length)?;
        self.trend = Some(length);
        Ok(self)
    }

    /// Length of the low-pass filter (odd, at least 3).
    pub fn low_pass(mut self, length: usize) -> Result<Stl> {
        check_odd("low_pass", length)?;
        self.low_pass = Some(length);
        Ok(self)
    }

    /// Downweights outliers with bisquare robustness weights.
    pub fn robust(mut self, robust: bool) -> Stl {
        self.robust = robust;
        self
    }

    /// Decomposes `values` (at least two full periods).
    pub fn decompose(&self, values: &[f64]) -> Result<StlDecomposition> {
        let np = self.period;
        check_values(values, 2 * np, "stl")?;
        let n = values.len();
        let ns = self.seasonal;
        let nt = self.trend.unwrap_or_else(|| {
            let length = (1.5 * np as f64 / (1.0 - 1.5 / ns as f64)).ceil() as usize;
            length + usize::from(length.is_multiple_of(2))
        });
        let nl = self.low_pass.unwrap_or(np + 1 + usize::from(np % 2 == 1));
        let (inner, outer) = if self.robust { (2, 15) } else { (5, 0) };
        let config = Passes {
            np,
            ns,
            nt,
            nl,
            inner,
        };
        let mut weights = vec![1.0; n];
        let mut season = vec![0.0; n];
        let mut trend = vec![0.0; n];
        let mut use_weights = false;
        let mut pass = 0;
        loop {
            config.inner_loop(values, use_weights, &weights, &mut season, &mut trend);
            pass += 1;
            if pass > outer {
                break;
            }
            let fit: Vec<f64> = trend.iter().zip(&season).map(|(t, s)| t + s).collect();
            weights = robustness_weights(values, &fit);
            use_weights = true;
        }
        if outer == 0 {
            weights = vec![1.0; n];
        }
        let residual = values
            .iter()
            .zip(&trend)
            .zip(&season)
            .map(|((y, t), s)| y - t - s)
            .collect();
        Ok(StlDecomposition {
            trend,
            seasonal: season,
            residual,
            weights,
        })
    }
}

fn check_odd(name: &'static str, length: usize) -> Result<()> {
    if length < 3 || length.is_multiple_of(2) {
        return Err(ForecastError::parameter(
            name,
            format!("smoother lengths must be odd and at least 3, got {length}"),
        ));
    }
    Ok(())
}

/// Smoother lengths of one decomposition (local-linear fits, no jumps).
struct Passes {
    np: usize,
    ns: usize,
    nt: usize,
    nl: usize,
    inner: usize,
}

impl Passes {
    /// `stlstp`: the inner loop of seasonal smoothing, low-pass filtering and trend smoothing.
    fn inner_loop(
        &self,
        y: &[f64],
        use_weights: bool,
        rw: &[f64],
        season: &mut [f64],
        trend: &mut [f64],
    ) {
        let n = y.len();
        let np = self.np;
        for _ in 0..self.inner {
            let detrended: Vec<f64> = y.iter().zip(trend.iter()).map(|(v, t)| v - t).collect();
            let cycle = self.cycle_subseries(&detrended, use_weights, rw);
            let low_pass = moving_average(&moving_average(&moving_average(&cycle, np), np), 3);
            let mut smoothed_low = vec![0.0; n];
            loess(&low_pass, self.nl, false, &[], &mut smoothed_low);
            for i in 0..n {
                season[i] = cycle[np + i] - smoothed_low[i];
            }
            let deseasonalised: Vec<f64> =
                y.iter().zip(season.iter()).map(|(v, s)| v - s).collect();
            loess(&deseasonalised, self.nt, use_weights, rw, trend);
        }
    }

    /// `stlss`: smooths each cycle-subseries and extends it by one value at each end, giving
    /// n + 2·np values.
    fn cycle_subseries(&self, y: &[f64], use_weights: bool, rw: &[f64]) -> Vec<f64> {
        let n = y.len();
        let np = self.np;
        let mut out = vec![0.0; n + 2 * np];
        for j in 0..np {
            let positions: Vec<usize> = (j..n).step_by(np).collect();
            let k = positions.len();
            let sub: Vec<f64> = positions.iter().map(|&p| y[p]).collect();
            let sub_weights: Vec<f64> = if use_weights {
                positions.iter().map(|&p| rw[p]).collect()
            } else {
                Vec::new()
            };
            let mut smoothed = vec![0.0; k + 2];
            loess(
                &sub,
                self.ns,
                use_weights,
                &sub_weights,
                &mut smoothed[1..=k],
            );
            let right = self.ns.min(k);
            smoothed[0] = local_fit(&sub, self.ns, 0.0, 1, right, use_weights, &sub_weights)
                .unwrap_or(smoothed[1]);
            let left = (k + 1).saturating_sub(self.ns).max(1);
            smoothed[k + 1] = local_fit(
                &sub,
                self.ns,
                (k + 1) as f64,
                left,
                k,
                use_weights,
                &sub_weights,
            )
            .unwrap_or(smoothed[k]);
            for (m, value) in smoothed.into_iter().enumerate() {
                out[m * np + j] = value;
            }
        }
        out
    }
}

/// `stlma`: moving average of length `len`, returning n − len + 1 values.
fn moving_average(x: &[f64], len: usize) -> Vec<f64> {
    let count = x.len() + 1 - len;
    let flen = len as f64;
    let mut out = Vec::with_capacity(count);
    let mut sum: f64 = x[..len].iter().sum();
    out.push(sum / flen);
    for j in 1..count {
        sum = sum - x[j - 1] + x[j + len - 1];
        out.push(sum / flen);
    }
    out
}

/// `stless` without jumps: a local-linear loess of span `len` evaluated at every position.
fn loess(y: &[f64], len: usize, use_weights: bool, rw: &[f64], out: &mut [f64]) {
    let n = y.len();
    if n < 2 {
        out[0] = y[0];
        return;
    }
    if len >= n {
        for i in 1..=n {
            out[i - 1] = local_fit(y, len, i as f64, 1, n, use_weights, rw).unwrap_or(y[i - 1]);
        }
        return;
    }
    let half = len.div_ceil(2);
    let (mut left, mut right) = (1, len);
    for i in 1..=n {
        if i > half && right != n {
            left += 1;
            right += 1;
        }
        out[i - 1] = local_fit(y, len, i as f64, left, right, use_weights, rw).unwrap_or(y[i - 1]);
    }
}

/// `stlest`: the tricube-weighted local-linear fit at `xs` over positions `left..=right`
/// (1-based); `None` when every weight vanishes.
fn local_fit(
    y: &[f64],
    len: usize,
    xs: f64,
    left: usize,
    right: usize,
    use_weights: bool,
    rw: &[f64],
) -> Option<f64> {
    let n = y.len();
    let range = n as f64 - 1.0;
    let mut h = (xs - left as f64).max(right as f64 - xs);
    if len > n {
        h += ((len - n) / 2) as f64;
    }
    let h9 = 0.999 * h;
    let h1 = 0.001 * h;
    let mut weights = vec![0.0; right + 1 - left];
    let mut total = 0.0;
    for (w, j) in weights.iter_mut().zip(left..=right) {
        let r = (j as f64 - xs).abs();
        if r <= h9 {
            *w = if r <= h1 {
                1.0
            } else {
                (1.0 - (r / h).powi(3)).powi(3)
            };
            if use_weights {
                *w *= rw[j - 1];
            }
            total += *w;
        }
    }
    if total <= 0.0 {
        return None;
    }
    for w in &mut weights {
        *w /= total;
    }
    if h > 0.0 {
        let centre: f64 = weights
            .iter()
            .zip(left..=right)
            .map(|(w, j)| w * j as f64)
            .sum();
        let spread: f64 = weights
            .iter()
            .zip(left..=right)
            .map(|(w, j)| w * (j as f64 - centre).powi(2))
            .sum();
        if spread.sqrt() > 0.001 * range {
            let b = (xs - centre) / spread;
            for (w, j) in weights.iter_mut().zip(left..=right) {
                *w *= b * (j as f64 - centre) + 1.0;
            }
        }
    }
    Some(
        weights
            .iter()
            .zip(left..=right)
            .map(|(w, j)| w * y[j - 1])
            .sum(),
    )
}

/// `stlrwt`: bisquare weights of the residuals scaled by six median absolute residuals.
fn robustness_weights(y: &[f64], fit: &[f64]) -> Vec<f64> {
    let n = y.len();
    let residuals: Vec<f64> = y.iter().zip(fit).map(|(a, b)| (a - b).abs()).collect();
    let mut sorted = residuals.clone();
    sorted.sort_by(f64::total_cmp);
    let mid_low = n / 2; // 0-based index of the (n/2 + 1)-th smallest
    let mid_high = n - (n / 2 + 1);
    let cmad = 3.0 * (sorted[mid_low] + sorted[mid_high]);
    let c9 = 0.999 * cmad;
    let c1 = 0.001 * cmad;
    residuals
        .iter()
        .map(|&r| {
            if r <= c1 {
                1.0
            } else if r <= c9 {
                (1.0 - (r / cmad).powi(2)).powi(2)
            } else {
                0.0
            }
        })
        .collect()
}
