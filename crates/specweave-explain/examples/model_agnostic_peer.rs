//! Times KernelSHAP and LIME on an imported LightGBM model's raw score, for
//! `benches/peers/kernel_lime.py`.
//!
//! `model_agnostic_peer kernel|lime MODEL.json ROWS.json BACKGROUND.json OUT.json THREADS SAMPLES`
//! writes `{"values": rows × features, "seconds": time of the explanations}`; for LIME the
//! values are each row's surrogate weights by feature and `"score"` holds the fidelities.

use ndarray::{Array2, ArrayView2, Axis};
use specweave_core::{Model, ModelInfo, Predictions, ProblemKind, TreeEnsemble};
use specweave_explain::{KernelExplainer, LimeTabular, import_lightgbm};
use std::time::Instant;

/// The ensemble's raw score as a regression model.
#[derive(Debug)]
struct RawScore(TreeEnsemble);

impl Model for RawScore {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            algorithm: "imported_lightgbm".into(),
            problem: ProblemKind::Regression,
            params: serde_json::json!({}),
            feature_names: vec![],
            class_names: vec![],
            framework: "lightgbm".into(),
        }
    }

    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        Ok(Predictions::Values(
            self.0.predict_raw(features)?.index_axis_move(Axis(1), 0),
        ))
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        Ok(serde_json::to_vec(&self.0)?)
    }
}

fn read_rows(path: &str, n_features: usize) -> Result<Array2<f64>, Box<dyn std::error::Error>> {
    let rows: Vec<Vec<f64>> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let n = rows.len();
    Ok(Array2::from_shape_vec((n, n_features), rows.concat())?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, method, model, rows, background, out, threads, samples] = args.as_slice() else {
        return Err(
            "usage: model_agnostic_peer kernel|lime MODEL ROWS BACKGROUND OUT THREADS SAMPLES"
                .into(),
        );
    };
    let imported = import_lightgbm(&std::fs::read_to_string(model)?)?;
    let m = imported.ensemble.n_features();
    let model = RawScore(imported.ensemble);
    let rows = read_rows(rows, m)?;
    let background = read_rows(background, m)?;
    let samples: usize = samples.parse()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.parse()?)
        .build()?;
    let start = Instant::now();
    let (values, scores): (Vec<Vec<f64>>, Vec<f64>) = match method.as_str() {
        "kernel" => {
            let explainer = KernelExplainer::new(&model, background.view())?.n_samples(samples);
            let shap = pool.install(|| explainer.shap_values(rows.view()))?;
            (
                shap.output(0)
                    .rows()
                    .into_iter()
                    .map(|r| r.to_vec())
                    .collect(),
                Vec::new(),
            )
        }
        "lime" => {
            let lime = LimeTabular::new(background.view())?.num_samples(samples);
            let explanations = pool.install(|| lime.explain_rows(&model, rows.view(), 0))?;
            explanations
                .iter()
                .map(|e| {
                    let mut weights = vec![0.0; m];
                    for f in &e.features {
                        weights[f.feature] = f.weight;
                    }
                    (weights, e.score)
                })
                .unzip()
        }
        other => return Err(format!("unknown method {other}").into()),
    };
    let seconds = start.elapsed().as_secs_f64();
    std::fs::write(
        out,
        serde_json::to_string(
            &serde_json::json!({"values": values, "score": scores, "seconds": seconds}),
        )?,
    )?;
    Ok(())
}
