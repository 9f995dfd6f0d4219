//! Tests between two models evaluated on the same rows: permutation test, McNemar's test
//! for classifiers and DeLong's test for the difference of two ROC AUCs.

use super::distributions::{chi2_1_sf, normal_two_sided_p};
use crate::classification::check_binary;
use crate::error::{EvalError, Result, check_len};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A test statistic with its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The observed statistic.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Paired permutation test of `metric(a) − metric(b)`: each permutation swaps the two
/// models' predictions on every row with probability ½ (seeded, parallel).
///
/// p = (1 + #{|d*| ≥ |d|}) / (permutations + 1).
///
/// ```
/// use specweave_eval::stats::permutation_test;
/// let y: Vec<f64> = (0..100).map(|i| (i % 10) as f64).collect();
/// let good: Vec<f64> = y.iter().map(|v| v + 0.1).collect();
/// let bad: Vec<f64> = y.iter().map(|v| v + 2.0).collect();
/// let mae = |p: &[f64]| p.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum::<f64>() / p.len() as f64;
/// let test = permutation_test(&good, &bad, 999, 1, mae)?;
/// assert!(test.p_value < 0.01);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn permutation_test<F>(
    predictions_a: &[f64],
    predictions_b: &[f64],
    permutations: usize,
    seed: u64,
    metric: F,
) -> Result<TestResult>
where
    F: Fn(&[f64]) -> f64 + Sync,
{
    check_len(
        "predictions of the second model",
        predictions_a.len(),
        predictions_b.len(),
    )?;
    if permutations == 0 {
        return Err(EvalError::param(
            "permutations",
            "need at least one permutation",
        ));
    }
    let observed = metric(predictions_a) - metric(predictions_b);
    let extreme = (0..permutations)
        .into_par_iter()
        .filter(|&r| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(r as u64);
            let mut a = predictions_a.to_vec();
            let mut b = predictions_b.to_vec();
            for i in 0..a.len() {
                if rng.random_bool(0.5) {
                    std::mem::swap(&mut a[i], &mut b[i]);
                }
            }
            let d = metric(&a) - metric(&b);
            // a small tolerance so exact ties with the observed value count as extreme
            d.abs() >= observed.abs() - 1e-12 * observed.abs().max(1.0)
        })
        .count();
    Ok(TestResult {
        statistic: observed,
        p_value: (1.0 + extreme as f64) / (permutations as f64 + 1.0),
    })
}

/// McNemar's test on the rows where exactly one of two classifiers is right.
///
/// With b = rows only A gets right and c = rows only B gets right: when b + c < 25 the exact
/// binomial test (statistic = min(b, c)); otherwise the chi-squared statistic with
/// continuity correction (|b − c| − 1)² / (b + c). No discordant rows gives p = 1.
///
/// ```
/// use specweave_eval::stats::mcnemar;
/// let y = [1, 1, 1, 1, 0, 0, 0, 0];
/// let a = [1, 1, 1, 1, 0, 0, 0, 0];
/// let b = [1, 0, 1, 0, 0, 1, 0, 0];
/// let test = mcnemar(&y, &a, &b)?;
/// assert_eq!(test.statistic, 0.0);
/// assert!((test.p_value - 0.25).abs() < 1e-12);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn mcnemar(
    y_true: &[usize],
    predictions_a: &[usize],
    predictions_b: &[usize],
) -> Result<TestResult> {
    check_len(
        "predictions of the first model",
        y_true.len(),
        predictions_a.len(),
    )?;
    check_len(
        "predictions of the second model",
        y_true.len(),
        predictions_b.len(),
    )?;
    let (mut only_a, mut only_b) = (0u64, 0u64);
    for ((&y, &a), &b) in y_true.iter().zip(predictions_a).zip(predictions_b) {
        match (a == y, b == y) {
            (true, false) => only_a += 1,
            (false, true) => only_b += 1,
            _ => {}
        }
    }
    let discordant = only_a + only_b;
    if discordant == 0 {
        return Ok(TestResult {
            statistic: 0.0,
            p_value: 1.0,
        });
    }
    if discordant < 25 {
        let smaller = only_a.min(only_b);
        let tail: f64 = (0..=smaller)
            .map(|i| binomial_half_pmf(discordant, i))
            .sum();
        return Ok(TestResult {
            statistic: smaller as f64,
            p_value: (2.0 * tail).min(1.0),
        });
    }
    let diff = (only_a as f64 - only_b as f64).abs() - 1.0;
    let statistic = diff.max(0.0).powi(2) / discordant as f64;
    Ok(TestResult {
        statistic,
        p_value: chi2_1_sf(statistic),
    })
}

fn binomial_half_pmf(n: u64, k: u64) -> f64 {
    let ln_choose = libm::lgamma(n as f64 + 1.0)
        - libm::lgamma(k as f64 + 1.0)
        - libm::lgamma((n - k) as f64 + 1.0);
    (ln_choose - n as f64 * std::f64::consts::LN_2).exp()
}

/// Result of DeLong's test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DelongResult {
    /// ROC AUC of the first model.
    pub auc_a: f64,
    /// ROC AUC of the second model.
    pub auc_b: f64,
    /// Standard error of `auc_a − auc_b`.
    pub std_error: f64,
    /// z statistic of the difference.
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// DeLong's test (DeLong, DeLong & Clarke-Pearson 1988) of two correlated ROC AUCs on the
/// same rows, with the O(n log n) midrank algorithm of Sun & Xu (2014).
///
/// ```
/// use specweave_eval::stats::delong;
/// let y = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0];
/// let a = [0.1, 0.2, 0.3, 0.8, 0.9, 0.7, 0.4, 0.6];
/// let b = [0.5, 0.2, 0.7, 0.4, 0.9, 0.3, 0.6, 0.8];
/// let test = delong(&y, &a, &b)?;
/// assert_eq!(test.auc_a, 1.0);
/// assert!(test.p_value > 0.0 && test.p_value < 1.0);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn delong(y_true: &[f64], scores_a: &[f64], scores_b: &[f64]) -> Result<DelongResult> {
    check_binary(y_true, scores_a, None)?;
    check_binary(y_true, scores_b, None)?;
    let m = y_true.iter().filter(|&&y| y == 1.0).count();
    let n = y_true.len() - m;
    if m < 2 || n < 2 {
        return Err(EvalError::Empty(format!(
            "DeLong's test needs at least two positives and two negatives ({m} and {n} given)"
        )));
    }
    let components = |scores: &[f64]| {
        let pos: Vec<f64> = scores
            .iter()
            .zip(y_true)
            .filter(|p| *p.1 == 1.0)
            .map(|p| *p.0)
            .collect();
        let neg: Vec<f64> = scores
            .iter()
            .zip(y_true)
            .filter(|p| *p.1 == 0.0)
            .map(|p| *p.0)
            .collect();
        let tx = midranks(&pos);
        let ty = midranks(&neg);
        let all: Vec<f64> = pos.iter().chain(&neg).copied().collect();
        let tz = midranks(&all);
        let auc = (tz[..m].iter().sum::<f64>() - (m * (m + 1)) as f64 / 2.0) / (m * n) as f64;
        let v01: Vec<f64> = (0..m).map(|i| (tz[i] - tx[i]) / n as f64).collect();
        let v10: Vec<f64> = (0..n)
            .map(|j| 1.0 - (tz[m + j] - ty[j]) / m as f64)
            .collect();
        (auc, v01, v10)
    };
    let (auc_a, v01_a, v10_a) = components(scores_a);
    let (auc_b, v01_b, v10_b) = components(scores_b);
    let cov = |x: &[f64], y: &[f64]| {
        let mx = x.iter().sum::<f64>() / x.len() as f64;
        let my = y.iter().sum::<f64>() / y.len() as f64;
        x.iter()
            .zip(y)
            .map(|(a, b)| (a - mx) * (b - my))
            .sum::<f64>()
            / (x.len() - 1) as f64
    };
    let var = (cov(&v01_a, &v01_a) + cov(&v01_b, &v01_b) - 2.0 * cov(&v01_a, &v01_b)) / m as f64
        + (cov(&v10_a, &v10_a) + cov(&v10_b, &v10_b) - 2.0 * cov(&v10_a, &v10_b)) / n as f64;
    let std_error = var.max(0.0).sqrt();
    let diff = auc_a - auc_b;
    let (z, p_value) = if std_error > 0.0 {
        let z = diff / std_error;
        (z, normal_two_sided_p(z))
    } else if diff == 0.0 {
        (0.0, 1.0)
    } else {
        (diff.signum() * f64::INFINITY, 0.0)
    };
    Ok(DelongResult {
        auc_a,
        auc_b,
        std_error,
        z,
        p_value,
    })
}

/// 1-based ranks with ties given their average rank.
fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &idx in &order[i..=j] {
            ranks[idx] = rank;
        }
        i = j + 1;
    }
    ranks
}
