//! Cross-validation: fit and score a learner on every fold of a splitter, folds in parallel,
//! with per-fold metrics, their mean and standard deviation, and out-of-fold predictions.

use crate::error::{Result, TrainError};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array1, Array2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::{Dataset, Learner, MetricSink, Predictions, Splitter, Target};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// A metric function over the true target and the predictions of the same rows.
pub type MetricFn = Arc<dyn Fn(&Target, &Predictions) -> specweave_core::Result<f64> + Send + Sync>;

/// A named metric, passed in by the caller (the evaluation crate provides the real ones).
#[derive(Clone)]
pub struct Metric {
    name: String,
    function: MetricFn,
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric").field("name", &self.name).finish()
    }
}

impl Metric {
    /// A metric called `name`.
    pub fn new(
        name: impl Into<String>,
        function: impl Fn(&Target, &Predictions) -> specweave_core::Result<f64> + Send + Sync + 'static,
    ) -> Metric {
        Metric {
            name: name.into(),
            function: Arc::new(function),
        }
    }

    /// The metric's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Evaluates the metric.
    pub fn evaluate(
        &self,
        target: &Target,
        predictions: &Predictions,
    ) -> specweave_core::Result<f64> {
        (self.function)(target, predictions)
    }
}

/// The outcome of one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    /// Fold index (0-based, in the splitter's order).
    pub fold: usize,
    /// Metric values on the fold's validation rows.
    pub metrics: BTreeMap<String, f64>,
    /// Seconds spent fitting.
    pub fit_seconds: f64,
    /// Seconds spent predicting the validation rows.
    pub predict_seconds: f64,
    /// Training rows.
    pub n_train: usize,
    /// Validation rows.
    pub n_validation: usize,
}

/// Mean and standard deviation (population, `ddof = 0` as numpy) of a metric over folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Mean over folds.
    pub mean: f64,
    /// Standard deviation over folds.
    pub std: f64,
}

impl MetricSummary {
    /// Summarises values.
    pub fn of(values: &[f64]) -> MetricSummary {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        MetricSummary {
            mean,
            std: variance.sqrt(),
        }
    }
}

/// The outcome of cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CvResult {
    /// The learner's name.
    pub learner: String,
    /// The splitter's name.
    pub splitter: String,
    /// Per-fold results, in fold order.
    pub folds: Vec<FoldResult>,
    /// Mean and standard deviation per metric.
    pub summary: BTreeMap<String, MetricSummary>,
    /// Dataset rows of the out-of-fold predictions, ascending (repeated when a row is in
    /// several validation folds).
    pub oof_rows: Vec<usize>,
    /// Out-of-fold predictions, aligned with `oof_rows`.
    pub oof_predictions: Predictions,
}

impl CvResult {
    /// The mean of a metric over folds.
    pub fn mean(&self, metric: &str) -> Option<f64> {
        self.summary.get(metric).map(|s| s.mean)
    }

    /// Total seconds spent fitting, summed over folds.
    pub fn total_fit_seconds(&self) -> f64 {
        self.folds.iter().map(|f| f.fit_seconds).sum()
    }
}

/// Cross-validation settings; [`cross_validate`] is the shortcut with defaults.
///
/// Data with timestamps is only split by a time-ordered splitter, so no fold trains on the
/// future of its validation rows.
#[derive(Clone, Default)]
pub struct CrossValidation {
    metrics: Vec<Metric>,
    sink: Option<Arc<dyn MetricSink>>,
    progress: bool,
}

impl CrossValidation {
    /// Cross-validation scoring `metrics`.
    pub fn new(metrics: Vec<Metric>) -> Self {
        CrossValidation {
            metrics,
            sink: None,
            progress: true,
        }
    }

    /// Logs every fold's metrics to `sink` as `cv_<metric>` with the fold as step.
    pub fn sink(mut self, sink: Arc<dyn MetricSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Shows a progress bar of folds on a terminal (on by default; hidden off a terminal).
    pub fn progress(mut self, progress: bool) -> Self {
        self.progress = progress;
        self
    }

    /// Runs cross-validation.
    pub fn run(
        &self,
        learner: &dyn Learner,
        data: &Dataset,
        splitter: &dyn Splitter,
    ) -> Result<CvResult> {
        if data.timestamps().is_some() && !splitter.is_time_ordered() {
            return Err(TrainError::data(
                learner.name(),
                format!(
                    "the data has timestamps, so it needs a time-ordered splitter; `{}` shuffles time",
                    splitter.name()
                ),
            ));
        }
        let folds = splitter.split(data)?;
        if folds.is_empty() {
            return Err(TrainError::data(
                learner.name(),
                format!("splitter `{}` produced no folds", splitter.name()),
            ));
        }
        let bar = if self.progress {
            ProgressBar::new(folds.len() as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} folds")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("cv {}", learner.name()));
        let outcomes: Vec<(FoldResult, Vec<usize>, Predictions)> = folds
            .par_iter()
            .enumerate()
            .map(|(index, fold)| {
                let outcome = self.run_fold(learner, data, index, fold);
                bar.inc(1);
                outcome
            })
            .collect::<Result<_>>()?;
        bar.finish_and_clear();

        let mut summary = BTreeMap::new();
        for metric in &self.metrics {
            let values: Vec<f64> = outcomes
                .iter()
                .map(|o| o.0.metrics[metric.name()])
                .collect();
            summary.insert(metric.name().to_string(), MetricSummary::of(&values));
        }
        if let Some(sink) = &self.sink {
            for (fold, ..) in &outcomes {
                for (key, value) in &fold.metrics {
                    sink.log_metric(&format!("cv_{key}"), *value, fold.fold as u64);
                }
            }
        }
        let (oof_rows, oof_predictions) = merge_out_of_fold(&outcomes)?;
        Ok(CvResult {
            learner: learner.name().to_string(),
            splitter: splitter.name(),
            folds: outcomes.into_iter().map(|o| o.0).collect(),
            summary,
            oof_rows,
            oof_predictions,
        })
    }

    fn run_fold(
        &self,
        learner: &dyn Learner,
        data: &Dataset,
        index: usize,
        fold: &specweave_core::Fold,
    ) -> Result<(FoldResult, Vec<usize>, Predictions)> {
        let context = |e: specweave_core::Error| {
            TrainError::data(learner.name(), format!("fold {index}: {e}"))
        };
        let train = data.select_rows(&fold.train).map_err(context)?;
        let validation = data.select_rows(&fold.validation).map_err(context)?;
        let started = Instant::now();
        let model = learner.fit(&train).map_err(context)?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let predictions = model.predict(validation.features()).map_err(context)?;
        let predict_seconds = started.elapsed().as_secs_f64();
        let mut metrics = BTreeMap::new();
        for metric in &self.metrics {
            let value = metric
                .evaluate(validation.target(), &predictions)
                .map_err(|e| {
                    TrainError::data(
                        learner.name(),
                        format!("fold {index}: metric `{}`: {e}", metric.name()),
                    )
                })?;
            metrics.insert(metric.name().to_string(), value);
        }
        Ok((
            FoldResult {
                fold: index,
                metrics,
                fit_seconds,
                predict_seconds,
                n_train: fold.train.len(),
                n_validation: fold.validation.len(),
            },
            fold.validation.clone(),
            predictions,
        ))
    }
}

/// Cross-validates `learner` on `data` with `splitter`, scoring `metrics` on every fold.
///
/// ```
/// use ndarray::{Array1, Array2};
/// use specweave_core::{Dataset, Fold, Splitter, Target};
/// use specweave_train::{DummyRegressor, Metric, RegressorStrategy, cross_validate};
///
/// #[derive(Debug)]
/// struct TwoFolds;
/// impl Splitter for TwoFolds {
///     fn name(&self) -> String { "two_folds".into() }
///     fn split(&self, data: &Dataset) -> specweave_core::Result<Vec<Fold>> {
///         let n = data.n_rows();
///         let (a, b): (Vec<usize>, Vec<usize>) = (0..n).partition(|i| i % 2 == 0);
///         Ok(vec![Fold { train: a.clone(), validation: b.clone() }, Fold { train: b, validation: a }])
///     }
/// }
///
/// let data = Dataset::builder(Array2::zeros((10, 1)))
///     .target(Target::Continuous(Array1::from_iter((0..10).map(f64::from))))
///     .build()?;
/// let mae = Metric::new("mae", |t, p| {
///     let (y, yhat) = (t.as_f64().unwrap_or_default(), p.scores()?);
///     Ok((&y - &yhat).mapv(f64::abs).mean().unwrap_or(f64::NAN))
/// });
/// let result = cross_validate(&DummyRegressor::new(RegressorStrategy::Mean), &data, &TwoFolds, &[mae])?;
/// assert_eq!(result.folds.len(), 2);
/// assert!((result.mean("mae").unwrap() - 2.6).abs() < 1e-12);
/// assert_eq!(result.oof_rows, (0..10).collect::<Vec<_>>());
/// # Ok::<(), specweave_train::TrainError>(())
/// ```
pub fn cross_validate(
    learner: &dyn Learner,
    data: &Dataset,
    splitter: &dyn Splitter,
    metrics: &[Metric],
) -> Result<CvResult> {
    CrossValidation::new(metrics.to_vec()).run(learner, data, splitter)
}

/// Joins fold predictions and orders them by dataset row.
fn merge_out_of_fold(
    outcomes: &[(FoldResult, Vec<usize>, Predictions)],
) -> Result<(Vec<usize>, Predictions)> {
    let mut rows: Vec<(usize, usize, usize)> = Vec::new();
    for (f, (_, validation, _)) in outcomes.iter().enumerate() {
        rows.extend(validation.iter().enumerate().map(|(i, &r)| (r, f, i)));
    }
    rows.sort_by_key(|&(r, f, _)| (r, f));
    let oof_rows: Vec<usize> = rows.iter().map(|&(r, ..)| r).collect();
    let predictions = match &outcomes[0].2 {
        Predictions::Values(_) => {
            let mut values = Array1::zeros(rows.len());
            for (out, &(_, f, i)) in rows.iter().enumerate() {
                let Predictions::Values(v) = &outcomes[f].2 else {
                    return Err(TrainError::data(
                        "cross-validation",
                        "folds returned different prediction kinds",
                    ));
                };
                values[out] = v[i];
            }
            Predictions::Values(values)
        }
        Predictions::Probabilities {
            class_names,
            probabilities,
        } => {
            let k = probabilities.ncols();
            let mut all = Array2::zeros((rows.len(), k));
            for (out, &(_, f, i)) in rows.iter().enumerate() {
                let Some(p) = outcomes[f].2.probabilities().filter(|p| p.ncols() == k) else {
                    return Err(TrainError::data(
                        "cross-validation",
                        "folds returned different prediction kinds",
                    ));
                };
                all.row_mut(out).assign(&p.index_axis(Axis(0), i));
            }
            Predictions::Probabilities {
                probabilities: all,
                class_names: class_names.clone(),
            }
        }
    };
    Ok((oof_rows, predictions))
}
