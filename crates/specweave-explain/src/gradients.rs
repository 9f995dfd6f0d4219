//! Gradient attributions for [`Differentiable`] models: Integrated Gradients (Sundararajan
//! et al. 2017) and GradientSHAP (expected gradients over a background set), batched so that
//! a model on an accelerator sees few, large calls.

use crate::{ExplainError, Result};
use ndarray::{Array2, ArrayView1, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use specweave_core::Differentiable;

/// How the path integral of Integrated Gradients is approximated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationRule {
    /// Gauss–Legendre quadrature (the default, as in Captum): exact for polynomial paths up
    /// to degree `2·steps − 1`.
    GaussLegendre,
    /// Riemann sum at interval midpoints.
    Midpoint,
    /// Trapezoidal rule over `steps` equal intervals (`steps + 1` points).
    Trapezoid,
}

/// Attributions of one model output for a batch of rows, with their completeness check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientAttributions {
    /// Attributions, rows × features.
    pub values: Array2<f64>,
    /// The model's raw output for each row.
    pub outputs: Vec<f64>,
    /// The reference output each row's attributions are measured from (the baseline's
    /// output for Integrated Gradients, the mean background output for GradientSHAP).
    pub reference_outputs: Vec<f64>,
    /// Per row, `|Σ attributions − (output − reference)|`: zero for an exact integral.
    pub completeness_error: Vec<f64>,
}

impl GradientAttributions {
    /// The largest completeness error over the rows.
    pub fn max_completeness_error(&self) -> f64 {
        self.completeness_error.iter().fold(0.0, |m, e| m.max(*e))
    }

    fn new(values: Array2<f64>, outputs: Vec<f64>, reference_outputs: Vec<f64>) -> Self {
        let completeness_error = values
            .rows()
            .into_iter()
            .zip(outputs.iter().zip(&reference_outputs))
            .map(|(row, (o, r))| (row.sum() - (o - r)).abs())
            .collect();
        GradientAttributions {
            values,
            outputs,
            reference_outputs,
            completeness_error,
        }
    }
}

/// Integrated Gradients settings.
///
/// ```
/// # use ndarray::{array, Array2, ArrayView2};
/// # use specweave_core::{Differentiable, Result};
/// # struct Linear;
/// # impl Differentiable for Linear {
/// #     fn input_gradients(&self, x: ArrayView2<'_, f64>, _: usize) -> Result<Array2<f64>> {
/// #         Ok(Array2::from_shape_fn(x.dim(), |(_, j)| [2.0, -1.0][j])) }
/// #     fn raw_output(&self, x: ArrayView2<'_, f64>, _: usize) -> Result<Vec<f64>> {
/// #         Ok(x.rows().into_iter().map(|r| 2.0 * r[0] - r[1]).collect()) }
/// # }
/// use specweave_explain::IntegratedGradients;
///
/// let attributions = IntegratedGradients::new()
///     .steps(16)
///     .explain(&Linear, array![[3.0, 1.0]].view(), array![1.0, 0.0].view(), 0)?;
/// assert!((attributions.values[[0, 0]] - 4.0).abs() < 1e-12);
/// assert!((attributions.values[[0, 1]] + 1.0).abs() < 1e-12);
/// assert!(attributions.max_completeness_error() < 1e-12);
/// # Ok::<(), specweave_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct IntegratedGradients {
    steps: usize,
    rule: IntegrationRule,
    batch_points: usize,
}

impl Default for IntegratedGradients {
    fn default() -> Self {
        IntegratedGradients {
            steps: 50,
            rule: IntegrationRule::GaussLegendre,
            batch_points: 8192,
        }
    }
}

impl IntegratedGradients {
    /// 50 Gauss–Legendre steps, 8192 points per model call.
    pub fn new() -> IntegratedGradients {
        IntegratedGradients::default()
    }

    /// Number of integration steps (at least 1).
    pub fn steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self
    }

    /// The integration rule.
    pub fn rule(mut self, rule: IntegrationRule) -> Self {
        self.rule = rule;
        self
    }

    /// Most interpolated points sent to the model in one call.
    pub fn batch_points(mut self, points: usize) -> Self {
        self.batch_points = points;
        self
    }

    /// Attributions of `output` for each row against one `baseline` row.
    pub fn explain(
        &self,
        model: &dyn Differentiable,
        rows: ArrayView2<'_, f64>,
        baseline: ArrayView1<'_, f64>,
        output: usize,
    ) -> Result<GradientAttributions> {
        if self.steps == 0 {
            return Err(ExplainError::param("steps", "needs at least one step"));
        }
        let m = rows.ncols();
        if baseline.len() != m {
            return Err(ExplainError::shape(
                "baseline length vs features",
                m,
                baseline.len(),
            ));
        }
        let (alphas, weights) = quadrature(self.rule, self.steps);
        let per_row = alphas.len();
        let chunk_rows = (self.batch_points / per_row).max(1);
        let mut values = Array2::zeros(rows.dim());
        for start in (0..rows.nrows()).step_by(chunk_rows) {
            let end = (start + chunk_rows).min(rows.nrows());
            let mut points = Array2::zeros(((end - start) * per_row, m));
            for r in start..end {
                for (i, a) in alphas.iter().enumerate() {
                    let mut point = points.row_mut((r - start) * per_row + i);
                    for j in 0..m {
                        point[j] = baseline[j] + a * (rows[[r, j]] - baseline[j]);
                    }
                }
            }
            let gradients = model.input_gradients(points.view(), output)?;
            check_gradients(&gradients, points.nrows(), m)?;
            for r in start..end {
                for j in 0..m {
                    let integral: f64 = weights
                        .iter()
                        .enumerate()
                        .map(|(i, w)| w * gradients[[(r - start) * per_row + i, j]])
                        .sum();
                    values[[r, j]] = (rows[[r, j]] - baseline[j]) * integral;
                }
            }
        }
        let outputs = model.raw_output(rows, output)?;
        let baseline_row = baseline
            .to_owned()
            .into_shape_with_order((1, m))
            .map_err(|e| ExplainError::shape("baseline", m, e))?;
        let reference = model.raw_output(baseline_row.view(), output)?;
        let reference = reference.first().copied().unwrap_or(0.0);
        Ok(GradientAttributions::new(
            values,
            outputs,
            vec![reference; rows.nrows()],
        ))
    }
}

/// GradientSHAP settings: expected gradients along random paths from background rows.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientShap {
    samples: usize,
    noise_std: f64,
    seed: u64,
    batch_points: usize,
}

impl Default for GradientShap {
    fn default() -> Self {
        GradientShap {
            samples: 50,
            noise_std: 0.0,
            seed: 0,
            batch_points: 8192,
        }
    }
}

impl GradientShap {
    /// 50 samples per row, no input noise, seed 0.
    pub fn new() -> GradientShap {
        GradientShap::default()
    }

    /// Random (baseline, position) samples per row.
    pub fn samples(mut self, samples: usize) -> Self {
        self.samples = samples;
        self
    }

    /// Standard deviation of Gaussian noise added to the input of each sample (SmoothGrad).
    pub fn noise_std(mut self, std: f64) -> Self {
        self.noise_std = std;
        self
    }

    /// Seed of the sampler.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Most points sent to the model in one call.
    pub fn batch_points(mut self, points: usize) -> Self {
        self.batch_points = points;
        self
    }

    /// Attributions of `output` for each row; the reference is the mean background output.
    pub fn explain(
        &self,
        model: &dyn Differentiable,
        rows: ArrayView2<'_, f64>,
        background: ArrayView2<'_, f64>,
        output: usize,
    ) -> Result<GradientAttributions> {
        if self.samples == 0 {
            return Err(ExplainError::param("samples", "needs at least one sample"));
        }
        if !(self.noise_std >= 0.0 && self.noise_std.is_finite()) {
            return Err(ExplainError::param("noise_std", "must be finite and >= 0"));
        }
        let m = rows.ncols();
        if background.ncols() != m || background.nrows() == 0 {
            return Err(ExplainError::shape(
                "background",
                format!("at least 1 x {m}"),
                format!("{} x {}", background.nrows(), background.ncols()),
            ));
        }
        let noise = Normal::new(0.0, self.noise_std.max(f64::MIN_POSITIVE))
            .map_err(|e| ExplainError::param("noise_std", e.to_string()))?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let chunk_rows = (self.batch_points / self.samples).max(1);
        let mut values = Array2::zeros(rows.dim());
        for start in (0..rows.nrows()).step_by(chunk_rows) {
            let end = (start + chunk_rows).min(rows.nrows());
            let n_points = (end - start) * self.samples;
            let mut points = Array2::zeros((n_points, m));
            let mut deltas = Array2::zeros((n_points, m));
            for r in start..end {
                for s in 0..self.samples {
                    let p = (r - start) * self.samples + s;
                    let b = rng.random_range(0..background.nrows());
                    let alpha: f64 = rng.random();
                    for j in 0..m {
                        let x = rows[[r, j]]
                            + if self.noise_std > 0.0 {
                                noise.sample(&mut rng)
                            } else {
                                0.0
                            };
                        deltas[[p, j]] = x - background[[b, j]];
                        points[[p, j]] = background[[b, j]] + alpha * deltas[[p, j]];
                    }
                }
            }
            let gradients = model.input_gradients(points.view(), output)?;
            check_gradients(&gradients, n_points, m)?;
            for r in start..end {
                for j in 0..m {
                    let sum: f64 = (0..self.samples)
                        .map(|s| {
                            let p = (r - start) * self.samples + s;
                            gradients[[p, j]] * deltas[[p, j]]
                        })
                        .sum();
                    values[[r, j]] = sum / self.samples as f64;
                }
            }
        }
        let outputs = model.raw_output(rows, output)?;
        let background_outputs = model.raw_output(background, output)?;
        let reference =
            background_outputs.iter().sum::<f64>() / background_outputs.len().max(1) as f64;
        Ok(GradientAttributions::new(
            values,
            outputs,
            vec![reference; rows.nrows()],
        ))
    }
}

fn check_gradients(gradients: &Array2<f64>, rows: usize, features: usize) -> Result<()> {
    if gradients.dim() != (rows, features) {
        return Err(ExplainError::shape(
            "model gradients",
            format!("{rows}x{features}"),
            format!("{}x{}", gradients.nrows(), gradients.ncols()),
        ));
    }
    Ok(())
}

/// Nodes in `[0, 1]` and weights summing to 1 for the rule.
fn quadrature(rule: IntegrationRule, steps: usize) -> (Vec<f64>, Vec<f64>) {
    let n = steps as f64;
    match rule {
        IntegrationRule::Midpoint => (
            (0..steps).map(|i| (i as f64 + 0.5) / n).collect(),
            vec![1.0 / n; steps],
        ),
        IntegrationRule::Trapezoid => {
            let alphas = (0..=steps).map(|i| i as f64 / n).collect();
            let mut weights = vec![1.0 / n; steps + 1];
            weights[0] /= 2.0;
            weights[steps] /= 2.0;
            (alphas, weights)
        }
        IntegrationRule::GaussLegendre => gauss_legendre(steps),
    }
}

/// Gauss–Legendre nodes and weights mapped from `[−1, 1]` to `[0, 1]` (Newton iteration on
/// the Legendre polynomial from Chebyshev starting points).
fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut derivative = 1.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for k in 2..=n {
                let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                p0 = p1;
                p1 = p2;
            }
            let pn = if n == 1 { x } else { p1 };
            let pn_minus_1 = if n == 1 { 1.0 } else { p0 };
            derivative = n as f64 * (x * pn - pn_minus_1) / (x * x - 1.0);
            let step = pn / derivative;
            x -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        let w = 2.0 / ((1.0 - x * x) * derivative * derivative);
        nodes[i] = (1.0 - x) / 2.0;
        nodes[n - 1 - i] = (1.0 + x) / 2.0;
        weights[i] = w / 2.0;
        weights[n - 1 - i] = w / 2.0;
    }
    (nodes, weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        for n in [1, 2, 5, 50] {
            let (x, w) = gauss_legendre(n);
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-13, "n = {n}");
            let degree = (2 * n - 1).min(9) as i32;
            let integral: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(degree)).sum();
            assert!(
                (integral - 1.0 / (degree + 1) as f64).abs() < 1e-12,
                "n = {n}"
            );
        }
    }
}
