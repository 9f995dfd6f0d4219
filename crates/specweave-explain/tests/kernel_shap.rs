//! KernelSHAP against exact Shapley values of the interventional value function.

mod common;

use common::{FnModel, shapley_from_masks};
use ndarray::{Array2, array};
use specweave_explain::{KernelExplainer, WeightedRows, kmeans_summary};

fn exact(
    model: &FnModel,
    x: &[f64],
    background: &Array2<f64>,
    weights: &[f64],
    output: usize,
) -> Vec<f64> {
    let m = x.len();
    let total: f64 = weights.iter().sum();
    let values: Vec<f64> = (0..1usize << m)
        .map(|mask| {
            background
                .rows()
                .into_iter()
                .zip(weights)
                .map(|(z, w)| {
                    let hybrid: Vec<f64> = (0..m)
                        .map(|j| if mask & (1 << j) != 0 { x[j] } else { z[j] })
                        .collect();
                    w * (model.function)(&hybrid)[output]
                })
                .sum::<f64>()
                / total
        })
        .collect();
    shapley_from_masks(&values, m)
}

fn nonlinear() -> FnModel {
    FnModel::new(2, |x| {
        vec![
            x[0] * x[1] + (x[2]).sin() + x[3] * x[3] - 0.5 * x[4] * x[0] * x[2],
            (x[1] - x[3]).abs() + x[4].exp() * 0.1,
        ]
    })
}

#[test]
fn full_enumeration_equals_exact_shapley_values() {
    let model = nonlinear();
    let background = array![
        [0.1, -1.0, 0.3, 2.0, 0.0],
        [1.5, 0.2, -0.7, 0.4, 1.0],
        [-0.3, 0.9, 1.1, -1.2, 0.5],
        [0.0, 0.0, 0.0, 0.0, 0.0]
    ];
    let weights = vec![0.1, 0.4, 0.3, 0.2];
    let explainer = KernelExplainer::weighted(
        &model,
        WeightedRows {
            rows: background.clone(),
            weights: weights.clone(),
        },
    )
    .expect("explainer");
    let rows = array![[1.0, 2.0, -0.5, 0.3, 0.8], [-1.0, 0.5, 2.5, 1.7, -0.2]];
    let shap = explainer.shap_values(rows.view()).expect("shap");
    for (r, row) in rows.rows().into_iter().enumerate() {
        for k in 0..2 {
            let reference = exact(&model, &row.to_vec(), &background, &weights, k);
            for (f, expected) in reference.iter().enumerate() {
                let ours = shap.values[[r, f, k]];
                assert!(
                    (ours - expected).abs() < 1e-9,
                    "row {r} feature {f} output {k}: {ours} vs {expected}"
                );
            }
        }
    }
    assert_eq!(shap.output_names, ["class_0", "class_1"]);
}

#[test]
fn sampled_coalitions_keep_efficiency_and_are_exact_for_additive_models() {
    let w: Vec<f64> = (0..12).map(|j| j as f64 - 5.5).collect();
    let weights = w.clone();
    let model = FnModel::new(1, move |x| {
        vec![x.iter().zip(&weights).map(|(a, b)| a * b).sum::<f64>() + 3.0]
    });
    let background = Array2::from_shape_fn((6, 12), |(r, c)| ((r * 7 + c * 3) % 5) as f64);
    let explainer = KernelExplainer::new(&model, background.view())
        .expect("explainer")
        .n_samples(120)
        .seed(9);
    let x: Vec<f64> = (0..12).map(|j| (j as f64).cos() * 4.0).collect();
    let rows = Array2::from_shape_vec((1, 12), x.clone()).expect("row");
    let shap = explainer.shap_values(rows.view()).expect("shap");
    let means = background.mean_axis(ndarray::Axis(0)).expect("rows");
    for j in 0..12 {
        let expected = w[j] * (x[j] - means[j]);
        assert!(
            (shap.values[[0, j, 0]] - expected).abs() < 1e-8,
            "feature {j}"
        );
    }
    let explained = shap.outputs_explained()[[0, 0]];
    assert!((explained - (model.function)(&x)[0]).abs() < 1e-9);
}

#[test]
fn features_equal_to_the_background_get_nothing() {
    let model = nonlinear();
    let background = array![[0.0, 1.0, 2.0, 3.0, 4.0], [0.5, 1.0, 2.5, 3.0, 4.5]];
    let explainer = KernelExplainer::new(&model, background.view()).expect("explainer");
    let shap = explainer
        .shap_values(array![[0.2, 1.0, 2.2, 3.0, 4.2]].view())
        .expect("shap");
    for k in 0..2 {
        assert_eq!(shap.values[[0, 1, k]], 0.0);
        assert_eq!(shap.values[[0, 3, k]], 0.0);
    }
}

#[test]
fn summarized_background_uses_weighted_centroids() {
    let data = Array2::from_shape_fn((60, 2), |(r, c)| {
        if r < 45 {
            (r % 3) as f64 + c as f64
        } else {
            50.0 + (r % 2) as f64
        }
    });
    let summary = kmeans_summary(data.view(), 2, 3).expect("kmeans");
    let mut weights = summary.weights.clone();
    weights.sort_by(f64::total_cmp);
    assert_eq!(weights, vec![0.25, 0.75]);
    let model = FnModel::new(1, |x| vec![x[0] + 2.0 * x[1]]);
    let explainer = KernelExplainer::summarized(&model, data.view(), 2, 3).expect("explainer");
    let expected: f64 = summary
        .rows
        .rows()
        .into_iter()
        .zip(&summary.weights)
        .map(|(r, w)| w * (r[0] + 2.0 * r[1]))
        .sum();
    assert!((explainer.expected_value()[0] - expected).abs() < 1e-12);
    assert!(KernelExplainer::new(&model, Array2::zeros((0, 2)).view()).is_err());
    assert!(explainer.shap_values(array![[1.0]].view()).is_err());
}
