//! Special functions, distributions and least squares used by the models and tests.
//!
//! Kept small and private: the normal and chi-square distributions through the regularised
//! incomplete gamma function (Numerical Recipes §6.2), and ordinary least squares by
//! Householder QR, which is what the unit-root tests need for their t-statistics.

use crate::{ForecastError, Result};

const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// ln Γ(x) for x > 0 (Lanczos, g = 7), accurate to about 1e-15 relative.
pub(crate) fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        // reflection keeps the series in its accurate range
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = LANCZOS[0];
    for (i, &c) in LANCZOS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a).
pub(crate) fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let log_prefix = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        // series for P(a, x)
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut ap = a;
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        1.0 - sum * log_prefix.exp()
    } else {
        // Lentz's continued fraction for Q(a, x)
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        log_prefix.exp() * h
    }
}

/// Survival function of the chi-square distribution with `df` degrees of freedom.
pub(crate) fn chi2_sf(statistic: f64, df: f64) -> f64 {
    gamma_q(0.5 * df, 0.5 * statistic)
}

// The normal CDF and quantile are the evaluation crate's (erfc from libm; Acklam's
// approximation refined by a Halley step), so both crates share one implementation.
pub(crate) use specweave_eval::stats::distributions::{normal_cdf, normal_quantile};

/// The two-sided normal multiplier for a central interval of coverage `level` (e.g. 1.96 for 0.95).
pub(crate) fn z_for_level(level: f64) -> Result<f64> {
    if !(level > 0.0 && level < 1.0) {
        return Err(ForecastError::parameter(
            "level",
            format!("interval level must lie strictly between 0 and 1, got {level}"),
        ));
    }
    Ok(normal_quantile(0.5 + 0.5 * level))
}

/// Linear interpolation quantile of a sample (numpy's default "linear" method).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let fraction = position - below as f64;
    sorted[below] + fraction * (sorted[above] - sorted[below])
}

/// The fit of an ordinary least-squares regression.
#[derive(Debug, Clone)]
pub(crate) struct OlsFit {
    /// Coefficients, one per regressor column.
    pub coefficients: Vec<f64>,
    /// Residual sum of squares.
    pub sse: f64,
    /// Diagonal of (XᵀX)⁻¹, which scales the coefficient variances.
    pub inverse_gram_diagonal: Vec<f64>,
    /// Number of observations.
    pub n: usize,
}

impl OlsFit {
    /// t-statistic of coefficient `j` with the usual σ² = SSE / (n − k).
    pub fn t_value(&self, j: usize) -> f64 {
        let k = self.coefficients.len();
        let sigma2 = self.sse / (self.n - k) as f64;
        self.coefficients[j] / (sigma2 * self.inverse_gram_diagonal[j]).sqrt()
    }

    /// Akaike's criterion with the Gaussian log-likelihood, as statsmodels' OLS reports it.
    pub fn aic(&self) -> f64 {
        let n = self.n as f64;
        let llf = -0.5 * n * ((2.0 * std::f64::consts::PI).ln() + (self.sse / n).ln() + 1.0);
        -2.0 * llf + 2.0 * self.coefficients.len() as f64
    }
}

/// Least squares of `y` on the columns of the row-major `x` (`n` rows × `k` columns).
pub(crate) fn least_squares(x: &[Vec<f64>], y: &[f64], what: &str) -> Result<OlsFit> {
    let n = y.len();
    let k = x.first().map_or(0, Vec::len);
    if n <= k || x.len() != n {
        return Err(ForecastError::Numerical {
            what: what.into(),
            reason: format!("regression with {n} observations and {k} regressors"),
        });
    }
    // Householder QR on a column-major copy: a[j] is column j.
    let mut a: Vec<Vec<f64>> = (0..k)
        .map(|j| x.iter().map(|row| row[j]).collect())
        .collect();
    let mut b = y.to_vec();
    let scale = a
        .iter()
        .flat_map(|c| c.iter())
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(1.0);
    for j in 0..k {
        let norm = a[j][j..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm <= 1e-12 * scale {
            return Err(ForecastError::Numerical {
                what: what.into(),
                reason: format!("regressor column {j} is collinear with the others"),
            });
        }
        let alpha = if a[j][j] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = a[j][j..].to_vec();
        v[0] -= alpha;
        let v_norm2: f64 = v.iter().map(|t| t * t).sum();
        let apply = |col: &mut [f64]| {
            let dot: f64 = v.iter().zip(col.iter()).map(|(p, q)| p * q).sum();
            let f = 2.0 * dot / v_norm2;
            for (c, p) in col.iter_mut().zip(v.iter()) {
                *c -= f * p;
            }
        };
        for col in a.iter_mut().skip(j) {
            apply(&mut col[j..]);
        }
        apply(&mut b[j..]);
    }
    // back substitution R β = Qᵀy
    let mut coefficients = vec![0.0; k];
    for i in (0..k).rev() {
        let mut s = b[i];
        for (j, coefficient) in coefficients.iter().enumerate().skip(i + 1) {
            s -= a[j][i] * coefficient;
        }
        coefficients[i] = s / a[i][i];
    }
    let sse = b[k..].iter().map(|v| v * v).sum();
    // R⁻¹ (upper triangular); diag((XᵀX)⁻¹) = row norms² of R⁻¹
    let mut r_inv = vec![vec![0.0; k]; k];
    for col in 0..k {
        for i in (0..=col).rev() {
            let mut s = if i == col { 1.0 } else { 0.0 };
            for (j, row) in r_inv.iter().enumerate().take(col + 1).skip(i + 1) {
                s -= a[j][i] * row[col];
            }
            r_inv[i][col] = s / a[i][i];
        }
    }
    let inverse_gram_diagonal = r_inv
        .iter()
        .map(|row| row.iter().map(|v| v * v).sum())
        .collect();
    Ok(OlsFit {
        coefficients,
        sse,
        inverse_gram_diagonal,
        n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_match_reference_values() {
        // scipy.stats: norm.cdf(1.5), norm.ppf(0.975), chi2.sf(10, 4), chi2.sf(3.2, 1)
        assert!((normal_cdf(1.5) - 0.933_192_798_731_141_9).abs() < 1e-13);
        assert!((normal_cdf(-2.0) - 0.022_750_131_948_179_2).abs() < 1e-13);
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813_6).abs() < 1e-11);
        assert!((chi2_sf(10.0, 4.0) - 0.040_427_681_994_512_8).abs() < 1e-13);
        assert!((chi2_sf(3.2, 1.0) - 0.073_638_270_120_302_58).abs() < 1e-12);
        assert!((ln_gamma(10.0) - 362_880.0_f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn least_squares_recovers_a_line_and_its_standard_errors() -> Result<()> {
        let x: Vec<Vec<f64>> = (0..5).map(|i| vec![1.0, i as f64]).collect();
        let y = [1.0, 3.1, 4.9, 7.2, 8.8];
        let fit = least_squares(&x, &y, "test")?;
        // numpy.polyfit / statsmodels OLS on the same data
        assert!((fit.coefficients[1] - 1.97).abs() < 1e-12);
        assert!((fit.coefficients[0] - 1.06).abs() < 1e-12);
        assert!((fit.inverse_gram_diagonal[1] - 0.1).abs() < 1e-12);
        assert!(
            least_squares(
                &[vec![1.0, 2.0], vec![2.0, 4.0], vec![3.0, 6.0]],
                &[1.0, 2.0, 3.0],
                "t"
            )
            .is_err()
        );
        Ok(())
    }
}
