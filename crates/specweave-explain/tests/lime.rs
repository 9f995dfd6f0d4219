//! LIME tabular: the surrogate recovers what drives a model locally, with its fidelity.

mod common;

use common::FnModel;
use ndarray::{Array2, array};
use specweave_explain::LimeTabular;

fn training() -> Array2<f64> {
    Array2::from_shape_fn((400, 4), |(r, c)| {
        ((r * (2 * c + 3) + c) % 400) as f64 / 400.0
    })
}

#[test]
fn surrogate_finds_the_drivers_and_reports_fidelity() {
    // Step functions of the quartile a feature falls in: LIME's binary features fit exactly.
    let model = FnModel::new(1, |x| {
        vec![if x[0] > 0.75 { 2.0 } else { 0.0 } + if x[1] <= 0.25 { -1.0 } else { 0.0 }]
    });
    let lime = LimeTabular::new(training().view())
        .expect("lime")
        .feature_names(["a", "b", "c", "d"])
        .seed(5);
    let explanation = lime
        .explain(&model, array![0.9, 0.1, 0.5, 0.5].view(), 0)
        .expect("explanation");
    assert_eq!(explanation.features.len(), 4);
    assert_eq!(explanation.features[0].condition, "a > 0.75");
    assert!(
        (explanation.features[0].weight - 2.0).abs() < 0.05,
        "{explanation:?}"
    );
    assert_eq!(explanation.features[1].condition, "b <= 0.25");
    assert!((explanation.features[1].weight + 1.0).abs() < 0.05);
    assert!(explanation.features[2].weight.abs() < 0.05);
    assert!(explanation.score > 0.98, "fidelity {}", explanation.score);
    assert_eq!(explanation.model_prediction, 1.0);
    assert!((explanation.local_prediction - 1.0).abs() < 0.1);
}

#[test]
fn feature_selection_keeps_the_strongest_and_rows_run_in_parallel() {
    let model = FnModel::new(2, |x| {
        let p = 1.0 / (1.0 + (-(6.0 * x[2] - 3.0)).exp());
        vec![1.0 - p, p]
    });
    let lime = LimeTabular::new(training().view())
        .expect("lime")
        .num_features(1)
        .num_samples(800);
    let rows = array![[0.1, 0.2, 0.95, 0.4], [0.3, 0.8, 0.05, 0.6]];
    let explanations = lime
        .explain_rows(&model, rows.view(), 1)
        .expect("explanations");
    assert_eq!(explanations.len(), 2);
    assert_eq!(explanations[0].output, "class_1");
    assert_eq!(explanations[0].features.len(), 1);
    assert_eq!(explanations[0].features[0].feature, 2);
    assert!(explanations[0].features[0].weight > 0.0);
    assert!(explanations[1].features[0].weight < 0.0);
    let again = lime
        .explain_rows(&model, rows.view(), 1)
        .expect("explanations");
    assert_eq!(explanations, again, "seeded explanations are reproducible");
}

#[test]
fn bad_input_is_rejected() {
    let mut data = training();
    data[[3, 1]] = f64::NAN;
    assert!(LimeTabular::new(data.view()).is_err());
    let lime = LimeTabular::new(training().view()).expect("lime");
    let model = FnModel::new(1, |x| vec![x[0]]);
    assert!(lime.explain(&model, array![1.0, 2.0].view(), 0).is_err());
    assert!(
        lime.explain(&model, array![0.1, 0.2, 0.3, 0.4].view(), 3)
            .is_err()
    );
}
