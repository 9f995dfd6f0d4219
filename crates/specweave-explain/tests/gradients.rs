//! Integrated Gradients and GradientSHAP on models with known attributions.

#![allow(clippy::needless_range_loop)] // index loops mirror the formulas

use ndarray::{Array1, Array2, ArrayView2, array};
use specweave_core::{Differentiable, Result};
use specweave_explain::{GradientShap, IntegratedGradients, IntegrationRule};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `f_k(x) = w_k · x + c_k`, counting the gradient calls it serves.
struct Linear {
    weights: Array2<f64>,
    bias: Vec<f64>,
    calls: AtomicUsize,
}

impl Differentiable for Linear {
    fn input_gradients(&self, features: ArrayView2<'_, f64>, output: usize) -> Result<Array2<f64>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let w = self.weights.row(output);
        Ok(Array2::from_shape_fn(features.dim(), |(_, j)| w[j]))
    }

    fn raw_output(&self, features: ArrayView2<'_, f64>, output: usize) -> Result<Vec<f64>> {
        Ok(features
            .dot(&self.weights.row(output))
            .iter()
            .map(|v| v + self.bias[output])
            .collect())
    }
}

/// `f(x) = Σ x_j³`.
struct Cubic;

impl Differentiable for Cubic {
    fn input_gradients(&self, features: ArrayView2<'_, f64>, _: usize) -> Result<Array2<f64>> {
        Ok(features.mapv(|x| 3.0 * x * x))
    }

    fn raw_output(&self, features: ArrayView2<'_, f64>, _: usize) -> Result<Vec<f64>> {
        Ok(features
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|x| x.powi(3)).sum())
            .collect())
    }
}

fn linear() -> Linear {
    Linear {
        weights: array![[1.5, -2.0, 0.25, 4.0], [0.0, 1.0, -1.0, 0.5]],
        bias: vec![0.3, -1.0],
        calls: AtomicUsize::new(0),
    }
}

fn rows() -> Array2<f64> {
    Array2::from_shape_fn((37, 4), |(r, c)| ((r * 5 + c * 11) % 13) as f64 / 3.0 - 2.0)
}

#[test]
fn integrated_gradients_of_a_linear_model_are_exact_for_every_rule() {
    let model = linear();
    let baseline = array![0.5, -1.0, 2.0, 0.0];
    let rows = rows();
    for rule in [
        IntegrationRule::GaussLegendre,
        IntegrationRule::Midpoint,
        IntegrationRule::Trapezoid,
    ] {
        for output in 0..2 {
            let attributions = IntegratedGradients::new()
                .rule(rule)
                .steps(7)
                .batch_points(40)
                .explain(&model, rows.view(), baseline.view(), output)
                .expect("attributions");
            let expected = (&rows - &baseline) * model.weights.row(output);
            for (a, e) in attributions.values.iter().zip(expected.iter()) {
                assert!((a - e).abs() < 1e-12, "{rule:?}: {a} vs {e}");
            }
            assert!(attributions.max_completeness_error() < 1e-12);
        }
    }
}

#[test]
fn integrated_gradients_batch_points_into_few_model_calls() {
    let model = linear();
    let baseline = Array1::zeros(4);
    IntegratedGradients::new()
        .steps(10)
        .batch_points(100)
        .explain(&model, rows().view(), baseline.view(), 0)
        .expect("attributions");
    // 37 rows × 10 points, 10 rows per call.
    assert_eq!(model.calls.load(Ordering::Relaxed), 4);
}

#[test]
fn gauss_legendre_is_exact_on_polynomial_models_and_completeness_is_reported() {
    let rows = rows();
    let baseline = array![1.0, 0.0, -1.0, 0.5];
    let exact = IntegratedGradients::new()
        .steps(2)
        .explain(&Cubic, rows.view(), baseline.view(), 0)
        .expect("attributions");
    for r in 0..rows.nrows() {
        for j in 0..4 {
            let x = rows[[r, j]];
            let b = baseline[j];
            // The path integral of 3(b + t(x−b))²(x−b) is x³ − b³.
            assert!((exact.values[[r, j]] - (x.powi(3) - b.powi(3))).abs() < 1e-10);
        }
    }
    assert!(exact.max_completeness_error() < 1e-10);
    let coarse = IntegratedGradients::new()
        .rule(IntegrationRule::Midpoint)
        .steps(2)
        .explain(&Cubic, rows.view(), baseline.view(), 0)
        .expect("attributions");
    assert!(
        coarse.max_completeness_error() > 1e-3,
        "a coarse Riemann sum is not exact"
    );
}

#[test]
fn gradient_shap_with_one_background_row_equals_integrated_gradients() {
    let model = linear();
    let background = array![[0.5, -1.0, 2.0, 0.0]];
    let rows = rows();
    let attributions = GradientShap::new()
        .samples(5)
        .seed(3)
        .explain(&model, rows.view(), background.view(), 1)
        .expect("attributions");
    let expected = (&rows - &background.row(0)) * model.weights.row(1);
    for (a, e) in attributions.values.iter().zip(expected.iter()) {
        assert!((a - e).abs() < 1e-12);
    }
    assert!(attributions.max_completeness_error() < 1e-12);
}

#[test]
fn gradient_shap_approaches_the_background_mean_and_validates_input() {
    let model = linear();
    let background =
        Array2::from_shape_fn((8, 4), |(r, c)| (r as f64 - 3.5) * (c as f64 + 1.0) / 4.0);
    let rows = rows();
    let attributions = GradientShap::new()
        .samples(400)
        .explain(&model, rows.view(), background.view(), 0)
        .expect("attributions");
    // Sampling noise of w·(mean sampled baseline − mean background) stays small...
    assert!(
        attributions.max_completeness_error() < 3.0,
        "{}",
        attributions.max_completeness_error()
    );
    // ...and the reported error is exactly the gap to f(x) − E f(background).
    let outputs = model.raw_output(rows.view(), 0).expect("outputs");
    let reference = model
        .raw_output(background.view(), 0)
        .expect("background")
        .iter()
        .sum::<f64>()
        / 8.0;
    for r in 0..rows.nrows() {
        let gap = (attributions.values.row(r).sum() - (outputs[r] - reference)).abs();
        assert!((attributions.completeness_error[r] - gap).abs() < 1e-12);
    }
    assert!(
        GradientShap::new()
            .samples(0)
            .explain(&model, rows.view(), background.view(), 0)
            .is_err()
    );
    assert!(
        GradientShap::new()
            .explain(&model, rows.view(), array![[1.0]].view(), 0)
            .is_err()
    );
    assert!(
        IntegratedGradients::new()
            .explain(&model, rows.view(), array![1.0].view(), 0)
            .is_err()
    );
}
