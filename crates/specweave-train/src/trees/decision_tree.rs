//! A single decision tree: linfa-trees' CART for classification (converted to the uniform
//! format, with covers and class fractions recomputed by routing the training rows, since
//! linfa keeps no per-node counts) and our histogram CART for regression (linfa-trees has
//! no regression tree).

use super::forest::{MaxFeatures, RandomForestParams, fit_forest};
use crate::common::{
    FRAMEWORK, check_columns, class_target, encode_model, model_info, problem_of, require_finite,
    weights_or_ones, with_nd16,
};
use crate::error::{Result, TrainError};
use linfa::prelude::Fit;
use linfa_trees::{DecisionTree as LinfaTree, SplitQuality, TreeNode};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use specweave_core::{
    Aggregation, Dataset, LEAF, Learner, Model, ModelInfo, OutputLink, Predictions, ProblemKind,
    SplitRule, Tree, TreeEnsemble, TreeModel, TreeOutput,
};
use std::collections::VecDeque;

/// Impurity measure of classification splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Gini impurity.
    #[default]
    Gini,
    /// Entropy (information gain).
    Entropy,
}

/// Hyperparameters of [`DecisionTree`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionTreeParams {
    /// Maximum depth; 0 for no limit.
    pub max_depth: usize,
    /// Minimum (weighted) rows to split a node.
    pub min_samples_split: f64,
    /// Minimum (weighted) rows in a leaf.
    pub min_samples_leaf: usize,
    /// Impurity measure (classification).
    pub criterion: Criterion,
    /// Minimum impurity decrease of a split (classification).
    pub min_impurity_decrease: f64,
}

impl Default for DecisionTreeParams {
    fn default() -> Self {
        DecisionTreeParams {
            max_depth: 0,
            min_samples_split: 2.0,
            min_samples_leaf: 1,
            criterion: Criterion::Gini,
            min_impurity_decrease: 1e-5,
        }
    }
}

/// A CART decision tree, classifier or regressor by the dataset's target.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::{DecisionTree, DecisionTreeParams};
///
/// let data = Dataset::builder(array![[1.0], [2.0], [3.0], [4.0]])
///     .target(Target::Classes { labels: vec![0, 0, 1, 1], class_names: vec!["a".into(), "b".into()] })
///     .build()?;
/// let model = DecisionTree::new(DecisionTreeParams::default())?.fit(&data)?;
/// assert_eq!(model.predict(data.features())?.labels(), Some(vec![0, 0, 1, 1]));
/// let tree = &model.as_tree_model().unwrap().tree_ensemble().trees()[0];
/// assert_eq!(tree.cover[0], 4.0);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DecisionTree {
    params: DecisionTreeParams,
}

impl DecisionTree {
    /// Registered name.
    pub const NAME: &'static str = "decision_tree";

    /// A tree with validated parameters.
    pub fn new(params: DecisionTreeParams) -> Result<Self> {
        if params.min_samples_leaf == 0 {
            return Err(TrainError::param(
                Self::NAME,
                "min_samples_leaf",
                "must be at least 1",
            ));
        }
        if params.min_samples_split.is_nan() || params.min_samples_split < 2.0 {
            return Err(TrainError::param(
                Self::NAME,
                "min_samples_split",
                "must be at least 2",
            ));
        }
        if params.min_impurity_decrease.is_nan() || params.min_impurity_decrease < f64::EPSILON {
            return Err(TrainError::param(
                Self::NAME,
                "min_impurity_decrease",
                "must be at least machine epsilon",
            ));
        }
        Ok(DecisionTree { params })
    }

    fn fit_classifier(&self, data: &Dataset) -> Result<DecisionTreeModel> {
        require_finite(Self::NAME, data)?;
        let (labels, class_names) = class_target(Self::NAME, data)?;
        let p = &self.params;
        let weights = weights_or_ones(data);
        let targets = ndarray16::Array1::from(labels.to_vec());
        let linfa_weights =
            ndarray16::Array1::from(weights.iter().map(|&w| w as f32).collect::<Vec<_>>());
        let fitted = with_nd16(data.features(), |records| {
            let dataset = linfa::DatasetBase::new(records, targets).with_weights(linfa_weights);
            LinfaTree::<f64, usize>::params()
                .split_quality(match p.criterion {
                    Criterion::Gini => SplitQuality::Gini,
                    Criterion::Entropy => SplitQuality::Entropy,
                })
                .max_depth((p.max_depth > 0).then_some(p.max_depth))
                .min_weight_split(p.min_samples_split as f32)
                .min_weight_leaf(p.min_samples_leaf as f32)
                .min_impurity_decrease(p.min_impurity_decrease)
                .fit(&dataset)
        })?
        .map_err(|e| TrainError::data(Self::NAME, format!("linfa-trees failed: {e}")))?;
        let tree = convert_linfa_tree(
            fitted.root_node(),
            data.features(),
            labels,
            &weights,
            class_names.len(),
        );
        let ensemble = TreeEnsemble::new(
            vec![tree],
            data.n_features(),
            vec![0.0; class_names.len()],
            Aggregation::Mean,
            OutputLink::Identity,
        )?;
        Ok(DecisionTreeModel {
            params: p.clone(),
            ensemble,
            problem: ProblemKind::Classification,
            feature_names: data.feature_names().to_vec(),
            class_names: class_names.to_vec(),
            framework: "linfa-trees 0.8".into(),
        })
    }

    fn fit_regressor(&self, data: &Dataset) -> Result<DecisionTreeModel> {
        let p = &self.params;
        let forest_params = RandomForestParams {
            n_estimators: 1,
            max_depth: p.max_depth,
            min_samples_leaf: p.min_samples_leaf,
            max_features: Some(MaxFeatures::All),
            bootstrap: false,
            max_bins: 255,
            seed: 0,
        };
        let forest = fit_forest(Self::NAME, &forest_params, data)?;
        Ok(DecisionTreeModel {
            params: p.clone(),
            ensemble: forest.tree_ensemble().clone(),
            problem: ProblemKind::Regression,
            feature_names: data.feature_names().to_vec(),
            class_names: Vec::new(),
            framework: FRAMEWORK.into(),
        })
    }
}

/// Converts linfa's node tree into the uniform format (breadth-first, so children follow
/// parents), then routes the training rows to fill covers and class fractions.
fn convert_linfa_tree(
    root: &TreeNode<f64, usize>,
    features: ArrayView2<'_, f64>,
    labels: &[usize],
    weights: &[f64],
    n_classes: usize,
) -> Tree {
    let mut tree = Tree {
        left: Vec::new(),
        right: Vec::new(),
        feature: Vec::new(),
        threshold: Vec::new(),
        missing_left: Vec::new(),
        cover: Vec::new(),
        values: Vec::new(),
        value_width: n_classes,
        split_rule: SplitRule::LessThan,
        output: TreeOutput::All,
    };
    let mut leaf_prediction: Vec<usize> = Vec::new();
    let mut queue: VecDeque<(&TreeNode<f64, usize>, usize)> = VecDeque::new();
    let push = |tree: &mut Tree, leaf_prediction: &mut Vec<usize>| {
        tree.left.push(LEAF);
        tree.right.push(LEAF);
        tree.feature.push(0);
        tree.threshold.push(0.0);
        // linfa compares `x < threshold`; NaN fails that test and goes right.
        tree.missing_left.push(false);
        tree.cover.push(0.0);
        tree.values.extend(std::iter::repeat_n(0.0, n_classes));
        leaf_prediction.push(0);
        tree.left.len() - 1
    };
    let root_id = push(&mut tree, &mut leaf_prediction);
    queue.push_back((root, root_id));
    while let Some((node, id)) = queue.pop_front() {
        let children = node.children();
        let (Some(left), Some(right)) = (children[0].as_deref(), children[1].as_deref()) else {
            leaf_prediction[id] = node.prediction().unwrap_or_default();
            continue;
        };
        if node.is_leaf() {
            leaf_prediction[id] = node.prediction().unwrap_or_default();
            continue;
        }
        let (feature, threshold, _) = node.split();
        tree.feature[id] = feature as u32;
        tree.threshold[id] = threshold;
        let l = push(&mut tree, &mut leaf_prediction);
        let r = push(&mut tree, &mut leaf_prediction);
        tree.left[id] = l as u32;
        tree.right[id] = r as u32;
        queue.push_back((left, l));
        queue.push_back((right, r));
    }
    // Route every training row, adding its weight to the cover and class mass of each node.
    let mut mass = vec![0.0; tree.n_nodes() * n_classes];
    for (row, (&label, &w)) in features.rows().into_iter().zip(labels.iter().zip(weights)) {
        let mut node = 0usize;
        loop {
            tree.cover[node] += w;
            mass[node * n_classes + label] += w;
            if tree.is_leaf(node) {
                break;
            }
            node = if tree.goes_left(node, row[tree.feature[node] as usize]) {
                tree.left[node]
            } else {
                tree.right[node]
            } as usize;
        }
    }
    for node in 0..tree.n_nodes() {
        let values = &mut tree.values[node * n_classes..(node + 1) * n_classes];
        if tree.cover[node] > 0.0 {
            values
                .iter_mut()
                .zip(&mass[node * n_classes..])
                .for_each(|(v, m)| *v = m / tree.cover[node]);
        } else {
            values[leaf_prediction[node].min(n_classes - 1)] = 1.0;
        }
    }
    tree
}

impl Learner for DecisionTree {
    fn name(&self) -> &str {
        Self::NAME
    }
    fn problem(&self) -> ProblemKind {
        ProblemKind::Classification
    }
    fn supports(&self, problem: ProblemKind) -> bool {
        matches!(
            problem,
            ProblemKind::Classification | ProblemKind::Regression
        )
    }
    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }
    fn fit(&self, data: &Dataset) -> specweave_core::Result<Box<dyn Model>> {
        let model = match problem_of(Self::NAME, data)? {
            ProblemKind::Classification => self.fit_classifier(data)?,
            _ => self.fit_regressor(data)?,
        };
        Ok(Box::new(model))
    }
}

/// A fitted [`DecisionTree`]: one tree whose leaves hold class fractions (or means).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionTreeModel {
    params: DecisionTreeParams,
    ensemble: TreeEnsemble,
    problem: ProblemKind,
    feature_names: Vec<String>,
    class_names: Vec<String>,
    framework: String,
}

impl TreeModel for DecisionTreeModel {
    fn tree_ensemble(&self) -> &TreeEnsemble {
        &self.ensemble
    }
}

impl Model for DecisionTreeModel {
    fn info(&self) -> ModelInfo {
        model_info(
            DecisionTree::NAME,
            self.problem,
            serde_json::to_value(&self.params).unwrap_or_default(),
            &self.feature_names,
            &self.class_names,
            &self.framework,
        )
    }
    fn predict(&self, features: ArrayView2<'_, f64>) -> specweave_core::Result<Predictions> {
        check_columns(features, self.feature_names.len())?;
        super::ensemble_predictions(&self.ensemble, features, self.problem, &self.class_names)
    }
    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        encode_model(self.info(), self)
    }
    fn as_tree_model(&self) -> Option<&dyn TreeModel> {
        Some(self)
    }
}
