//! The run artifacts the documents are drawn from. The pipeline saves them with
//! `Run::save_artifact(NAME, &value)` into `experiments/exp-NNN-<name>/artifacts/`; the docs
//! read them back from the best run and never retrain anything.
//!
//! | file | shape |
//! |------|-------|
//! | [`PREDICTIONS_ARTIFACT`] | [`HeldOutPredictions`]: binary labels, scores, threshold |
//! | [`SHAP_ARTIFACT`] | [`ShapValues`]: per-row SHAP values with the explained rows |
//! | [`IMPORTANCE_ARTIFACT`] | [`FeatureImportance`]: one importance per feature |
//! | [`FORECAST_ARTIFACT`] | [`ForecastPlot`]: actual, forecast and interval |
//! | [`RECOMMENDATIONS_ARTIFACT`] | list of [`RecommendationExplanation`] |
//!
//! ```
//! let shap: specweave_docs::artifacts::ShapValues = serde_json::from_str(
//!     r#"{"feature_names":["age"],"base_value":0.1,"values":[[0.2]],"feature_values":[[31.0]]}"#,
//! )?;
//! assert_eq!(shap.mean_abs(), vec![0.2]);
//! # Ok::<(), serde_json::Error>(())
//! ```

use crate::error::{DocsError, Result};
pub use crate::plots::{ForecastPlot, RecommendationExplanation};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::path::Path;

/// Held-out predictions of a binary classifier.
pub const PREDICTIONS_ARTIFACT: &str = "predictions.json";
/// SHAP values of explained rows.
pub const SHAP_ARTIFACT: &str = "shap_values.json";
/// Global feature importance.
pub const IMPORTANCE_ARTIFACT: &str = "feature_importance.json";
/// Forecast against actual.
pub const FORECAST_ARTIFACT: &str = "forecast.json";
/// Explained top recommendations.
pub const RECOMMENDATIONS_ARTIFACT: &str = "recommendations.json";

/// `predictions.json`: held-out labels (0 or 1) and positive-class scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOutPredictions {
    /// True labels, 0.0 or 1.0.
    pub y_true: Vec<f64>,
    /// Predicted probability of the positive class.
    pub scores: Vec<f64>,
    /// Decision threshold the model is served with.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Names of the negative and positive class.
    #[serde(default)]
    pub class_names: Vec<String>,
}

fn default_threshold() -> f64 {
    0.5
}

/// `shap_values.json`: `values[row][feature]` with `feature_values[row][feature]` the
/// explained inputs; `base_value` is the expected model output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapValues {
    /// Feature names, in column order.
    pub feature_names: Vec<String>,
    /// Expected output (SHAP's base value).
    pub base_value: f64,
    /// SHAP value per row and feature.
    pub values: Vec<Vec<f64>>,
    /// Feature values of the explained rows.
    pub feature_values: Vec<Vec<f64>>,
}

impl ShapValues {
    /// Mean absolute SHAP value per feature (shap's global importance).
    pub fn mean_abs(&self) -> Vec<f64> {
        let rows = self.values.len().max(1) as f64;
        (0..self.feature_names.len())
            .map(|j| {
                self.values
                    .iter()
                    .map(|r| r.get(j).copied().unwrap_or(0.0).abs())
                    .sum::<f64>()
                    / rows
            })
            .collect()
    }

    fn check(&self, path: &Path) -> Result<()> {
        let m = self.feature_names.len();
        let bad = |message: String| DocsError::Format {
            path: path.to_path_buf(),
            message,
        };
        if self.values.len() != self.feature_values.len() {
            return Err(bad(format!(
                "{} rows of values but {} rows of feature_values",
                self.values.len(),
                self.feature_values.len()
            )));
        }
        for (r, (v, x)) in self.values.iter().zip(&self.feature_values).enumerate() {
            if v.len() != m || x.len() != m {
                return Err(bad(format!("row {r} does not have {m} features")));
            }
        }
        Ok(())
    }
}

/// `feature_importance.json`: one importance per feature and how it was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    /// Feature names.
    pub feature_names: Vec<String>,
    /// Importance per feature.
    pub importances: Vec<f64>,
    /// Method, e.g. `gain`, `permutation`, `mean |SHAP|`.
    #[serde(default)]
    pub method: String,
}

/// Reads `artifacts/<name>` of a run folder; `Ok(None)` when the run has no such artifact.
pub fn read_artifact<T: DeserializeOwned>(run_dir: &Path, name: &str) -> Result<Option<T>> {
    let path = run_dir.join(specweave_tracking::ARTIFACTS_DIR).join(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(DocsError::io(&path)(e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| DocsError::Format {
            path: path.clone(),
            message: format!("line {}, column {}: {e}", e.line(), e.column()),
        })
}

/// Every artifact of one run that the documents use.
#[derive(Debug, Clone, Default)]
pub struct RunArtifacts {
    /// [`PREDICTIONS_ARTIFACT`].
    pub predictions: Option<HeldOutPredictions>,
    /// [`SHAP_ARTIFACT`].
    pub shap: Option<ShapValues>,
    /// [`IMPORTANCE_ARTIFACT`].
    pub importance: Option<FeatureImportance>,
    /// [`FORECAST_ARTIFACT`].
    pub forecast: Option<ForecastPlot>,
    /// [`RECOMMENDATIONS_ARTIFACT`].
    pub recommendations: Option<Vec<RecommendationExplanation>>,
}

impl RunArtifacts {
    /// Reads whichever artifacts a run folder has, checking their shapes.
    pub fn read(run_dir: &Path) -> Result<RunArtifacts> {
        let shap: Option<ShapValues> = read_artifact(run_dir, SHAP_ARTIFACT)?;
        if let Some(shap) = &shap {
            shap.check(
                &run_dir
                    .join(specweave_tracking::ARTIFACTS_DIR)
                    .join(SHAP_ARTIFACT),
            )?;
        }
        Ok(RunArtifacts {
            predictions: read_artifact(run_dir, PREDICTIONS_ARTIFACT)?,
            shap,
            importance: read_artifact(run_dir, IMPORTANCE_ARTIFACT)?,
            forecast: read_artifact(run_dir, FORECAST_ARTIFACT)?,
            recommendations: read_artifact(run_dir, RECOMMENDATIONS_ARTIFACT)?,
        })
    }
}
