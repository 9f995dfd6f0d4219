//! XGBoost `Booster.save_model("model.json")` JSON and `Booster.get_dump(dump_format="json")`.
//!
//! XGBoost reads features as `f32` and goes left when `x < threshold` in `f32`. Rounding `x`
//! to `f32` and comparing with an `f32` threshold `t` is the same as comparing the unrounded
//! `x` with the midpoint between `t` and the `f32` just below it, so imported thresholds are
//! those midpoints: the imported model then agrees with XGBoost on any `f64` input (up to
//! inputs exactly on a midpoint, where rounding ties to even).

use super::{Fields, ImportedModel, RawNode, RawSplit, build_tree, parse_json};
use crate::{ExplainError, Result};
use serde_json::Value;
use specweave_core::{Aggregation, OutputLink, SplitRule, TreeEnsemble, TreeOutput};

const FORMAT: &str = "XGBoost";
const FIELDS: Fields = Fields { format: FORMAT };

/// The `f64` threshold equivalent to XGBoost's `f32` comparison with `threshold`.
fn f32_equivalent_threshold(threshold: f64) -> f64 {
    let t = threshold as f32;
    if !t.is_finite() {
        return f64::from(t);
    }
    (f64::from(t.next_down()) + f64::from(t)) / 2.0
}

/// The link XGBoost applies to the margin for `objective`.
fn link_for(objective: &str) -> OutputLink {
    match objective {
        "binary:logistic" | "reg:logistic" => OutputLink::Logistic,
        "multi:softprob" | "multi:softmax" => OutputLink::Softmax,
        _ => OutputLink::Identity,
    }
}

/// XGBoost stores `base_score` in prediction space; this maps it to the margin.
fn base_margin(objective: &str, base_score: f64) -> f64 {
    match objective {
        "binary:logistic" | "reg:logistic" | "binary:logitraw" => -(1.0 / base_score - 1.0).ln(),
        "count:poisson" | "reg:gamma" | "reg:tweedie" | "survival:cox" => base_score.ln(),
        _ => base_score,
    }
}

/// Parses `"5E-1"`, `"[6.225E-1]"` or `"[1E-1,2E-1]"`.
fn parse_base_score(text: &str) -> Option<Vec<f64>> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    inner
        .split(',')
        .map(|part| part.trim().parse::<f64>().ok())
        .collect()
}

/// Imports an XGBoost model from the JSON written by `Booster.save_model("model.json")`.
///
/// Supports `gbtree` and `dart` boosters with numerical splits; covers are `sum_hessian`;
/// the base score is mapped to the margin (logit for logistic objectives, log for
/// Poisson, gamma, Tweedie and Cox), so raw outputs equal `predict(output_margin=True)`.
pub fn import_xgboost(json: &str) -> Result<ImportedModel> {
    let root = parse_json(FORMAT, json)?;
    let learner = FIELDS.get(&root, "learner", "model")?;
    let params = FIELDS.get(learner, "learner_model_param", "learner")?;
    let n_features = FIELDS.usize(params, "num_feature", "learner.learner_model_param")?;
    let n_classes = FIELDS.usize(params, "num_class", "learner.learner_model_param")?;
    let n_targets = params
        .get("num_target")
        .and_then(super::as_f64)
        .unwrap_or(1.0) as usize;
    let n_outputs = n_classes.max(n_targets).max(1);
    let objective = learner
        .get("objective")
        .and_then(|o| o.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let base_text = FIELDS.str(params, "base_score", "learner.learner_model_param")?;
    let mut base: Vec<f64> = parse_base_score(base_text)
        .ok_or_else(|| {
            FIELDS.error(
                "learner.learner_model_param.base_score",
                format!("cannot read `{base_text}`"),
            )
        })?
        .into_iter()
        .map(|b| base_margin(&objective, b))
        .collect();
    if base.len() == 1 && n_outputs > 1 {
        base = vec![base[0]; n_outputs];
    }
    if base.len() != n_outputs {
        return Err(FIELDS.error(
            "learner.learner_model_param.base_score",
            format!("{} values for {n_outputs} outputs", base.len()),
        ));
    }

    let booster = FIELDS.get(learner, "gradient_booster", "learner")?;
    let kind = FIELDS.str(booster, "name", "learner.gradient_booster")?;
    let (model, weights, model_location) = match kind {
        "gbtree" => (
            FIELDS.get(booster, "model", "learner.gradient_booster")?,
            None,
            "learner.gradient_booster.model",
        ),
        "dart" => {
            let gbtree = FIELDS.get(booster, "gbtree", "learner.gradient_booster")?;
            (
                FIELDS.get(gbtree, "model", "learner.gradient_booster.gbtree")?,
                Some(FIELDS.f64_array(booster, "weight_drop", "learner.gradient_booster")?),
                "learner.gradient_booster.gbtree.model",
            )
        }
        other => {
            return Err(FIELDS.error(
                "learner.gradient_booster.name",
                format!("booster `{other}` has no trees; only gbtree and dart can be imported"),
            ));
        }
    };
    let tree_values = FIELDS.array(model, "trees", model_location)?;
    let groups = FIELDS.f64_array(model, "tree_info", model_location)?;
    if groups.len() != tree_values.len() {
        return Err(FIELDS.error(
            model_location,
            format!(
                "tree_info has {} entries for {} trees",
                groups.len(),
                tree_values.len()
            ),
        ));
    }
    let mut trees = Vec::with_capacity(tree_values.len());
    for (t, tree) in tree_values.iter().enumerate() {
        let location = format!("{model_location}.trees[{t}]");
        let group = groups[t] as usize;
        if group >= n_outputs {
            return Err(FIELDS.error(
                &location,
                format!("tree feeds output {group}; the model has {n_outputs}"),
            ));
        }
        let scale = weights
            .as_ref()
            .and_then(|w| w.get(t))
            .copied()
            .unwrap_or(1.0);
        let nodes = read_tree(tree, &location, n_features)?;
        let output = if n_outputs > 1 {
            TreeOutput::Single { output: group }
        } else {
            TreeOutput::All
        };
        trees.push(build_tree(
            FORMAT,
            &location,
            &nodes,
            SplitRule::LessThan,
            output,
            scale,
        )?);
    }
    let feature_names = match learner.get("feature_names").and_then(Value::as_array) {
        Some(names) if names.len() == n_features => names
            .iter()
            .enumerate()
            .map(|(i, n)| n.as_str().map_or_else(|| format!("x{i}"), str::to_string))
            .collect(),
        _ => (0..n_features).map(|f| format!("x{f}")).collect(),
    };
    let ensemble = TreeEnsemble::new(
        trees,
        n_features,
        base,
        Aggregation::Sum,
        link_for(&objective),
    )
    .map_err(|e| FIELDS.error("model", e.to_string()))?;
    Ok(ImportedModel {
        ensemble,
        feature_names,
        objective,
    })
}

fn read_tree(tree: &Value, location: &str, n_features: usize) -> Result<Vec<Option<RawNode>>> {
    if let Some(param) = tree.get("tree_param") {
        let width = param
            .get("size_leaf_vector")
            .and_then(super::as_f64)
            .unwrap_or(1.0);
        if width > 1.0 {
            return Err(FIELDS.error(
                location,
                "multi-target trees (size_leaf_vector > 1) are not supported",
            ));
        }
    }
    let left = FIELDS.f64_array(tree, "left_children", location)?;
    let right = FIELDS.f64_array(tree, "right_children", location)?;
    let features = FIELDS.f64_array(tree, "split_indices", location)?;
    let conditions = FIELDS.f64_array(tree, "split_conditions", location)?;
    let default_left = FIELDS.f64_array(tree, "default_left", location)?;
    let hessians = FIELDS.f64_array(tree, "sum_hessian", location)?;
    let split_types = match tree.get("split_type") {
        Some(_) => FIELDS.f64_array(tree, "split_type", location)?,
        None => vec![0.0; left.len()],
    };
    let n = left.len();
    for (name, len) in [
        ("right_children", right.len()),
        ("split_indices", features.len()),
        ("split_conditions", conditions.len()),
        ("default_left", default_left.len()),
        ("sum_hessian", hessians.len()),
        ("split_type", split_types.len()),
    ] {
        if len != n {
            return Err(FIELDS.error(
                location,
                format!("`{name}` has {len} entries for {n} nodes"),
            ));
        }
    }
    let child = |c: f64, node: usize| -> Result<usize> {
        if c < 0.0 || c.fract() != 0.0 || c as usize >= n {
            return Err(FIELDS.error(
                location,
                format!("node {node} has child {c}; there are {n} nodes"),
            ));
        }
        Ok(c as usize)
    };
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let is_leaf = left[i] < 0.0;
        let split = if is_leaf {
            None
        } else {
            if split_types[i] != 0.0 {
                return Err(FIELDS.error(
                    location,
                    format!("node {i} is a categorical split, which is not supported"),
                ));
            }
            let feature = features[i] as usize;
            if feature >= n_features {
                return Err(FIELDS.error(
                    location,
                    format!("node {i} splits on feature {feature}; the model has {n_features}"),
                ));
            }
            Some(RawSplit {
                feature: feature as u32,
                threshold: f32_equivalent_threshold(conditions[i]),
                missing_left: default_left[i] != 0.0,
                left: child(left[i], i)?,
                right: child(right[i], i)?,
            })
        };
        nodes.push(Some(RawNode {
            split,
            cover: hessians[i],
            value: if is_leaf { conditions[i] } else { 0.0 },
        }));
    }
    Ok(nodes)
}

/// What a `get_dump` JSON does not say about the model.
#[derive(Debug, Clone, PartialEq)]
pub struct XgboostDumpOptions {
    n_features: usize,
    base_margin: Vec<f64>,
    feature_names: Vec<String>,
    objective: String,
}

impl XgboostDumpOptions {
    /// The number of features and the base margin per output (one value per class for
    /// multiclass models; trees feed classes in turn).
    pub fn new(n_features: usize, base_margin: Vec<f64>) -> XgboostDumpOptions {
        XgboostDumpOptions {
            n_features,
            base_margin,
            feature_names: Vec::new(),
            objective: String::new(),
        }
    }

    /// Feature names, for dumps whose splits name features instead of `f<index>`.
    pub fn feature_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.feature_names = names.into_iter().map(Into::into).collect();
        self
    }

    /// The objective, which selects the output link (e.g. `"binary:logistic"`).
    pub fn objective(mut self, objective: impl Into<String>) -> Self {
        self.objective = objective.into();
        self
    }
}

/// Imports the JSON list of `Booster.get_dump(dump_format="json", with_stats=True)`:
/// a JSON array whose entries are tree objects or strings holding one.
///
/// ```
/// use specweave_explain::{XgboostDumpOptions, import_xgboost_dump};
///
/// let dump = r#"[{"nodeid": 0, "split": "f1", "split_condition": 0.5, "yes": 1, "no": 2,
///   "missing": 1, "cover": 10, "children": [
///     {"nodeid": 1, "leaf": -0.2, "cover": 4}, {"nodeid": 2, "leaf": 0.3, "cover": 6}]}]"#;
/// let model = import_xgboost_dump(dump, &XgboostDumpOptions::new(2, vec![0.0]))?;
/// assert_eq!(model.ensemble.predict_raw_row(&[0.0, 0.7]), vec![0.3]);
/// assert_eq!(model.ensemble.predict_raw_row(&[0.0, f64::NAN]), vec![-0.2]);
/// # Ok::<(), specweave_explain::ExplainError>(())
/// ```
pub fn import_xgboost_dump(json: &str, options: &XgboostDumpOptions) -> Result<ImportedModel> {
    let root = parse_json(FORMAT, json)?;
    let entries = root
        .as_array()
        .ok_or_else(|| FIELDS.error("dump", "expected a JSON array of trees"))?;
    let n_outputs = options.base_margin.len();
    if n_outputs == 0 {
        return Err(ExplainError::param(
            "base_margin",
            "give one base margin per output (at least one)",
        ));
    }
    let mut trees = Vec::with_capacity(entries.len());
    for (t, entry) in entries.iter().enumerate() {
        let location = format!("dump[{t}]");
        let parsed;
        let tree = match entry {
            Value::String(text) => {
                parsed = parse_json(FORMAT, text)?;
                &parsed
            }
            other => other,
        };
        let mut nodes: Vec<Option<RawNode>> = Vec::new();
        collect_dump_nodes(tree, &location, options, &mut nodes)?;
        let output = if n_outputs > 1 {
            TreeOutput::Single {
                output: t % n_outputs,
            }
        } else {
            TreeOutput::All
        };
        trees.push(build_tree(
            FORMAT,
            &location,
            &nodes,
            SplitRule::LessThan,
            output,
            1.0,
        )?);
    }
    let feature_names = if options.feature_names.len() == options.n_features {
        options.feature_names.clone()
    } else {
        (0..options.n_features).map(|f| format!("x{f}")).collect()
    };
    let ensemble = TreeEnsemble::new(
        trees,
        options.n_features,
        options.base_margin.clone(),
        Aggregation::Sum,
        link_for(&options.objective),
    )
    .map_err(|e| FIELDS.error("dump", e.to_string()))?;
    Ok(ImportedModel {
        ensemble,
        feature_names,
        objective: options.objective.clone(),
    })
}

fn collect_dump_nodes(
    node: &Value,
    tree_location: &str,
    options: &XgboostDumpOptions,
    nodes: &mut Vec<Option<RawNode>>,
) -> Result<()> {
    let id = FIELDS.usize(node, "nodeid", tree_location)?;
    let location = format!("{tree_location} node {id}");
    let cover = FIELDS.f64(node, "cover", &location).map_err(|_| {
        FIELDS.error(
            &location,
            "missing `cover`; dump the model with with_stats=True",
        )
    })?;
    if nodes.len() <= id {
        nodes.resize(id + 1, None);
    }
    if nodes[id].is_some() {
        return Err(FIELDS.error(&location, "node id appears twice"));
    }
    if node.get("leaf").is_some() {
        nodes[id] = Some(RawNode {
            split: None,
            cover,
            value: FIELDS.f64(node, "leaf", &location)?,
        });
        return Ok(());
    }
    let name = FIELDS.str(node, "split", &location)?;
    let feature = options
        .feature_names
        .iter()
        .position(|n| n == name)
        .or_else(|| name.strip_prefix('f').and_then(|i| i.parse().ok()))
        .filter(|&f| f < options.n_features)
        .ok_or_else(|| {
            FIELDS.error(
                &location,
                format!(
                    "split feature `{name}` is neither a known name nor f<index> below {}",
                    options.n_features
                ),
            )
        })?;
    let yes = FIELDS.usize(node, "yes", &location)?;
    let no = FIELDS.usize(node, "no", &location)?;
    let missing = FIELDS.usize(node, "missing", &location)?;
    nodes[id] = Some(RawNode {
        split: Some(RawSplit {
            feature: feature as u32,
            threshold: f32_equivalent_threshold(FIELDS.f64(node, "split_condition", &location)?),
            missing_left: missing == yes,
            left: yes,
            right: no,
        }),
        cover,
        value: 0.0,
    });
    for child in FIELDS.array(node, "children", &location)? {
        collect_dump_nodes(child, tree_location, options, nodes)?;
    }
    Ok(())
}
