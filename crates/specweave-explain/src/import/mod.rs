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
use serde_json::Value;
use specweave_core::{LEAF, SplitRule, Tree, TreeEnsemble, TreeOutput};

/// A model imported from another library.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedModel {
    /// The trees in the uniform format.
    pub ensemble: TreeEnsemble,
    /// Feature names from the dump (`x0`, `x1`, ... when the dump has none).
    pub feature_names: Vec<String>,
    /// The training objective as the library names it, e.g. `"binary sigmoid:1"`.
    pub objective: String,
}

impl specweave_core::TreeModel for ImportedModel {
    fn tree_ensemble(&self) -> &TreeEnsemble {
        &self.ensemble
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
