//! Exact path-dependent TreeSHAP (Lundberg, Erion et al. 2018, Algorithm 2): one pass over
//! a tree per row, keeping for the features on the current path the proportion of subsets
//! that flow down it (EXTEND), and removing a feature again when the path splits on it twice
//! (UNWIND).

use specweave_core::{Tree, TreeOutput};

/// Feature index of the path's first element, which stands for no feature.
const NO_FEATURE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, Default)]
struct PathElement {
    feature: u32,
    zero_fraction: f64,
    one_fraction: f64,
    weight: f64,
}

/// How a recursion is conditioned on one feature (for interaction values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Condition {
    /// Plain SHAP values.
    None,
    /// The feature is always known (follows the row).
    On(u32),
    /// The feature is never known (follows the covers).
    Off(u32),
}

impl Condition {
    fn feature(self) -> Option<u32> {
        match self {
            Condition::None => None,
            Condition::On(f) | Condition::Off(f) => Some(f),
        }
    }
}

/// Reusable per-thread scratch space for one tree walk.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    path: Vec<PathElement>,
}

/// The tree and row one walk explains, and where its attributions go.
pub(crate) struct Walk<'a> {
    pub tree: &'a Tree,
    /// The row, length `n_features`.
    pub row: &'a [f64],
    /// The factor leaf values are multiplied by (tree weight of the ensemble).
    pub scale: f64,
    /// Number of ensemble outputs (the width of `phi`'s rows).
    pub n_outputs: usize,
    /// Attributions, `feature * n_outputs + output`.
    pub phi: &'a mut [f64],
}

impl Scratch {
    /// Adds the tree's SHAP values for the walk's row to `walk.phi`.
    ///
    /// `max_depth` is the depth of the tree's deepest leaf.
    pub(crate) fn explain(&mut self, walk: &mut Walk<'_>, max_depth: usize, condition: Condition) {
        let needed = (max_depth + 3) * (max_depth + 4) / 2 + 1;
        if self.path.len() < needed {
            self.path.resize(needed, PathElement::default());
        }
        self.recurse(walk, 0, 0, 0, 1.0, 1.0, NO_FEATURE, condition, 1.0);
    }

    #[allow(clippy::too_many_arguments)]
    fn recurse(
        &mut self,
        walk: &mut Walk<'_>,
        node: usize,
        mut unique_depth: usize,
        parent_offset: usize,
        parent_zero_fraction: f64,
        parent_one_fraction: f64,
        parent_feature: u32,
        condition: Condition,
        condition_fraction: f64,
    ) {
        if condition_fraction == 0.0 {
            return;
        }
        let offset = parent_offset + unique_depth + 1;
        self.path
            .copy_within(parent_offset..parent_offset + unique_depth + 1, offset);
        if condition.feature() != Some(parent_feature) {
            extend(
                &mut self.path[offset..],
                unique_depth,
                parent_zero_fraction,
                parent_one_fraction,
                parent_feature,
            );
        }
        let tree = walk.tree;
        if tree.is_leaf(node) {
            let values = tree.node_values(node);
            for i in 1..=unique_depth {
                let path = &self.path[offset..];
                let element = path[i];
                let w = unwound_sum(path, unique_depth, i)
                    * (element.one_fraction - element.zero_fraction)
                    * condition_fraction
                    * walk.scale;
                let row = element.feature as usize * walk.n_outputs;
                match tree.output {
                    TreeOutput::All => {
                        for (k, v) in values.iter().enumerate() {
                            walk.phi[row + k] += w * v;
                        }
                    }
                    TreeOutput::Single { output } => walk.phi[row + output] += w * values[0],
                }
            }
            return;
        }

        let split = tree.feature[node];
        let goes_left = tree.goes_left(node, walk.row[split as usize]);
        let (hot, cold) = if goes_left {
            (tree.left[node] as usize, tree.right[node] as usize)
        } else {
            (tree.right[node] as usize, tree.left[node] as usize)
        };
        let cover = tree.cover[node];
        let hot_zero_fraction = tree.cover[hot] / cover;
        let cold_zero_fraction = tree.cover[cold] / cover;
        let mut incoming_zero_fraction = 1.0;
        let mut incoming_one_fraction = 1.0;

        // A feature already on the path is removed first; its fractions carry into the children.
        if let Some(path_index) =
            (0..=unique_depth).find(|&i| self.path[offset + i].feature == split)
        {
            let element = self.path[offset + path_index];
            incoming_zero_fraction = element.zero_fraction;
            incoming_one_fraction = element.one_fraction;
            unwind(&mut self.path[offset..], unique_depth, path_index);
            unique_depth = unique_depth.wrapping_sub(1);
        }

        let mut hot_condition_fraction = condition_fraction;
        let mut cold_condition_fraction = condition_fraction;
        match condition {
            Condition::On(f) if f == split => {
                cold_condition_fraction = 0.0;
                unique_depth = unique_depth.wrapping_sub(1);
            }
            Condition::Off(f) if f == split => {
                hot_condition_fraction *= hot_zero_fraction;
                cold_condition_fraction *= cold_zero_fraction;
                unique_depth = unique_depth.wrapping_sub(1);
            }
            _ => {}
        }
        // `unique_depth` may have dropped to "-1" above; the children add one back.
        let child_depth = unique_depth.wrapping_add(1);
        self.recurse(
            walk,
            hot,
            child_depth,
            offset,
            hot_zero_fraction * incoming_zero_fraction,
            incoming_one_fraction,
            split,
            condition,
            hot_condition_fraction,
        );
        self.recurse(
            walk,
            cold,
            child_depth,
            offset,
            cold_zero_fraction * incoming_zero_fraction,
            0.0,
            split,
            condition,
            cold_condition_fraction,
        );
    }
}

/// EXTEND: adds a feature to the path, updating the subset-size weights.
fn extend(path: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: u32) {
    path[depth] = PathElement {
        feature,
        zero_fraction: zero,
        one_fraction: one,
        weight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let denominator = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / denominator;
        path[i].weight = zero * path[i].weight * (depth - i) as f64 / denominator;
    }
}

/// UNWIND: removes the element at `index` from the path, undoing its EXTEND.
fn unwind(path: &mut [PathElement], depth: usize, index: usize) {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].weight;
    let total = (depth + 1) as f64;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].weight;
            path[i].weight = next_one_portion * total / ((i + 1) as f64 * one);
            next_one_portion = tmp - path[i].weight * zero * (depth - i) as f64 / total;
        } else if zero != 0.0 {
            path[i].weight = path[i].weight * total / (zero * (depth - i) as f64);
        } else {
            // A path no subset can reach carries no weight either way.
            path[i].weight = 0.0;
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

/// The total weight the path would have with the element at `index` unwound.
fn unwound_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].weight;
    let total = (depth + 1) as f64;
    let mut sum = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = next_one_portion * total / ((i + 1) as f64 * one);
            sum += tmp;
            next_one_portion = path[i].weight - tmp * zero * (depth - i) as f64 / total;
        } else if zero != 0.0 {
            sum += path[i].weight / zero / ((depth - i) as f64 / total);
        }
    }
    sum
}

/// The tree's expected output under the path-dependent distribution: leaf values weighted by
/// the product of cover fractions along their paths. Adds `scale` times it to `out`.
pub(crate) fn expected_value(tree: &Tree, scale: f64, out: &mut [f64]) {
    // Children come after parents, so one forward pass propagates path probabilities.
    let mut probability = vec![0.0; tree.n_nodes()];
    probability[0] = 1.0;
    for node in 0..tree.n_nodes() {
        if tree.is_leaf(node) {
            let p = probability[node] * scale;
            match tree.output {
                TreeOutput::All => {
                    for (o, v) in out.iter_mut().zip(tree.node_values(node)) {
                        *o += p * v;
                    }
                }
                TreeOutput::Single { output } => out[output] += p * tree.node_values(node)[0],
            }
        } else {
            let cover = tree.cover[node];
            for child in [tree.left[node] as usize, tree.right[node] as usize] {
                probability[child] = probability[node] * tree.cover[child] / cover;
            }
        }
    }
}
