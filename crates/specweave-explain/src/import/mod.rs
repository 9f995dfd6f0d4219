//! Import of gradient-boosted models trained elsewhere into the uniform [`TreeEnsemble`]:
//! LightGBM's `dump_model()` JSON and XGBoost's `save_model` JSON or `get_dump` JSON.
//!
//! Imported ensembles predict the libraries' raw scores (LightGBM `raw_score=True`,
//! XGBoost `output_margin=True`), so TreeSHAP explains the same quantity as shap does.

mod lightgbm;
mod xgboost;

pub use lightgbm::import_lightgbm;
pub use xgboost::{XgboostDumpOptions, import_xgboost, import_xgboost_dump};

use crate::{ExplainError, Result};
use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use specweave_core::{
    LEAF, Model, ModelFile, ModelInfo, OutputLink, Predictions, ProblemKind, SplitRule, Tree,
    TreeEnsemble, TreeModel, TreeOutput,
};

/// Algorithm name of imported models in model files.
pub const IMPORTED_ALGORITHM: &str = "imported_gradient_boosting";

/// A model imported from another library.
///
/// It is a [`Model`]: binary logistic models predict two class probabilities, softmax
/// models one per class (one-vs-all logistic models their normalised sigmoids), and
/// identity models their raw value; so every model-agnostic explainer works on it too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedModel {
    /// The trees in the uniform format.
    pub ensemble: TreeEnsemble,
    /// Feature names from the dump (`x0`, `x1`, ... when the dump has none).
    pub feature_names: Vec<String>,
    /// The training objective as the library names it, e.g. `"binary sigmoid:1"`.
    pub objective: String,
    /// The library the model comes from, `"LightGBM"` or `"XGBoost"`.
    pub framework: String,
}

impl ImportedModel {
    /// Reads a model file written by [`Model::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<ImportedModel> {
        let file = ModelFile::decode(bytes)?;
        if file.header.info.algorithm != IMPORTED_ALGORITHM {
            return Err(specweave_core::Error::UnknownModel {
                name: file.header.info.algorithm.clone(),
                known: IMPORTED_ALGORITHM.to_string(),
            }
            .into());
        }
        Ok(file.json_payload()?)
    }

    fn class_names(&self) -> Vec<String> {
        match (self.ensemble.link(), self.ensemble.n_outputs()) {
            (OutputLink::Identity, _) => Vec::new(),
            (_, 1) => vec!["0".to_string(), "1".to_string()],
            (_, k) => (0..k).map(|c| c.to_string()).collect(),
        }
    }
}

impl TreeModel for ImportedModel {
    fn tree_ensemble(&self) -> &TreeEnsemble {
        &self.ensemble
    }
}

impl Model for ImportedModel {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            algorithm: IMPORTED_ALGORITHM.to_string(),
            problem: if self.ensemble.link() == OutputLink::Identity {
                ProblemKind::Regression
            } else {
                ProblemKind::Classification
            },
            params: serde_json::json!({ "objective": self.objective }),
            feature_names: self.feature_names.clone(),
            class_names: self.class_names(),
            framework: self.framework.clone(),
        }
    }

    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        let raw = self.ensemble.predict_raw(features)?;
        let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
        let probabilities = match (self.ensemble.link(), raw.ncols()) {
            (OutputLink::Identity, 1) => {
                return Ok(Predictions::Values(raw.index_axis_move(Axis(1), 0)));
            }
            (OutputLink::Identity, k) => {
                return Err(specweave_core::Error::InvalidInput(format!(
                    "an identity-link model with {k} outputs has no single prediction per row"
                )));
            }
            (OutputLink::Logistic, 1) => {
                let mut p = Array2::zeros((raw.nrows(), 2));
                for (r, v) in raw.column(0).iter().enumerate() {
                    p[[r, 1]] = sigmoid(*v);
                    p[[r, 0]] = 1.0 - p[[r, 1]];
                }
                p
            }
            (link, _) => {
                let mut p = raw;
                for mut row in p.rows_mut() {
                    if link == OutputLink::Softmax {
                        let max = row.fold(f64::NEG_INFINITY, |m, v| m.max(*v));
                        row.mapv_inplace(|v| (v - max).exp());
                    } else {
                        row.mapv_inplace(sigmoid);
                    }
                    let total = row.sum();
                    row.mapv_inplace(|v| v / total);
                }
                p
            }
        };
        Ok(Predictions::Probabilities {
            probabilities,
            class_names: self.class_names(),
        })
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        Ok(ModelFile::from_json(self.info(), self)?.encode())
    }

    fn as_tree_model(&self) -> Option<&dyn TreeModel> {
        Some(self)
    }
}

/// One node as read from a dump, before renumbering into parent-before-child order.
#[derive(Debug, Clone)]
struct RawNode {
    split: Option<RawSplit>,
    cover: f64,
    value: f64,
}

#[derive(Debug, Clone)]
struct RawSplit {
    feature: u32,
    threshold: f64,
    missing_left: bool,
    left: usize,
    right: usize,
}

/// Renumbers nodes (indexed by the dump's ids, root `0`) in depth-first order, so that
/// children follow parents, and fills split nodes' values with their children's
/// cover-weighted mean.
fn build_tree(
    format: &'static str,
    location: &str,
    nodes: &[Option<RawNode>],
    split_rule: SplitRule,
    output: TreeOutput,
    scale: f64,
) -> Result<Tree> {
    let error = |message: String| ExplainError::Import {
        format,
        location: location.to_string(),
        message,
    };
    let mut order = Vec::with_capacity(nodes.len());
    let mut new_id = vec![usize::MAX; nodes.len()];
    let mut stack = vec![0usize];
    while let Some(id) = stack.pop() {
        let node = nodes
            .get(id)
            .and_then(Option::as_ref)
            .ok_or_else(|| error(format!("node {id} is referenced but not defined")))?;
        if new_id[id] != usize::MAX {
            return Err(error(format!(
                "node {id} is reached twice; the nodes do not form a tree"
            )));
        }
        new_id[id] = order.len();
        order.push(id);
        if let Some(split) = &node.split {
            stack.push(split.right);
            stack.push(split.left);
        }
    }
    let n = order.len();
    let mut tree = Tree {
        left: vec![LEAF; n],
        right: vec![LEAF; n],
        feature: vec![0; n],
        threshold: vec![0.0; n],
        missing_left: vec![false; n],
        cover: vec![0.0; n],
        values: vec![0.0; n],
        value_width: 1,
        split_rule,
        output,
    };
    for (new, &old) in order.iter().enumerate() {
        let Some(node) = &nodes[old] else { continue };
        tree.cover[new] = node.cover;
        tree.values[new] = node.value * scale;
        if let Some(split) = &node.split {
            tree.left[new] = new_id[split.left] as u32;
            tree.right[new] = new_id[split.right] as u32;
            tree.feature[new] = split.feature;
            tree.threshold[new] = split.threshold;
            tree.missing_left[new] = split.missing_left;
        }
    }
    for node in (0..n).rev() {
        if !tree.is_leaf(node) {
            let (l, r) = (tree.left[node] as usize, tree.right[node] as usize);
            let total = tree.cover[l] + tree.cover[r];
            tree.values[node] = if total > 0.0 {
                (tree.cover[l] * tree.values[l] + tree.cover[r] * tree.values[r]) / total
            } else {
                (tree.values[l] + tree.values[r]) / 2.0
            };
        }
    }
    Ok(tree)
}

/// Parses JSON, turning a syntax error into one with line and column.
fn parse_json(format: &'static str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| ExplainError::Json {
        format,
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Typed access to JSON fields with the path in every error.
struct Fields {
    format: &'static str,
}

impl Fields {
    fn error(&self, location: &str, message: impl Into<String>) -> ExplainError {
        ExplainError::Import {
            format: self.format,
            location: location.to_string(),
            message: message.into(),
        }
    }

    fn get<'v>(&self, value: &'v Value, key: &str, location: &str) -> Result<&'v Value> {
        value
            .get(key)
            .ok_or_else(|| self.error(location, format!("missing field `{key}`")))
    }

    /// A number, also accepted as a string (XGBoost writes many numbers as strings).
    fn f64(&self, value: &Value, key: &str, location: &str) -> Result<f64> {
        let v = self.get(value, key, location)?;
        as_f64(v).ok_or_else(|| self.error(location, format!("field `{key}` is not a number: {v}")))
    }

    fn usize(&self, value: &Value, key: &str, location: &str) -> Result<usize> {
        let x = self.f64(value, key, location)?;
        if x < 0.0 || x.fract() != 0.0 || x > u32::MAX as f64 {
            return Err(self.error(location, format!("field `{key}` must be a count, got {x}")));
        }
        Ok(x as usize)
    }

    fn array<'v>(&self, value: &'v Value, key: &str, location: &str) -> Result<&'v [Value]> {
        self.get(value, key, location)?
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| self.error(location, format!("field `{key}` is not an array")))
    }

    fn str<'v>(&self, value: &'v Value, key: &str, location: &str) -> Result<&'v str> {
        self.get(value, key, location)?
            .as_str()
            .ok_or_else(|| self.error(location, format!("field `{key}` is not a string")))
    }

    fn f64_array(&self, value: &Value, key: &str, location: &str) -> Result<Vec<f64>> {
        self.array(value, key, location)?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                as_f64(v).ok_or_else(|| {
                    self.error(location, format!("`{key}[{i}]` is not a number: {v}"))
                })
            })
            .collect()
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}
