//! The uniform tree format every tree-based model exposes, and the [`TreeModel`] capability.
//!
//! One layout for decision trees, random forests and gradient-boosted trees (ours, or
//! imported from LightGBM/XGBoost dumps), so TreeSHAP and the docs crate handle them all.
//! Nodes are stored as parallel arrays (structure of arrays) in an order where every child
//! comes after its parent, which makes cycles impossible and traversal cache-friendly.

use crate::{Error, Result};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// Child index marking "no child": the node is a leaf.
pub const LEAF: u32 = u32::MAX;

/// How a split compares a feature value with its threshold to go left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitRule {
    /// Left when `x < threshold` (linfa, XGBoost).
    LessThan,
    /// Left when `x <= threshold` (scikit-learn, LightGBM).
    LessOrEqual,
}

/// Which outputs a tree's leaf values feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TreeOutput {
    /// Each node holds one value per ensemble output.
    All,
    /// Each node holds one value, added to this output only (one-tree-per-class boosting).
    Single {
        /// Index of the output the tree feeds.
        output: usize,
    },
}

/// One decision tree as parallel node arrays; node `0` is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Left child of each node, or [`LEAF`].
    pub left: Vec<u32>,
    /// Right child of each node, or [`LEAF`].
    pub right: Vec<u32>,
    /// Split feature of each internal node (unused for leaves).
    pub feature: Vec<u32>,
    /// Split threshold of each internal node (unused for leaves).
    pub threshold: Vec<f64>,
    /// Where a missing (NaN) value goes at each internal node.
    pub missing_left: Vec<bool>,
    /// Training weight (sample count, hessian sum) through each node; TreeSHAP needs it.
    pub cover: Vec<f64>,
    /// Node values, `value_width` per node, node-major. Leaves hold the prediction.
    pub values: Vec<f64>,
    /// Number of values per node (`1` for [`TreeOutput::Single`]).
    pub value_width: usize,
    /// How the split compares.
    pub split_rule: SplitRule,
    /// Which outputs this tree feeds.
    pub output: TreeOutput,
}

impl Tree {
    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.left.len()
    }

    /// True when `node` has no children.
    pub fn is_leaf(&self, node: usize) -> bool {
        self.left[node] == LEAF
    }

    /// The values of `node`.
    pub fn node_values(&self, node: usize) -> &[f64] {
        &self.values[node * self.value_width..(node + 1) * self.value_width]
    }

    /// Whether a row with value `x` at the node's split feature goes left.
    #[inline]
    pub fn goes_left(&self, node: usize, x: f64) -> bool {
        if x.is_nan() {
            return self.missing_left[node];
        }
        match self.split_rule {
            SplitRule::LessThan => x < self.threshold[node],
            SplitRule::LessOrEqual => x <= self.threshold[node],
        }
    }

    /// The leaf a row reaches.
    pub fn leaf_for(&self, row: &[f64]) -> usize {
        let mut node = 0usize;
        while !self.is_leaf(node) {
            let x = row[self.feature[node] as usize];
            node = if self.goes_left(node, x) {
                self.left[node] as usize
            } else {
                self.right[node] as usize
            };
        }
        node
    }

    /// Depth of the deepest leaf (a single leaf has depth 0).
    pub fn max_depth(&self) -> usize {
        let mut depth = vec![0usize; self.n_nodes()];
        let mut deepest = 0;
        for node in 0..self.n_nodes() {
            if !self.is_leaf(node) {
                for child in [self.left[node], self.right[node]] {
                    depth[child as usize] = depth[node] + 1;
                    deepest = deepest.max(depth[node] + 1);
                }
            }
        }
        deepest
    }

    /// Checks the invariants: equal array lengths, children after parents and in range,
    /// both children or none, features below `n_features`, finite covers and values.
    pub fn validate(&self, n_features: usize) -> Result<()> {
        let n = self.n_nodes();
        if n == 0 {
            return Err(Error::InvalidInput("a tree needs at least one node".into()));
        }
        for (what, len) in [
            ("right", self.right.len()),
            ("feature", self.feature.len()),
            ("threshold", self.threshold.len()),
            ("missing_left", self.missing_left.len()),
            ("cover", self.cover.len()),
            ("values", self.values.len() / self.value_width.max(1)),
        ] {
            if len != n {
                return Err(Error::shape(format!("tree {what} vs nodes"), n, len));
            }
        }
        if self.value_width == 0 || self.values.len() != n * self.value_width {
            return Err(Error::InvalidInput(format!(
                "tree values must hold value_width ({}) > 0 values per node",
                self.value_width
            )));
        }
        for node in 0..n {
            let (l, r) = (self.left[node], self.right[node]);
            if (l == LEAF) != (r == LEAF) {
                return Err(Error::InvalidInput(format!(
                    "tree node {node} has exactly one child"
                )));
            }
            if l != LEAF {
                for child in [l, r] {
                    if child as usize <= node || child as usize >= n {
                        return Err(Error::InvalidInput(format!(
                            "tree node {node} has child {child}; children must come after their parent and below {n}"
                        )));
                    }
                }
                if self.feature[node] as usize >= n_features {
                    return Err(Error::InvalidInput(format!(
                        "tree node {node} splits on feature {} but the model has {n_features}",
                        self.feature[node]
                    )));
                }
            }
            if !self.cover[node].is_finite() || self.cover[node] < 0.0 {
                return Err(Error::InvalidInput(format!(
                    "tree node {node} has cover {}; covers must be finite and >= 0",
                    self.cover[node]
                )));
            }
        }
        if let Some(v) = self.values.iter().find(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "tree has a non-finite node value {v}"
            )));
        }
        Ok(())
    }
}

/// How tree outputs combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Sum of tree outputs (boosting).
    Sum,
    /// Mean of tree outputs (bagging, random forests).
    Mean,
}

/// The function from raw ensemble output to the model's prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputLink {
    /// The raw output is the prediction (regression, forest class fractions).
    Identity,
    /// Binary log-odds: `p = 1 / (1 + e^-raw)`.
    Logistic,
    /// Multiclass log-odds: softmax over outputs.
    Softmax,
}

/// A tree ensemble in the uniform format; what TreeSHAP explains.
///
/// Raw output `k` is `base_score[k]` plus the aggregated values of the leaves each tree
/// reaches. SHAP values explain the raw output.
///
/// ```
/// use specweave_core::{Aggregation, OutputLink, SplitRule, Tree, TreeEnsemble, TreeOutput, LEAF};
///
/// // x0 < 0.5 ? 1.0 : 3.0, with 40 and 60 training rows on each side.
/// let stump = Tree {
///     left: vec![1, LEAF, LEAF],
///     right: vec![2, LEAF, LEAF],
///     feature: vec![0, 0, 0],
///     threshold: vec![0.5, 0.0, 0.0],
///     missing_left: vec![true, false, false],
///     cover: vec![100.0, 40.0, 60.0],
///     values: vec![2.2, 1.0, 3.0],
///     value_width: 1,
///     split_rule: SplitRule::LessThan,
///     output: TreeOutput::All,
/// };
/// let ensemble = TreeEnsemble::new(vec![stump], 1, vec![0.0], Aggregation::Sum, OutputLink::Identity)?;
/// assert_eq!(ensemble.predict_raw_row(&[0.7]), vec![3.0]);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeEnsemble {
    trees: Vec<Tree>,
    n_features: usize,
    base_score: Vec<f64>,
    aggregation: Aggregation,
    link: OutputLink,
}

impl TreeEnsemble {
    /// Validates every tree and builds the ensemble; `base_score.len()` is the number of outputs.
    pub fn new(
        trees: Vec<Tree>,
        n_features: usize,
        base_score: Vec<f64>,
        aggregation: Aggregation,
        link: OutputLink,
    ) -> Result<TreeEnsemble> {
        let n_outputs = base_score.len();
        if n_outputs == 0 {
            return Err(Error::InvalidInput(
                "a tree ensemble needs at least one output".into(),
            ));
        }
        for (i, tree) in trees.iter().enumerate() {
            tree.validate(n_features)
                .map_err(|e| Error::InvalidInput(format!("tree {i}: {e}")))?;
            match tree.output {
                TreeOutput::All if tree.value_width != n_outputs => {
                    return Err(Error::shape(
                        format!("tree {i} value width vs outputs"),
                        n_outputs,
                        tree.value_width,
                    ));
                }
                TreeOutput::Single { output } if output >= n_outputs || tree.value_width != 1 => {
                    return Err(Error::InvalidInput(format!(
                        "tree {i} feeds output {output} with width {}; the ensemble has {n_outputs} outputs",
                        tree.value_width
                    )));
                }
                _ => {}
            }
        }
        Ok(TreeEnsemble {
            trees,
            n_features,
            base_score,
            aggregation,
            link,
        })
    }

    /// The trees.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of raw outputs (1 for regression and binary boosting).
    pub fn n_outputs(&self) -> usize {
        self.base_score.len()
    }

    /// The constant added to each raw output.
    pub fn base_score(&self) -> &[f64] {
        &self.base_score
    }

    /// How tree outputs combine.
    pub fn aggregation(&self) -> Aggregation {
        self.aggregation
    }

    /// The link from raw output to prediction.
    pub fn link(&self) -> OutputLink {
        self.link
    }

    /// The factor each tree's values are multiplied by (1 for sums, 1/T for means).
    pub fn tree_weight(&self) -> f64 {
        match self.aggregation {
            Aggregation::Sum => 1.0,
            Aggregation::Mean => 1.0 / self.trees.len().max(1) as f64,
        }
    }

    /// Raw outputs for one row (length `n_features`).
    pub fn predict_raw_row(&self, row: &[f64]) -> Vec<f64> {
        let mut out = self.base_score.clone();
        let weight = self.tree_weight();
        for tree in &self.trees {
            let leaf = tree.leaf_for(row);
            match tree.output {
                TreeOutput::All => {
                    for (o, v) in out.iter_mut().zip(tree.node_values(leaf)) {
                        *o += weight * v;
                    }
                }
                TreeOutput::Single { output } => out[output] += weight * tree.node_values(leaf)[0],
            }
        }
        out
    }

    /// Raw outputs for a batch (rows × outputs); fails when the column count is wrong.
    pub fn predict_raw(&self, features: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        if features.ncols() != self.n_features {
            return Err(Error::shape(
                "feature columns",
                self.n_features,
                features.ncols(),
            ));
        }
        let mut out = Array2::zeros((features.nrows(), self.n_outputs()));
        let mut row_buf = vec![0.0; self.n_features];
        for (r, row) in features.rows().into_iter().enumerate() {
            row_buf
                .iter_mut()
                .zip(row.iter())
                .for_each(|(b, &x)| *b = x);
            for (k, v) in self.predict_raw_row(&row_buf).into_iter().enumerate() {
                out[[r, k]] = v;
            }
        }
        Ok(out)
    }
}

/// A model that is a tree ensemble in the uniform format.
pub trait TreeModel: Send + Sync {
    /// The ensemble, with node covers from training.
    fn tree_ensemble(&self) -> &TreeEnsemble;
}
