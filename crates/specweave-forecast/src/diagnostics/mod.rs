//! Series diagnostics for the EDA and for residual checks: unit-root and stationarity tests,
//! seasonal-trend decomposition, autocorrelation and the Ljung-Box test. Each follows
//! statsmodels' definitions and defaults so that reports agree with what Python users see.

mod acf;
mod adf;
mod kpss;
mod stl;
mod summary;

pub use acf::{LjungBox, acf, ljung_box};
pub use adf::{Adf, AdfRegression, AdfResult, CriticalValues, LagSelection, adf};
pub use kpss::{Kpss, KpssLags, KpssRegression, KpssResult, kpss};
pub use stl::{Stl, StlDecomposition, stl};
pub use summary::{SeriesDiagnostics, Stationarity, diagnose};

use crate::{ForecastError, Result};

/// Checks that `values` holds at least `needed` finite numbers.
fn check_values(values: &[f64], needed: usize, what: &str) -> Result<()> {
    if values.len() < needed {
        return Err(ForecastError::too_short(what, needed, values.len()));
    }
    if let Some((row, value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(ForecastError::InvalidData {
            what: what.into(),
            reason: format!("value at row {row} is not finite ({value})"),
        });
    }
    Ok(())
}
