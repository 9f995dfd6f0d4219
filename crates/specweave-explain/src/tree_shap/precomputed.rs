//! TreeSHAP with per-leaf precomputation, in the spirit of FastTreeSHAP v2 (Yang 2021).
//!
//! Along one root-to-leaf path, the leaf's share of a row's output is a product game over
//! the path's distinct features `P` (`d = |P|`): feature `j` contributes its zero fraction
//! `z_j` (the product of cover ratios of its splits) when unknown and `1` or `0` when known,
//! depending on whether the row satisfies all of its splits. With `A ⊆ P` the satisfied
//! features and `w(s) = s!·(d−s−1)!/d!`, Shapley's formula reduces to
//!
//! - `φ_i = v·(1 − z_i)·Π_{j∈P∖A} z_j · F(A∖{i})` for `i ∈ A`,
//! - `φ_i = −v·Π_{j∈P∖A} z_j · F(A)` for `i ∉ A`,
//!
//! where `F(B) = Σ_{S⊆B} w(|S|)·Π_{j∈B∖S} z_j` depends only on the tree. Tabulating `F`
//! for every leaf and every `B` (`O(L·2^D)` memory) leaves `O(L·D)` work per row and tree,
//! against `O(L·D²)` for the recursive algorithm, which pays off once a batch has more than
//! about `2^D / D` rows.

use specweave_core::{Tree, TreeOutput};

/// One tree's tables.
#[derive(Debug, Clone)]
pub(crate) struct PrecomputedTree {
    /// Position of each split node's feature among the distinct features of its path.
    position: Vec<u8>,
    /// Index into the leaf arrays for each leaf node.
    leaf_index: Vec<u32>,
    /// Per leaf: offset into `features`/`zero` and into `table`, and its `d`.
    leaf_feature_offset: Vec<u32>,
    leaf_table_offset: Vec<usize>,
    leaf_depth: Vec<u8>,
    features: Vec<u32>,
    zero: Vec<f64>,
    table: Vec<f64>,
}

/// Number of table entries a tree needs, or `None` when a path has more than 24 distinct
/// features (tables would not fit).
pub(crate) fn table_size(tree: &Tree) -> Option<usize> {
    let mut total = 0usize;
    let mut stack = vec![(0usize, Vec::<u32>::new())];
    while let Some((node, mut features)) = stack.pop() {
        if tree.is_leaf(node) {
            if features.len() > 24 {
                return None;
            }
            total = total.checked_add(1usize << features.len())?;
            continue;
        }
        let f = tree.feature[node];
        if !features.contains(&f) {
            features.push(f);
        }
        stack.push((tree.right[node] as usize, features.clone()));
        stack.push((tree.left[node] as usize, features));
    }
    Some(total)
}

impl PrecomputedTree {
    /// Builds the tables; `table_size(tree)` must have returned `Some`.
    pub(crate) fn new(tree: &Tree) -> PrecomputedTree {
        let n = tree.n_nodes();
        let mut built = PrecomputedTree {
            position: vec![0; n],
            leaf_index: vec![u32::MAX; n],
            leaf_feature_offset: Vec::new(),
            leaf_table_offset: Vec::new(),
            leaf_depth: Vec::new(),
            features: Vec::new(),
            zero: Vec::new(),
            table: Vec::new(),
        };
        let mut path_features = Vec::new();
        let mut path_zero = Vec::new();
        built.visit(tree, 0, &mut path_features, &mut path_zero);
        built
    }

    fn visit(&mut self, tree: &Tree, node: usize, features: &mut Vec<u32>, zero: &mut Vec<f64>) {
        if tree.is_leaf(node) {
            self.leaf_index[node] = self.leaf_depth.len() as u32;
            self.leaf_feature_offset.push(self.features.len() as u32);
            self.leaf_table_offset.push(self.table.len());
            self.leaf_depth.push(features.len() as u8);
            self.features.extend_from_slice(features);
            self.zero.extend_from_slice(zero);
            append_table(zero, &mut self.table);
            return;
        }
        let f = tree.feature[node];
        let (position, added) = match features.iter().position(|&g| g == f) {
            Some(p) => (p, false),
            None => {
                features.push(f);
                zero.push(1.0);
                (features.len() - 1, true)
            }
        };
        self.position[node] = position as u8;
        let cover = tree.cover[node];
        for child in [tree.left[node] as usize, tree.right[node] as usize] {
            let saved = zero[position];
            zero[position] *= tree.cover[child] / cover;
            self.visit(tree, child, features, zero);
            zero[position] = saved;
        }
        if added {
            features.pop();
            zero.pop();
        }
    }

    /// Adds `scale` times the tree's SHAP values for `row` to `phi`
    /// (`feature * n_outputs + output`); `stack` is scratch space.
    pub(crate) fn explain(
        &self,
        tree: &Tree,
        row: &[f64],
        scale: f64,
        n_outputs: usize,
        phi: &mut [f64],
        stack: &mut Vec<(u32, u32)>,
    ) {
        stack.clear();
        stack.push((0, u32::MAX));
        while let Some((node, satisfied)) = stack.pop() {
            let node = node as usize;
            if !tree.is_leaf(node) {
                let bit = 1u32 << self.position[node];
                let (hot, cold) = if tree.goes_left(node, row[tree.feature[node] as usize]) {
                    (tree.left[node], tree.right[node])
                } else {
                    (tree.right[node], tree.left[node])
                };
                stack.push((cold, satisfied & !bit));
                stack.push((hot, satisfied));
                continue;
            }
            let leaf = self.leaf_index[node] as usize;
            let d = self.leaf_depth[leaf] as usize;
            if d == 0 {
                continue;
            }
            let a = satisfied & ((1u32 << d) - 1);
            let offset = self.leaf_feature_offset[leaf] as usize;
            let features = &self.features[offset..offset + d];
            let zero = &self.zero[offset..offset + d];
            let table = &self.table[self.leaf_table_offset[leaf]..];
            let mut unsatisfied_product = 1.0;
            for (j, z) in zero.iter().enumerate() {
                if a & (1 << j) == 0 {
                    unsatisfied_product *= z;
                }
            }
            let absent = -unsatisfied_product * table[a as usize];
            let values = tree.node_values(node);
            for (j, (&feature, &z)) in features.iter().zip(zero).enumerate() {
                let weight = if a & (1 << j) != 0 {
                    (1.0 - z) * unsatisfied_product * table[(a ^ (1 << j)) as usize]
                } else {
                    absent
                } * scale;
                let at = feature as usize * n_outputs;
                match tree.output {
                    TreeOutput::All => {
                        for (k, v) in values.iter().enumerate() {
                            phi[at + k] += weight * v;
                        }
                    }
                    TreeOutput::Single { output } => phi[at + output] += weight * values[0],
                }
            }
        }
    }
}

/// Appends `F(B)` for every `B ⊆ {0..d}` (bit `j` of the index is feature `j`).
fn append_table(zero: &[f64], table: &mut Vec<f64>) {
    let d = zero.len();
    let size = 1usize << d;
    // w(s) = s!·(d−s−1)!/d! for s < d.
    let mut weights = vec![0.0; d + 1];
    for (s, w) in weights.iter_mut().enumerate().take(d) {
        let mut value = 1.0 / d as f64;
        // s!(d−s−1)!/d! = 1 / (d · C(d−1, s)).
        for i in 0..s {
            value *= (i + 1) as f64 / (d - 1 - i) as f64;
        }
        *w = value;
    }
    // levels[t][B] = F_t(B) = Σ_{S⊆B} w(|S| + t)·Π_{j∈B∖S} z_j, built from smaller sets:
    // F_t(B ∪ {k}) = F_{t+1}(B) + z_k·F_t(B).
    let mut levels = vec![vec![0.0; size]; d + 1];
    for (t, level) in levels.iter_mut().enumerate() {
        level[0] = weights[t];
    }
    for b in 1..size {
        let k = b.trailing_zeros() as usize;
        let rest = b & (b - 1);
        let population = b.count_ones() as usize;
        for t in 0..=(d - population) {
            levels[t][b] = levels[t + 1][rest] + zero[k] * levels[t][rest];
        }
    }
    table.extend_from_slice(&levels[0]);
}
