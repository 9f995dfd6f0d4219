//! The feature set of [`LagForecaster`](super::LagForecaster): which lags, rolling windows,
//! seasonal terms and calendar fields describe the value at time t, using only values
//! observed before t.

use crate::{ForecastError, Result};
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;

/// Which features describe each time step.
///
/// ```
/// use specweave_forecast::LagFeatures;
///
/// let features = LagFeatures::new(vec![1, 2, 12])?
///     .rolling_windows(vec![3, 12])?
///     .fourier(12, 2)?
///     .calendar(true)
///     .trend(true);
/// assert_eq!(features.lookback(), 12);
/// assert!(features.names().contains(&"rolling_mean_3".to_string()));
/// # Ok::<(), specweave_forecast::ForecastError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagFeatures {
    lags: Vec<usize>,
    rolling_windows: Vec<usize>,
    fourier: Option<(usize, usize)>,
    calendar: bool,
    trend: bool,
}

impl LagFeatures {
    /// Lagged values y(t−k) for each k (at least one lag, each at least 1).
    pub fn new(mut lags: Vec<usize>) -> Result<LagFeatures> {
        lags.sort_unstable();
        lags.dedup();
        if lags.is_empty() || lags[0] == 0 {
            return Err(ForecastError::parameter(
                "lags",
                "give at least one lag, each at least 1",
            ));
        }
        Ok(LagFeatures {
            lags,
            rolling_windows: Vec::new(),
            fourier: None,
            calendar: false,
            trend: false,
        })
    }

    /// Mean and standard deviation of the `w` values before t, for each window w ≥ 2.
    pub fn rolling_windows(mut self, mut windows: Vec<usize>) -> Result<LagFeatures> {
        windows.sort_unstable();
        windows.dedup();
        if windows.first().is_some_and(|&w| w < 2) {
            return Err(ForecastError::parameter(
                "rolling_windows",
                "rolling windows need at least 2 values",
            ));
        }
        self.rolling_windows = windows;
        Ok(self)
    }

    /// sin/cos pairs of the first `harmonics` Fourier terms of a season of `period` steps.
    pub fn fourier(mut self, period: usize, harmonics: usize) -> Result<LagFeatures> {
        if period < 2 || harmonics == 0 || 2 * harmonics > period {
            return Err(ForecastError::parameter(
                "fourier",
                format!(
                    "need period >= 2 and 1 <= harmonics <= period/2, got period {period}, harmonics {harmonics}"
                ),
            ));
        }
        self.fourier = Some((period, harmonics));
        Ok(self)
    }

    /// Day of week (Monday = 0), day of month and month from the timestamps (UTC).
    pub fn calendar(mut self, enabled: bool) -> LagFeatures {
        self.calendar = enabled;
        self
    }

    /// The time index t, which lets linear learners extrapolate a trend.
    pub fn trend(mut self, enabled: bool) -> LagFeatures {
        self.trend = enabled;
        self
    }

    /// Values needed before the first step that has every feature.
    pub fn lookback(&self) -> usize {
        let lag = self.lags.last().copied().unwrap_or(0);
        let window = self.rolling_windows.last().copied().unwrap_or(0);
        lag.max(window)
    }

    /// Feature names in column order.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lags.iter().map(|k| format!("lag_{k}")).collect();
        for w in &self.rolling_windows {
            names.push(format!("rolling_mean_{w}"));
            names.push(format!("rolling_std_{w}"));
        }
        if let Some((period, harmonics)) = self.fourier {
            for k in 1..=harmonics {
                names.push(format!("sin_{period}_{k}"));
                names.push(format!("cos_{period}_{k}"));
            }
        }
        if self.calendar {
            names.extend(["day_of_week", "day_of_month", "month"].map(String::from));
        }
        if self.trend {
            names.push("time_index".into());
        }
        names
    }

    /// The features of step `index` (its timestamp in ms), from `history`, whose last entry is
    /// the value just before that step (at least [`lookback`](Self::lookback) values).
    pub(crate) fn row(&self, history: &[f64], index: usize, timestamp: i64) -> Vec<f64> {
        let n = history.len();
        let mut row: Vec<f64> = self.lags.iter().map(|k| history[n - k]).collect();
        for &w in &self.rolling_windows {
            let window = &history[n - w..];
            let mean = window.iter().sum::<f64>() / w as f64;
            let var = window.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (w - 1) as f64;
            row.push(mean);
            row.push(var.sqrt());
        }
        if let Some((period, harmonics)) = self.fourier {
            let phase = 2.0 * std::f64::consts::PI * (index % period) as f64 / period as f64;
            for k in 1..=harmonics {
                row.push((k as f64 * phase).sin());
                row.push((k as f64 * phase).cos());
            }
        }
        if self.calendar {
            let days = timestamp.div_euclid(DAY_MS);
            let (_, month, day) = civil_from_days(days);
            row.push((days + 3).rem_euclid(7) as f64);
            row.push(f64::from(day));
            row.push(f64::from(month));
        }
        if self.trend {
            row.push(index as f64);
        }
        row
    }
}

/// (year, month, day) of a day count since 1970-01-01 (Hinnant's civil-from-days).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn rows_use_only_the_past() -> Result<()> {
        let features = LagFeatures::new(vec![1, 3])?
            .rolling_windows(vec![2])?
            .calendar(true)
            .trend(true);
        let history = [1.0, 2.0, 4.0, 8.0];
        // 2024-03-04 was a Monday
        let row = features.row(&history, 4, 1_709_510_400_000);
        assert_eq!(row[0], 8.0);
        assert_eq!(row[1], 2.0);
        assert_eq!(row[2], 6.0);
        assert!((row[3] - 8.0_f64.sqrt()).abs() < 1e-12);
        assert_eq!(&row[4..], &[0.0, 4.0, 3.0, 4.0]);
        assert_eq!(row.len(), features.names().len());
        Ok(())
    }
}
