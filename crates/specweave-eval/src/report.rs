//! The evaluation report behind `specweave eval`: every metric of a task with its
//! bootstrap interval, rendered as an aligned text table or as JSON.
//!
//! Rows are resampled with replacement (users, for ranking) and every metric is recomputed
//! on each resample, in parallel and seeded.

use crate::error::{EvalError, Result};
use crate::ranking::{Gain, evaluate_ranking};
pub use crate::registry::EvalInput;
use crate::registry::{MetricSettings, Task, evaluate_metrics, ranking_input};
use crate::stats::{Bootstrap, IntervalMethod};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Options of [`evaluate`] (a builder).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EvalOptions {
    /// Metric settings (k, gain, threshold, season).
    pub metrics: MetricSettings,
    /// Bootstrap resamples; 0 reports point values without intervals.
    pub bootstrap: usize,
    /// Seed of the resampling.
    pub seed: u64,
    /// Confidence level.
    pub level: f64,
    /// Interval method.
    pub method: IntervalMethod,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            metrics: MetricSettings::default(),
            bootstrap: 1000,
            seed: 0,
            level: 0.95,
            method: IntervalMethod::Percentile,
        }
    }
}

impl EvalOptions {
    /// Ranking cutoff.
    pub fn k(mut self, k: usize) -> Self {
        self.metrics.k = k;
        self
    }

    /// DCG gain for NDCG.
    pub fn gain(mut self, gain: Gain) -> Self {
        self.metrics.gain = gain;
        self
    }

    /// Binary decision threshold.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.metrics.threshold = threshold;
        self
    }

    /// Seasonal period for MASE.
    pub fn season(mut self, season: usize) -> Self {
        self.metrics.season = season;
        self
    }

    /// Bootstrap resamples (0 for none).
    pub fn bootstrap(mut self, resamples: usize) -> Self {
        self.bootstrap = resamples;
        self
    }

    /// Seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Confidence level.
    pub fn level(mut self, level: f64) -> Self {
        self.level = level;
        self
    }

    /// Interval method.
    pub fn method(mut self, method: IntervalMethod) -> Self {
        self.method = method;
        self
    }

    fn bootstrapper(&self) -> Bootstrap {
        Bootstrap::new()
            .resamples(self.bootstrap)
            .seed(self.seed)
            .level(self.level)
            .method(self.method)
    }
}

/// One metric of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// Registry name.
    pub name: String,
    /// Value on all rows.
    pub value: f64,
    /// Lower interval bound, when bootstrapped.
    pub lower: Option<f64>,
    /// Upper interval bound, when bootstrapped.
    pub upper: Option<f64>,
}

/// Every metric of a task with its interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The task evaluated.
    pub task: Task,
    /// Rows evaluated (users, for ranking).
    pub rows: usize,
    /// Bootstrap resamples (0 when none).
    pub resamples: usize,
    /// Confidence level of the intervals.
    pub level: f64,
    /// Interval method.
    pub method: IntervalMethod,
    /// Seed of the resampling.
    pub seed: u64,
    /// The metrics, in registry order.
    pub metrics: Vec<MetricRow>,
}

impl EvalReport {
    /// The value of a metric by name.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    /// Name → value map (what tracking logs).
    pub fn values(&self) -> BTreeMap<String, f64> {
        self.metrics
            .iter()
            .map(|m| (m.name.clone(), m.value))
            .collect()
    }

    /// The report as pretty JSON (NaN becomes `null`).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map_err(|e| EvalError::param("report", format!("cannot serialise the report: {e}")))
    }

    /// The report as an aligned text table.
    ///
    /// ```
    /// use specweave_eval::report::{evaluate, EvalInput, EvalOptions};
    /// use specweave_eval::registry::Task;
    /// let r = evaluate(Task::Regression, &EvalInput::scored(&[1.0, 2.0, 3.0], &[1.0, 2.5, 2.0]), &EvalOptions::default().bootstrap(0))?;
    /// let table = r.to_table();
    /// assert!(table.lines().any(|l| l.starts_with("mae ") && l.contains("0.5000")));
    /// # Ok::<(), specweave_eval::EvalError>(())
    /// ```
    pub fn to_table(&self) -> String {
        let bounds = self.resamples > 0;
        let level = format!("{:.0}% interval", self.level * 100.0);
        let name_width = self
            .metrics
            .iter()
            .map(|m| m.name.len())
            .chain([6])
            .max()
            .unwrap_or(6);
        let mut out = String::new();
        let _ = write!(out, "{:<name_width$}  {:>10}", "metric", "value");
        if bounds {
            let _ = write!(out, "  {level:>23}");
        }
        out.push('\n');
        for m in &self.metrics {
            let _ = write!(
                out,
                "{:<name_width$}  {:>10}",
                m.name,
                format_value(m.value)
            );
            if bounds {
                let interval = match (m.lower, m.upper) {
                    (Some(l), Some(u)) if l.is_finite() && u.is_finite() => {
                        format!("[{}, {}]", format_value(l), format_value(u))
                    }
                    _ => "—".to_string(),
                };
                let _ = write!(out, "  {interval:>23}");
            }
            out.push('\n');
        }
        let _ = write!(out, "{} {} rows", self.task, self.rows);
        if bounds {
            let method = match self.method {
                IntervalMethod::Percentile => "percentile",
                IntervalMethod::Bca => "BCa",
            };
            let _ = write!(
                out,
                "; {method} bootstrap, {} resamples, seed {}",
                self.resamples, self.seed
            );
        }
        out.push('\n');
        out
    }
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

/// Evaluates every metric of `task` on `input`, with bootstrap intervals.
///
/// Ranking resamples users (per-user scores are computed once); the other tasks resample
/// rows and recompute all metrics per resample. Forecasting intervals are i.i.d. row
/// resamples, which ignores autocorrelation: read them as a lower bound on uncertainty.
pub fn evaluate(task: Task, input: &EvalInput<'_>, options: &EvalOptions) -> Result<EvalReport> {
    let order = crate::registry::metric_names(task, options.metrics.k);
    let rank = |name: &str| order.iter().position(|n| n == name).unwrap_or(usize::MAX);
    let (rows, mut metrics) = match task {
        Task::Ranking => ranking_report(input, options)?,
        _ => row_report(task, input, options)?,
    };
    metrics.sort_by_key(|m| rank(&m.name));
    Ok(EvalReport {
        task,
        rows,
        resamples: options.bootstrap,
        level: options.level,
        method: options.method,
        seed: options.seed,
        metrics,
    })
}

fn row_report(
    task: Task,
    input: &EvalInput<'_>,
    options: &EvalOptions,
) -> Result<(usize, Vec<MetricRow>)> {
    let values = evaluate_metrics(task, input, &options.metrics)?;
    let n = input.len();
    if options.bootstrap == 0 {
        return Ok((n, rows_without_intervals(values)));
    }
    let bootstrap = options.bootstrapper();
    let on_rows = |rows: &[usize]| -> BTreeMap<String, f64> {
        let resampled = input.gather(rows);
        // A resample can make a metric undefined (one class only); it then drops out.
        evaluate_metrics(
            task,
            &resampled.view(input.training_series),
            &options.metrics,
        )
        .unwrap_or_default()
    };
    let replicates: Vec<BTreeMap<String, f64>> = (0..options.bootstrap)
        .into_par_iter()
        .map(|r| on_rows(&bootstrap.resample_rows(n, r)))
        .collect();
    let jackknife = match options.method {
        IntervalMethod::Percentile => None,
        IntervalMethod::Bca => Some(bootstrap.jackknife_with(n, &on_rows)),
    };
    let rows = values
        .into_iter()
        .map(|(name, value)| {
            let samples: Vec<f64> = replicates
                .iter()
                .map(|m| m.get(&name).copied().unwrap_or(f64::NAN))
                .collect();
            let jack: Option<Vec<f64>> = jackknife.as_ref().map(|j| {
                j.iter()
                    .map(|m| m.get(&name).copied().unwrap_or(f64::NAN))
                    .collect()
            });
            let interval = bootstrap.interval_from(value, samples, jack.as_deref());
            MetricRow {
                name,
                value,
                lower: Some(interval.lower),
                upper: Some(interval.upper),
            }
        })
        .collect();
    Ok((n, rows))
}

fn rows_without_intervals(values: BTreeMap<String, f64>) -> Vec<MetricRow> {
    values
        .into_iter()
        .map(|(name, value)| MetricRow {
            name,
            value,
            lower: None,
            upper: None,
        })
        .collect()
}

/// Reads one metric out of a user's scores.
type UserField = fn(&crate::ranking::UserScores) -> f64;

fn ranking_report(input: &EvalInput<'_>, options: &EvalOptions) -> Result<(usize, Vec<MetricRow>)> {
    let scores = evaluate_ranking(
        &ranking_input(input)?,
        options.metrics.k,
        options.metrics.gain,
    )?;
    let n = scores.per_user.len();
    let named = scores.named();
    if options.bootstrap == 0 {
        return Ok((n, rows_without_intervals(named.into_iter().collect())));
    }
    let bootstrap = options.bootstrapper();
    let k = options.metrics.k;
    let per_metric: Vec<(String, UserField)> = vec![
        (format!("precision@{k}"), |s| s.precision),
        (format!("recall@{k}"), |s| s.recall),
        (format!("ndcg@{k}"), |s| s.ndcg),
        (format!("map@{k}"), |s| s.average_precision),
        (format!("mrr@{k}"), |s| s.reciprocal_rank),
        (format!("hit_rate@{k}"), |s| s.hit),
    ];
    let mut rows = Vec::new();
    for (name, value) in named {
        let interval = match per_metric.iter().find(|(n, _)| *n == name) {
            Some((_, field)) => {
                let mean = |users: &[usize]| {
                    users
                        .iter()
                        .map(|&u| field(&scores.per_user[u]))
                        .sum::<f64>()
                        / users.len() as f64
                };
                let i = bootstrap.interval(n, mean)?;
                (Some(i.lower), Some(i.upper))
            }
            // coverage is a property of the whole set of lists, not a mean over users
            None => (None, None),
        };
        rows.push(MetricRow {
            name,
            value,
            lower: interval.0,
            upper: interval.1,
        });
    }
    Ok((n, rows))
}
