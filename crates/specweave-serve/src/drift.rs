//! Drift of live inputs against a reference profile: per-feature bins fixed from the training
//! features, live counts per bin, and the population stability index (PSI) between them.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// Number of quantile bins per feature (deciles, the usual PSI setting).
pub const DRIFT_BINS: usize = 10;

/// Fractions are floored at this value so an empty bin does not make the PSI infinite.
const PSI_FLOOR: f64 = 1e-4;

/// The reference distribution of one model input feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureReference {
    /// Feature name (a model input, after the feature pipeline).
    pub name: String,
    /// Inner bin edges, ascending; bin `i` holds values `< edges[i]` not in an earlier bin.
    pub edges: Vec<f64>,
    /// Fraction of reference rows per bin (`edges.len() + 1` bins); missing values excluded.
    pub fractions: Vec<f64>,
}

/// The reference profile of a model's inputs, stored in the bundle as `reference.json`.
///
/// ```
/// use ndarray::array;
/// use specweave_serve::ReferenceProfile;
/// let features = array![[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]];
/// let reference = ReferenceProfile::from_features(&["a".into(), "b".into()], features.view());
/// assert_eq!(reference.features.len(), 2);
/// let total: f64 = reference.features[0].fractions.iter().sum();
/// assert!((total - 1.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceProfile {
    /// One entry per model input, in column order.
    pub features: Vec<FeatureReference>,
}

impl ReferenceProfile {
    /// Builds decile bins from reference rows (usually the training features).
    pub fn from_features(names: &[String], features: ArrayView2<'_, f64>) -> ReferenceProfile {
        let features = names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let mut values: Vec<f64> = features
                    .column(j)
                    .iter()
                    .copied()
                    .filter(|v| v.is_finite())
                    .collect();
                values.sort_by(f64::total_cmp);
                let mut edges: Vec<f64> = (1..DRIFT_BINS)
                    .filter_map(|q| {
                        let at = q * values.len() / DRIFT_BINS;
                        values.get(at).copied()
                    })
                    .collect();
                edges.dedup();
                let mut counts = vec![0_u64; edges.len() + 1];
                for &v in &values {
                    counts[bin_of(&edges, v)] += 1;
                }
                let total = values.len().max(1) as f64;
                FeatureReference {
                    name: name.clone(),
                    edges,
                    fractions: counts.iter().map(|&c| c as f64 / total).collect(),
                }
            })
            .collect();
        ReferenceProfile { features }
    }
}

fn bin_of(edges: &[f64], value: f64) -> usize {
    edges.partition_point(|&edge| edge <= value)
}

/// Live bin counts per feature, updated lock-free by every prediction.
#[derive(Debug)]
pub(crate) struct DriftMonitor {
    reference: ReferenceProfile,
    counts: Vec<Vec<AtomicU64>>,
}

impl DriftMonitor {
    pub(crate) fn new(reference: ReferenceProfile) -> DriftMonitor {
        let counts = reference
            .features
            .iter()
            .map(|f| (0..f.fractions.len()).map(|_| AtomicU64::new(0)).collect())
            .collect();
        DriftMonitor { reference, counts }
    }

    /// Counts the rows of a model input matrix (columns in reference order).
    pub(crate) fn observe(&self, features: ArrayView2<'_, f64>) {
        for (j, reference) in self.reference.features.iter().enumerate() {
            if j >= features.ncols() {
                break;
            }
            for &v in features.column(j) {
                if v.is_finite() {
                    self.counts[j][bin_of(&reference.edges, v)].fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// `(feature, observed values, PSI)` per feature; PSI is `None` before any value arrives.
    pub(crate) fn psi(&self) -> Vec<(&str, u64, Option<f64>)> {
        self.reference
            .features
            .iter()
            .zip(&self.counts)
            .map(|(reference, counts)| {
                let live: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
                let total: u64 = live.iter().sum();
                let psi = (total > 0).then(|| {
                    reference
                        .fractions
                        .iter()
                        .zip(&live)
                        .map(|(&expected, &count)| {
                            let expected = expected.max(PSI_FLOOR);
                            let actual = (count as f64 / total as f64).max(PSI_FLOOR);
                            (actual - expected) * (actual / expected).ln()
                        })
                        .sum()
                });
                (reference.name.as_str(), total, psi)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn same_distribution_has_small_psi_and_shifted_has_large() {
        let reference = Array2::from_shape_fn((1000, 1), |(i, _)| i as f64);
        let profile = ReferenceProfile::from_features(&["x".into()], reference.view());
        let same = DriftMonitor::new(profile.clone());
        same.observe(reference.view());
        let psi_same = same.psi()[0].2.expect("values were observed");
        assert!(psi_same < 1e-3, "psi {psi_same}");

        let shifted = DriftMonitor::new(profile);
        shifted.observe(Array2::from_shape_fn((1000, 1), |(i, _)| 800.0 + i as f64).view());
        let psi_shifted = shifted.psi()[0].2.expect("values were observed");
        assert!(psi_shifted > 1.0, "psi {psi_shifted}");
    }

    #[test]
    fn no_observations_means_no_psi() {
        let profile = ReferenceProfile::from_features(&["x".into()], Array2::zeros((3, 1)).view());
        assert_eq!(DriftMonitor::new(profile).psi()[0].2, None);
    }
}
