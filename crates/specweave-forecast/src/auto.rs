//! Automatic exponential smoothing: fits every applicable trend/season variant and keeps the
//! one with the lowest AICc, as ETS model selection does (Hyndman et al. 2002).

use crate::{ForecastError, HoltWinters, HoltWintersParams, Result, Seasonality, Trend, persist};
use serde::{Deserialize, Serialize};
use specweave_core::{Forecast, Forecaster, Series};

/// One candidate of the search with its criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The candidate's configuration.
    pub params: HoltWintersParams,
    /// Its AICc, or `None` when it could not be fitted (too short, non-positive data, ...).
    pub aicc: Option<f64>,
}

/// Selects a Holt-Winters variant by AICc: trend none / additive / damped, season none /
/// additive / multiplicative (multiplicative only for strictly positive series, seasonal
/// variants only when `period` is set and two seasons are available).
///
/// ```
/// use ndarray::Array1;
/// use specweave_core::{Forecaster, Series};
/// use specweave_forecast::AutoEts;
///
/// let values: Array1<f64> = (0..60)
///     .map(|t| 50.0 + 8.0 * (t as f64 * std::f64::consts::PI / 6.0).cos() + (t % 5) as f64 * 0.1)
///     .collect();
/// let mut auto = AutoEts::new(Some(12))?;
/// auto.fit(&Series::new((0..60).collect(), values)?)?;
/// assert!(auto.selected().is_some());
/// assert_eq!(auto.forecast(6, 0.9)?.mean.len(), 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AutoEts {
    period: Option<usize>,
    candidates: Vec<Candidate>,
    selected: Option<HoltWinters>,
}

impl AutoEts {
    /// A search over the variants for seasons of `period` (`None` for non-seasonal data).
    pub fn new(period: Option<usize>) -> Result<AutoEts> {
        if let Some(p) = period
            && p < 2
        {
            return Err(ForecastError::parameter(
                "period",
                format!("a season must span at least 2 observations, got {p}"),
            ));
        }
        Ok(AutoEts {
            period,
            candidates: Vec::new(),
            selected: None,
        })
    }

    /// The selected model, after fitting.
    pub fn selected(&self) -> Option<&HoltWinters> {
        self.selected.as_ref()
    }

    /// Every candidate tried in the last fit, with its AICc.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// Reads an automatic model from its model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<AutoEts> {
        persist::from_model_file("auto_ets", bytes)
    }

    fn variants(&self, positive: bool) -> Vec<HoltWintersParams> {
        let mut seasons = vec![(Seasonality::None, 1)];
        if let Some(p) = self.period {
            seasons.push((Seasonality::Additive, p));
            if positive {
                seasons.push((Seasonality::Multiplicative, p));
            }
        }
        let mut out = Vec::new();
        for (seasonality, period) in seasons {
            for trend in [Trend::None, Trend::Additive, Trend::AdditiveDamped] {
                out.push(HoltWintersParams {
                    trend,
                    seasonality,
                    period,
                    ..HoltWintersParams::default()
                });
            }
        }
        out
    }
}

impl Forecaster for AutoEts {
    fn name(&self) -> &str {
        "auto_ets"
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({
            "period": self.period,
            "selected": self.selected.as_ref().map(|m| m.hyperparams().label()),
        })
    }

    fn fit(&mut self, series: &Series) -> specweave_core::Result<()> {
        let positive = series.values().iter().all(|v| *v > 0.0);
        let mut candidates = Vec::new();
        let mut best: Option<(f64, HoltWinters)> = None;
        let mut last_error = None;
        for params in self.variants(positive) {
            let mut model = HoltWinters::new(params.clone())?;
            let aicc = match model.fit(series) {
                Ok(()) => model.aicc().ok().filter(|a| a.is_finite()),
                Err(e) => {
                    last_error = Some(e);
                    None
                }
            };
            candidates.push(Candidate { params, aicc });
            if let Some(aicc) = aicc
                && best.as_ref().is_none_or(|(b, _)| aicc < *b)
            {
                best = Some((aicc, model));
            }
        }
        self.candidates = candidates;
        match best {
            Some((_, model)) => {
                tracing::debug!(selected = %model.hyperparams().label(), "auto_ets selection");
                self.selected = Some(model);
                Ok(())
            }
            None => {
                self.selected = None;
                Err(last_error.unwrap_or_else(|| {
                    ForecastError::Numerical {
                        what: "auto_ets".into(),
                        reason: "no candidate model could be fitted".into(),
                    }
                    .into()
                }))
            }
        }
    }

    fn forecast(&self, horizon: usize, level: f64) -> specweave_core::Result<Forecast> {
        self.selected
            .as_ref()
            .ok_or_else(|| ForecastError::not_fitted("auto_ets"))?
            .forecast(horizon, level)
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        if self.selected.is_none() {
            return Err(ForecastError::not_fitted("auto_ets").into());
        }
        Ok(persist::to_model_file("auto_ets", self.params(), self)?)
    }
}
