//! Interventional TreeSHAP: exact Shapley values of `E_z[f(x_S, z_S̄)]` over a background set.
//!
//! For one row `x` and one background row `z`, a tree walk follows both rows at once; where
//! they part, the split feature is assigned to `x` or to `z` and both branches are visited.
//! A leaf reached with `a` features taken from `x` and `b` from `z` is worth its value
//! exactly for the coalitions holding all `a` and none of the `b`, whose Shapley values are
//! `(a−1)!·b!/(a+b)!` for each `x` feature and `−a!·(b−1)!/(a+b)!` for each `z` feature.

use specweave_core::{Tree, TreeOutput};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Unassigned,
    Row,
    Background,
}

/// Per-thread scratch space: the side each feature is assigned to and the Shapley weights.
#[derive(Debug)]
pub(crate) struct Scratch {
    side: Vec<Side>,
    row_features: Vec<u32>,
    background_features: Vec<u32>,
    /// `weights[a][b] = a!·b!/(a+b+1)!`.
    weights: Vec<Vec<f64>>,
}

impl Scratch {
    pub(crate) fn new(n_features: usize, max_depth: usize) -> Scratch {
        let size = max_depth + 2;
        let mut weights = vec![vec![0.0; size]; size];
        for (a, row) in weights.iter_mut().enumerate() {
            for (b, w) in row.iter_mut().enumerate() {
                // a!·b!/(a+b+1)! = 1 / ((a+b+1)·C(a+b, a)), computed without overflow.
                let mut binomial = 1.0;
                for i in 0..a {
                    binomial = binomial * (b + 1 + i) as f64 / (i + 1) as f64;
                }
                *w = 1.0 / ((a + b + 1) as f64 * binomial);
            }
        }
        Scratch {
            side: vec![Side::Unassigned; n_features],
            row_features: Vec::with_capacity(max_depth),
            background_features: Vec::with_capacity(max_depth),
            weights,
        }
    }

    /// Adds `scale` times the tree's attributions of `row` against `background` to `phi`
    /// (`feature * n_outputs + output`).
    pub(crate) fn explain(
        &mut self,
        tree: &Tree,
        row: &[f64],
        background: &[f64],
        scale: f64,
        n_outputs: usize,
        phi: &mut [f64],
    ) {
        self.recurse(tree, 0, row, background, scale, n_outputs, phi);
    }

    #[allow(clippy::too_many_arguments)]
    fn recurse(
        &mut self,
        tree: &Tree,
        node: usize,
        row: &[f64],
        background: &[f64],
        scale: f64,
        n_outputs: usize,
        phi: &mut [f64],
    ) {
        if tree.is_leaf(node) {
            let a = self.row_features.len();
            let b = self.background_features.len();
            let values = tree.node_values(node);
            let mut add = |feature: u32, w: f64| {
                let at = feature as usize * n_outputs;
                match tree.output {
                    TreeOutput::All => {
                        for (k, v) in values.iter().enumerate() {
                            phi[at + k] += w * v;
                        }
                    }
                    TreeOutput::Single { output } => phi[at + output] += w * values[0],
                }
            };
            if a > 0 {
                let w = scale * self.weights[a - 1][b];
                for &f in &self.row_features {
                    add(f, w);
                }
            }
            if b > 0 {
                let w = -scale * self.weights[a][b - 1];
                for &f in &self.background_features {
                    add(f, w);
                }
            }
            return;
        }
        let feature = tree.feature[node];
        let f = feature as usize;
        let left = tree.left[node] as usize;
        let right = tree.right[node] as usize;
        let child = |goes_left: bool| if goes_left { left } else { right };
        let row_child = child(tree.goes_left(node, row[f]));
        let background_child = child(tree.goes_left(node, background[f]));
        if row_child == background_child {
            return self.recurse(tree, row_child, row, background, scale, n_outputs, phi);
        }
        match self.side[f] {
            Side::Row => self.recurse(tree, row_child, row, background, scale, n_outputs, phi),
            Side::Background => self.recurse(
                tree,
                background_child,
                row,
                background,
                scale,
                n_outputs,
                phi,
            ),
            Side::Unassigned => {
                self.side[f] = Side::Row;
                self.row_features.push(feature);
                self.recurse(tree, row_child, row, background, scale, n_outputs, phi);
                self.row_features.pop();
                self.side[f] = Side::Background;
                self.background_features.push(feature);
                self.recurse(
                    tree,
                    background_child,
                    row,
                    background,
                    scale,
                    n_outputs,
                    phi,
                );
                self.background_features.pop();
                self.side[f] = Side::Unassigned;
            }
        }
    }
}
