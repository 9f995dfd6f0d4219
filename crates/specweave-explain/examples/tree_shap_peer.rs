//! Times TreeSHAP on an imported LightGBM or XGBoost model, for `benches/peers/shap_tree.py`.
//!
//! `tree_shap_peer lightgbm|xgboost MODEL.json ROWS.json OUT.json THREADS` reads the rows (a
//! JSON array of arrays, `null` for missing), explains them on `THREADS` threads and writes
//! `{"shap_values": rows × features × outputs, "seconds": time of the explanation}`.

use specweave_explain::{ImportedModel, TreeExplainer, import_lightgbm, import_xgboost};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, format, model_path, rows_path, out_path, threads] = args.as_slice() else {
        return Err(
            "usage: tree_shap_peer lightgbm|xgboost MODEL.json ROWS.json OUT.json THREADS".into(),
        );
    };
    let text = std::fs::read_to_string(model_path)?;
    let model: ImportedModel = match format.as_str() {
        "lightgbm" => import_lightgbm(&text)?,
        "xgboost" => import_xgboost(&text)?,
        other => return Err(format!("unknown format {other}").into()),
    };
    let rows: Vec<Vec<Option<f64>>> = serde_json::from_str(&std::fs::read_to_string(rows_path)?)?;
    let n_features = model.ensemble.n_features();
    let flat: Vec<f64> = rows
        .iter()
        .flat_map(|r| r.iter().map(|v| v.unwrap_or(f64::NAN)))
        .collect();
    let rows = ndarray::Array2::from_shape_vec((rows.len(), n_features), flat)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.parse()?)
        .build()?;
    let explainer = TreeExplainer::new(&model.ensemble)?.check_additivity(false);
    let start = Instant::now();
    let shap = pool.install(|| explainer.shap_values(rows.view()))?;
    let seconds = start.elapsed().as_secs_f64();
    let values: Vec<Vec<Vec<f64>>> = shap
        .values
        .outer_iter()
        .map(|row| row.outer_iter().map(|f| f.to_vec()).collect())
        .collect();
    std::fs::write(
        out_path,
        serde_json::to_string(&serde_json::json!({"shap_values": values, "seconds": seconds}))?,
    )?;
    Ok(())
}
