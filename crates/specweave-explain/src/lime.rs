//! LIME for tabular data (Ribeiro et al. 2016), following `lime.lime_tabular` with quartile
//! discretisation: perturbations are drawn bin by bin from the training distribution, each
//! is represented by which features stay in the explained row's quartile, weighted by an
//! exponential kernel (width `0.75·√M`) on that binary representation, and a weighted ridge
//! surrogate gives the explanation; its weighted R² is the fidelity.

use crate::{ExplainError, Result, model_output};
use ndarray::{Array2, ArrayView1, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::Model;

/// Quartile bins of one feature and the training values inside each bin.
#[derive(Debug, Clone, PartialEq)]
struct FeatureBins {
    /// Distinct quartile boundaries; bin `i` is `(b[i−1], b[i]]`, the last is `> b[last]`.
    boundaries: Vec<f64>,
    mean: Vec<f64>,
    std: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
    frequency: Vec<f64>,
    /// Standard deviation of the training rows' bin codes (lime's scaler).
    code_std: f64,
}

impl FeatureBins {
    fn bin(&self, x: f64) -> usize {
        self.boundaries.partition_point(|&b| b < x)
    }
}

/// One feature's part in a LIME explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimeFeature {
    /// Column index.
    pub feature: usize,
    /// The explained row's bin, e.g. `"0.25 < age <= 0.50"`.
    pub condition: String,
    /// Surrogate coefficient: the output change for being in this bin.
    pub weight: f64,
}

/// A local linear explanation of one row's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimeExplanation {
    /// Output explained (class name or `"value"`).
    pub output: String,
    /// Selected features, largest |weight| first.
    pub features: Vec<LimeFeature>,
    /// Surrogate intercept.
    pub intercept: f64,
    /// Surrogate prediction for the row.
    pub local_prediction: f64,
    /// The model's prediction for the row.
    pub model_prediction: f64,
    /// Weighted R² of the surrogate on the perturbations (its fidelity).
    pub score: f64,
}

/// A LIME explainer fitted on training data.
///
/// ```
/// # use ndarray::{array, Array2, ArrayView2};
/// # use specweave_core::{Model, ModelInfo, Predictions, ProblemKind, Result};
/// # #[derive(Debug)] struct Doubler;
/// # impl Model for Doubler {
/// #     fn info(&self) -> ModelInfo { ModelInfo { algorithm: "d".into(), problem: ProblemKind::Regression,
/// #         params: serde_json::json!({}), feature_names: vec![], class_names: vec![], framework: "doc".into() } }
/// #     fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Predictions> { Ok(Predictions::Values(x.column(0).mapv(|v| 2.0 * v))) }
/// #     fn to_bytes(&self) -> Result<Vec<u8>> { Ok(vec![]) }
/// # }
/// use specweave_explain::LimeTabular;
///
/// let training = Array2::from_shape_fn((100, 2), |(r, c)| ((r * (c + 7)) % 100) as f64 / 100.0);
/// let lime = LimeTabular::new(training.view())?.feature_names(["signal", "noise"]).num_samples(500);
/// let explanation = lime.explain(&Doubler, array![0.9, 0.5].view(), 0)?;
/// assert_eq!(explanation.features[0].condition, "signal > 0.74");
/// assert!(explanation.features[0].weight > 0.5);
/// # Ok::<(), specweave_explain::ExplainError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LimeTabular {
    bins: Vec<FeatureBins>,
    feature_names: Vec<String>,
    num_samples: usize,
    num_features: usize,
    kernel_width: Option<f64>,
    seed: u64,
}

impl LimeTabular {
    /// Fits the quartile bins on training rows (finite values, at least 2 rows).
    pub fn new(training: ArrayView2<'_, f64>) -> Result<LimeTabular> {
        let (n, m) = training.dim();
        if n < 2 || m == 0 {
            return Err(ExplainError::param(
                "training",
                format!("LIME needs at least 2 rows and 1 feature, got {n} x {m}"),
            ));
        }
        if let Some(((r, c), v)) = training.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(ExplainError::param(
                "training",
                format!("value {v} at row {r}, column {c}; LIME's quartiles need finite values"),
            ));
        }
        let bins = (0..m)
            .map(|j| {
                let mut column: Vec<f64> = training.column(j).to_vec();
                column.sort_by(f64::total_cmp);
                let mut boundaries: Vec<f64> = [0.25, 0.5, 0.75]
                    .iter()
                    .map(|&q| percentile(&column, q))
                    .collect();
                boundaries.dedup();
                let n_bins = boundaries.len() + 1;
                let (lowest, highest) = (column[0], column[n - 1]);
                let mut bins = FeatureBins {
                    mean: vec![0.0; n_bins],
                    std: vec![0.0; n_bins],
                    min: std::iter::once(lowest)
                        .chain(boundaries.iter().copied())
                        .collect(),
                    max: boundaries
                        .iter()
                        .copied()
                        .chain(std::iter::once(highest))
                        .collect(),
                    frequency: vec![0.0; n_bins],
                    code_std: 0.0,
                    boundaries,
                };
                let codes: Vec<usize> = training.column(j).iter().map(|&x| bins.bin(x)).collect();
                for b in 0..n_bins {
                    let members: Vec<f64> = training
                        .column(j)
                        .iter()
                        .zip(&codes)
                        .filter(|(_, c)| **c == b)
                        .map(|(x, _)| *x)
                        .collect();
                    if !members.is_empty() {
                        let k = members.len() as f64;
                        let mean = members.iter().sum::<f64>() / k;
                        bins.mean[b] = mean;
                        bins.std[b] =
                            (members.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / k).sqrt();
                        bins.frequency[b] = k / n as f64;
                    }
                }
                let mean_code = codes.iter().sum::<usize>() as f64 / n as f64;
                let variance = codes
                    .iter()
                    .map(|&c| (c as f64 - mean_code).powi(2))
                    .sum::<f64>()
                    / n as f64;
                bins.code_std = if variance > 0.0 { variance.sqrt() } else { 1.0 };
                bins
            })
            .collect();
        Ok(LimeTabular {
            bins,
            feature_names: (0..m).map(|j| format!("x{j}")).collect(),
            num_samples: 5000,
            num_features: 10,
            kernel_width: None,
            seed: 0,
        })
    }

    /// Names the features; ignored when the count differs.
    pub fn feature_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        if names.len() == self.bins.len() {
            self.feature_names = names;
        }
        self
    }

    /// Perturbations per explanation (default 5000).
    pub fn num_samples(mut self, n: usize) -> Self {
        self.num_samples = n;
        self
    }

    /// Most features in an explanation (default 10).
    pub fn num_features(mut self, n: usize) -> Self {
        self.num_features = n;
        self
    }

    /// Kernel width (default `0.75·√M`).
    pub fn kernel_width(mut self, width: f64) -> Self {
        self.kernel_width = Some(width);
        self
    }

    /// Seed of the perturbations.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Explains `output` of the model (a class index or `0` for values) at `row`.
    pub fn explain(
        &self,
        model: &dyn Model,
        row: ArrayView1<'_, f64>,
        output: usize,
    ) -> Result<LimeExplanation> {
        self.explain_seeded(model, row, output, self.seed)
    }

    /// Explains several rows in parallel (row `i` uses seed `seed + i`).
    pub fn explain_rows(
        &self,
        model: &dyn Model,
        rows: ArrayView2<'_, f64>,
        output: usize,
    ) -> Result<Vec<LimeExplanation>> {
        (0..rows.nrows())
            .into_par_iter()
            .map(|r| {
                self.explain_seeded(model, rows.row(r), output, self.seed.wrapping_add(r as u64))
            })
            .collect()
    }

    fn explain_seeded(
        &self,
        model: &dyn Model,
        row: ArrayView1<'_, f64>,
        output: usize,
        seed: u64,
    ) -> Result<LimeExplanation> {
        let m = self.bins.len();
        if row.len() != m {
            return Err(ExplainError::shape("row length vs features", m, row.len()));
        }
        if self.num_samples < 2 || self.num_features == 0 {
            return Err(ExplainError::param(
                "num_samples / num_features",
                "need at least 2 samples and 1 feature",
            ));
        }
        let width = self.kernel_width.unwrap_or(0.75 * (m as f64).sqrt());
        if !(width > 0.0 && width.is_finite()) {
            return Err(ExplainError::param(
                "kernel_width",
                format!("{width} must be > 0"),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = self.num_samples;
        let own_bins: Vec<usize> = (0..m).map(|j| self.bins[j].bin(row[j])).collect();
        let mut binary = Array2::zeros((n, m));
        let mut inverse = Array2::zeros((n, m));
        for j in 0..m {
            let bins = &self.bins[j];
            binary[[0, j]] = 1.0;
            inverse[[0, j]] = row[j];
            for s in 1..n {
                let b = sample_index(&bins.frequency, &mut rng);
                binary[[s, j]] = f64::from(u8::from(b == own_bins[j]));
                inverse[[s, j]] = sample_in_bin(bins, b, &mut rng);
            }
        }
        let outputs = model_output::outputs(model, inverse.view())?;
        if output >= outputs.ncols() {
            return Err(ExplainError::param(
                "output",
                format!(
                    "output {output} is out of range; the model has {}",
                    outputs.ncols()
                ),
            ));
        }
        let target: Vec<f64> = outputs.column(output).to_vec();
        let weights: Vec<f64> = (0..n)
            .map(|s| {
                let d2: f64 = (0..m)
                    .map(|j| ((binary[[s, j]] - 1.0) / self.bins[j].code_std).powi(2))
                    .sum();
                (-d2 / (width * width)).exp().sqrt()
            })
            .collect();
        let selected = if self.num_features >= m {
            (0..m).collect()
        } else if self.num_features <= 6 {
            forward_selection(&binary, &target, &weights, self.num_features)
        } else {
            let all: Vec<usize> = (0..m).collect();
            let fit = weighted_ridge(&binary, &all, &target, &weights, 0.01);
            let mut order = all;
            order.sort_by(|&a, &b| {
                fit.coefficients[b]
                    .abs()
                    .total_cmp(&fit.coefficients[a].abs())
            });
            order.truncate(self.num_features);
            order
        };
        let fit = weighted_ridge(&binary, &selected, &target, &weights, 1.0);
        let mut features: Vec<LimeFeature> = selected
            .iter()
            .zip(&fit.coefficients)
            .map(|(&j, &weight)| LimeFeature {
                feature: j,
                condition: self.describe(j, own_bins[j]),
                weight,
            })
            .collect();
        features.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
        let local_prediction = fit.intercept + fit.coefficients.iter().sum::<f64>();
        Ok(LimeExplanation {
            output: model_output::output_names(model, outputs.ncols())[output].clone(),
            features,
            intercept: fit.intercept,
            local_prediction,
            model_prediction: target[0],
            score: fit.r2,
        })
    }

    fn describe(&self, feature: usize, bin: usize) -> String {
        let name = &self.feature_names[feature];
        let b = &self.bins[feature].boundaries;
        if b.is_empty() {
            name.clone()
        } else if bin == 0 {
            format!("{name} <= {:.2}", b[0])
        } else if bin == b.len() {
            format!("{name} > {:.2}", b[bin - 1])
        } else {
            format!("{:.2} < {name} <= {:.2}", b[bin - 1], b[bin])
        }
    }
}

/// numpy's default (linear) percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

fn sample_index(probabilities: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let mut target: f64 = rng.random();
    for (i, p) in probabilities.iter().enumerate() {
        if target < *p {
            return i;
        }
        target -= p;
    }
    probabilities.iter().rposition(|p| *p > 0.0).unwrap_or(0)
}

/// A draw from the bin's normal truncated to the bin (rejection, then uniform fallback).
fn sample_in_bin(bins: &FeatureBins, b: usize, rng: &mut ChaCha8Rng) -> f64 {
    let (low, high) = (bins.min[b], bins.max[b]);
    if high <= low {
        return low;
    }
    if let Ok(normal) = Normal::new(bins.mean[b], bins.std[b].max(1e-11)) {
        for _ in 0..64 {
            let x = normal.sample(rng);
            if x >= low && x <= high {
                return x;
            }
        }
    }
    low + rng.random::<f64>() * (high - low)
}

/// A weighted ridge fit with an unpenalised intercept (scikit-learn's `Ridge` with
/// `sample_weight`), and its weighted R².
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RidgeFit {
    pub coefficients: Vec<f64>,
    pub intercept: f64,
    pub r2: f64,
}

pub(crate) fn weighted_ridge(
    x: &Array2<f64>,
    columns: &[usize],
    y: &[f64],
    w: &[f64],
    alpha: f64,
) -> RidgeFit {
    let p = columns.len();
    let total: f64 = w.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let y_mean = y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / total;
    let x_mean: Vec<f64> = columns
        .iter()
        .map(|&j| (0..y.len()).map(|s| x[[s, j]] * w[s]).sum::<f64>() / total)
        .collect();
    let mut gram = Array2::zeros((p, p));
    let mut rhs = vec![0.0; p];
    for s in 0..y.len() {
        let centred: Vec<f64> = columns
            .iter()
            .zip(&x_mean)
            .map(|(&j, m)| x[[s, j]] - m)
            .collect();
        let yc = y[s] - y_mean;
        for a in 0..p {
            rhs[a] += w[s] * centred[a] * yc;
            for b in 0..p {
                gram[[a, b]] += w[s] * centred[a] * centred[b];
            }
        }
    }
    for a in 0..p {
        gram[[a, a]] += alpha;
    }
    let coefficients = model_output::solve(gram, rhs);
    let intercept = y_mean
        - coefficients
            .iter()
            .zip(&x_mean)
            .map(|(c, m)| c * m)
            .sum::<f64>();
    let (mut residual, mut spread) = (0.0, 0.0);
    for s in 0..y.len() {
        let prediction = intercept
            + columns
                .iter()
                .zip(&coefficients)
                .map(|(&j, c)| c * x[[s, j]])
                .sum::<f64>();
        residual += w[s] * (y[s] - prediction).powi(2);
        spread += w[s] * (y[s] - y_mean).powi(2);
    }
    let r2 = if spread > 0.0 {
        1.0 - residual / spread
    } else {
        1.0
    };
    RidgeFit {
        coefficients,
        intercept,
        r2,
    }
}

/// Greedy forward selection by weighted R² of unpenalised fits (lime's choice for at most
/// six features).
fn forward_selection(x: &Array2<f64>, y: &[f64], w: &[f64], k: usize) -> Vec<usize> {
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    for _ in 0..k {
        let best = (0..x.ncols())
            .filter(|j| !chosen.contains(j))
            .map(|j| {
                let mut trial = chosen.clone();
                trial.push(j);
                (j, weighted_ridge(x, &trial, y, w, 0.0).r2)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((j, _)) => chosen.push(j),
            None => break,
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn weighted_ridge_without_penalty_recovers_a_linear_function() {
        let x = array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]];
        let y: Vec<f64> = x
            .rows()
            .into_iter()
            .map(|r| 2.0 * r[0] - 3.0 * r[1] + 0.5)
            .collect();
        let fit = weighted_ridge(&x, &[0, 1], &y, &[1.0, 2.0, 0.5, 1.0, 3.0], 0.0);
        assert!((fit.coefficients[0] - 2.0).abs() < 1e-10);
        assert!((fit.coefficients[1] + 3.0).abs() < 1e-10);
        assert!((fit.intercept - 0.5).abs() < 1e-10);
        assert!((fit.r2 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&sorted, 0.25), 1.75);
        assert_eq!(percentile(&sorted, 0.5), 2.5);
    }
}
