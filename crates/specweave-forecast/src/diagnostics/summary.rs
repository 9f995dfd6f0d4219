//! One call that runs every diagnostic an EDA report shows for a series, with a verdict on
//! stationarity and a Markdown rendering for the increment's `eda-summary.md`.

use super::{AdfResult, KpssResult, LjungBox, Stl, acf, adf, kpss, ljung_box};
use crate::{ForecastError, Result};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Significance level of the verdicts.
const ALPHA: f64 = 0.05;

/// What ADF and KPSS say together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stationarity {
    /// ADF rejects a unit root and KPSS does not reject stationarity.
    Stationary,
    /// ADF does not reject a unit root and KPSS rejects stationarity: difference the series.
    UnitRoot,
    /// The tests disagree (both reject, or neither does); look at the plots.
    Inconclusive,
}

/// Everything [`diagnose`] computes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesDiagnostics {
    /// Observations.
    pub n: usize,
    /// Season length used for STL, when given.
    pub period: Option<usize>,
    /// ADF with a constant and AIC lag selection.
    pub adf: AdfResult,
    /// KPSS for level stationarity with the automatic bandwidth.
    pub kpss: KpssResult,
    /// The joint verdict at the 5% level.
    pub stationarity: Stationarity,
    /// STL seasonal strength in [0, 1], when a period was given.
    pub seasonal_strength: Option<f64>,
    /// STL trend strength in [0, 1], when a period was given.
    pub trend_strength: Option<f64>,
    /// Autocorrelations r₀ … r_max.
    pub acf: Vec<f64>,
    /// Ljung-Box on the series itself (is it white noise?).
    pub ljung_box: LjungBox,
}

/// Runs ADF, KPSS, ACF, Ljung-Box and (with a period) STL on a series.
///
/// Ljung-Box uses min(2m, n/5) lags for seasonal data and min(10, n/5) otherwise (FPP3 §5.4).
///
/// ```
/// let values: Vec<f64> = (0..120_u64)
///     .map(|t| {
///         let noise = (t.wrapping_mul(2_654_435_761) % 1_000) as f64 / 250.0;
///         10.0 * (t as f64 * std::f64::consts::PI / 6.0).sin() + noise
///     })
///     .collect();
/// let report = specweave_forecast::diagnose(&values, Some(12))?;
/// assert!(report.seasonal_strength.unwrap_or(0.0) > 0.5);
/// assert!(report.to_markdown().contains("| ADF |"));
/// # Ok::<(), specweave_forecast::ForecastError>(())
/// ```
pub fn diagnose(values: &[f64], period: Option<usize>) -> Result<SeriesDiagnostics> {
    let n = values.len();
    if n < 20 {
        return Err(ForecastError::too_short("series diagnostics", 20, n));
    }
    let adf = adf(values)?;
    let kpss = kpss(values)?;
    let stationarity = match (adf.p_value < ALPHA, kpss.p_value < ALPHA) {
        (true, false) => Stationarity::Stationary,
        (false, true) => Stationarity::UnitRoot,
        _ => Stationarity::Inconclusive,
    };
    let (seasonal_strength, trend_strength) = match period {
        Some(m) if n >= 2 * m => {
            let parts = Stl::new(m)?.decompose(values)?;
            (
                Some(parts.seasonal_strength()),
                Some(parts.trend_strength()),
            )
        }
        _ => (None, None),
    };
    let max_lag = period.map_or(20, |m| (2 * m).max(20)).min(n / 2);
    let lb_lags = period.map_or(10, |m| 2 * m).min(n / 5).max(1);
    Ok(SeriesDiagnostics {
        n,
        period,
        adf,
        kpss,
        stationarity,
        seasonal_strength,
        trend_strength,
        acf: acf(values, max_lag)?,
        ljung_box: ljung_box(values, lb_lags, 0)?,
    })
}

impl SeriesDiagnostics {
    /// A Markdown section for an EDA summary.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let verdict = match self.stationarity {
            Stationarity::Stationary => {
                "stationary (ADF rejects a unit root, KPSS does not reject stationarity)"
            }
            Stationarity::UnitRoot => "non-stationary: a unit root (consider differencing)",
            Stationarity::Inconclusive => "inconclusive (ADF and KPSS disagree; inspect the plots)",
        };
        let _ = writeln!(out, "### Series diagnostics\n");
        let _ = writeln!(
            out,
            "{} observations; verdict at the 5% level: {verdict}.\n",
            self.n
        );
        let _ = writeln!(out, "| test | statistic | p-value | detail |");
        let _ = writeln!(out, "|---|---|---|---|");
        let _ = writeln!(
            out,
            "| ADF | {:.4} | {:.4} | {} lags, 5% critical value {:.3} |",
            self.adf.statistic,
            self.adf.p_value,
            self.adf.used_lag,
            self.adf.critical_values.five_percent
        );
        let kpss_p = match self.kpss.p_value {
            p if p <= 0.01 => "≤ 0.01".to_string(),
            p if p >= 0.10 => "≥ 0.10".to_string(),
            p => format!("{p:.4}"),
        };
        let _ = writeln!(
            out,
            "| KPSS | {:.4} | {kpss_p} | {} lags, 5% critical value {:.3} |",
            self.kpss.statistic, self.kpss.lags, self.kpss.critical_values[1].1
        );
        let _ = writeln!(
            out,
            "| Ljung-Box | {:.4} | {:.4} | {} lags |",
            self.ljung_box.statistic, self.ljung_box.p_value, self.ljung_box.lags
        );
        if let (Some(m), Some(seasonal), Some(trend)) =
            (self.period, self.seasonal_strength, self.trend_strength)
        {
            let _ = writeln!(
                out,
                "\nSTL (period {m}): seasonal strength {seasonal:.3}, trend strength {trend:.3}."
            );
        }
        out
    }
}
