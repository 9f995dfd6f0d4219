//! KernelSHAP (Lundberg and Lee 2017) for any [`Model`]: Shapley values as the solution of a
//! weighted linear regression over feature coalitions, with shap's sampling scheme.
//!
//! Coalition sizes are visited from the outside in (sizes `s` and `M − s` together); a size
//! is enumerated completely while the budget left covers its share of the Shapley kernel
//! weight `(M−1)/(s·(M−s))`, and the remaining sizes are sampled in complementary pairs.
//! The efficiency constraint (attributions sum to `f(x) − E f`) is enforced exactly by
//! eliminating the last varying feature from the regression.

use crate::kmeans::{WeightedRows, kmeans_summary};
use crate::model_output::{self, solve};
use crate::{ExplainError, Result, ShapValues};
use ndarray::{Array2, Array3, ArrayView2};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use specweave_core::Model;
use std::collections::HashMap;

/// Rows per model call when evaluating coalitions.
const PREDICT_CHUNK: usize = 65_536;

/// Model-agnostic Shapley values against a (weighted) background set.
///
/// ```
/// # use ndarray::{array, ArrayView2};
/// # use specweave_core::{Model, ModelInfo, Predictions, ProblemKind, Result};
/// # #[derive(Debug)] struct Sum;
/// # impl Model for Sum {
/// #     fn info(&self) -> ModelInfo { ModelInfo { algorithm: "sum".into(), problem: ProblemKind::Regression,
/// #         params: serde_json::json!({}), feature_names: vec![], class_names: vec![], framework: "doc".into() } }
/// #     fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Predictions> { Ok(Predictions::Values(x.sum_axis(ndarray::Axis(1)))) }
/// #     fn to_bytes(&self) -> Result<Vec<u8>> { Ok(vec![]) }
/// # }
/// use specweave_explain::KernelExplainer;
///
/// let background = array![[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]];
/// let explainer = KernelExplainer::new(&Sum, background.view())?;
/// let shap = explainer.shap_values(array![[3.0, 1.0, 1.0]].view())?;
/// // For an additive model each attribution is x_j minus the background mean.
/// assert!((shap.values[[0, 0, 0]] - 2.0).abs() < 1e-9);
/// assert!((shap.values[[0, 1, 0]] - 0.0).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct KernelExplainer<'a> {
    model: &'a dyn Model,
    background: WeightedRows,
    n_samples: Option<usize>,
    seed: u64,
    expected_value: Vec<f64>,
    output_names: Vec<String>,
    feature_names: Vec<String>,
}

impl<'a> KernelExplainer<'a> {
    /// An explainer over background rows of equal weight.
    pub fn new(
        model: &'a dyn Model,
        background: ArrayView2<'_, f64>,
    ) -> Result<KernelExplainer<'a>> {
        let n = background.nrows();
        let weights = vec![1.0 / n.max(1) as f64; n];
        KernelExplainer::weighted(
            model,
            WeightedRows {
                rows: background.to_owned(),
                weights,
            },
        )
    }

    /// An explainer over `data` summarised by `k` weighted k-means centroids.
    pub fn summarized(
        model: &'a dyn Model,
        data: ArrayView2<'_, f64>,
        k: usize,
        seed: u64,
    ) -> Result<KernelExplainer<'a>> {
        KernelExplainer::weighted(model, kmeans_summary(data, k, seed)?)
    }

    /// An explainer over weighted background rows (weights need not sum to one).
    pub fn weighted(model: &'a dyn Model, background: WeightedRows) -> Result<KernelExplainer<'a>> {
        let n = background.rows.nrows();
        if n == 0 {
            return Err(ExplainError::param("background", "needs at least one row"));
        }
        if background.weights.len() != n {
            return Err(ExplainError::shape(
                "background weights",
                n,
                background.weights.len(),
            ));
        }
        let total: f64 = background.weights.iter().sum();
        if background
            .weights
            .iter()
            .any(|w| !w.is_finite() || *w < 0.0)
            || total <= 0.0
        {
            return Err(ExplainError::param(
                "background weights",
                "weights must be finite, non-negative and not all zero",
            ));
        }
        let background = WeightedRows {
            weights: background.weights.iter().map(|w| w / total).collect(),
            rows: background.rows,
        };
        let outputs = model_output::outputs(model, background.rows.view())?;
        let expected_value: Vec<f64> = (0..outputs.ncols())
            .map(|k| {
                outputs
                    .column(k)
                    .iter()
                    .zip(&background.weights)
                    .map(|(o, w)| o * w)
                    .sum()
            })
            .collect();
        let output_names = model_output::output_names(model, outputs.ncols());
        let feature_names = model_output::feature_names(model, background.rows.ncols());
        Ok(KernelExplainer {
            model,
            background,
            n_samples: None,
            seed: 0,
            expected_value,
            output_names,
            feature_names,
        })
    }

    /// Coalitions evaluated per row; default `2·M + 2048`, always capped at `2^M − 2`.
    pub fn n_samples(mut self, n_samples: usize) -> Self {
        self.n_samples = Some(n_samples);
        self
    }

    /// Seed of the coalition sampler (results are reproducible for a seed).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The weighted mean model output over the background.
    pub fn expected_value(&self) -> &[f64] {
        &self.expected_value
    }

    /// KernelSHAP values of the model outputs (class probabilities or values) for each row.
    pub fn shap_values(&self, rows: ArrayView2<'_, f64>) -> Result<ShapValues> {
        let m = self.background.rows.ncols();
        if rows.ncols() != m {
            return Err(ExplainError::shape("feature columns", m, rows.ncols()));
        }
        let k = self.expected_value.len();
        let per_row: Vec<Vec<f64>> = (0..rows.nrows())
            .into_par_iter()
            .map(|r| self.explain_row(&rows.row(r).to_vec(), r))
            .collect::<Result<_>>()?;
        let flat: Vec<f64> = per_row.into_iter().flatten().collect();
        let values = Array3::from_shape_vec((rows.nrows(), m, k), flat).map_err(|e| {
            ExplainError::shape("KernelSHAP values", "rows x features x outputs", e)
        })?;
        ShapValues::new(
            values,
            self.expected_value.clone(),
            rows.to_owned(),
            self.feature_names.clone(),
            self.output_names.clone(),
        )
    }

    fn explain_row(&self, x: &[f64], row_index: usize) -> Result<Vec<f64>> {
        let m = x.len();
        let k = self.expected_value.len();
        let mut phi = vec![0.0; m * k];
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        let varying: Vec<usize> = (0..m)
            .filter(|&j| {
                self.background
                    .rows
                    .column(j)
                    .iter()
                    .any(|&b| !same(b, x[j]))
            })
            .collect();
        let fx = model_output::outputs(
            self.model,
            ArrayView2::from_shape((1, m), x).map_err(|e| ExplainError::shape("row", m, e))?,
        )?;
        let total: Vec<f64> = (0..k)
            .map(|o| fx[[0, o]] - self.expected_value[o])
            .collect();
        match varying.len() {
            0 => return Ok(phi),
            1 => {
                for o in 0..k {
                    phi[varying[0] * k + o] = total[o];
                }
                return Ok(phi);
            }
            _ => {}
        }
        let seed = self.seed ^ (row_index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let coalitions = sample_coalitions(varying.len(), self.n_samples, seed);
        let ey = self.coalition_values(x, &varying, &coalitions.masks)?;
        let mv = varying.len();
        let last = mv - 1;
        for o in 0..k {
            // Regress y − mask_last·total on (mask_j − mask_last) for j < last.
            let mut gram = Array2::zeros((last, last));
            let mut rhs = vec![0.0; last];
            for (s, mask) in coalitions.masks.iter().enumerate() {
                let w = coalitions.weights[s];
                let z_last = f64::from(u8::from(mask[last]));
                let y = ey[[s, o]] - self.expected_value[o] - z_last * total[o];
                let z: Vec<f64> = (0..last)
                    .map(|j| f64::from(u8::from(mask[j])) - z_last)
                    .collect();
                for a in 0..last {
                    if z[a] == 0.0 {
                        continue;
                    }
                    rhs[a] += w * z[a] * y;
                    for b in 0..last {
                        gram[[a, b]] += w * z[a] * z[b];
                    }
                }
            }
            let beta = solve(gram, rhs);
            let sum: f64 = beta.iter().sum();
            for (j, b) in beta.iter().enumerate() {
                phi[varying[j] * k + o] = *b;
            }
            phi[varying[last] * k + o] = total[o] - sum;
        }
        Ok(phi)
    }

    /// The weighted mean output over the background with the coalition's features taken
    /// from `x`, per coalition (coalitions × outputs).
    fn coalition_values(
        &self,
        x: &[f64],
        varying: &[usize],
        masks: &[Vec<bool>],
    ) -> Result<Array2<f64>> {
        let bg = &self.background.rows;
        let (n, m) = bg.dim();
        let mut synthetic = Array2::zeros((masks.len() * n, m));
        for (s, mask) in masks.iter().enumerate() {
            for b in 0..n {
                let mut row = synthetic.row_mut(s * n + b);
                row.assign(&bg.row(b));
                for (i, &j) in varying.iter().enumerate() {
                    if mask[i] {
                        row[j] = x[j];
                    }
                }
            }
        }
        let outputs = model_output::outputs_chunked(self.model, synthetic.view(), PREDICT_CHUNK)?;
        let k = outputs.ncols();
        let mut ey = Array2::zeros((masks.len(), k));
        for s in 0..masks.len() {
            for b in 0..n {
                let w = self.background.weights[b];
                for o in 0..k {
                    ey[[s, o]] += w * outputs[[s * n + b, o]];
                }
            }
        }
        Ok(ey)
    }
}

/// Coalitions over `m` features with their regression weights.
#[derive(Debug, Clone)]
pub(crate) struct Coalitions {
    pub masks: Vec<Vec<bool>>,
    pub weights: Vec<f64>,
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// shap's KernelExplainer coalition scheme (see the module documentation).
pub(crate) fn sample_coalitions(m: usize, n_samples: Option<usize>, seed: u64) -> Coalitions {
    let max_samples = if m >= 40 {
        usize::MAX
    } else {
        (1usize << m) - 2
    };
    let budget = n_samples.unwrap_or(2 * m + 2048).min(max_samples).max(1);
    // Sizes 1..=ceil((m − 1) / 2); those below m/2 are visited with their complements.
    let n_sizes = (m - 1).div_ceil(2);
    let n_paired = (m - 1) / 2;
    let mut weight_vector: Vec<f64> = (1..=n_sizes)
        .map(|s| (m - 1) as f64 / (s * (m - s)) as f64)
        .collect();
    for w in weight_vector.iter_mut().take(n_paired) {
        *w *= 2.0;
    }
    let total: f64 = weight_vector.iter().sum();
    weight_vector.iter_mut().for_each(|w| *w /= total);

    let mut masks: Vec<Vec<bool>> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    let mut full_sizes = 0;
    let mut samples_left = budget as f64;
    let mut remaining = weight_vector.clone();
    for size in 1..=n_sizes {
        let paired = size <= n_paired;
        let n_subsets = binomial(m, size) * if paired { 2.0 } else { 1.0 };
        if samples_left * remaining[size - 1] / n_subsets >= 1.0 - 1e-8 {
            full_sizes += 1;
            samples_left -= n_subsets;
            if remaining[size - 1] < 1.0 {
                let scale = 1.0 - remaining[size - 1];
                remaining.iter_mut().for_each(|w| *w /= scale);
            }
            let w = weight_vector[size - 1] / binomial(m, size) / if paired { 2.0 } else { 1.0 };
            for_each_combination(m, size, |chosen| {
                let mut mask = vec![false; m];
                for &j in chosen {
                    mask[j] = true;
                }
                if paired {
                    masks.push(mask.iter().map(|b| !b).collect());
                    weights.push(w);
                }
                masks.push(mask);
                weights.push(w);
            });
        } else {
            break;
        }
    }
    let fixed = masks.len();
    let mut samples_left = budget.saturating_sub(fixed);
    if full_sizes != n_sizes && samples_left > 0 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut size_weights: Vec<f64> = weight_vector.clone();
        for w in size_weights.iter_mut().take(n_paired) {
            *w /= 2.0;
        }
        let size_weights = &size_weights[full_sizes..];
        let size_total: f64 = size_weights.iter().sum();
        let mut used: HashMap<Vec<bool>, usize> = HashMap::new();
        let mut order: Vec<usize> = (0..m).collect();
        let mut draws = 0;
        while samples_left > 0 && draws < 4 * budget {
            draws += 1;
            let mut target = rng.random::<f64>() * size_total;
            let mut pick = size_weights.len() - 1;
            for (i, w) in size_weights.iter().enumerate() {
                if target < *w {
                    pick = i;
                    break;
                }
                target -= w;
            }
            let size = pick + full_sizes + 1;
            order.shuffle(&mut rng);
            let mut mask = vec![false; m];
            for &j in &order[..size] {
                mask[j] = true;
            }
            let mut add = |mask: Vec<bool>, samples_left: &mut usize| match used.get(&mask) {
                Some(&at) => weights[at] += 1.0,
                None => {
                    used.insert(mask.clone(), masks.len());
                    masks.push(mask);
                    weights.push(1.0);
                    *samples_left -= 1;
                }
            };
            let complement: Vec<bool> = mask.iter().map(|b| !b).collect();
            add(mask, &mut samples_left);
            if samples_left > 0 && size <= n_paired {
                add(complement, &mut samples_left);
            }
        }
        let weight_left: f64 = weight_vector[full_sizes..].iter().sum();
        let sampled: f64 = weights[fixed..].iter().sum();
        if sampled > 0.0 {
            weights[fixed..]
                .iter_mut()
                .for_each(|w| *w *= weight_left / sampled);
        }
    }
    Coalitions { masks, weights }
}

/// Calls `visit` with every `size`-subset of `0..n` in lexicographic order.
fn for_each_combination(n: usize, size: usize, mut visit: impl FnMut(&[usize])) {
    let mut chosen: Vec<usize> = (0..size).collect();
    loop {
        visit(&chosen);
        let Some(i) = (0..size).rev().find(|&i| chosen[i] < n - size + i) else {
            return;
        };
        chosen[i] += 1;
        for j in i + 1..size {
            chosen[j] = chosen[j - 1] + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_feature_counts_are_enumerated_completely() {
        let coalitions = sample_coalitions(4, None, 1);
        assert_eq!(coalitions.masks.len(), 14);
        let total: f64 = coalitions.weights.iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
        let mut unique = coalitions.masks.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 14);
    }

    #[test]
    fn large_feature_counts_sample_pairs_within_the_budget() {
        let coalitions = sample_coalitions(20, Some(200), 3);
        assert!(coalitions.masks.len() <= 200);
        let total: f64 = coalitions.weights.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        // Sizes 1 and 19 fit the budget and are enumerated.
        assert_eq!(
            coalitions
                .masks
                .iter()
                .filter(|m| m.iter().filter(|b| **b).count() == 1)
                .count(),
            20
        );
    }

    #[test]
    fn combinations_are_complete() {
        let mut count = 0;
        for_each_combination(5, 2, |_| count += 1);
        assert_eq!(count, 10);
    }
}
