//! Histogram binning: each feature's values mapped to at most 255 ordered bins (plus one bin
//! for missing values), so split search scans bins instead of sorted values.

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The bin of a missing (NaN) value.
pub(crate) const MISSING_BIN: u8 = 255;
/// Histogram slots per feature: 255 value bins and the missing bin.
pub(crate) const BIN_SLOTS: usize = 256;
/// At most this many rows per feature are sorted to find bin edges.
const EDGE_SAMPLE: usize = 200_000;

/// Per-feature bin edges: value `x` falls in bin `#{t in thresholds : t < x}`, so "bin ≤ b"
/// is the same as "x ≤ thresholds[b]".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BinMapper {
    thresholds: Vec<Vec<f64>>,
}

impl BinMapper {
    /// Edges from the data: every distinct value gets its own bin when there are at most
    /// `max_bins`, quantile edges otherwise.
    pub(crate) fn fit(features: ArrayView2<'_, f64>, max_bins: usize) -> BinMapper {
        let max_bins = max_bins.clamp(2, 255);
        let rows = features.nrows();
        let step = rows.div_ceil(EDGE_SAMPLE).max(1);
        let thresholds = (0..features.ncols())
            .into_par_iter()
            .map(|f| {
                let column = features.column(f);
                let mut values: Vec<f64> = column
                    .iter()
                    .step_by(step)
                    .copied()
                    .filter(|v| !v.is_nan())
                    .collect();
                values.sort_unstable_by(f64::total_cmp);
                let mut distinct = values.clone();
                distinct.dedup();
                if distinct.len() <= max_bins {
                    distinct
                        .windows(2)
                        .map(|w| w[0] + (w[1] - w[0]) / 2.0)
                        .collect()
                } else {
                    let n = values.len();
                    let mut cuts: Vec<f64> = (1..max_bins)
                        .map(|i| values[(i * n / max_bins).min(n - 1)])
                        .collect();
                    cuts.dedup();
                    // The largest value needs no edge above it.
                    if cuts.last() == values.last() {
                        cuts.pop();
                    }
                    cuts
                }
            })
            .collect();
        BinMapper { thresholds }
    }

    /// Number of value bins of feature `f`.
    pub(crate) fn n_bins(&self, f: usize) -> usize {
        self.thresholds[f].len() + 1
    }

    /// The threshold of "bin ≤ b".
    pub(crate) fn threshold(&self, f: usize, b: usize) -> f64 {
        self.thresholds[f][b]
    }

    /// The bin of one value.
    #[inline]
    pub(crate) fn bin(&self, f: usize, x: f64) -> u8 {
        if x.is_nan() {
            MISSING_BIN
        } else {
            self.thresholds[f].partition_point(|&t| t < x) as u8
        }
    }

    /// Bins a whole matrix (column-major).
    pub(crate) fn transform(&self, features: ArrayView2<'_, f64>) -> BinnedData {
        let rows = features.nrows();
        let columns: Vec<Vec<u8>> = (0..features.ncols())
            .into_par_iter()
            .map(|f| features.column(f).iter().map(|&x| self.bin(f, x)).collect())
            .collect();
        BinnedData {
            n_rows: rows,
            bins: columns.concat(),
        }
    }
}

/// A binned feature matrix, column-major.
#[derive(Debug, Clone)]
pub(crate) struct BinnedData {
    n_rows: usize,
    bins: Vec<u8>,
}

impl BinnedData {
    /// The bins of feature `f`, one per row.
    #[inline]
    pub(crate) fn column(&self, f: usize) -> &[u8] {
        &self.bins[f * self.n_rows..(f + 1) * self.n_rows]
    }

    /// Number of rows.
    pub(crate) fn n_rows(&self) -> usize {
        self.n_rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn few_distinct_values_get_midpoint_edges() {
        let x = array![[1.0], [2.0], [2.0], [4.0], [f64::NAN]];
        let mapper = BinMapper::fit(x.view(), 255);
        assert_eq!(mapper.n_bins(0), 3);
        assert_eq!(mapper.threshold(0, 0), 1.5);
        assert_eq!(mapper.threshold(0, 1), 3.0);
        let binned = mapper.transform(x.view());
        assert_eq!(binned.column(0), &[0, 1, 1, 2, MISSING_BIN]);
    }

    #[test]
    fn many_values_get_quantile_edges() {
        let x = ndarray::Array2::from_shape_fn((1000, 1), |(i, _)| i as f64);
        let mapper = BinMapper::fit(x.view(), 10);
        assert_eq!(mapper.n_bins(0), 10);
        let binned = mapper.transform(x.view());
        let mut counts = [0usize; 10];
        binned
            .column(0)
            .iter()
            .for_each(|&b| counts[b as usize] += 1);
        assert!(
            counts.iter().all(|&c| (99..=101).contains(&c)),
            "{counts:?}"
        );
    }
}
