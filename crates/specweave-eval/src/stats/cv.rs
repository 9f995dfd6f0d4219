//! Summaries of a metric across cross-validation folds.

use super::distributions::student_t_quantile;
use crate::error::{EvalError, Result, check_finite};
use serde::{Deserialize, Serialize};

/// Standard deviation across folds above which a summary carries a warning.
pub const UNSTABLE_STD: f64 = 0.1;

/// Mean, spread and interval of one metric over cross-validation folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvSummary {
    /// Metric name.
    pub metric: String,
    /// Value per fold.
    pub folds: Vec<f64>,
    /// Mean over folds.
    pub mean: f64,
    /// Sample standard deviation over folds (n − 1 denominator).
    pub std: f64,
    /// Lower bound of the Student-t interval of the mean.
    pub lower: f64,
    /// Upper bound of the Student-t interval of the mean.
    pub upper: f64,
    /// Confidence level of the interval.
    pub level: f64,
    /// Set when the folds disagree a lot (std above [`UNSTABLE_STD`]).
    pub warning: Option<String>,
}

impl CvSummary {
    /// Summarises fold values at the given confidence level (e.g. 0.95).
    ///
    /// ```
    /// use specweave_eval::stats::CvSummary;
    /// let s = CvSummary::new("roc_auc", &[0.81, 0.83, 0.80, 0.82, 0.84], 0.95)?;
    /// assert!((s.mean - 0.82).abs() < 1e-12);
    /// assert!(s.warning.is_none());
    /// let unstable = CvSummary::new("r2", &[0.1, 0.5, 0.9], 0.95)?;
    /// assert!(unstable.warning.is_some());
    /// # Ok::<(), specweave_eval::EvalError>(())
    /// ```
    pub fn new(metric: &str, folds: &[f64], level: f64) -> Result<Self> {
        check_finite("fold values", folds)?;
        if folds.len() < 2 {
            return Err(EvalError::param(
                "folds",
                "a cross-validation summary needs at least two folds",
            ));
        }
        if !(level > 0.0 && level < 1.0) {
            return Err(EvalError::param(
                "level",
                format!("must be in (0, 1), got {level}"),
            ));
        }
        let n = folds.len() as f64;
        let mean = folds.iter().sum::<f64>() / n;
        let std = (folds.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let half = student_t_quantile(1.0 - (1.0 - level) / 2.0, n - 1.0) * std / n.sqrt();
        let warning = (std > UNSTABLE_STD).then(|| {
            let message = format!(
                "{metric} varies strongly across folds (std {std:.3} > {UNSTABLE_STD}); the estimate is unstable"
            );
            tracing::warn!("{message}");
            message
        });
        Ok(CvSummary {
            metric: metric.to_string(),
            folds: folds.to_vec(),
            mean,
            std,
            lower: mean - half,
            upper: mean + half,
            level,
            warning,
        })
    }
}
