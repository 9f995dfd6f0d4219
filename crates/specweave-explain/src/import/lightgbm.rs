//! LightGBM `Booster.dump_model()` JSON.

use super::{Fields, ImportedModel, RawNode, RawSplit, build_tree, parse_json};
use crate::Result;
use serde_json::Value;
use specweave_core::{Aggregation, OutputLink, SplitRule, TreeEnsemble, TreeOutput};

const FORMAT: &str = "LightGBM";
const FIELDS: Fields = Fields { format: FORMAT };

/// Imports a LightGBM model from the JSON of `Booster.dump_model()`.
///
/// Covers are the training counts (`internal_count` / `leaf_count`), as shap uses them.
/// Numerical splits only (`decision_type` `<=`); LightGBM's missing-value rules map as
/// follows: `NaN` sends missing values the default way, `None` treats them as zero, and `Zero`
/// is accepted when zero already goes the default way. Multiclass models feed tree `i` to
/// class `i % num_tree_per_iteration`; random-forest mode (`average_output`) divides each
/// class's sum by the number of iterations.
///
/// ```
/// let dump = r#"{"num_class": 1, "num_tree_per_iteration": 1, "max_feature_idx": 1,
///   "objective": "regression", "feature_names": ["a", "b"],
///   "tree_info": [{"tree_structure": {"split_feature": 1, "threshold": 0.5,
///     "decision_type": "<=", "default_left": true, "missing_type": "NaN",
///     "internal_count": 10,
///     "left_child": {"leaf_value": -1.0, "leaf_count": 4},
///     "right_child": {"leaf_value": 2.0, "leaf_count": 6}}}]}"#;
/// let model = specweave_explain::import_lightgbm(dump)?;
/// assert_eq!(model.ensemble.predict_raw_row(&[0.0, 0.7]), vec![2.0]);
/// assert_eq!(model.feature_names, ["a", "b"]);
/// # Ok::<(), specweave_explain::ExplainError>(())
/// ```
pub fn import_lightgbm(json: &str) -> Result<ImportedModel> {
    let model = parse_json(FORMAT, json)?;
    let n_features = FIELDS.usize(&model, "max_feature_idx", "model")? + 1;
    let per_iteration = FIELDS
        .usize(&model, "num_tree_per_iteration", "model")?
        .max(1);
    let objective = model
        .get("objective")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let average = model
        .get("average_output")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let feature_names = match model.get("feature_names").and_then(Value::as_array) {
        Some(names) if names.len() == n_features => names
            .iter()
            .enumerate()
            .map(|(i, n)| n.as_str().map_or_else(|| format!("x{i}"), str::to_string))
            .collect(),
        _ => (0..n_features).map(|f| format!("x{f}")).collect(),
    };
    let infos = FIELDS.array(&model, "tree_info", "model")?;
    let iterations = infos.len().div_ceil(per_iteration).max(1);
    let scale = if average {
        1.0 / iterations as f64
    } else {
        1.0
    };
    let mut trees = Vec::with_capacity(infos.len());
    for (t, info) in infos.iter().enumerate() {
        let location = format!("tree_info[{t}].tree_structure");
        let root = FIELDS.get(info, "tree_structure", &format!("tree_info[{t}]"))?;
        let mut nodes = Vec::new();
        flatten(root, &location, n_features, &mut nodes)?;
        let output = if per_iteration > 1 {
            TreeOutput::Single {
                output: t % per_iteration,
            }
        } else {
            TreeOutput::All
        };
        trees.push(build_tree(
            FORMAT,
            &location,
            &nodes,
            SplitRule::LessOrEqual,
            output,
            scale,
        )?);
    }
    let link = if objective.starts_with("binary") || objective.starts_with("multiclassova") {
        OutputLink::Logistic
    } else if objective.starts_with("multiclass") {
        OutputLink::Softmax
    } else {
        OutputLink::Identity
    };
    let ensemble = TreeEnsemble::new(
        trees,
        n_features,
        vec![0.0; per_iteration],
        Aggregation::Sum,
        link,
    )
    .map_err(|e| FIELDS.error("model", e.to_string()))?;
    Ok(ImportedModel {
        ensemble,
        feature_names,
        objective,
    })
}

/// Appends `node` and its subtree to `nodes` (parents first) and returns its id.
fn flatten(
    node: &Value,
    location: &str,
    n_features: usize,
    nodes: &mut Vec<Option<RawNode>>,
) -> Result<usize> {
    let id = nodes.len();
    nodes.push(None);
    if node.get("leaf_value").is_some() {
        nodes[id] = Some(RawNode {
            split: None,
            cover: node
                .get("leaf_count")
                .and_then(Value::as_f64)
                .unwrap_or(0.0),
            value: FIELDS.f64(node, "leaf_value", location)?,
        });
        return Ok(id);
    }
    let decision = FIELDS.str(node, "decision_type", location)?;
    if decision != "<=" {
        return Err(FIELDS.error(
            location,
            format!("decision_type `{decision}` (categorical split) is not supported; only numerical `<=` splits are"),
        ));
    }
    let feature = FIELDS.usize(node, "split_feature", location)?;
    if feature >= n_features {
        return Err(FIELDS.error(
            location,
            format!("split_feature {feature} is not below the {n_features} features"),
        ));
    }
    let threshold = FIELDS.f64(node, "threshold", location)?;
    let default_left = node
        .get("default_left")
        .and_then(Value::as_bool)
        .ok_or_else(|| FIELDS.error(location, "missing boolean field `default_left`"))?;
    let missing_type = node
        .get("missing_type")
        .and_then(Value::as_str)
        .unwrap_or("None");
    let missing_left = match missing_type {
        "NaN" => default_left,
        // Missing values are read as 0.0 and compared.
        "None" => 0.0 <= threshold,
        "Zero" if default_left == (0.0 <= threshold) => default_left,
        "Zero" => {
            return Err(FIELDS.error(
                location,
                format!(
                    "missing_type Zero sends zero {} but threshold {threshold} sends it the other way; such splits cannot be represented",
                    if default_left { "left" } else { "right" }
                ),
            ));
        }
        other => {
            return Err(FIELDS.error(location, format!("unknown missing_type `{other}`")));
        }
    };
    let cover = FIELDS.f64(node, "internal_count", location)?;
    let left = flatten(
        FIELDS.get(node, "left_child", location)?,
        &format!("{location}.left_child"),
        n_features,
        nodes,
    )?;
    let right = flatten(
        FIELDS.get(node, "right_child", location)?,
        &format!("{location}.right_child"),
        n_features,
        nodes,
    )?;
    nodes[id] = Some(RawNode {
        split: Some(RawSplit {
            feature: feature as u32,
            threshold,
            missing_left,
            left,
            right,
        }),
        cover,
        value: 0.0,
    });
    Ok(id)
}
