//! TreeSHAP for tree ensembles in the uniform format: exact path-dependent SHAP values, SHAP
//! interaction values and interventional SHAP values against a background set, in parallel
//! over rows.
//!
//! All three explain the ensemble's raw output (`base_score` plus the aggregated leaf
//! values: log-odds for boosted classifiers, class fractions for forests).

mod interventional;
mod path_dependent;
mod precomputed;

use crate::{ExplainError, Result, ShapValues};
use ndarray::{Array2, Array3, Array4, ArrayView2};
use path_dependent::{Condition, Walk};
use precomputed::PrecomputedTree;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::{TreeEnsemble, TreeModel};
use std::sync::OnceLock;

/// Rows explained together, tree by tree, with the precomputed tables.
const ROW_BLOCK: usize = 32;

/// Tolerance of the additivity check, relative to `1 + |output|`.
const ADDITIVITY_TOLERANCE: f64 = 1e-9;

/// Which exact algorithm computes path-dependent SHAP values; all give the same values up
/// to rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TreeShapAlgorithm {
    /// Precomputed tables when the batch is large enough to repay them and they fit the
    /// memory budget, otherwise recursive.
    Auto,
    /// Lundberg et al.'s Algorithm 2: `O(T·L·D²)` per row, no extra memory.
    Recursive,
    /// Per-leaf tables (FastTreeSHAP v2 style): `O(T·L·2^D)` memory built once per
    /// explainer, then `O(T·L·D)` per row. Falls back to recursive when tables would exceed
    /// the memory budget.
    Precomputed,
}

/// Explains a [`TreeEnsemble`] with exact TreeSHAP.
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Aggregation, OutputLink, SplitRule, Tree, TreeEnsemble, TreeOutput, LEAF};
/// use specweave_explain::TreeExplainer;
///
/// // x0 < 0.5 ? 1.0 : 3.0 with 40 and 60 training rows.
/// let stump = Tree {
///     left: vec![1, LEAF, LEAF], right: vec![2, LEAF, LEAF], feature: vec![0, 0, 0],
///     threshold: vec![0.5, 0.0, 0.0], missing_left: vec![true, false, false],
///     cover: vec![100.0, 40.0, 60.0], values: vec![2.2, 1.0, 3.0], value_width: 1,
///     split_rule: SplitRule::LessThan, output: TreeOutput::All,
/// };
/// let ensemble = TreeEnsemble::new(vec![stump], 2, vec![0.0], Aggregation::Sum, OutputLink::Identity)?;
/// let explainer = TreeExplainer::new(&ensemble)?.feature_names(["x0", "x1"]);
/// let shap = explainer.shap_values(array![[0.7, 9.0]].view())?;
/// assert!((explainer.expected_value()[0] - 2.2).abs() < 1e-12);
/// assert!((shap.values[[0, 0, 0]] - 0.8).abs() < 1e-12);
/// assert_eq!(shap.values[[0, 1, 0]], 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TreeExplainer<'a> {
    ensemble: &'a TreeEnsemble,
    feature_names: Vec<String>,
    output_names: Vec<String>,
    check_additivity: bool,
    max_depth: Vec<usize>,
    used_features: Vec<Vec<u32>>,
    expected_value: Vec<f64>,
    algorithm: TreeShapAlgorithm,
    table_budget_bytes: usize,
    tables: OnceLock<Option<Vec<PrecomputedTree>>>,
}

/// SHAP interaction values: `values[[row, i, j, output]]`; the diagonal holds main effects
/// and each row of the matrix sums to the feature's SHAP value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapInteractionValues {
    /// Interaction values, rows × features × features × outputs.
    pub values: Array4<f64>,
    /// The expected raw output, one per output.
    pub expected_value: Vec<f64>,
    /// Feature names in column order.
    pub feature_names: Vec<String>,
    /// Output names.
    pub output_names: Vec<String>,
}

impl<'a> TreeExplainer<'a> {
    /// Prepares an explainer; fails when a split node has no positive cover.
    pub fn new(ensemble: &'a TreeEnsemble) -> Result<TreeExplainer<'a>> {
        let mut max_depth = Vec::with_capacity(ensemble.trees().len());
        let mut used_features = Vec::with_capacity(ensemble.trees().len());
        let mut expected_value = ensemble.base_score().to_vec();
        let scale = ensemble.tree_weight();
        for (t, tree) in ensemble.trees().iter().enumerate() {
            let mut used = Vec::new();
            for node in 0..tree.n_nodes() {
                if tree.is_leaf(node) {
                    continue;
                }
                if tree.cover[node].partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                    return Err(ExplainError::Tree {
                        tree: t,
                        node,
                        message: format!(
                            "split node has cover {}; TreeSHAP needs the training weight through every split",
                            tree.cover[node]
                        ),
                    });
                }
                used.push(tree.feature[node]);
            }
            used.sort_unstable();
            used.dedup();
            used_features.push(used);
            max_depth.push(tree.max_depth());
            path_dependent::expected_value(tree, scale, &mut expected_value);
        }
        let n_outputs = ensemble.n_outputs();
        Ok(TreeExplainer {
            ensemble,
            feature_names: (0..ensemble.n_features())
                .map(|f| format!("x{f}"))
                .collect(),
            output_names: if n_outputs == 1 {
                vec!["value".to_string()]
            } else {
                (0..n_outputs).map(|k| format!("output_{k}")).collect()
            },
            check_additivity: cfg!(debug_assertions),
            max_depth,
            used_features,
            expected_value,
            algorithm: TreeShapAlgorithm::Auto,
            table_budget_bytes: 256 << 20,
            tables: OnceLock::new(),
        })
    }

    /// The algorithm for [`shap_values`](Self::shap_values) (default [`TreeShapAlgorithm::Auto`]).
    pub fn algorithm(mut self, algorithm: TreeShapAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Most memory the precomputed tables may take (default 256 MiB).
    pub fn table_budget_bytes(mut self, bytes: usize) -> Self {
        self.table_budget_bytes = bytes;
        self.tables = OnceLock::new();
        self
    }

    /// The precomputed tables, built on first use, or `None` when they exceed the budget.
    fn tables(&self) -> Option<&[PrecomputedTree]> {
        self.tables
            .get_or_init(|| {
                let mut entries = 0usize;
                for tree in self.ensemble.trees() {
                    entries = entries.checked_add(precomputed::table_size(tree)?)?;
                }
                if entries.saturating_mul(std::mem::size_of::<f64>()) > self.table_budget_bytes {
                    return None;
                }
                Some(
                    self.ensemble
                        .trees()
                        .par_iter()
                        .map(PrecomputedTree::new)
                        .collect(),
                )
            })
            .as_deref()
    }

    fn use_tables(&self, n_rows: usize) -> Option<&[PrecomputedTree]> {
        match self.algorithm {
            TreeShapAlgorithm::Recursive => None,
            TreeShapAlgorithm::Precomputed => self.tables(),
            TreeShapAlgorithm::Auto => {
                let depth = self.max_depth.iter().copied().max().unwrap_or(0).min(40);
                let break_even = (1usize << depth) / depth.max(1);
                if n_rows > break_even {
                    self.tables()
                } else {
                    None
                }
            }
        }
    }

    /// Prepares an explainer for any [`TreeModel`].
    pub fn from_model(model: &'a dyn TreeModel) -> Result<TreeExplainer<'a>> {
        TreeExplainer::new(model.tree_ensemble())
    }

    /// Names the features (default `x0`, `x1`, ...); ignored when the count differs.
    pub fn feature_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        if names.len() == self.ensemble.n_features() {
            self.feature_names = names;
        }
        self
    }

    /// Names the outputs (class names); ignored when the count differs.
    pub fn output_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        if names.len() == self.ensemble.n_outputs() {
            self.output_names = names;
        }
        self
    }

    /// Whether every call checks that expected value plus SHAP values equals the raw output
    /// (within 1e-9 relative to `1 + |output|`). On by default in debug builds.
    pub fn check_additivity(mut self, check: bool) -> Self {
        self.check_additivity = check;
        self
    }

    /// The expected raw output under the training distribution the covers describe.
    pub fn expected_value(&self) -> &[f64] {
        &self.expected_value
    }

    /// Exact path-dependent SHAP values of the raw output for each row (rows × features).
    pub fn shap_values(&self, rows: ArrayView2<'_, f64>) -> Result<ShapValues> {
        self.check_columns(rows)?;
        let (n_features, n_outputs) = (self.ensemble.n_features(), self.ensemble.n_outputs());
        let scale = self.ensemble.tree_weight();
        let per_row: Vec<Vec<f64>> = if let Some(tables) = self.use_tables(rows.nrows()) {
            // Tree-major over blocks of rows keeps one tree's tables in cache for the block.
            let width = n_features * n_outputs;
            let blocks: Vec<Vec<f64>> = (0..rows.nrows().div_ceil(ROW_BLOCK))
                .into_par_iter()
                .map_init(Vec::new, |stack, block| {
                    let start = block * ROW_BLOCK;
                    let end = (start + ROW_BLOCK).min(rows.nrows());
                    let block_rows: Vec<Vec<f64>> =
                        (start..end).map(|r| rows.row(r).to_vec()).collect();
                    let mut phi = vec![0.0; (end - start) * width];
                    for (tree, table) in self.ensemble.trees().iter().zip(tables) {
                        for (row, out) in block_rows.iter().zip(phi.chunks_mut(width.max(1))) {
                            table.explain(tree, row, scale, n_outputs, out, stack);
                        }
                    }
                    phi
                })
                .collect();
            blocks
                .into_iter()
                .flat_map(|block| {
                    block
                        .chunks(width.max(1))
                        .map(<[f64]>::to_vec)
                        .collect::<Vec<_>>()
                })
                .collect()
        } else {
            (0..rows.nrows())
                .into_par_iter()
                .map_init(path_dependent::Scratch::default, |scratch, r| {
                    let row = rows.row(r).to_vec();
                    let mut phi = vec![0.0; n_features * n_outputs];
                    for (tree, &depth) in self.ensemble.trees().iter().zip(&self.max_depth) {
                        let mut walk = Walk {
                            tree,
                            row: &row,
                            scale,
                            n_outputs,
                            phi: &mut phi,
                        };
                        scratch.explain(&mut walk, depth, Condition::None);
                    }
                    phi
                })
                .collect()
        };
        let shap = self.assemble(rows, per_row, self.expected_value.clone())?;
        if self.check_additivity {
            self.verify_additivity(&shap, rows)?;
        }
        Ok(shap)
    }

    /// SHAP interaction values (path-dependent) for each row.
    pub fn interaction_values(&self, rows: ArrayView2<'_, f64>) -> Result<ShapInteractionValues> {
        self.check_columns(rows)?;
        let (n_features, n_outputs) = (self.ensemble.n_features(), self.ensemble.n_outputs());
        let scale = self.ensemble.tree_weight();
        let block = n_features * n_features * n_outputs;
        let per_row: Vec<Vec<f64>> = (0..rows.nrows())
            .into_par_iter()
            .map_init(path_dependent::Scratch::default, |scratch, r| {
                let row = rows.row(r).to_vec();
                let mut phi = vec![0.0; n_features * n_outputs];
                let mut on = vec![0.0; n_features * n_outputs];
                let mut off = vec![0.0; n_features * n_outputs];
                let mut interactions = vec![0.0; block];
                let trees = self.ensemble.trees().iter();
                for ((tree, &depth), used) in trees.zip(&self.max_depth).zip(&self.used_features) {
                    let mut run = |phi: &mut [f64], condition| {
                        let mut walk = Walk {
                            tree,
                            row: &row,
                            scale,
                            n_outputs,
                            phi,
                        };
                        scratch.explain(&mut walk, depth, condition);
                    };
                    run(&mut phi, Condition::None);
                    for &j in used {
                        on.fill(0.0);
                        off.fill(0.0);
                        run(&mut on, Condition::On(j));
                        run(&mut off, Condition::Off(j));
                        let base = j as usize * n_features * n_outputs;
                        for (i, (a, b)) in on.iter().zip(&off).enumerate() {
                            interactions[base + i] += (a - b) / 2.0;
                        }
                    }
                }
                for j in 0..n_features {
                    for k in 0..n_outputs {
                        let off_diagonal: f64 = (0..n_features)
                            .filter(|&i| i != j)
                            .map(|i| interactions[(j * n_features + i) * n_outputs + k])
                            .sum();
                        interactions[(j * n_features + j) * n_outputs + k] =
                            phi[j * n_outputs + k] - off_diagonal;
                    }
                }
                interactions
            })
            .collect();
        let flat: Vec<f64> = per_row.into_iter().flatten().collect();
        let values =
            Array4::from_shape_vec((rows.nrows(), n_features, n_features, n_outputs), flat)
                .map_err(|e| ExplainError::shape("interaction values", "rows x M x M x K", e))?;
        Ok(ShapInteractionValues {
            values,
            expected_value: self.expected_value.clone(),
            feature_names: self.feature_names.clone(),
            output_names: self.output_names.clone(),
        })
    }

    /// Interventional SHAP values: exact Shapley values of `mean_z f(x_S, z_S̄)` over the
    /// background rows; the expected value is the mean raw output over the background.
    ///
    /// Cost is linear in the background size; 100 to 1000 rows are typical.
    pub fn interventional_values(
        &self,
        rows: ArrayView2<'_, f64>,
        background: ArrayView2<'_, f64>,
    ) -> Result<ShapValues> {
        self.check_columns(rows)?;
        self.check_columns(background)?;
        if background.nrows() == 0 {
            return Err(ExplainError::param(
                "background",
                "interventional SHAP needs at least one background row",
            ));
        }
        let (n_features, n_outputs) = (self.ensemble.n_features(), self.ensemble.n_outputs());
        let scale = self.ensemble.tree_weight() / background.nrows() as f64;
        let max_depth = self.max_depth.iter().copied().max().unwrap_or(0);
        let background_rows: Vec<Vec<f64>> =
            background.rows().into_iter().map(|r| r.to_vec()).collect();
        let per_row: Vec<Vec<f64>> = (0..rows.nrows())
            .into_par_iter()
            .map_init(
                || interventional::Scratch::new(n_features, max_depth),
                |scratch, r| {
                    let row = rows.row(r).to_vec();
                    let mut phi = vec![0.0; n_features * n_outputs];
                    for tree in self.ensemble.trees() {
                        for z in &background_rows {
                            scratch.explain(tree, &row, z, scale, n_outputs, &mut phi);
                        }
                    }
                    phi
                },
            )
            .collect();
        let background_outputs = self.ensemble.predict_raw(background)?;
        let expected: Vec<f64> = background_outputs
            .mean_axis(ndarray::Axis(0))
            .map(|m| m.to_vec())
            .unwrap_or_else(|| vec![0.0; n_outputs]);
        let shap = self.assemble(rows, per_row, expected)?;
        if self.check_additivity {
            self.verify_additivity(&shap, rows)?;
        }
        Ok(shap)
    }

    fn check_columns(&self, rows: ArrayView2<'_, f64>) -> Result<()> {
        if rows.ncols() != self.ensemble.n_features() {
            return Err(ExplainError::shape(
                "feature columns",
                self.ensemble.n_features(),
                rows.ncols(),
            ));
        }
        Ok(())
    }

    fn assemble(
        &self,
        rows: ArrayView2<'_, f64>,
        per_row: Vec<Vec<f64>>,
        expected_value: Vec<f64>,
    ) -> Result<ShapValues> {
        let (n_features, n_outputs) = (self.ensemble.n_features(), self.ensemble.n_outputs());
        let flat: Vec<f64> = per_row.into_iter().flatten().collect();
        let values = Array3::from_shape_vec((rows.nrows(), n_features, n_outputs), flat)
            .map_err(|e| ExplainError::shape("SHAP values", "rows x features x outputs", e))?;
        ShapValues::new(
            values,
            expected_value,
            rows.to_owned(),
            self.feature_names.clone(),
            self.output_names.clone(),
        )
    }

    fn verify_additivity(&self, shap: &ShapValues, rows: ArrayView2<'_, f64>) -> Result<()> {
        let actual: Array2<f64> = self.ensemble.predict_raw(rows)?;
        let explained = shap.outputs_explained();
        for ((r, k), &a) in actual.indexed_iter() {
            let e = explained[[r, k]];
            if (e - a).abs() > ADDITIVITY_TOLERANCE * (1.0 + a.abs()) {
                return Err(ExplainError::Additivity {
                    row: r,
                    output: k,
                    explained: e,
                    actual: a,
                });
            }
        }
        Ok(())
    }
}
