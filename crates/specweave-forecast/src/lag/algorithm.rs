//! Fitting, recursive forecasting and backtest-calibrated intervals of [`LagForecaster`].

use super::LagFeatures;
use crate::{ForecastError, Result, RollingOrigin, Window, interval, persist};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use specweave_core::{
    Dataset, Forecast, Forecaster, Learner, Model, ModelFile, Predictions, ProblemKind, Series,
    Target,
};
use std::sync::Arc;

/// Reads a learner's model from its model file (the training crate provides one).
pub type ModelLoader = dyn Fn(&[u8]) -> specweave_core::Result<Box<dyn Model>>;

/// Fewest training rows a learner is asked to fit on.
const MIN_ROWS: usize = 8;

/// A forecaster that fits any regression [`Learner`] on lag features and forecasts
/// recursively.
///
/// Intervals come from a rolling-origin backtest on the training series: at
/// `calibration_origins` origins the learner is refitted on the data before the origin and
/// forecasts `calibration_horizon` steps; the h-step interval is mean ± z·RMSEₕ, with RMSEₕ
/// made non-decreasing in h and extended beyond the calibrated horizon by √(h/H).
///
/// ```no_run
/// use std::sync::Arc;
/// use specweave_core::{Forecaster, Learner, Series};
/// use specweave_forecast::{LagFeatures, LagForecaster};
///
/// # fn run(booster: Arc<dyn Learner>, series: &Series) -> Result<(), Box<dyn std::error::Error>> {
/// let features = LagFeatures::new(vec![1, 2, 3, 7, 14])?.rolling_windows(vec![7])?.calendar(true);
/// let mut forecaster = LagForecaster::new(booster, features)?;
/// forecaster.fit(series)?;
/// let next_two_weeks = forecaster.forecast(14, 0.9)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LagForecaster {
    learner: Option<Arc<dyn Learner>>,
    features: LagFeatures,
    calibration_origins: usize,
    calibration_horizon: usize,
    fitted: Option<LagFit>,
}

#[derive(Debug, Clone)]
struct LagFit {
    model: Arc<dyn Model>,
    learner_name: String,
    learner_params: serde_json::Value,
    /// The last `lookback` observed values.
    history: Vec<f64>,
    /// Number of observations fitted (the index of the first forecast step).
    n_observations: usize,
    last_timestamp: i64,
    step_ms: i64,
    rmse_by_step: Vec<f64>,
}

/// What a model file stores; the learner's model travels as its own model file.
#[derive(Debug, Serialize, Deserialize)]
struct LagFile {
    features: LagFeatures,
    calibration_origins: usize,
    calibration_horizon: usize,
    learner_name: String,
    learner_params: serde_json::Value,
    model_hex: String,
    history: Vec<f64>,
    n_observations: usize,
    last_timestamp: i64,
    step_ms: i64,
    rmse_by_step: Vec<f64>,
}

impl LagForecaster {
    /// A forecaster over `learner`, which must fit regression problems. Defaults: 5
    /// calibration origins and a calibrated horizon of 12 steps.
    pub fn new(learner: Arc<dyn Learner>, features: LagFeatures) -> Result<LagForecaster> {
        if !learner.supports(ProblemKind::Regression) {
            return Err(ForecastError::parameter(
                "learner",
                format!(
                    "`{}` solves {} problems only; forecasting needs a regression learner",
                    learner.name(),
                    learner.problem()
                ),
            ));
        }
        Ok(LagForecaster {
            learner: Some(learner),
            features,
            calibration_origins: 5,
            calibration_horizon: 12,
            fitted: None,
        })
    }

    /// Origins and horizon of the backtest that calibrates the intervals (both at least 1).
    pub fn calibration(mut self, origins: usize, horizon: usize) -> Result<LagForecaster> {
        if origins < 2 || horizon == 0 {
            return Err(ForecastError::parameter(
                "calibration",
                format!(
                    "need at least 2 origins and a horizon of 1, got {origins} origins, horizon {horizon}"
                ),
            ));
        }
        self.calibration_origins = origins;
        self.calibration_horizon = horizon;
        Ok(self)
    }

    /// Replaces the learner, e.g. to refit a forecaster read from a model file.
    pub fn with_learner(mut self, learner: Arc<dyn Learner>) -> LagForecaster {
        self.learner = Some(learner);
        self
    }

    /// The feature set.
    pub fn features(&self) -> &LagFeatures {
        &self.features
    }

    /// Backtest RMSE per step ahead, which scales the intervals.
    pub fn calibration_rmse(&self) -> Result<&[f64]> {
        Ok(&self.state()?.rmse_by_step)
    }

    /// Reads a forecaster from its model file; `load_model` reads the learner's model file
    /// (the training crate's loader). The result forecasts; refitting needs
    /// [`with_learner`](Self::with_learner).
    pub fn from_bytes(bytes: &[u8], load_model: &ModelLoader) -> Result<LagForecaster> {
        let file: LagFile = persist::from_model_file("lag_forecaster", bytes)?;
        let model_bytes = hex_decode(&file.model_hex)?;
        let model: Arc<dyn Model> = Arc::from(load_model(&model_bytes)?);
        if file.history.len() < file.features.lookback() {
            return Err(ForecastError::Core(specweave_core::Error::ModelFile(
                "lag_forecaster file holds fewer past values than its lags need".into(),
            )));
        }
        Ok(LagForecaster {
            learner: None,
            features: file.features,
            calibration_origins: file.calibration_origins,
            calibration_horizon: file.calibration_horizon,
            fitted: Some(LagFit {
                model,
                learner_name: file.learner_name,
                learner_params: file.learner_params,
                history: file.history,
                n_observations: file.n_observations,
                last_timestamp: file.last_timestamp,
                step_ms: file.step_ms,
                rmse_by_step: file.rmse_by_step,
            }),
        })
    }

    fn state(&self) -> Result<&LagFit> {
        self.fitted
            .as_ref()
            .ok_or_else(|| ForecastError::not_fitted("lag_forecaster"))
    }

    fn learner(&self) -> Result<&Arc<dyn Learner>> {
        self.learner.as_ref().ok_or_else(|| {
            ForecastError::parameter(
                "learner",
                "a forecaster read from a file needs with_learner before it can be refitted",
            )
        })
    }

    /// Observations needed: the lookback, enough training rows, and the calibration backtest.
    fn min_observations(&self) -> usize {
        self.features.lookback() + MIN_ROWS + self.calibration_horizon + self.calibration_origins
            - 1
    }

    /// Builds the training table of `values[..]` with their timestamps and fits the learner.
    fn fit_model(&self, values: &[f64], timestamps: &[i64]) -> Result<Arc<dyn Model>> {
        let lookback = self.features.lookback();
        let names = self.features.names();
        let rows = values.len() - lookback;
        let mut table = Array2::zeros((rows, names.len()));
        for (r, t) in (lookback..values.len()).enumerate() {
            let row = self.features.row(&values[..t], t, timestamps[t]);
            for (c, value) in row.into_iter().enumerate() {
                table[[r, c]] = value;
            }
        }
        let data = Dataset::builder(table)
            .feature_names(names)
            .target(Target::Continuous(
                values[lookback..].iter().copied().collect(),
            ))
            .target_name("value")
            .timestamps(timestamps[lookback..].to_vec())
            .build()?;
        Ok(Arc::from(self.learner()?.fit(&data)?))
    }

    /// Forecasts recursively from `history` (at least `lookback` values).
    fn recursive(
        &self,
        model: &dyn Model,
        history: &[f64],
        first_index: usize,
        last_timestamp: i64,
        step_ms: i64,
        horizon: usize,
    ) -> Result<Vec<f64>> {
        let mut buffer = history.to_vec();
        let mut out = Vec::with_capacity(horizon);
        for h in 1..=horizon {
            let timestamp = last_timestamp.saturating_add(step_ms.saturating_mul(h as i64));
            let row = self.features.row(&buffer, first_index + h - 1, timestamp);
            let features = Array2::from_shape_vec((1, row.len()), row).map_err(|e| {
                ForecastError::Numerical {
                    what: "lag_forecaster features".into(),
                    reason: e.to_string(),
                }
            })?;
            let value = match model.predict(features.view())? {
                Predictions::Values(v) if v.len() == 1 => v[0],
                other => {
                    return Err(ForecastError::InvalidData {
                        what: "lag_forecaster".into(),
                        reason: format!(
                            "the learner's model returned {} predictions of the wrong kind for one row",
                            other.len()
                        ),
                    });
                }
            };
            if !value.is_finite() {
                return Err(ForecastError::Numerical {
                    what: "lag_forecaster".into(),
                    reason: format!("the model predicted {value} at step {h}"),
                });
            }
            out.push(value);
            buffer.push(value);
        }
        Ok(out)
    }

    fn fit_series(&mut self, series: &Series) -> Result<()> {
        let values = series.values().to_vec();
        let timestamps = series.timestamps();
        let needed = self.min_observations();
        if values.len() < needed {
            return Err(ForecastError::too_short(
                "lag_forecaster (lags, training rows and calibration backtest)",
                needed,
                values.len(),
            ));
        }
        let step_ms = median_step(timestamps);
        // calibration: a rolling-origin backtest over the end of the training series
        let horizon = self.calibration_horizon;
        let initial = values.len() - horizon - (self.calibration_origins - 1);
        let plan = RollingOrigin::builder()
            .window(Window::Expanding { initial })
            .horizon(horizon)
            .step(1)
            .build()?;
        let mut squared = vec![0.0; horizon];
        let origins = plan.origins(values.len())?;
        for &(_, origin) in &origins {
            let model = self.fit_model(&values[..origin], &timestamps[..origin])?;
            let lookback = self.features.lookback();
            let forecast = self.recursive(
                model.as_ref(),
                &values[origin - lookback..origin],
                origin,
                timestamps[origin - 1],
                step_ms,
                horizon,
            )?;
            for (h, f) in forecast.iter().enumerate() {
                squared[h] += (values[origin + h] - f).powi(2);
            }
        }
        let mut rmse_by_step: Vec<f64> = squared
            .iter()
            .map(|s| (s / origins.len() as f64).sqrt())
            .collect();
        for h in 1..rmse_by_step.len() {
            rmse_by_step[h] = rmse_by_step[h].max(rmse_by_step[h - 1]);
        }
        let model = self.fit_model(&values, timestamps)?;
        let learner = self.learner()?;
        self.fitted = Some(LagFit {
            learner_name: learner.name().to_string(),
            learner_params: learner.params(),
            model,
            history: values[values.len() - self.features.lookback()..].to_vec(),
            n_observations: values.len(),
            last_timestamp: timestamps[timestamps.len() - 1],
            step_ms,
            rmse_by_step,
        });
        Ok(())
    }
}

impl Forecaster for LagForecaster {
    fn name(&self) -> &str {
        "lag_forecaster"
    }

    fn params(&self) -> serde_json::Value {
        let (learner, learner_params) = match (&self.learner, &self.fitted) {
            (Some(l), _) => (l.name().to_string(), l.params()),
            (None, Some(f)) => (f.learner_name.clone(), f.learner_params.clone()),
            (None, None) => (String::new(), serde_json::Value::Null),
        };
        serde_json::json!({
            "learner": learner,
            "learner_params": learner_params,
            "features": self.features.names(),
            "calibration_origins": self.calibration_origins,
            "calibration_horizon": self.calibration_horizon,
        })
    }

    fn fit(&mut self, series: &Series) -> specweave_core::Result<()> {
        Ok(self.fit_series(series)?)
    }

    fn forecast(&self, horizon: usize, level: f64) -> specweave_core::Result<Forecast> {
        interval::check_horizon(horizon)?;
        let state = self.state()?;
        let mean = self.recursive(
            state.model.as_ref(),
            &state.history,
            state.n_observations,
            state.last_timestamp,
            state.step_ms,
            horizon,
        )?;
        let calibrated = state.rmse_by_step.len();
        let last = state.rmse_by_step[calibrated - 1];
        let sd: Vec<f64> = (1..=horizon)
            .map(|h| {
                if h <= calibrated {
                    state.rmse_by_step[h - 1]
                } else {
                    last * (h as f64 / calibrated as f64).sqrt()
                }
            })
            .collect();
        Ok(interval::gaussian(mean, &sd, level)?)
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        let state = self.state()?;
        let file = LagFile {
            features: self.features.clone(),
            calibration_origins: self.calibration_origins,
            calibration_horizon: self.calibration_horizon,
            learner_name: state.learner_name.clone(),
            learner_params: state.learner_params.clone(),
            model_hex: hex_encode(&state.model.to_bytes()?),
            history: state.history.clone(),
            n_observations: state.n_observations,
            last_timestamp: state.last_timestamp,
            step_ms: state.step_ms,
            rmse_by_step: state.rmse_by_step.clone(),
        };
        // make sure the embedded file is one the loader will accept
        ModelFile::decode(&hex_decode(&file.model_hex)?)?;
        Ok(persist::to_model_file(
            "lag_forecaster",
            self.params(),
            &file,
        )?)
    }
}

/// The typical spacing of the timestamps (their median difference).
fn median_step(timestamps: &[i64]) -> i64 {
    let mut steps: Vec<i64> = timestamps.windows(2).map(|w| w[1] - w[0]).collect();
    steps.sort_unstable();
    steps.get(steps.len() / 2).copied().unwrap_or(1)
}

fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn hex_decode(text: &str) -> Result<Vec<u8>> {
    let bad = || {
        ForecastError::Core(specweave_core::Error::ModelFile(
            "embedded model is not valid hex".into(),
        ))
    };
    if !text.len().is_multiple_of(2) {
        return Err(bad());
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| char::from(c).to_digit(16).ok_or_else(bad);
            Ok((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() -> Result<()> {
        let bytes = [0u8, 1, 127, 128, 255];
        assert_eq!(hex_decode(&hex_encode(&bytes))?, bytes);
        assert!(hex_decode("abc").is_err());
        assert!(hex_decode("zz").is_err());
        Ok(())
    }

    #[test]
    fn median_step_ignores_a_gap() {
        assert_eq!(median_step(&[0, 10, 20, 30, 100]), 10);
    }
}
