//! Time series, the input of forecasters, and forecasts with intervals.

use crate::{Error, Result};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// A regularly or irregularly sampled univariate series with optional exogenous columns.
///
/// ```
/// use ndarray::array;
/// use specweave_core::Series;
///
/// let sales = Series::new(vec![0, 7, 14], array![10.0, 12.0, 11.0])?;
/// assert_eq!(sales.len(), 3);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    timestamps: Vec<i64>,
    values: Array1<f64>,
    exogenous: Option<(Vec<String>, Array2<f64>)>,
}

impl Series {
    /// A series from strictly increasing timestamps and finite values of the same length.
    pub fn new(timestamps: Vec<i64>, values: Array1<f64>) -> Result<Series> {
        if timestamps.len() != values.len() {
            return Err(Error::shape(
                "series timestamps vs values",
                values.len(),
                timestamps.len(),
            ));
        }
        if let Some(w) = timestamps.windows(2).position(|w| w[1] <= w[0]) {
            return Err(Error::InvalidInput(format!(
                "series timestamps must be strictly increasing; position {} ({}) is not after {}",
                w + 1,
                timestamps[w + 1],
                timestamps[w]
            )));
        }
        if let Some((row, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "series values".into(),
                row,
                value,
            });
        }
        Ok(Series {
            timestamps,
            values,
            exogenous: None,
        })
    }

    /// Adds exogenous columns (rows aligned with the series).
    pub fn with_exogenous(mut self, names: Vec<String>, columns: Array2<f64>) -> Result<Series> {
        if columns.nrows() != self.len() || columns.ncols() != names.len() {
            return Err(Error::shape(
                "exogenous columns",
                format!("{}x{}", self.len(), names.len()),
                format!("{}x{}", columns.nrows(), columns.ncols()),
            ));
        }
        self.exogenous = Some((names, columns));
        Ok(self)
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the series has no observations.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Timestamps of the observations.
    pub fn timestamps(&self) -> &[i64] {
        &self.timestamps
    }

    /// Observed values.
    pub fn values(&self) -> &Array1<f64> {
        &self.values
    }

    /// Exogenous column names and values, when present.
    pub fn exogenous(&self) -> Option<(&[String], &Array2<f64>)> {
        self.exogenous.as_ref().map(|(n, v)| (n.as_slice(), v))
    }

    /// The observations in `start..end` (an empty or out-of-range window is an error).
    pub fn slice(&self, start: usize, end: usize) -> Result<Series> {
        if start >= end || end > self.len() {
            return Err(Error::InvalidInput(format!(
                "series window {start}..{end} is empty or outside 0..{}",
                self.len()
            )));
        }
        Ok(Series {
            timestamps: self.timestamps[start..end].to_vec(),
            values: self.values.slice(ndarray::s![start..end]).to_owned(),
            exogenous: self
                .exogenous
                .as_ref()
                .map(|(n, v)| (n.clone(), v.slice(ndarray::s![start..end, ..]).to_owned())),
        })
    }
}

/// Point forecasts with a prediction interval at a stated level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// Point forecast per step ahead.
    pub mean: Array1<f64>,
    /// Lower bound of the interval per step.
    pub lower: Array1<f64>,
    /// Upper bound of the interval per step.
    pub upper: Array1<f64>,
    /// Nominal coverage of the interval, e.g. `0.95`.
    pub level: f64,
}
