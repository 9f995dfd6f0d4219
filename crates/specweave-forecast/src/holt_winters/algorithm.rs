//! Fitting and forecasting of [`HoltWinters`] models.
//!
//! Component form (Hyndman & Athanasopoulos, FPP3 §8.3), with ε the one-step error:
//! level  ℓₜ = α(yₜ ⊖ sₜ₋ₘ) + (1−α)(ℓₜ₋₁ + φbₜ₋₁),
//! trend  bₜ = β*(ℓₜ − ℓₜ₋₁) + (1−β*)φbₜ₋₁,
//! season sₜ = γ(yₜ ⊖ (ℓₜ₋₁ + φbₜ₋₁)) + (1−γ)sₜ₋ₘ,
//! where ⊖ is subtraction (additive) or division (multiplicative). α, β*, γ, φ and the start
//! level and trend minimise the sum of squared one-step errors; the seasonal start values come
//! from a classical decomposition of the first seasons.

use super::hyperparams::{HoltWintersBuilder, HoltWintersParams, Seasonality, Trend};
use crate::optimize::{logistic, logit, nelder_mead};
use crate::{ForecastError, Result, interval, persist, stats};
use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use specweave_core::{Forecast, Forecaster, Series};

/// Bounds of the damping parameter, as in FPP3 §8.2.
const PHI_MIN: f64 = 0.8;
const PHI_MAX: f64 = 0.98;

/// The fitted smoothing parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmoothingParameters {
    /// Level smoothing α ∈ (0, 1).
    pub alpha: f64,
    /// Trend smoothing β* ∈ (0, 1) of the component form (0 without trend).
    pub beta: f64,
    /// Seasonal smoothing γ ∈ (0, 1 − α) (0 without seasonality).
    pub gamma: f64,
    /// Damping φ (1 for an undamped or absent trend).
    pub phi: f64,
}

/// Holt-Winters exponential smoothing with additive or multiplicative seasonality and an
/// optional damped trend.
///
/// Intervals: for additive models the exact h-step variance of the equivalent ETS(A,·,A)
/// state-space model, σ²(1 + Σⱼ₌₁ʰ⁻¹ cⱼ²) with cⱼ = α + αβ*(φ+…+φʲ) + γ·[j mod m = 0]
/// (Hyndman et al. 2008, class 1); for multiplicative seasonality, quantiles of seeded
/// simulated sample paths with Gaussian errors of the fitted variance.
///
/// ```
/// use ndarray::Array1;
/// use specweave_core::{Forecaster, Series};
/// use specweave_forecast::{HoltWinters, Seasonality, Trend};
///
/// let values: Array1<f64> = (0..48)
///     .map(|t| 100.0 + 0.5 * t as f64 + 10.0 * (t as f64 * std::f64::consts::PI / 6.0).sin())
///     .collect();
/// let series = Series::new((0..48).collect(), values)?;
/// let mut model = HoltWinters::builder()
///     .trend(Trend::Additive)
///     .seasonality(Seasonality::Additive, 12)
///     .build()?;
/// model.fit(&series)?;
/// let forecast = model.forecast(12, 0.95)?;
/// let truth = 100.0 + 0.5 * 48.0; // t = 48 is the start of a season, sin = 0
/// assert!((forecast.mean[0] - truth).abs() < 0.5);
/// assert!(forecast.lower[0] < forecast.mean[0] && forecast.mean[0] < forecast.upper[0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HoltWinters {
    params: HoltWintersParams,
    fitted: Option<HoltWintersFit>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct HoltWintersFit {
    smoothing: SmoothingParameters,
    level: f64,
    slope: f64,
    /// Seasonal states in the order they are next used: entry j serves step j + 1 (mod m).
    seasons_ahead: Vec<f64>,
    sigma: f64,
    sse: f64,
    n_observations: usize,
    n_parameters: usize,
    residuals: Vec<f64>,
}

/// Start states of the recursion.
#[derive(Debug, Clone)]
struct StartStates {
    level: f64,
    slope: f64,
    /// Seasonal states indexed by time mod m.
    seasons: Vec<f64>,
}

/// States after running the recursion over a series.
#[derive(Debug, Clone)]
struct Filtered {
    sse: f64,
    level: f64,
    slope: f64,
    seasons: Vec<f64>,
    residuals: Vec<f64>,
}

impl HoltWinters {
    /// An unfitted model with validated parameters.
    pub fn new(params: HoltWintersParams) -> Result<HoltWinters> {
        params.validate()?;
        Ok(HoltWinters {
            params,
            fitted: None,
        })
    }

    /// A builder starting from the defaults (additive trend, additive season of 12).
    pub fn builder() -> HoltWintersBuilder {
        HoltWintersBuilder::default()
    }

    /// The configuration.
    pub fn hyperparams(&self) -> &HoltWintersParams {
        &self.params
    }

    /// The fitted smoothing parameters.
    pub fn smoothing(&self) -> Result<SmoothingParameters> {
        Ok(self.state()?.smoothing)
    }

    /// In-sample one-step residuals yₜ − ŷₜ|ₜ₋₁ (for residual diagnostics).
    pub fn residuals(&self) -> Result<&[f64]> {
        Ok(&self.state()?.residuals)
    }

    /// Sum of squared one-step errors at the optimum.
    pub fn sse(&self) -> Result<f64> {
        Ok(self.state()?.sse)
    }

    /// Number of estimated parameters: smoothing parameters and start states.
    pub fn n_parameters(&self) -> Result<usize> {
        Ok(self.state()?.n_parameters)
    }

    /// Corrected Akaike criterion of the fit under Gaussian additive errors, counting the
    /// estimated parameters plus the error variance.
    pub fn aicc(&self) -> Result<f64> {
        let state = self.state()?;
        let n = state.n_observations as f64;
        let k = (state.n_parameters + 1) as f64;
        let log_likelihood = -0.5 * n * ((2.0 * std::f64::consts::PI * state.sse / n).ln() + 1.0);
        let aic = -2.0 * log_likelihood + 2.0 * k;
        if n - k - 1.0 <= 0.0 {
            return Ok(f64::INFINITY);
        }
        Ok(aic + 2.0 * k * (k + 1.0) / (n - k - 1.0))
    }

    /// Reads a Holt-Winters model from its model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<HoltWinters> {
        let model: HoltWinters = persist::from_model_file("holt_winters", bytes)?;
        model.params.validate()?;
        Ok(model)
    }

    fn state(&self) -> Result<&HoltWintersFit> {
        self.fitted
            .as_ref()
            .ok_or_else(|| ForecastError::not_fitted("holt_winters"))
    }

    fn has_trend(&self) -> bool {
        self.params.trend != Trend::None
    }

    fn is_damped(&self) -> bool {
        self.params.trend == Trend::AdditiveDamped
    }

    fn is_seasonal(&self) -> bool {
        self.params.seasonality != Seasonality::None
    }

    fn period(&self) -> usize {
        if self.is_seasonal() {
            self.params.period
        } else {
            1
        }
    }

    /// Runs the recursion; `None` when the states leave the region where the model is
    /// defined (a multiplicative factor or predicted level at or below zero).
    fn filter(&self, y: &[f64], s: SmoothingParameters, start: &StartStates) -> Option<Filtered> {
        let m = self.period();
        let multiplicative = self.params.seasonality == Seasonality::Multiplicative;
        let seasonal = self.is_seasonal();
        let mut level = start.level;
        let mut slope = start.slope;
        let mut seasons = start.seasons.clone();
        let mut residuals = Vec::with_capacity(y.len());
        let mut sse = 0.0;
        for (t, &value) in y.iter().enumerate() {
            let base = level + s.phi * slope;
            let season = seasons[t % m];
            let predicted = match (seasonal, multiplicative) {
                (false, _) => base,
                (true, false) => base + season,
                (true, true) => {
                    if season <= 0.0 || base <= 0.0 {
                        return None;
                    }
                    base * season
                }
            };
            let error = value - predicted;
            residuals.push(error);
            sse += error * error;
            let adjusted = match (seasonal, multiplicative) {
                (false, _) => value,
                (true, false) => value - season,
                (true, true) => value / season,
            };
            let new_level = s.alpha * adjusted + (1.0 - s.alpha) * base;
            slope = s.beta * (new_level - level) + (1.0 - s.beta) * s.phi * slope;
            if seasonal {
                let detrended = if multiplicative {
                    value / base
                } else {
                    value - base
                };
                seasons[t % m] = s.gamma * detrended + (1.0 - s.gamma) * season;
            }
            level = new_level;
        }
        sse.is_finite().then_some(Filtered {
            sse,
            level,
            slope,
            seasons,
            residuals,
        })
    }

    /// Start values: seasonal indices from a classical decomposition of the first (up to
    /// four) seasons, level and slope from a line through the seasonally adjusted start.
    fn start_states(&self, y: &[f64]) -> StartStates {
        let m = self.period();
        let multiplicative = self.params.seasonality == Seasonality::Multiplicative;
        let seasons = if self.is_seasonal() {
            let cycles = (y.len() / m).clamp(2, 4);
            let head = &y[..cycles * m];
            let trend = centred_moving_average(head, m);
            let mut sums = vec![0.0; m];
            let mut counts = vec![0usize; m];
            for (t, value) in trend.iter().enumerate() {
                if let Some(trend_value) = value {
                    let detrended = if multiplicative {
                        head[t] / trend_value
                    } else {
                        head[t] - trend_value
                    };
                    sums[t % m] += detrended;
                    counts[t % m] += 1;
                }
            }
            let mut indices: Vec<f64> = sums
                .iter()
                .zip(&counts)
                .map(|(s, &c)| {
                    if c > 0 {
                        s / c as f64
                    } else if multiplicative {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            let mean = indices.iter().sum::<f64>() / m as f64;
            for index in &mut indices {
                if multiplicative {
                    *index /= mean;
                } else {
                    *index -= mean;
                }
            }
            indices
        } else {
            vec![if multiplicative { 1.0 } else { 0.0 }; m]
        };
        let span = if self.is_seasonal() {
            (2 * m).min(y.len())
        } else {
            y.len().min(10)
        };
        let adjusted: Vec<f64> = (0..span)
            .map(|t| match self.params.seasonality {
                Seasonality::None => y[t],
                Seasonality::Additive => y[t] - seasons[t % m],
                Seasonality::Multiplicative => y[t] / seasons[t % m],
            })
            .collect();
        let (intercept, slope) = if self.has_trend() {
            line_fit(&adjusted)
        } else {
            let head = &adjusted[..adjusted.len().min(m.max(3))];
            (head.iter().sum::<f64>() / head.len() as f64, 0.0)
        };
        // the recursion predicts y₀ from the states at t = −1
        StartStates {
            level: intercept - slope,
            slope,
            seasons,
        }
    }

    /// The least-squares start states of an additive model for given smoothing parameters,
    /// with the SSE they reach. One-step errors are affine in the start states, e(x₀) =
    /// e(0) + J·x₀, where column i of J is the error path of a unit start state i on a zero
    /// series; seasonal start values are constrained to sum to zero, which keeps J of full
    /// rank (a level shift and an opposite seasonal shift would otherwise be the same model).
    fn profiled_start(
        &self,
        y: &[f64],
        smoothing: SmoothingParameters,
    ) -> Option<(StartStates, f64)> {
        let m = self.period();
        let zero = StartStates {
            level: 0.0,
            slope: 0.0,
            seasons: vec![0.0; m],
        };
        let base = self.filter(y, smoothing, &zero)?.residuals;
        let mut units = vec![StartStates {
            level: 1.0,
            ..zero.clone()
        }];
        if self.has_trend() {
            units.push(StartStates {
                slope: 1.0,
                ..zero.clone()
            });
        }
        if self.is_seasonal() {
            for j in 0..m - 1 {
                let mut seasons = vec![0.0; m];
                seasons[j] = 1.0;
                seasons[m - 1] = -1.0;
                units.push(StartStates {
                    seasons,
                    ..zero.clone()
                });
            }
        }
        let silent = vec![0.0; y.len()];
        let columns = units
            .iter()
            .map(|unit| self.filter(&silent, smoothing, unit).map(|f| f.residuals))
            .collect::<Option<Vec<Vec<f64>>>>()?;
        let rows: Vec<Vec<f64>> = (0..y.len())
            .map(|t| columns.iter().map(|column| column[t]).collect())
            .collect();
        let target: Vec<f64> = base.iter().map(|e| -e).collect();
        let fit = stats::least_squares(&rows, &target, "holt_winters start states").ok()?;
        let x = fit.coefficients;
        let mut next = x.iter().copied();
        let level = next.next()?;
        let slope = if self.has_trend() { next.next()? } else { 0.0 };
        let seasons = if self.is_seasonal() {
            let mut free: Vec<f64> = next.collect();
            free.push(-free.iter().sum::<f64>());
            free
        } else {
            vec![0.0; m]
        };
        Some((
            StartStates {
                level,
                slope,
                seasons,
            },
            fit.sse,
        ))
    }

    fn fit_values(&mut self, y: &[f64]) -> Result<()> {
        self.params.validate()?;
        let needed = self.params.min_observations();
        if y.len() < needed {
            return Err(ForecastError::too_short(
                format!("holt_winters ({})", self.params.label()),
                needed,
                y.len(),
            ));
        }
        if self.params.seasonality == Seasonality::Multiplicative
            && let Some((row, &value)) = y.iter().enumerate().find(|(_, v)| **v <= 0.0)
        {
            return Err(ForecastError::InvalidData {
                what: "holt_winters with multiplicative seasonality".into(),
                reason: format!("values must be strictly positive; row {row} is {value}"),
            });
        }
        let start = self.start_states(y);
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let scale = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / y.len() as f64)
            .sqrt()
            .max(1e-8 * mean.abs().max(1.0));
        let (has_trend, damped, seasonal) =
            (self.has_trend(), self.is_damped(), self.is_seasonal());
        let m = self.period() as f64;
        // Additive models are linear in their start states, so those are profiled out by least
        // squares for each smoothing vector; multiplicative ones search start-level and slope
        // offsets beside the smoothing parameters.
        let profiled = self.params.seasonality != Seasonality::Multiplicative;
        // unconstrained coordinates: α, [β*], [γ], [φ], then ℓ₀ and [b₀] offsets when not profiled
        let decode = |u: &[f64], start: &StartStates| -> (SmoothingParameters, StartStates) {
            let mut i = 0;
            let mut next = || {
                let v = u[i];
                i += 1;
                v
            };
            let alpha = logistic(next());
            let beta = if has_trend { logistic(next()) } else { 0.0 };
            let gamma = if seasonal {
                (1.0 - alpha) * logistic(next())
            } else {
                0.0
            };
            let phi = if damped {
                PHI_MIN + (PHI_MAX - PHI_MIN) * logistic(next())
            } else {
                1.0
            };
            let (level, slope) = if profiled {
                (start.level, start.slope)
            } else {
                let level = start.level + scale * next();
                let slope = if has_trend {
                    start.slope + scale / m * next()
                } else {
                    0.0
                };
                (level, slope)
            };
            (
                SmoothingParameters {
                    alpha,
                    beta,
                    gamma,
                    phi,
                },
                StartStates {
                    level,
                    slope,
                    seasons: start.seasons.clone(),
                },
            )
        };
        // A coarse grid picks the basin (the optimum is often at a boundary, e.g. α ≈ 0 for a
        // deterministic season), as statsmodels' brute-force start does.
        let mut grid: Vec<Vec<f64>> = vec![Vec::new()];
        let mut extend = |values: &[f64]| {
            grid = grid
                .iter()
                .flat_map(|prefix| {
                    values.iter().map(move |v| {
                        let mut point = prefix.clone();
                        point.push(logit(*v));
                        point
                    })
                })
                .collect();
        };
        extend(&[0.001, 0.1, 0.3, 0.6, 0.9]);
        if has_trend {
            extend(&[0.001, 0.1, 0.4]);
        }
        if seasonal {
            extend(&[0.001, 0.1, 0.4]);
        }
        if damped {
            extend(&[0.2, 0.8]);
        }
        if !profiled {
            // start-level and slope offsets begin at the heuristic start
            let offsets = 1 + usize::from(has_trend);
            for point in &mut grid {
                point.extend(std::iter::repeat_n(0.0, offsets));
            }
        }
        let grid_loss = |u: &[f64]| {
            let (smoothing, grid_start) = decode(u, &start);
            let sse = if profiled {
                self.profiled_start(y, smoothing).map(|(_, sse)| sse)
            } else {
                self.filter(y, smoothing, &grid_start).map(|f| f.sse)
            };
            sse.unwrap_or(f64::INFINITY)
        };
        let initial = grid
            .into_iter()
            .map(|point| (grid_loss(&point), point))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, point)| point)
            .unwrap_or_default();
        // Block coordinate descent: smoothing parameters by Nelder–Mead with the start states
        // fixed, then (additive models) the least-squares start states for those parameters;
        // each block can only lower the SSE.
        let mut start = start;
        let mut best_sse = f64::INFINITY;
        if profiled
            && let Some((grid_start, sse)) = self.profiled_start(y, decode(&initial, &start).0)
        {
            start = grid_start;
            best_sse = sse;
        }
        let mut point = initial;
        for _ in 0..if profiled { 4 } else { 1 } {
            let loss = |u: &[f64]| {
                let (smoothing, offset_start) = decode(u, &start);
                self.filter(y, smoothing, &offset_start)
                    .map_or(f64::INFINITY, |f| f.sse)
            };
            let best = nelder_mead(&loss, &point, 0.5, 4_000);
            point = best.point;
            let (smoothing, _) = decode(&point, &start);
            let improved = profiled
                .then(|| self.profiled_start(y, smoothing))
                .flatten()
                .filter(|(_, sse)| *sse < best.value);
            // stop once a round of Nelder–Mead no longer improves on the last profiled start
            let converged = best_sse - best.value <= 1e-9 * best.value.abs();
            match improved {
                Some((profiled_start, sse)) if !converged => {
                    start = profiled_start;
                    best_sse = sse;
                }
                _ => break,
            }
        }
        let (smoothing, start) = decode(&point, &start);
        let filtered =
            self.filter(y, smoothing, &start)
                .ok_or_else(|| ForecastError::Numerical {
                    what: "holt_winters fit".into(),
                    reason: "no smoothing parameters keep the multiplicative states positive"
                        .into(),
                })?;
        let n = y.len();
        let m = self.period();
        let n_parameters = 1
            + usize::from(has_trend)
            + usize::from(seasonal)
            + usize::from(damped)
            + 1
            + usize::from(has_trend)
            + if seasonal { m - 1 } else { 0 };
        let dof = if n > n_parameters {
            n - n_parameters
        } else {
            n
        };
        let sigma = (filtered.sse / dof as f64).sqrt();
        let seasons_ahead = (0..m).map(|j| filtered.seasons[(n + j) % m]).collect();
        self.fitted = Some(HoltWintersFit {
            smoothing,
            level: filtered.level,
            slope: filtered.slope,
            seasons_ahead,
            sigma,
            sse: filtered.sse,
            n_observations: n,
            n_parameters,
            residuals: filtered.residuals,
        });
        Ok(())
    }

    fn point_forecasts(&self, state: &HoltWintersFit, horizon: usize) -> Vec<f64> {
        let m = self.period();
        let phi = state.smoothing.phi;
        let mut damped_sum = 0.0;
        let mut power = 1.0;
        (0..horizon)
            .map(|i| {
                power *= phi;
                damped_sum += power;
                let base = state.level + damped_sum * state.slope;
                let season = state.seasons_ahead[i % m];
                match self.params.seasonality {
                    Seasonality::None => base,
                    Seasonality::Additive => base + season,
                    Seasonality::Multiplicative => base * season,
                }
            })
            .collect()
    }

    /// Exact h-step standard deviations of the additive models.
    fn additive_sd(&self, state: &HoltWintersFit, horizon: usize) -> Vec<f64> {
        let SmoothingParameters {
            alpha,
            beta,
            gamma,
            phi,
        } = state.smoothing;
        let m = self.params.period.max(1);
        let seasonal = self.is_seasonal();
        let mut variance_factor: f64 = 1.0;
        let mut damped_sum = 0.0;
        let mut power = 1.0;
        let mut sd = Vec::with_capacity(horizon);
        for h in 1..=horizon {
            sd.push(state.sigma * variance_factor.sqrt());
            // cⱼ for j = h, used by step h + 1
            power *= phi;
            damped_sum += power;
            let seasonal_jump = if seasonal && h % m == 0 { gamma } else { 0.0 };
            let c = alpha + alpha * beta * damped_sum + seasonal_jump;
            variance_factor += c * c;
        }
        sd
    }

    /// Interval bounds of multiplicative models from simulated sample paths.
    fn simulated_bounds(
        &self,
        state: &HoltWintersFit,
        horizon: usize,
        level: f64,
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        let m = self.period();
        let s = state.smoothing;
        let normal = Normal::new(0.0, state.sigma).map_err(|e| ForecastError::Numerical {
            what: "holt_winters interval simulation".into(),
            reason: e.to_string(),
        })?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.params.seed);
        let paths = self.params.simulations;
        let mut draws = vec![Vec::with_capacity(paths); horizon];
        for _ in 0..paths {
            let mut level_state = state.level;
            let mut slope = state.slope;
            let mut seasons = state.seasons_ahead.clone();
            for (i, step_draws) in draws.iter_mut().enumerate() {
                let base = level_state + s.phi * slope;
                let season = seasons[i % m];
                let value = base * season + normal.sample(&mut rng);
                step_draws.push(value);
                let new_level = s.alpha * value / season + (1.0 - s.alpha) * base;
                slope = s.beta * (new_level - level_state) + (1.0 - s.beta) * s.phi * slope;
                seasons[i % m] = s.gamma * value / base + (1.0 - s.gamma) * season;
                level_state = new_level;
            }
        }
        let tail = 0.5 * (1.0 - level);
        let mut lower = Vec::with_capacity(horizon);
        let mut upper = Vec::with_capacity(horizon);
        for mut step in draws {
            step.sort_by(f64::total_cmp);
            lower.push(stats::quantile(&step, tail));
            upper.push(stats::quantile(&step, 1.0 - tail));
        }
        Ok((lower, upper))
    }
}

impl Forecaster for HoltWinters {
    fn name(&self) -> &str {
        "holt_winters"
    }

    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }

    fn fit(&mut self, series: &Series) -> specweave_core::Result<()> {
        let y = series.values().to_vec();
        Ok(self.fit_values(&y)?)
    }

    fn forecast(&self, horizon: usize, level: f64) -> specweave_core::Result<Forecast> {
        interval::check_horizon(horizon)?;
        stats::z_for_level(level)?;
        let state = self.state()?;
        let mean = self.point_forecasts(state, horizon);
        if self.params.seasonality == Seasonality::Multiplicative {
            let (lower, upper) = self.simulated_bounds(state, horizon, level)?;
            return Ok(Forecast {
                mean: Array1::from(mean),
                lower: Array1::from(lower),
                upper: Array1::from(upper),
                level,
            });
        }
        let sd = self.additive_sd(state, horizon);
        Ok(interval::gaussian(mean, &sd, level)?)
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        self.state()?;
        Ok(persist::to_model_file("holt_winters", self.params(), self)?)
    }
}

/// Centred moving average of order m (2×m when m is even); `None` where it is undefined.
fn centred_moving_average(y: &[f64], m: usize) -> Vec<Option<f64>> {
    let n = y.len();
    let mut out = vec![None; n];
    if m % 2 == 1 {
        let half = m / 2;
        for t in half..n.saturating_sub(half) {
            out[t] = Some(y[t - half..=t + half].iter().sum::<f64>() / m as f64);
        }
    } else {
        let half = m / 2;
        for t in half..n.saturating_sub(half) {
            let inner: f64 = y[t + 1 - half..t + half].iter().sum();
            out[t] = Some((inner + 0.5 * (y[t - half] + y[t + half])) / m as f64);
        }
    }
    out
}

/// Least-squares line through (t, values[t]); returns (intercept at t = 0, slope).
fn line_fit(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let t_mean = (n - 1.0) / 2.0;
    let y_mean = values.iter().sum::<f64>() / n;
    let (mut cov, mut var) = (0.0, 0.0);
    for (t, v) in values.iter().enumerate() {
        cov += (t as f64 - t_mean) * (v - y_mean);
        var += (t as f64 - t_mean).powi(2);
    }
    let slope = if var > 0.0 { cov / var } else { 0.0 };
    (y_mean - slope * t_mean, slope)
}
