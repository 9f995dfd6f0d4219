//! Power analysis for A/B tests, matching statsmodels: `NormalIndPower` (two-proportion
//! z-test on Cohen's h) and `TTestIndPower` (two-sample t-test on Cohen's d, with the
//! noncentral t distribution), both two-sided with `nobs2 = ratio * nobs1`.
//!
//! ```
//! use specweave_docs::power::{proportion_effect_size, z_test_sample_size};
//! // detect a lift from 10% to 12% conversion at alpha 0.05 and power 0.8
//! let h = proportion_effect_size(0.12, 0.10)?;
//! let n = z_test_sample_size(h, 0.05, 0.8, 1.0)?;
//! assert!((n - 3834.6).abs() < 1.0);
//! # Ok::<(), specweave_docs::DocsError>(())
//! ```

use crate::error::{DocsError, Result};
use specweave_eval::stats::distributions::{normal_cdf, normal_quantile, student_t_quantile};

/// Cohen's h between two proportions, statsmodels' `proportion_effectsize`:
/// `2 asin(sqrt(p1)) - 2 asin(sqrt(p2))`.
pub fn proportion_effect_size(p1: f64, p2: f64) -> Result<f64> {
    for (name, p) in [("p1", p1), ("p2", p2)] {
        if !(0.0..=1.0).contains(&p) {
            return Err(DocsError::invalid(name, format!("{p} is not a proportion")));
        }
    }
    Ok(2.0 * p1.sqrt().asin() - 2.0 * p2.sqrt().asin())
}

fn check(effect: f64, alpha: f64, power: f64, ratio: f64) -> Result<()> {
    if !effect.is_finite() || effect == 0.0 {
        return Err(DocsError::invalid(
            "effect size",
            "must be finite and non-zero",
        ));
    }
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(DocsError::invalid(
            "alpha",
            format!("{alpha} is not in (0, 1)"),
        ));
    }
    if !(power > alpha && power < 1.0) {
        return Err(DocsError::invalid(
            "power",
            format!("{power} is not in (alpha, 1)"),
        ));
    }
    if !(ratio.is_finite() && ratio > 0.0) {
        return Err(DocsError::invalid(
            "ratio",
            format!("{ratio} must be positive"),
        ));
    }
    Ok(())
}

/// Power of the two-sided z-test with `nobs1` rows in the first arm.
pub fn z_test_power(effect: f64, nobs1: f64, alpha: f64, ratio: f64) -> f64 {
    let crit = normal_quantile(1.0 - alpha / 2.0);
    let d = effect.abs() * (nobs1 * ratio / (1.0 + ratio)).sqrt();
    (1.0 - normal_cdf(crit - d)) + normal_cdf(-crit - d)
}

/// Rows needed in the first arm of a two-sided z-test (statsmodels' `NormalIndPower().
/// solve_power(effect, alpha=alpha, power=power, ratio=ratio)`), not rounded.
pub fn z_test_sample_size(effect: f64, alpha: f64, power: f64, ratio: f64) -> Result<f64> {
    check(effect, alpha, power, ratio)?;
    Ok(solve_increasing(
        |n| z_test_power(effect, n, alpha, ratio) - power,
        1e-6,
    ))
}

/// Power of the two-sided two-sample t-test with `nobs1` rows in the first arm.
pub fn t_test_power(effect: f64, nobs1: f64, alpha: f64, ratio: f64) -> f64 {
    let nobs2 = nobs1 * ratio;
    let df = nobs1 + nobs2 - 2.0;
    if df <= 0.0 {
        return alpha;
    }
    let nc = effect.abs() * (nobs1 * nobs2 / (nobs1 + nobs2)).sqrt();
    let crit = student_t_quantile(1.0 - alpha / 2.0, df);
    (1.0 - noncentral_t_cdf(crit, df, nc)) + noncentral_t_cdf(-crit, df, nc)
}

/// Rows needed in the first arm of a two-sided two-sample t-test (statsmodels'
/// `TTestIndPower().solve_power(effect, alpha=alpha, power=power, ratio=ratio)`).
pub fn t_test_sample_size(effect: f64, alpha: f64, power: f64, ratio: f64) -> Result<f64> {
    check(effect, alpha, power, ratio)?;
    Ok(solve_increasing(
        |n| t_test_power(effect, n, alpha, ratio) - power,
        1.0 + 1e-9,
    ))
}

/// Root of an increasing function of the sample size, by bracketing then bisection.
fn solve_increasing(f: impl Fn(f64) -> f64, low: f64) -> f64 {
    let mut lo = low.max(1e-9);
    let mut hi = lo.max(2.0);
    while f(hi) < 0.0 && hi < 1e12 {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-10 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// CDF of the noncentral t distribution: `P(T <= t)` for `T = (Z + nc) / sqrt(V / df)`,
/// integrating `Phi(t sqrt(v/df) - nc)` against the chi-square density of `V` with
/// composite Simpson's rule on `u = sqrt(v)`, which smooths the density near zero.
fn noncentral_t_cdf(t: f64, df: f64, nc: f64) -> f64 {
    const STEPS: usize = 4000;
    let ln_norm = (df / 2.0) * std::f64::consts::LN_2 + libm::lgamma(df / 2.0);
    // V concentrates on df ± a few sqrt(2 df); cover it generously
    let upper = (df + 40.0 * (2.0 * df).sqrt() + 40.0).sqrt();
    let lower = (df - 40.0 * (2.0 * df).sqrt()).max(0.0).sqrt();
    let integrand = |u: f64| {
        if u <= 0.0 {
            return 0.0;
        }
        let v = u * u;
        // density of V at v times dv/du = 2u
        let ln_density = (df / 2.0 - 1.0) * v.ln() - v / 2.0 - ln_norm;
        normal_cdf(t * (v / df).sqrt() - nc) * ln_density.exp() * 2.0 * u
    };
    let h = (upper - lower) / STEPS as f64;
    let mut sum = integrand(lower) + integrand(upper);
    for i in 1..STEPS {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * integrand(lower + i as f64 * h);
    }
    (sum * h / 3.0).clamp(0.0, 1.0)
}

/// A sample-size plan for one A/B metric.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleSize {
    /// Which test: `two-proportion z-test` or `two-sample t-test`.
    pub test: &'static str,
    /// Standardised effect size (Cohen's h or d).
    pub effect_size: f64,
    /// Significance level (two-sided).
    pub alpha: f64,
    /// Target power.
    pub power: f64,
    /// Rows per arm, rounded up.
    pub per_arm: u64,
}

/// Sample size per arm (equal arms) to detect a change of a conversion rate from
/// `baseline` to `baseline + lift` with a two-proportion z-test.
pub fn proportion_plan(baseline: f64, lift: f64, alpha: f64, power: f64) -> Result<SampleSize> {
    let effect = proportion_effect_size(baseline + lift, baseline)?;
    let n = z_test_sample_size(effect, alpha, power, 1.0)?;
    Ok(SampleSize {
        test: "two-proportion z-test",
        effect_size: effect,
        alpha,
        power,
        per_arm: n.ceil() as u64,
    })
}

/// Sample size per arm (equal arms) to detect a shift of a mean by `delta` when the
/// metric's standard deviation is `std_dev`, with a two-sample t-test.
pub fn mean_plan(delta: f64, std_dev: f64, alpha: f64, power: f64) -> Result<SampleSize> {
    if !(std_dev.is_finite() && std_dev > 0.0) {
        return Err(DocsError::invalid(
            "standard deviation",
            format!("{std_dev} must be positive"),
        ));
    }
    let effect = delta / std_dev;
    let n = t_test_sample_size(effect, alpha, power, 1.0)?;
    Ok(SampleSize {
        test: "two-sample t-test",
        effect_size: effect,
        alpha,
        power,
        per_arm: n.ceil() as u64,
    })
}
