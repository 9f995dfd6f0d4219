//! Weighted k-means summaries of background data (what `shap.kmeans` does): `k` centroids,
//! each weighted by the share of rows it stands for, each coordinate snapped to the nearest
//! value the feature actually takes.

use crate::{ExplainError, Result};
use ndarray::{Array2, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A weighted summary of a data set.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedRows {
    /// The summary rows (k × features).
    pub rows: Array2<f64>,
    /// One weight per row, summing to 1.
    pub weights: Vec<f64>,
}

/// Summarises `data` by `k` weighted centroids (k-means++ seeding, then Lloyd iterations).
///
/// With `k >= rows` every row is kept with weight `1/rows`. Fails on an empty or non-finite
/// data set.
///
/// ```
/// use ndarray::array;
/// let data = array![[0.0], [0.1], [10.0], [10.2]];
/// let summary = specweave_explain::kmeans_summary(data.view(), 2, 7)?;
/// let mut pairs: Vec<(f64, f64)> = summary.rows.column(0).iter().copied().zip(summary.weights).collect();
/// pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
/// assert_eq!(pairs, vec![(0.0, 0.5), (10.0, 0.5)]);
/// # Ok::<(), specweave_explain::ExplainError>(())
/// ```
pub fn kmeans_summary(data: ArrayView2<'_, f64>, k: usize, seed: u64) -> Result<WeightedRows> {
    let (n, m) = data.dim();
    if n == 0 || k == 0 {
        return Err(ExplainError::param(
            "k",
            format!("k-means needs k > 0 and rows; got k = {k} and {n} rows"),
        ));
    }
    if let Some(((r, c), v)) = data.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(ExplainError::param(
            "background",
            format!("value {v} at row {r}, column {c}; k-means needs finite values"),
        ));
    }
    if k >= n {
        return Ok(WeightedRows {
            rows: data.to_owned(),
            weights: vec![1.0 / n as f64; n],
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let distance = |a: usize, centre: &[f64]| -> f64 {
        (0..m).map(|j| (data[[a, j]] - centre[j]).powi(2)).sum()
    };
    // k-means++ seeding.
    let mut centres: Vec<Vec<f64>> = vec![data.row(rng.random_range(0..n)).to_vec()];
    let mut nearest: Vec<f64> = (0..n).map(|r| distance(r, &centres[0])).collect();
    while centres.len() < k {
        let total: f64 = nearest.iter().sum();
        let pick = if total > 0.0 {
            let mut target = rng.random::<f64>() * total;
            let mut chosen = n - 1;
            for (r, d) in nearest.iter().enumerate() {
                if target < *d {
                    chosen = r;
                    break;
                }
                target -= d;
            }
            chosen
        } else {
            rng.random_range(0..n)
        };
        centres.push(data.row(pick).to_vec());
        let last = centres.len() - 1;
        for (r, d) in nearest.iter_mut().enumerate() {
            *d = d.min(distance(r, &centres[last]));
        }
    }
    let mut assignment = vec![0usize; n];
    for _ in 0..300 {
        let mut changed = false;
        for (r, a) in assignment.iter_mut().enumerate() {
            let best = (0..k)
                .min_by(|&x, &y| distance(r, &centres[x]).total_cmp(&distance(r, &centres[y])))
                .unwrap_or(0);
            if best != *a {
                *a = best;
                changed = true;
            }
        }
        let mut sums = vec![vec![0.0; m]; k];
        let mut counts = vec![0usize; k];
        for (r, &a) in assignment.iter().enumerate() {
            counts[a] += 1;
            for j in 0..m {
                sums[a][j] += data[[r, j]];
            }
        }
        for c in 0..k {
            if counts[c] > 0 {
                centres[c] = sums[c].iter().map(|s| s / counts[c] as f64).collect();
            }
        }
        if !changed {
            break;
        }
    }
    let mut counts = vec![0usize; k];
    for &a in &assignment {
        counts[a] += 1;
    }
    let kept: Vec<usize> = (0..k).filter(|&c| counts[c] > 0).collect();
    let mut rows = Array2::zeros((kept.len(), m));
    for (i, &c) in kept.iter().enumerate() {
        for j in 0..m {
            // Snap to the closest observed value so categorical codes stay valid.
            let target = centres[c][j];
            rows[[i, j]] = data
                .column(j)
                .iter()
                .copied()
                .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
                .unwrap_or(target);
        }
    }
    let weights = kept.iter().map(|&c| counts[c] as f64 / n as f64).collect();
    Ok(WeightedRows { rows, weights })
}
