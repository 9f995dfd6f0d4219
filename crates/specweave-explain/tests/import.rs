//! Imported LightGBM and XGBoost models against their libraries' raw predictions and shap's
//! TreeExplainer values (fixtures written by `benches/peers/shap_tree.py fixtures`).

use ndarray::{Array2, Array3};
use serde_json::Value;
use specweave_core::{Model, Predictions};
use specweave_explain::{
    ExplainError, ImportedModel, KernelExplainer, TreeExplainer, XgboostDumpOptions,
    import_lightgbm, import_xgboost, import_xgboost_dump,
};
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", name]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

struct Expected {
    rows: Array2<f64>,
    raw: Array2<f64>,
    shap: Array3<f64>,
    expected_value: Vec<f64>,
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn expected(name: &str) -> Expected {
    let v: Value = serde_json::from_str(&fixture(name)).expect("fixture is JSON");
    let matrix = |key: &str| -> Array2<f64> {
        let rows = v[key].as_array().expect("array");
        let cols = rows[0].as_array().expect("row").len();
        let flat: Vec<f64> = rows
            .iter()
            .flat_map(|r| r.as_array().expect("row").iter().map(number))
            .collect();
        Array2::from_shape_vec((rows.len(), cols), flat).expect("rectangular")
    };
    let shap_rows = v["shap_values"].as_array().expect("array");
    let features = shap_rows[0].as_array().expect("row").len();
    let outputs = shap_rows[0][0].as_array().expect("outputs").len();
    let flat: Vec<f64> = shap_rows
        .iter()
        .flat_map(|r| r.as_array().expect("row").iter())
        .flat_map(|f| f.as_array().expect("outputs").iter().map(number))
        .collect();
    Expected {
        rows: matrix("rows"),
        raw: matrix("raw"),
        shap: Array3::from_shape_vec((shap_rows.len(), features, outputs), flat).expect("shape"),
        expected_value: v["expected_value"]
            .as_array()
            .expect("array")
            .iter()
            .map(number)
            .collect(),
    }
}

/// Predictions within `prediction_tolerance` and SHAP values and expected values within 1e-6.
fn check(model: &ImportedModel, expected: &Expected, prediction_tolerance: f64) {
    let raw = model
        .ensemble
        .predict_raw(expected.rows.view())
        .expect("predict");
    assert_eq!(raw.dim(), expected.raw.dim());
    for (ours, theirs) in raw.iter().zip(expected.raw.iter()) {
        assert!(
            (ours - theirs).abs() <= prediction_tolerance,
            "raw score {ours} vs {theirs}"
        );
    }
    let explainer = TreeExplainer::new(&model.ensemble)
        .expect("explainer")
        .check_additivity(true);
    for (ours, theirs) in explainer
        .expected_value()
        .iter()
        .zip(&expected.expected_value)
    {
        assert!(
            (ours - theirs).abs() <= 1e-6,
            "expected value {ours} vs {theirs}"
        );
    }
    let shap = explainer.shap_values(expected.rows.view()).expect("shap");
    assert_eq!(shap.values.dim(), expected.shap.dim());
    for (ours, theirs) in shap.values.iter().zip(expected.shap.iter()) {
        assert!(
            (ours - theirs).abs() <= 1e-6,
            "SHAP value {ours} vs {theirs}"
        );
    }
}

#[test]
fn lightgbm_binary_with_missing_values_matches_lightgbm_and_shap() {
    let model = import_lightgbm(&fixture("lightgbm_binary.json")).expect("import");
    assert_eq!(model.feature_names[0], "Column_0");
    check(&model, &expected("lightgbm_binary.expected.json"), 1e-12);
}

#[test]
fn lightgbm_regression_matches_lightgbm_and_shap() {
    let model = import_lightgbm(&fixture("lightgbm_regression.json")).expect("import");
    check(
        &model,
        &expected("lightgbm_regression.expected.json"),
        1e-12,
    );
}

#[test]
fn lightgbm_multiclass_matches_lightgbm_and_shap() {
    let model = import_lightgbm(&fixture("lightgbm_multiclass.json")).expect("import");
    assert_eq!(model.ensemble.n_outputs(), 3);
    check(
        &model,
        &expected("lightgbm_multiclass.expected.json"),
        1e-12,
    );
}

// XGBoost sums leaves in f32, so its margins carry f32 rounding (~1e-7).
#[test]
fn xgboost_binary_matches_xgboost_and_shap() {
    let model = import_xgboost(&fixture("xgboost_binary.json")).expect("import");
    check(&model, &expected("xgboost_binary.expected.json"), 1e-6);
}

#[test]
fn xgboost_text_dump_matches_the_saved_model() {
    let saved = import_xgboost(&fixture("xgboost_binary.json")).expect("import");
    let options = XgboostDumpOptions::new(6, saved.ensemble.base_score().to_vec())
        .objective("binary:logistic");
    let dumped = import_xgboost_dump(&fixture("xgboost_binary.dump.json"), &options).expect("dump");
    let expected = expected("xgboost_binary.expected.json");
    check(&dumped, &expected, 1e-6);
}

#[test]
fn xgboost_multiclass_matches_xgboost_and_shap() {
    let model = import_xgboost(&fixture("xgboost_multiclass.json")).expect("import");
    assert_eq!(model.ensemble.n_outputs(), 3);
    check(&model, &expected("xgboost_multiclass.expected.json"), 1e-6);
}

#[test]
fn xgboost_regression_matches_xgboost_and_shap() {
    let model = import_xgboost(&fixture("xgboost_regression.json")).expect("import");
    check(&model, &expected("xgboost_regression.expected.json"), 1e-6);
}

#[test]
fn broken_dumps_are_rejected_with_their_location() {
    match import_lightgbm("{\"max_feature_idx\": 1,\n  oops}") {
        Err(ExplainError::Json { line: 2, .. }) => {}
        other => panic!("expected a JSON error on line 2, got {other:?}"),
    }
    let categorical = r#"{"max_feature_idx": 0, "num_tree_per_iteration": 1, "tree_info": [
        {"tree_structure": {"split_feature": 0, "threshold": "1||2", "decision_type": "==",
         "default_left": true, "internal_count": 2,
         "left_child": {"leaf_value": 1}, "right_child": {"leaf_value": 2}}}]}"#;
    let error = import_lightgbm(categorical).expect_err("categorical splits are unsupported");
    let text = error.to_string();
    assert!(
        text.contains("tree_info[0].tree_structure") && text.contains("categorical"),
        "{text}"
    );
    let mut saved: Value = serde_json::from_str(&fixture("xgboost_binary.json")).expect("json");
    saved["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"][0] = Value::from(99);
    let error = import_xgboost(&saved.to_string()).expect_err("child out of range");
    assert!(error.to_string().contains("trees[0]"), "{error}");
}

#[test]
fn xgboost_thresholds_follow_f32_comparisons() {
    // XGBoost goes right for any x that rounds to the threshold in f32.
    let dump = r#"[{"nodeid": 0, "split": "f0", "split_condition": 0.1, "yes": 1, "no": 2,
        "missing": 1, "cover": 2, "children": [
        {"nodeid": 1, "leaf": -1, "cover": 1}, {"nodeid": 2, "leaf": 1, "cover": 1}]}]"#;
    let model = import_xgboost_dump(dump, &XgboostDumpOptions::new(1, vec![0.0])).expect("dump");
    let t = 0.1_f32;
    let just_below_in_f64 = f64::from(t) - 1e-12;
    assert_eq!(just_below_in_f64 as f32, t);
    assert_eq!(
        model.ensemble.predict_raw_row(&[just_below_in_f64]),
        vec![1.0]
    );
    assert_eq!(
        model.ensemble.predict_raw_row(&[f64::from(t.next_down())]),
        vec![-1.0]
    );
}

fn lightgbm_stump(
    threshold: f64,
    missing_type: &str,
    default_left: bool,
    left: f64,
    right: f64,
) -> String {
    format!(
        r#"{{"tree_structure": {{"split_feature": 0, "threshold": {threshold}, "decision_type": "<=",
            "default_left": {default_left}, "missing_type": "{missing_type}", "internal_count": 10,
            "left_child": {{"leaf_value": {left}, "leaf_count": 4}},
            "right_child": {{"leaf_value": {right}, "leaf_count": 6}}}}}}"#
    )
}

#[test]
fn lightgbm_random_forest_mode_averages_and_missing_types_map() {
    let dump = format!(
        r#"{{"max_feature_idx": 0, "num_tree_per_iteration": 1, "average_output": true,
            "objective": "regression", "tree_info": [{}, {}]}}"#,
        lightgbm_stump(0.5, "None", false, 1.0, 3.0),
        lightgbm_stump(-0.5, "NaN", false, 10.0, 20.0)
    );
    let model = import_lightgbm(&dump).expect("import");
    assert_eq!(
        model.ensemble.predict_raw_row(&[0.0]),
        vec![(1.0 + 20.0) / 2.0]
    );
    // missing_type None reads NaN as 0 (left in the first tree); NaN goes right by default.
    assert_eq!(
        model.ensemble.predict_raw_row(&[f64::NAN]),
        vec![(1.0 + 20.0) / 2.0]
    );
    let zero_ok = format!(
        r#"{{"max_feature_idx": 0, "num_tree_per_iteration": 1, "tree_info": [{}]}}"#,
        lightgbm_stump(0.5, "Zero", true, 1.0, 2.0)
    );
    assert!(import_lightgbm(&zero_ok).is_ok());
    let zero_conflict = format!(
        r#"{{"max_feature_idx": 0, "num_tree_per_iteration": 1, "tree_info": [{}]}}"#,
        lightgbm_stump(-0.5, "Zero", true, 1.0, 2.0)
    );
    let error = import_lightgbm(&zero_conflict).expect_err("zero cannot go both ways");
    assert!(error.to_string().contains("missing_type Zero"), "{error}");
    let linear = r#"{"max_feature_idx": 0, "num_tree_per_iteration": 1, "tree_info": [
        {"tree_structure": {"leaf_value": 1.0, "leaf_features": [0], "leaf_coeff": [0.5]}}]}"#;
    let error = import_lightgbm(linear).expect_err("linear trees are unsupported");
    assert!(error.to_string().contains("linear-tree"), "{error}");
}

#[test]
fn xgboost_dart_weights_scale_trees() {
    let mut saved: Value = serde_json::from_str(&fixture("xgboost_regression.json")).expect("json");
    let gbtree = saved["learner"]["gradient_booster"].take();
    let n_trees = gbtree["model"]["trees"].as_array().expect("trees").len();
    saved["learner"]["gradient_booster"] = serde_json::json!({
        "name": "dart",
        "gbtree": gbtree,
        "weight_drop": vec![0.5; n_trees],
    });
    let plain = import_xgboost(&fixture("xgboost_regression.json")).expect("gbtree");
    let dart = import_xgboost(&saved.to_string()).expect("dart");
    let row = [0.3, -1.2, 0.8, 0.0, 2.0];
    let base = plain.ensemble.base_score()[0];
    let halved = (plain.ensemble.predict_raw_row(&row)[0] - base) / 2.0 + base;
    assert!((dart.ensemble.predict_raw_row(&row)[0] - halved).abs() < 1e-12);
}

#[test]
fn imported_models_are_models_with_probabilities_and_model_files() {
    let binary = import_lightgbm(&fixture("lightgbm_binary.json")).expect("import");
    let reference = expected("lightgbm_binary.expected.json");
    let predictions = binary.predict(reference.rows.view()).expect("predict");
    let p = predictions.probabilities().expect("probabilities");
    for (r, raw) in reference.raw.column(0).iter().enumerate() {
        assert!((p[[r, 1]] - 1.0 / (1.0 + (-raw).exp())).abs() < 1e-12);
    }
    assert_eq!(binary.info().class_names, ["0", "1"]);
    let restored = ImportedModel::from_bytes(&binary.to_bytes().expect("bytes")).expect("load");
    assert_eq!(restored, binary);
    assert!(binary.as_tree_model().is_some());

    let multiclass = import_xgboost(&fixture("xgboost_multiclass.json")).expect("import");
    let rows = expected("xgboost_multiclass.expected.json").rows;
    match multiclass.predict(rows.view()).expect("predict") {
        Predictions::Probabilities { probabilities, .. } => {
            for row in probabilities.rows() {
                assert!((row.sum() - 1.0).abs() < 1e-12);
            }
        }
        other => panic!("expected probabilities, got {other:?}"),
    }
}

#[test]
fn kernel_shap_with_all_coalitions_equals_interventional_tree_shap() {
    let model = import_lightgbm(&fixture("lightgbm_regression.json")).expect("import");
    let data = expected("lightgbm_regression.expected.json").rows;
    let background = data.slice(ndarray::s![6.., ..]).to_owned();
    let rows = data.slice(ndarray::s![..6, ..]).to_owned();
    let tree = TreeExplainer::new(&model.ensemble)
        .expect("explainer")
        .interventional_values(rows.view(), background.view())
        .expect("interventional");
    let kernel = KernelExplainer::new(&model, background.view())
        .expect("explainer")
        .shap_values(rows.view())
        .expect("kernel");
    assert!((tree.expected_value[0] - kernel.expected_value[0]).abs() < 1e-12);
    for (a, b) in tree.values.iter().zip(kernel.values.iter()) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    assert_eq!(kernel.feature_names, model.feature_names);
}
