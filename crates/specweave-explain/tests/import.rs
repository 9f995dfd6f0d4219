//! Imported LightGBM and XGBoost models against their libraries' raw predictions and shap's
//! TreeExplainer values (fixtures written by `benches/peers/shap_tree.py fixtures`).

use ndarray::{Array2, Array3};
use serde_json::Value;
use specweave_explain::{
    ExplainError, ImportedModel, TreeExplainer, XgboostDumpOptions, import_lightgbm,
    import_xgboost, import_xgboost_dump,
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
