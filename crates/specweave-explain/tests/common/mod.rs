//! Random trees and exact Shapley values by enumeration, shared by the integration tests.
#![allow(dead_code)]

use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use specweave_core::{Aggregation, LEAF, OutputLink, SplitRule, Tree, TreeEnsemble, TreeOutput};

/// Random data where a quarter of the values come from a small set (ties) and some are NaN.
pub fn random_data(
    rng: &mut ChaCha8Rng,
    rows: usize,
    features: usize,
    nan_rate: f64,
) -> Array2<f64> {
    Array2::from_shape_fn((rows, features), |_| {
        if rng.random_bool(nan_rate) {
            f64::NAN
        } else if rng.random_bool(0.25) {
            f64::from(rng.random_range(0..4_u8))
        } else {
            rng.random::<f64>() * 4.0
        }
    })
}

struct Builder<'a> {
    rng: &'a mut ChaCha8Rng,
    data: &'a Array2<f64>,
    max_depth: usize,
    width: usize,
    rule: SplitRule,
    tree: Tree,
}

impl Builder<'_> {
    fn push(&mut self, samples: &[usize], depth: usize) -> u32 {
        let id = self.tree.left.len();
        self.tree.left.push(LEAF);
        self.tree.right.push(LEAF);
        self.tree.feature.push(0);
        self.tree.threshold.push(0.0);
        self.tree.missing_left.push(false);
        self.tree.cover.push(samples.len() as f64);
        for _ in 0..self.width {
            let v = self.rng.random::<f64>() * 2.0 - 1.0;
            self.tree.values.push(v);
        }
        if depth >= self.max_depth || samples.len() < 2 {
            return id as u32;
        }
        let feature = self.rng.random_range(0..self.data.ncols());
        let pivot = self.data[[samples[self.rng.random_range(0..samples.len())], feature]];
        let threshold = if pivot.is_nan() { 2.0 } else { pivot };
        self.tree.feature[id] = feature as u32;
        self.tree.threshold[id] = threshold;
        self.tree.missing_left[id] = self.rng.random_bool(0.5);
        let (left, right): (Vec<usize>, Vec<usize>) = samples
            .iter()
            .partition(|&&s| self.tree.goes_left(id, self.data[[s, feature]]));
        if left.is_empty() || right.is_empty() {
            return id as u32;
        }
        let l = self.push(&left, depth + 1);
        let r = self.push(&right, depth + 1);
        self.tree.left[id] = l;
        self.tree.right[id] = r;
        id as u32
    }
}

/// A random tree grown on `data` (covers are the sample counts routed to each node).
pub fn random_tree(
    rng: &mut ChaCha8Rng,
    data: &Array2<f64>,
    max_depth: usize,
    width: usize,
    output: TreeOutput,
) -> Tree {
    let rule = if rng.random_bool(0.5) {
        SplitRule::LessThan
    } else {
        SplitRule::LessOrEqual
    };
    let empty = Tree {
        left: vec![],
        right: vec![],
        feature: vec![],
        threshold: vec![],
        missing_left: vec![],
        cover: vec![],
        values: vec![],
        value_width: width,
        split_rule: rule,
        output,
    };
    let samples: Vec<usize> = (0..data.nrows()).collect();
    let mut builder = Builder {
        rng,
        data,
        max_depth,
        width,
        rule,
        tree: empty,
    };
    builder.push(&samples, 0);
    let _ = builder.rule;
    builder.tree
}

/// A random ensemble of the given shape.
pub fn random_ensemble(
    seed: u64,
    n_features: usize,
    n_trees: usize,
    max_depth: usize,
    n_outputs: usize,
    per_class_trees: bool,
    aggregation: Aggregation,
) -> (TreeEnsemble, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = random_data(&mut rng, 300, n_features, 0.05);
    let trees = (0..n_trees)
        .map(|t| {
            if per_class_trees {
                random_tree(
                    &mut rng,
                    &data,
                    max_depth,
                    1,
                    TreeOutput::Single {
                        output: t % n_outputs,
                    },
                )
            } else {
                random_tree(&mut rng, &data, max_depth, n_outputs, TreeOutput::All)
            }
        })
        .collect();
    let base: Vec<f64> = (0..n_outputs).map(|k| 0.25 * k as f64 - 0.1).collect();
    let ensemble = TreeEnsemble::new(trees, n_features, base, aggregation, OutputLink::Identity)
        .expect("random ensemble is valid");
    (ensemble, data)
}

/// Exact Shapley values of a set function given on all `2^m` masks.
pub fn shapley_from_masks(values: &[f64], m: usize) -> Vec<f64> {
    let factorial: Vec<f64> = (0..=m)
        .scan(1.0, |acc, i| {
            if i > 0 {
                *acc *= i as f64;
            }
            Some(*acc)
        })
        .collect();
    (0..m)
        .map(|i| {
            let mut phi = 0.0;
            for mask in 0..(1usize << m) {
                if mask & (1 << i) != 0 {
                    continue;
                }
                let s = mask.count_ones() as usize;
                let weight = factorial[s] * factorial[m - s - 1] / factorial[m];
                phi += weight * (values[mask | (1 << i)] - values[mask]);
            }
            phi
        })
        .collect()
}

/// The Shapley interaction index between `i` and `j` (half of it, as SHAP reports it).
pub fn shapley_interaction_from_masks(values: &[f64], m: usize, i: usize, j: usize) -> f64 {
    let factorial: Vec<f64> = (0..=m)
        .scan(1.0, |acc, n| {
            if n > 0 {
                *acc *= n as f64;
            }
            Some(*acc)
        })
        .collect();
    let mut total = 0.0;
    for mask in 0..(1usize << m) {
        if mask & ((1 << i) | (1 << j)) != 0 {
            continue;
        }
        let s = mask.count_ones() as usize;
        let weight = factorial[s] * factorial[m - s - 2] / (2.0 * factorial[m - 1]);
        let delta =
            values[mask | (1 << i) | (1 << j)] - values[mask | (1 << i)] - values[mask | (1 << j)]
                + values[mask];
        total += weight * delta;
    }
    total
}

/// The path-dependent conditional expectation `E[f(x) | x_S]` of one output.
pub fn conditional_expectation(
    ensemble: &TreeEnsemble,
    row: &[f64],
    mask: usize,
    output: usize,
) -> f64 {
    fn walk(tree: &Tree, node: usize, row: &[f64], mask: usize, output: usize) -> f64 {
        if tree.is_leaf(node) {
            return match tree.output {
                TreeOutput::All => tree.node_values(node)[output],
                TreeOutput::Single { output: o } if o == output => tree.node_values(node)[0],
                TreeOutput::Single { .. } => 0.0,
            };
        }
        let f = tree.feature[node] as usize;
        let (l, r) = (tree.left[node] as usize, tree.right[node] as usize);
        if mask & (1 << f) != 0 {
            let next = if tree.goes_left(node, row[f]) { l } else { r };
            walk(tree, next, row, mask, output)
        } else {
            (tree.cover[l] * walk(tree, l, row, mask, output)
                + tree.cover[r] * walk(tree, r, row, mask, output))
                / tree.cover[node]
        }
    }
    ensemble.base_score()[output]
        + ensemble.tree_weight()
            * ensemble
                .trees()
                .iter()
                .map(|t| walk(t, 0, row, mask, output))
                .sum::<f64>()
}

/// `E_z[f(x_S, z_S̄)]` over background rows, for one output.
pub fn interventional_expectation(
    ensemble: &TreeEnsemble,
    row: &[f64],
    background: &Array2<f64>,
    mask: usize,
    output: usize,
) -> f64 {
    let mut total = 0.0;
    for z in background.rows() {
        let hybrid: Vec<f64> = (0..row.len())
            .map(|f| if mask & (1 << f) != 0 { row[f] } else { z[f] })
            .collect();
        total += ensemble.predict_raw_row(&hybrid)[output];
    }
    total / background.nrows() as f64
}

/// A row function standing in for a model.
pub type RowFunction = Box<dyn Fn(&[f64]) -> Vec<f64> + Send + Sync>;

/// A model from a row function: one output as values, several as probabilities.
pub struct FnModel {
    pub outputs: usize,
    pub function: RowFunction,
}

impl std::fmt::Debug for FnModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FnModel({} outputs)", self.outputs)
    }
}

impl FnModel {
    pub fn new(
        outputs: usize,
        function: impl Fn(&[f64]) -> Vec<f64> + Send + Sync + 'static,
    ) -> FnModel {
        FnModel {
            outputs,
            function: Box::new(function),
        }
    }
}

impl specweave_core::Model for FnModel {
    fn info(&self) -> specweave_core::ModelInfo {
        specweave_core::ModelInfo {
            algorithm: "function".into(),
            problem: specweave_core::ProblemKind::Regression,
            params: serde_json::json!({}),
            feature_names: vec![],
            class_names: if self.outputs > 1 {
                (0..self.outputs).map(|k| format!("class_{k}")).collect()
            } else {
                vec![]
            },
            framework: "test".into(),
        }
    }

    fn predict(
        &self,
        features: ndarray::ArrayView2<'_, f64>,
    ) -> specweave_core::Result<specweave_core::Predictions> {
        let rows: Vec<Vec<f64>> = features
            .rows()
            .into_iter()
            .map(|r| (self.function)(&r.to_vec()))
            .collect();
        if self.outputs == 1 {
            Ok(specweave_core::Predictions::Values(
                rows.iter().map(|r| r[0]).collect(),
            ))
        } else {
            let flat: Vec<f64> = rows.into_iter().flatten().collect();
            Ok(specweave_core::Predictions::Probabilities {
                probabilities: Array2::from_shape_vec((features.nrows(), self.outputs), flat)
                    .map_err(|e| specweave_core::Error::InvalidInput(e.to_string()))?,
                class_names: (0..self.outputs).map(|k| format!("class_{k}")).collect(),
            })
        }
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        Ok(Vec::new())
    }
}
