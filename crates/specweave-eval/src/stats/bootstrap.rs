//! Seeded, parallel bootstrap: confidence intervals (percentile and BCa) of any statistic
//! of rows, and the paired bootstrap of the difference between two models on the same rows.
//!
//! Replicate `r` draws its rows from a ChaCha8 generator seeded with the seed and using
//! stream `r`, so results are identical for any number of threads.

use super::distributions::{normal_cdf, normal_quantile};
use crate::error::{EvalError, Result};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How the interval is read off the bootstrap distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalMethod {
    /// Quantiles of the replicates (NumPy's linear interpolation).
    #[default]
    Percentile,
    /// Bias-corrected and accelerated (Efron 1987), acceleration from a jackknife.
    Bca,
}

/// A point estimate with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The statistic on all rows.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// Standard deviation of the replicates.
    pub std_error: f64,
    /// Replicates with a finite value (a resample can make a statistic undefined, e.g. an
    /// AUC of a resample with one class; those are left out).
    pub resamples: usize,
}

/// Bootstrap configuration (a builder; every setter validates nothing until use).
///
/// ```
/// use specweave_eval::stats::{Bootstrap, IntervalMethod};
/// let values: Vec<f64> = (0..200).map(|i| (i % 17) as f64).collect();
/// let mean = |rows: &[usize]| rows.iter().map(|&i| values[i]).sum::<f64>() / rows.len() as f64;
/// let ci = Bootstrap::new().resamples(500).seed(3).method(IntervalMethod::Bca).interval(values.len(), mean)?;
/// assert!(ci.lower < ci.estimate && ci.estimate < ci.upper);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bootstrap {
    resamples: usize,
    level: f64,
    seed: u64,
    method: IntervalMethod,
    jackknife_groups: usize,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Self::new()
    }
}

impl Bootstrap {
    /// 1000 resamples, 95% level, seed 0, percentile intervals, jackknife up to 500 groups.
    pub fn new() -> Self {
        Bootstrap {
            resamples: 1000,
            level: 0.95,
            seed: 0,
            method: IntervalMethod::Percentile,
            jackknife_groups: 500,
        }
    }

    /// Number of bootstrap replicates.
    pub fn resamples(mut self, resamples: usize) -> Self {
        self.resamples = resamples;
        self
    }

    /// Confidence level in (0, 1).
    pub fn level(mut self, level: f64) -> Self {
        self.level = level;
        self
    }

    /// Random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Interval method.
    pub fn method(mut self, method: IntervalMethod) -> Self {
        self.method = method;
        self
    }

    /// Most leave-one-group-out evaluations BCa's jackknife may use. With more rows than
    /// groups, rows are assigned to groups at random (a delete-d jackknife), which keeps the
    /// cost at `groups` evaluations instead of one per row.
    pub fn jackknife_groups(mut self, groups: usize) -> Self {
        self.jackknife_groups = groups;
        self
    }

    fn validate(&self, n: usize) -> Result<()> {
        if self.resamples < 2 {
            return Err(EvalError::param(
                "resamples",
                "need at least 2 bootstrap resamples",
            ));
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return Err(EvalError::param(
                "level",
                format!("must be in (0, 1), got {}", self.level),
            ));
        }
        if self.jackknife_groups < 2 {
            return Err(EvalError::param(
                "jackknife_groups",
                "need at least 2 groups",
            ));
        }
        if n == 0 {
            return Err(EvalError::Empty("cannot bootstrap zero rows".into()));
        }
        Ok(())
    }

    /// The rows of replicate `r` (drawn with replacement from `0..n`).
    pub fn resample_rows(&self, n: usize, replicate: usize) -> Vec<usize> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(replicate as u64);
        (0..n).map(|_| rng.random_range(0..n)).collect()
    }

    /// The statistic on each replicate, in replicate order (computed in parallel).
    pub fn replicates<F>(&self, n: usize, statistic: F) -> Result<Vec<f64>>
    where
        F: Fn(&[usize]) -> f64 + Sync,
    {
        self.validate(n)?;
        Ok((0..self.resamples)
            .into_par_iter()
            .map(|r| statistic(&self.resample_rows(n, r)))
            .collect())
    }

    /// Confidence interval of `statistic` over `n` rows.
    pub fn interval<F>(&self, n: usize, statistic: F) -> Result<Interval>
    where
        F: Fn(&[usize]) -> f64 + Sync,
    {
        let all: Vec<usize> = (0..n).collect();
        let estimate = statistic(&all);
        let replicates = self.replicates(n, &statistic)?;
        let jackknife = match self.method {
            IntervalMethod::Percentile => None,
            IntervalMethod::Bca => Some(self.jackknife(n, &statistic)),
        };
        Ok(self.interval_from(estimate, replicates, jackknife.as_deref()))
    }

    /// Builds the interval from precomputed replicates (and jackknife values for BCa).
    pub fn interval_from(
        &self,
        estimate: f64,
        replicates: Vec<f64>,
        jackknife: Option<&[f64]>,
    ) -> Interval {
        let mut finite: Vec<f64> = replicates.into_iter().filter(|v| v.is_finite()).collect();
        finite.sort_by(f64::total_cmp);
        let alpha = (1.0 - self.level) / 2.0;
        let (lo_q, hi_q) = match (self.method, jackknife) {
            (IntervalMethod::Bca, Some(jack)) if estimate.is_finite() => {
                bca_quantiles(estimate, &finite, jack, alpha)
            }
            _ => (alpha, 1.0 - alpha),
        };
        Interval {
            estimate,
            lower: quantile_sorted(&finite, lo_q),
            upper: quantile_sorted(&finite, hi_q),
            level: self.level,
            std_error: std_dev(&finite),
            resamples: finite.len(),
        }
    }

    /// Leave-one-group-out values of the statistic (one per row when `n` is small).
    pub fn jackknife<F>(&self, n: usize, statistic: &F) -> Vec<f64>
    where
        F: Fn(&[usize]) -> f64 + Sync,
    {
        self.jackknife_with(n, statistic)
    }

    /// Leave-one-group-out evaluations of any function of the kept rows, in group order.
    pub fn jackknife_with<T, F>(&self, n: usize, evaluate: &F) -> Vec<T>
    where
        T: Send,
        F: Fn(&[usize]) -> T + Sync,
    {
        let groups = self.jackknife_groups.min(n);
        let group_of: Vec<usize> = if groups == n {
            (0..n).collect()
        } else {
            let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x6a09_e667_f3bc_c908);
            // a random balanced assignment: shuffle then deal rows round-robin
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
            let mut group_of = vec![0; n];
            for (position, &row) in order.iter().enumerate() {
                group_of[row] = position % groups;
            }
            group_of
        };
        (0..groups)
            .into_par_iter()
            .map(|g| {
                let kept: Vec<usize> = (0..n).filter(|&i| group_of[i] != g).collect();
                evaluate(&kept)
            })
            .collect()
    }

    /// Paired bootstrap of `statistic_a − statistic_b` over the same resampled rows.
    ///
    /// The p-value is two-sided: twice the share of replicates on the far side of zero.
    ///
    /// ```
    /// use specweave_eval::stats::Bootstrap;
    /// let errors_a: Vec<f64> = (0..300).map(|i| (i % 7) as f64).collect();
    /// let errors_b: Vec<f64> = errors_a.iter().map(|e| e + 1.0).collect();
    /// let mean = |v: &[f64], rows: &[usize]| rows.iter().map(|&i| v[i]).sum::<f64>() / rows.len() as f64;
    /// let test = Bootstrap::new().resamples(300).paired(300, |r| mean(&errors_a, r), |r| mean(&errors_b, r))?;
    /// assert!((test.difference.estimate + 1.0).abs() < 1e-12);
    /// assert!(test.p_value < 0.01);
    /// # Ok::<(), specweave_eval::EvalError>(())
    /// ```
    pub fn paired<A, B>(&self, n: usize, statistic_a: A, statistic_b: B) -> Result<PairedBootstrap>
    where
        A: Fn(&[usize]) -> f64 + Sync,
        B: Fn(&[usize]) -> f64 + Sync,
    {
        let difference = |rows: &[usize]| statistic_a(rows) - statistic_b(rows);
        let all: Vec<usize> = (0..n).collect();
        let estimate = difference(&all);
        let replicates = self.replicates(n, difference)?;
        let finite: Vec<f64> = replicates
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        let below = finite.iter().filter(|&&d| d <= 0.0).count() as f64;
        let above = finite.iter().filter(|&&d| d >= 0.0).count() as f64;
        let p_value = (2.0 * below.min(above) / finite.len() as f64).min(1.0);
        let jackknife = match self.method {
            IntervalMethod::Percentile => None,
            IntervalMethod::Bca => Some(self.jackknife(n, &difference)),
        };
        Ok(PairedBootstrap {
            difference: self.interval_from(estimate, replicates, jackknife.as_deref()),
            p_value,
        })
    }
}

/// Result of a paired bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedBootstrap {
    /// The difference (a − b) with its interval.
    pub difference: Interval,
    /// Two-sided p-value of "no difference".
    pub p_value: f64,
}

fn bca_quantiles(estimate: f64, sorted: &[f64], jackknife: &[f64], alpha: f64) -> (f64, f64) {
    let b = sorted.len() as f64;
    let below = sorted.partition_point(|&v| v < estimate) as f64;
    let z0 = normal_quantile(below / b);
    let jack: Vec<f64> = jackknife
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let mean = jack.iter().sum::<f64>() / jack.len() as f64;
    let num: f64 = jack.iter().map(|v| (mean - v).powi(3)).sum();
    let den: f64 = jack.iter().map(|v| (mean - v).powi(2)).sum();
    let acceleration = if den > 0.0 {
        num / (6.0 * den.powf(1.5))
    } else {
        0.0
    };
    let adjust = |z_alpha: f64| {
        let t = z0 + z_alpha;
        normal_cdf(z0 + t / (1.0 - acceleration * t))
    };
    if !z0.is_finite() {
        // every replicate on one side of the estimate: BCa is undefined; fall back
        return (alpha, 1.0 - alpha);
    }
    (
        adjust(normal_quantile(alpha)),
        adjust(normal_quantile(1.0 - alpha)),
    )
}

/// Quantile of sorted values with NumPy's default linear interpolation; NaN when empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

fn std_dev(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::NAN;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}
