//! TreeSHAP against brute-force Shapley values, additivity and the explainer's contracts.

#![allow(clippy::needless_range_loop)] // index loops mirror the Shapley formulas

mod common;

use common::*;
use ndarray::{Array2, array, s};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use specweave_core::{Aggregation, OutputLink, TreeEnsemble, TreeOutput};
use specweave_explain::{ExplainError, TreeExplainer, TreeShapAlgorithm};

fn assert_close(a: f64, b: f64, tolerance: f64, what: &str) {
    assert!(
        (a - b).abs() <= tolerance * (1.0 + b.abs()),
        "{what}: {a} vs {b}"
    );
}

fn check_path_dependent(ensemble: &TreeEnsemble, rows: &Array2<f64>) {
    for algorithm in [TreeShapAlgorithm::Recursive, TreeShapAlgorithm::Precomputed] {
        check_path_dependent_with(ensemble, rows, algorithm);
    }
}

fn check_path_dependent_with(
    ensemble: &TreeEnsemble,
    rows: &Array2<f64>,
    algorithm: TreeShapAlgorithm,
) {
    let m = ensemble.n_features();
    let explainer = TreeExplainer::new(ensemble)
        .expect("explainer")
        .check_additivity(true)
        .algorithm(algorithm);
    let shap = explainer.shap_values(rows.view()).expect("shap values");
    for k in 0..ensemble.n_outputs() {
        assert_close(
            explainer.expected_value()[k],
            conditional_expectation(ensemble, &vec![0.0; m], 0, k),
            1e-10,
            "expected value",
        );
    }
    for (r, row) in rows.rows().into_iter().enumerate() {
        let row = row.to_vec();
        for k in 0..ensemble.n_outputs() {
            let masks: Vec<f64> = (0..1usize << m)
                .map(|mask| conditional_expectation(ensemble, &row, mask, k))
                .collect();
            let exact = shapley_from_masks(&masks, m);
            for f in 0..m {
                assert_close(
                    shap.values[[r, f, k]],
                    exact[f],
                    1e-9,
                    &format!("{algorithm:?}: row {r} feature {f} output {k}"),
                );
            }
        }
    }
}

#[test]
fn single_trees_match_brute_force_up_to_ten_features() {
    for (seed, m, depth) in [(1, 2, 2), (2, 4, 4), (3, 6, 6), (4, 8, 7), (5, 10, 9)] {
        let (ensemble, data) = random_ensemble(seed, m, 1, depth, 1, false, Aggregation::Sum);
        check_path_dependent(&ensemble, &data.slice(s![..6, ..]).to_owned());
    }
}

#[test]
fn forests_and_boosted_ensembles_match_brute_force() {
    let (forest, data) = random_ensemble(11, 7, 6, 5, 1, false, Aggregation::Mean);
    check_path_dependent(&forest, &data.slice(s![..5, ..]).to_owned());
    let (boosted, data) = random_ensemble(12, 10, 4, 6, 1, false, Aggregation::Sum);
    check_path_dependent(&boosted, &data.slice(s![..3, ..]).to_owned());
}

#[test]
fn multi_output_and_per_class_trees_match_brute_force() {
    let (forest, data) = random_ensemble(21, 6, 4, 5, 3, false, Aggregation::Mean);
    check_path_dependent(&forest, &data.slice(s![..4, ..]).to_owned());
    let (per_class, data) = random_ensemble(22, 6, 9, 5, 3, true, Aggregation::Sum);
    check_path_dependent(&per_class, &data.slice(s![..4, ..]).to_owned());
}

#[test]
fn additivity_holds_on_deep_ensembles_and_algorithms_agree() {
    let (ensemble, data) = random_ensemble(31, 12, 20, 8, 2, false, Aggregation::Sum);
    let raw = ensemble.predict_raw(data.view()).expect("raw");
    let max_gap = |a: &ndarray::Array3<f64>, b: &ndarray::Array3<f64>| {
        (a - b).mapv(f64::abs).fold(0.0_f64, |m, v| m.max(*v))
    };
    let mut results = Vec::new();
    for algorithm in [
        TreeShapAlgorithm::Recursive,
        TreeShapAlgorithm::Precomputed,
        TreeShapAlgorithm::Auto,
    ] {
        let explainer = TreeExplainer::new(&ensemble)
            .expect("explainer")
            .check_additivity(true)
            .algorithm(algorithm);
        let shap = explainer.shap_values(data.view()).expect("shap values");
        assert!(shap.additivity_error(raw.view()).expect("shapes") < 1e-9);
        results.push(shap.values);
    }
    for other in &results[1..] {
        let gap = max_gap(&results[0], other);
        assert!(gap < 1e-10, "algorithms differ by {gap}");
    }
    // A budget too small for the tables falls back to the recursive algorithm.
    let tiny = TreeExplainer::new(&ensemble)
        .expect("explainer")
        .algorithm(TreeShapAlgorithm::Precomputed)
        .table_budget_bytes(1024);
    let fallback = tiny.shap_values(data.view()).expect("fallback");
    assert!(max_gap(&results[0], &fallback.values) < 1e-10);
}

#[test]
fn interaction_values_match_the_shapley_interaction_index() {
    let (ensemble, data) = random_ensemble(41, 5, 3, 5, 2, false, Aggregation::Sum);
    let rows = data.slice(s![..4, ..]).to_owned();
    let explainer = TreeExplainer::new(&ensemble).expect("explainer");
    let interactions = explainer
        .interaction_values(rows.view())
        .expect("interactions");
    let shap = explainer.shap_values(rows.view()).expect("shap");
    let m = 5;
    for (r, row) in rows.rows().into_iter().enumerate() {
        let row = row.to_vec();
        for k in 0..2 {
            let masks: Vec<f64> = (0..1usize << m)
                .map(|mask| conditional_expectation(&ensemble, &row, mask, k))
                .collect();
            for i in 0..m {
                let mut row_sum = 0.0;
                for j in 0..m {
                    let value = interactions.values[[r, i, j, k]];
                    row_sum += value;
                    if i != j {
                        let exact = shapley_interaction_from_masks(&masks, m, i, j);
                        assert_close(value, exact, 1e-9, &format!("interaction {i},{j}"));
                        assert_close(value, interactions.values[[r, j, i, k]], 1e-9, "symmetry");
                    }
                }
                assert_close(
                    row_sum,
                    shap.values[[r, i, k]],
                    1e-9,
                    "rows sum to SHAP values",
                );
            }
        }
    }
}

#[test]
fn interventional_values_match_brute_force() {
    let (ensemble, data) = random_ensemble(51, 6, 5, 5, 2, false, Aggregation::Mean);
    let background = data.slice(s![100..120, ..]).to_owned();
    let rows = data.slice(s![..4, ..]).to_owned();
    let explainer = TreeExplainer::new(&ensemble)
        .expect("explainer")
        .check_additivity(true);
    let shap = explainer
        .interventional_values(rows.view(), background.view())
        .expect("interventional");
    let m = 6;
    for (r, row) in rows.rows().into_iter().enumerate() {
        let row = row.to_vec();
        for k in 0..2 {
            let masks: Vec<f64> = (0..1usize << m)
                .map(|mask| interventional_expectation(&ensemble, &row, &background, mask, k))
                .collect();
            assert_close(shap.expected_value[k], masks[0], 1e-12, "background mean");
            let exact = shapley_from_masks(&masks, m);
            for f in 0..m {
                assert_close(shap.values[[r, f, k]], exact[f], 1e-9, "interventional");
            }
        }
    }
}

#[test]
fn parallel_and_single_threaded_results_are_identical() {
    let (ensemble, data) = random_ensemble(61, 8, 10, 6, 1, false, Aggregation::Sum);
    let explainer = TreeExplainer::new(&ensemble).expect("explainer");
    let parallel = explainer.shap_values(data.view()).expect("parallel");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let single = pool
        .install(|| explainer.shap_values(data.view()))
        .expect("single");
    assert_eq!(
        parallel.values, single.values,
        "per-row work is independent of scheduling"
    );
}

#[test]
fn rejects_wrong_columns_and_coverless_splits() {
    let (ensemble, _) = random_ensemble(71, 3, 1, 3, 1, false, Aggregation::Sum);
    let explainer = TreeExplainer::new(&ensemble).expect("explainer");
    assert!(matches!(
        explainer.shap_values(array![[1.0, 2.0]].view()),
        Err(ExplainError::Shape { .. })
    ));
    let mut tree = ensemble.trees()[0].clone();
    tree.cover[0] = 0.0;
    let broken = TreeEnsemble::new(
        vec![tree],
        3,
        vec![0.0],
        Aggregation::Sum,
        OutputLink::Identity,
    )
    .expect("core accepts zero covers");
    assert!(matches!(
        TreeExplainer::new(&broken),
        Err(ExplainError::Tree {
            tree: 0,
            node: 0,
            ..
        })
    ));
    assert!(
        explainer
            .interventional_values(array![[1.0, 2.0, 3.0]].view(), Array2::zeros((0, 3)).view())
            .is_err()
    );
    let _ = TreeOutput::All;
    let _ = ChaCha8Rng::seed_from_u64(0);
}
