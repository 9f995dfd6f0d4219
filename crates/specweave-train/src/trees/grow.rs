//! Growing one histogram tree from per-row gradients and hessians.
//!
//! One grower serves boosting and forests. A node's score is `Σ_k G_k² / (H + λ)` over the
//! `width` gradient components and its value `-G_k / (H + λ)`: with second-order gradients
//! this is XGBoost/LightGBM's gain; with `g = -w·onehot(y)` (or `-w·y`), `h = w` and `λ = 0`
//! it is the weighted Gini (or variance) decrease of CART, and leaves hold class fractions
//! (or means). Trees grow leaf-wise (best gain first) when the number of leaves is capped,
//! depth-first otherwise.

use super::binning::{BIN_SLOTS, BinMapper, BinnedData, MISSING_BIN};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use specweave_core::{LEAF, SplitRule, Tree, TreeOutput};

/// Limits and regularisation of one tree.
#[derive(Debug, Clone)]
pub(crate) struct GrowConfig {
    /// Maximum number of leaves; 0 for no limit.
    pub max_leaves: usize,
    /// Maximum depth; 0 for no limit.
    pub max_depth: usize,
    /// Minimum rows in a leaf.
    pub min_samples_leaf: usize,
    /// Minimum hessian sum in a leaf.
    pub min_hessian_leaf: f64,
    /// L2 regularisation of leaf values.
    pub lambda: f64,
    /// Minimum gain of a split.
    pub min_gain: f64,
    /// Features drawn per node (forests); 0 for all of the tree's features.
    pub features_per_node: usize,
    /// Factor applied to node values (the learning rate).
    pub value_scale: f64,
    /// Build histograms of different features in parallel.
    pub parallel: bool,
}

/// Per-row gradients (`width` per row, row-major) and hessians of the loss.
pub(crate) struct Gradients<'a> {
    pub width: usize,
    pub grad: &'a [f64],
    pub hess: &'a [f64],
}

/// A grown tree in the uniform format plus the bin of each split, for binned routing.
pub(crate) struct GrownTree {
    pub tree: Tree,
    pub split_bin: Vec<u8>,
}

impl GrownTree {
    /// The leaf a binned row reaches.
    #[inline]
    pub(crate) fn leaf_for_binned(&self, binned: &BinnedData, row: usize) -> usize {
        let tree = &self.tree;
        let mut node = 0usize;
        while tree.left[node] != LEAF {
            let b = binned.column(tree.feature[node] as usize)[row];
            let left = if b == MISSING_BIN {
                tree.missing_left[node]
            } else {
                b <= self.split_bin[node]
            };
            node = if left {
                tree.left[node]
            } else {
                tree.right[node]
            } as usize;
        }
        node
    }
}

/// Nodes with at most this many rows search splits by sorting instead of histograms.
const SMALL_NODE_ROWS: usize = 256;

/// Gradient sums of a histogram slot or node: `width` gradients, then hessian, then count.
type Sums = Vec<f64>;

struct Histogram {
    /// Features covered, in slot order.
    features: Vec<usize>,
    /// `features.len() × BIN_SLOTS × (width + 2)` sums.
    data: Vec<f64>,
}

#[derive(Clone)]
struct SplitCandidate {
    gain: f64,
    feature: usize,
    bin: u8,
    missing_left: bool,
}

struct Pending {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    histogram: Option<Histogram>,
    best: Option<SplitCandidate>,
}

struct Builder<'a> {
    binned: &'a BinnedData,
    mapper: &'a BinMapper,
    gradients: &'a Gradients<'a>,
    config: &'a GrowConfig,
    tree_features: &'a [usize],
    components: usize,
    rows: Vec<u32>,
    nodes: NodeArrays,
}

#[derive(Default)]
struct NodeArrays {
    left: Vec<u32>,
    right: Vec<u32>,
    feature: Vec<u32>,
    threshold: Vec<f64>,
    missing_left: Vec<bool>,
    cover: Vec<f64>,
    values: Vec<f64>,
    split_bin: Vec<u8>,
}

/// Grows one tree over `rows` (the rows with positive weight for this tree), splitting only
/// on `tree_features`.
pub(crate) fn grow_tree(
    binned: &BinnedData,
    mapper: &BinMapper,
    gradients: &Gradients<'_>,
    rows: Vec<u32>,
    tree_features: &[usize],
    config: &GrowConfig,
    rng: &mut ChaCha8Rng,
) -> GrownTree {
    let mut builder = Builder {
        binned,
        mapper,
        gradients,
        config,
        tree_features,
        components: gradients.width + 2,
        nodes: NodeArrays::default(),
        rows,
    };
    let n = builder.rows.len();
    let root_sums = builder.sums_of(0, n);
    builder.add_node(&root_sums);
    let root = builder.evaluate(0, 0, n, 0, None, &root_sums, rng);
    // Only nodes that can split wait here; the others are final leaves already.
    let mut pending: Vec<Pending> = vec![root]
        .into_iter()
        .filter(|p| p.best.is_some())
        .collect();
    let mut n_leaves = 1usize;
    while !pending.is_empty() {
        if config.max_leaves > 0 && n_leaves >= config.max_leaves {
            break;
        }
        // Leaf-wise: the best gain first when leaves are capped; otherwise depth-first.
        let index = if config.max_leaves > 0 {
            pending
                .iter()
                .enumerate()
                .max_by(|a, b| {
                    let ga = a.1.best.as_ref().map_or(f64::NEG_INFINITY, |s| s.gain);
                    let gb = b.1.best.as_ref().map_or(f64::NEG_INFINITY, |s| s.gain);
                    ga.total_cmp(&gb)
                })
                .map_or(0, |(i, _)| i)
        } else {
            pending.len() - 1
        };
        let candidate = pending.swap_remove(index);
        let children = builder.split(candidate, rng);
        pending.extend(children.into_iter().filter(|p| p.best.is_some()));
        n_leaves += 1;
    }
    let nodes = builder.nodes;
    GrownTree {
        tree: Tree {
            left: nodes.left,
            right: nodes.right,
            feature: nodes.feature,
            threshold: nodes.threshold,
            missing_left: nodes.missing_left,
            cover: nodes.cover,
            values: nodes.values,
            value_width: gradients.width,
            split_rule: SplitRule::LessOrEqual,
            output: TreeOutput::All,
        },
        split_bin: nodes.split_bin,
    }
}

impl Builder<'_> {
    fn sums_of(&self, start: usize, end: usize) -> Sums {
        let width = self.gradients.width;
        let mut sums = vec![0.0; width + 2];
        for &r in &self.rows[start..end] {
            let r = r as usize;
            let row_grad = &self.gradients.grad[r * width..(r + 1) * width];
            sums[..width]
                .iter_mut()
                .zip(row_grad)
                .for_each(|(s, g)| *s += g);
            sums[width] += self.gradients.hess[r];
            sums[width + 1] += 1.0;
        }
        sums
    }

    fn score(&self, sums: &[f64]) -> f64 {
        let width = self.gradients.width;
        let denominator = sums[width] + self.config.lambda;
        if denominator <= 0.0 {
            return 0.0;
        }
        sums[..width].iter().map(|g| g * g).sum::<f64>() / denominator
    }

    fn add_node(&mut self, sums: &[f64]) -> usize {
        let width = self.gradients.width;
        let nodes = &mut self.nodes;
        nodes.left.push(LEAF);
        nodes.right.push(LEAF);
        nodes.feature.push(0);
        nodes.threshold.push(0.0);
        nodes.missing_left.push(false);
        nodes.split_bin.push(0);
        nodes.cover.push(sums[width].max(0.0));
        let denominator = sums[width] + self.config.lambda;
        for g in &sums[..width] {
            let value = if denominator > 0.0 {
                -g / denominator * self.config.value_scale
            } else {
                0.0
            };
            nodes.values.push(value);
        }
        nodes.left.len() - 1
    }

    fn build_histogram(&self, start: usize, end: usize, features: Vec<usize>) -> Histogram {
        let components = self.components;
        let width = self.gradients.width;
        let rows = &self.rows[start..end];
        let grad = self.gradients.grad;
        let hess = self.gradients.hess;
        let one_feature = |f: usize| {
            let mut slots = vec![0.0; BIN_SLOTS * components];
            let column = self.binned.column(f);
            if width == 1 {
                for &r in rows {
                    let r = r as usize;
                    let base = column[r] as usize * 3;
                    slots[base] += grad[r];
                    slots[base + 1] += hess[r];
                    slots[base + 2] += 1.0;
                }
            } else {
                for &r in rows {
                    let r = r as usize;
                    let base = column[r] as usize * components;
                    for k in 0..width {
                        slots[base + k] += grad[r * width + k];
                    }
                    slots[base + width] += hess[r];
                    slots[base + width + 1] += 1.0;
                }
            }
            slots
        };
        let parts: Vec<Vec<f64>> = if self.config.parallel && rows.len() >= 2048 {
            features.par_iter().map(|&f| one_feature(f)).collect()
        } else {
            features.iter().map(|&f| one_feature(f)).collect()
        };
        Histogram {
            features,
            data: parts.concat(),
        }
    }

    fn node_features(&self, rng: &mut ChaCha8Rng) -> Vec<usize> {
        let per_node = self.config.features_per_node;
        if per_node == 0 || per_node >= self.tree_features.len() {
            return self.tree_features.to_vec();
        }
        let mut chosen = self.tree_features.to_vec();
        chosen.shuffle(rng);
        chosen.truncate(per_node);
        chosen.sort_unstable();
        chosen
    }

    /// Builds (or derives) a node's histogram and finds its best split.
    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &self,
        node: usize,
        start: usize,
        end: usize,
        depth: usize,
        histogram: Option<Histogram>,
        sums: &[f64],
        rng: &mut ChaCha8Rng,
    ) -> Pending {
        let config = self.config;
        let n = end - start;
        let splittable = (config.max_depth == 0 || depth < config.max_depth)
            && n >= 2 * config.min_samples_leaf.max(1)
            && self.score(sums) >= 0.0;
        let mut pending = Pending {
            node,
            start,
            end,
            depth,
            histogram: None,
            best: None,
        };
        if !splittable {
            return pending;
        }
        if histogram.is_none() && n <= SMALL_NODE_ROWS {
            let features = self.node_features(rng);
            let mut best = self.best_split_sorted(start, end, &features, sums);
            if best.is_none() && features.len() < self.tree_features.len() {
                let rest: Vec<usize> = self
                    .tree_features
                    .iter()
                    .copied()
                    .filter(|f| !features.contains(f))
                    .collect();
                best = self.best_split_sorted(start, end, &rest, sums);
            }
            pending.best = best;
            return pending;
        }
        let keep_histogram = config.features_per_node == 0;
        let histogram = match histogram {
            Some(h) => h,
            None => self.build_histogram(start, end, self.node_features(rng)),
        };
        let mut best = self.best_split(&histogram, sums);
        if best.is_none() && !keep_histogram && histogram.features.len() < self.tree_features.len()
        {
            // As CART does, keep looking beyond the drawn features when none of them splits.
            let rest: Vec<usize> = self
                .tree_features
                .iter()
                .copied()
                .filter(|f| !histogram.features.contains(f))
                .collect();
            best = self.best_split(&self.build_histogram(start, end, rest), sums);
        }
        pending.best = best;
        if keep_histogram && pending.best.is_some() {
            pending.histogram = Some(histogram);
        }
        pending
    }

    fn best_split(&self, histogram: &Histogram, sums: &[f64]) -> Option<SplitCandidate> {
        let components = self.components;
        let width = self.gradients.width;
        let mut scan = SplitScan::new(self, sums);
        for (slot, &f) in histogram.features.iter().enumerate() {
            let bins =
                &histogram.data[slot * BIN_SLOTS * components..(slot + 1) * BIN_SLOTS * components];
            let missing =
                &bins[MISSING_BIN as usize * components..(MISSING_BIN as usize + 1) * components];
            scan.start_feature(f, missing);
            for b in 0..self.mapper.n_bins(f).saturating_sub(1) {
                let bin = &bins[b * components..(b + 1) * components];
                if bin[width + 1] != 0.0 {
                    scan.add_and_consider(b as u8, bin);
                }
            }
        }
        scan.best
    }

    /// Split search for small nodes: sorts the node's (bin, row) pairs per feature instead of
    /// filling 256-slot histograms, which would cost more than the rows themselves.
    fn best_split_sorted(
        &self,
        start: usize,
        end: usize,
        features: &[usize],
        sums: &[f64],
    ) -> Option<SplitCandidate> {
        let width = self.gradients.width;
        let components = self.components;
        let rows = &self.rows[start..end];
        let mut scan = SplitScan::new(self, sums);
        let mut pairs: Vec<(u8, u32)> = Vec::with_capacity(rows.len());
        let mut group = vec![0.0; components];
        let mut missing = vec![0.0; components];
        let add_row = |target: &mut [f64], r: usize| {
            let grad = &self.gradients.grad[r * width..(r + 1) * width];
            target[..width]
                .iter_mut()
                .zip(grad)
                .for_each(|(t, g)| *t += g);
            target[width] += self.gradients.hess[r];
            target[width + 1] += 1.0;
        };
        for &f in features {
            let column = self.binned.column(f);
            pairs.clear();
            pairs.extend(rows.iter().map(|&r| (column[r as usize], r)));
            pairs.sort_unstable_by_key(|&(b, _)| b);
            missing.iter_mut().for_each(|v| *v = 0.0);
            let n_present = pairs.partition_point(|&(b, _)| b != MISSING_BIN);
            for &(_, r) in &pairs[n_present..] {
                add_row(&mut missing, r as usize);
            }
            scan.start_feature(f, &missing);
            let mut i = 0;
            while i < n_present {
                let bin = pairs[i].0;
                group.iter_mut().for_each(|v| *v = 0.0);
                while i < n_present && pairs[i].0 == bin {
                    add_row(&mut group, pairs[i].1 as usize);
                    i += 1;
                }
                // The last present bin cannot leave anything on the right but missing rows.
                if i < n_present {
                    scan.add_and_consider(bin, &group);
                }
            }
        }
        scan.best
    }

    /// Splits a pending node, returning its two children as new pending nodes.
    fn split(&mut self, pending: Pending, rng: &mut ChaCha8Rng) -> Vec<Pending> {
        let Some(split) = pending.best else {
            return Vec::new();
        };
        let (start, end) = (pending.start, pending.end);
        let column = self.binned.column(split.feature);
        // Stable partition keeps row order ascending, which keeps histogram reads sequential.
        let (mut go_left, mut go_right): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        for &r in &self.rows[start..end] {
            let b = column[r as usize];
            let left = if b == MISSING_BIN {
                split.missing_left
            } else {
                b <= split.bin
            };
            if left {
                go_left.push(r)
            } else {
                go_right.push(r)
            }
        }
        let mid = start + go_left.len();
        self.rows[start..mid].copy_from_slice(&go_left);
        self.rows[mid..end].copy_from_slice(&go_right);
        drop((go_left, go_right));

        let node = pending.node;
        self.nodes.feature[node] = split.feature as u32;
        self.nodes.threshold[node] = self.mapper.threshold(split.feature, split.bin as usize);
        self.nodes.split_bin[node] = split.bin;
        self.nodes.missing_left[node] = split.missing_left;

        let left_sums = self.sums_of(start, mid);
        let right_sums = self.sums_of(mid, end);
        let left_node = self.add_node(&left_sums);
        let right_node = self.add_node(&right_sums);
        self.nodes.left[node] = left_node as u32;
        self.nodes.right[node] = right_node as u32;

        let depth = pending.depth + 1;
        let (left_hist, right_hist) = match pending.histogram {
            Some(parent) => {
                // Build the smaller child's histogram; the larger one is parent minus smaller.
                let left_smaller = mid - start <= end - mid;
                let (s_start, s_end) = if left_smaller {
                    (start, mid)
                } else {
                    (mid, end)
                };
                let small = self.build_histogram(s_start, s_end, parent.features.clone());
                let mut large = parent;
                large
                    .data
                    .iter_mut()
                    .zip(&small.data)
                    .for_each(|(p, s)| *p -= s);
                if left_smaller {
                    (Some(small), Some(large))
                } else {
                    (Some(large), Some(small))
                }
            }
            None => (None, None),
        };
        let left = self.evaluate(left_node, start, mid, depth, left_hist, &left_sums, rng);
        let right = self.evaluate(right_node, mid, end, depth, right_hist, &right_sums, rng);
        vec![left, right]
    }
}

/// Running state of a split search over one node: left sums as bins are added in order, and
/// the best split so far.
struct SplitScan<'b, 'a> {
    builder: &'b Builder<'a>,
    sums: &'b [f64],
    parent_score: f64,
    feature: usize,
    left: Vec<f64>,
    candidate_left: Vec<f64>,
    right: Vec<f64>,
    missing: Vec<f64>,
    has_missing: bool,
    best: Option<SplitCandidate>,
}

impl<'b, 'a> SplitScan<'b, 'a> {
    fn new(builder: &'b Builder<'a>, sums: &'b [f64]) -> Self {
        let components = builder.components;
        SplitScan {
            builder,
            sums,
            parent_score: builder.score(sums),
            feature: 0,
            left: vec![0.0; components],
            candidate_left: vec![0.0; components],
            right: vec![0.0; components],
            missing: vec![0.0; components],
            has_missing: false,
            best: None,
        }
    }

    fn start_feature(&mut self, feature: usize, missing: &[f64]) {
        let width = self.builder.gradients.width;
        self.feature = feature;
        self.left.iter_mut().for_each(|v| *v = 0.0);
        self.missing.copy_from_slice(missing);
        self.has_missing = missing[width + 1] > 0.0;
    }

    /// Adds bin `bin` to the left side and considers splitting right after it, with missing
    /// values on either side.
    fn add_and_consider(&mut self, bin: u8, sums_of_bin: &[f64]) {
        let width = self.builder.gradients.width;
        let config = self.builder.config;
        self.left
            .iter_mut()
            .zip(sums_of_bin)
            .for_each(|(l, v)| *l += v);
        for missing_left in [false, true] {
            if missing_left && !self.has_missing {
                continue;
            }
            let l = &mut self.candidate_left;
            l.copy_from_slice(&self.left);
            if missing_left {
                l.iter_mut().zip(&self.missing).for_each(|(a, m)| *a += m);
            }
            self.right
                .iter_mut()
                .zip(self.sums.iter().zip(l.iter()))
                .for_each(|(r, (s, a))| *r = s - a);
            let (nl, nr) = (l[width + 1], self.right[width + 1]);
            let min_rows = config.min_samples_leaf.max(1) as f64;
            if nl < min_rows
                || nr < min_rows
                || l[width] < config.min_hessian_leaf
                || self.right[width] < config.min_hessian_leaf
            {
                continue;
            }
            let gain = self.builder.score(l) + self.builder.score(&self.right) - self.parent_score;
            if gain > config.min_gain && self.best.as_ref().is_none_or(|s| gain > s.gain) {
                // Without missing values in training, send them where most weight went.
                let default_left = if self.has_missing {
                    missing_left
                } else {
                    l[width] >= self.right[width]
                };
                self.best = Some(SplitCandidate {
                    gain,
                    feature: self.feature,
                    bin,
                    missing_left: default_left,
                });
            }
        }
    }
}
