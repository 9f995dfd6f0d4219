//! Bounded-memory summaries for streaming profiles: a merging t-digest for quantiles and a
//! k-minimum-values sketch for distinct counts (see ADR 0010 for the choice).

/// Quantiles of a stream in `O(compression)` memory (Dunning's merging t-digest, scale k1).
///
/// Accuracy is best in the tails (relative rank error well under 1% for compression 200) and
/// the minimum and maximum are exact.
#[derive(Debug, Clone)]
pub(crate) struct TDigest {
    compression: f64,
    means: Vec<f64>,
    weights: Vec<f64>,
    buffer: Vec<f64>,
    total: f64,
    min: f64,
    max: f64,
}

impl TDigest {
    pub(crate) fn new(compression: f64) -> Self {
        TDigest {
            compression,
            means: Vec::new(),
            weights: Vec::new(),
            buffer: Vec::new(),
            total: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Adds finite values (NaN is skipped by the caller).
    pub(crate) fn extend(&mut self, values: impl IntoIterator<Item = f64>) {
        for v in values {
            self.buffer.push(v);
            if self.buffer.len() >= 32_768 {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        self.buffer.sort_unstable_by(f64::total_cmp);
        if let (Some(&first), Some(&last)) = (self.buffer.first(), self.buffer.last()) {
            self.min = self.min.min(first);
            self.max = self.max.max(last);
        }
        // Merge the sorted buffer with the sorted centroids.
        let incoming = self.buffer.len() as f64;
        let mut merged: Vec<(f64, f64)> = Vec::with_capacity(self.means.len() + self.buffer.len());
        let (mut i, mut j) = (0, 0);
        while i < self.means.len() || j < self.buffer.len() {
            let take_centroid =
                j >= self.buffer.len() || (i < self.means.len() && self.means[i] <= self.buffer[j]);
            if take_centroid {
                merged.push((self.means[i], self.weights[i]));
                i += 1;
            } else {
                merged.push((self.buffer[j], 1.0));
                j += 1;
            }
        }
        self.buffer.clear();
        self.total += incoming;
        let total = self.total;
        let compression = self.compression;
        // Scale k1: k(q) = δ/(2π)·asin(2q − 1). A centroid may grow while k rises by at most 1,
        // i.e. while q stays below k⁻¹(k(q_start) + 1), computed once per centroid.
        let q_limit = |q_start: f64| -> f64 {
            let k = compression / (2.0 * std::f64::consts::PI) * (2.0 * q_start - 1.0).asin() + 1.0;
            let angle = k * 2.0 * std::f64::consts::PI / compression;
            if angle >= std::f64::consts::FRAC_PI_2 {
                1.0
            } else {
                (angle.sin() + 1.0) / 2.0
            }
        };
        let mut means = Vec::with_capacity(self.compression as usize * 2);
        let mut weights = Vec::with_capacity(self.compression as usize * 2);
        let mut weight_so_far = 0.0;
        let (mut cur_mean, mut cur_weight) = merged[0];
        let mut limit = q_limit(0.0) * total;
        for &(mean, weight) in &merged[1..] {
            if weight_so_far + cur_weight + weight <= limit {
                cur_mean += (mean - cur_mean) * weight / (cur_weight + weight);
                cur_weight += weight;
            } else {
                weight_so_far += cur_weight;
                means.push(cur_mean);
                weights.push(cur_weight);
                limit = q_limit((weight_so_far / total).min(1.0)) * total;
                cur_mean = mean;
                cur_weight = weight;
            }
        }
        means.push(cur_mean);
        weights.push(cur_weight);
        self.means = means;
        self.weights = weights;
    }

    /// The `q`-quantile (0 ≤ q ≤ 1), or `None` when no value was added.
    pub(crate) fn quantile(&mut self, q: f64) -> Option<f64> {
        self.flush();
        if self.total == 0.0 {
            return None;
        }
        if self.means.len() == 1 || q <= 0.0 {
            return Some(if q <= 0.0 { self.min } else { self.means[0] });
        }
        if q >= 1.0 {
            return Some(self.max);
        }
        let target = q * self.total;
        // Each centroid's weight is centred on its mean; interpolate between neighbours, with
        // the exact min and max as the ends.
        let mut cumulative = 0.0;
        for i in 0..self.means.len() {
            let w = self.weights[i];
            let centre = cumulative + w / 2.0;
            if target < centre {
                let (left_pos, left_val) = if i == 0 {
                    (0.0, self.min)
                } else {
                    (cumulative - self.weights[i - 1] / 2.0, self.means[i - 1])
                };
                if i > 0 && self.weights[i - 1] == 1.0 && w == 1.0 {
                    // Two singletons: the answer is one of them, not a blend.
                    return Some(if target < cumulative {
                        left_val
                    } else {
                        self.means[i]
                    });
                }
                let t = ((target - left_pos) / (centre - left_pos)).clamp(0.0, 1.0);
                return Some(left_val + t * (self.means[i] - left_val));
            }
            cumulative += w;
        }
        let last = self.means.len() - 1;
        let centre = self.total - self.weights[last] / 2.0;
        let t = ((target - centre) / (self.total - centre)).clamp(0.0, 1.0);
        Some(self.means[last] + t * (self.max - self.means[last]))
    }
}

/// Distinct count of a stream: exact up to `k` distinct hashes, then the k-minimum-values
/// estimate `(k − 1) / h_k` (relative standard error about `1 / √(k − 2)`, 3% for k = 1024).
#[derive(Debug, Clone)]
pub(crate) struct DistinctSketch {
    k: usize,
    smallest: std::collections::BTreeSet<u64>,
}

impl DistinctSketch {
    pub(crate) fn new(k: usize) -> Self {
        DistinctSketch {
            k,
            smallest: std::collections::BTreeSet::new(),
        }
    }

    pub(crate) fn insert(&mut self, hash: u64) {
        if self.smallest.len() < self.k {
            self.smallest.insert(hash);
            return;
        }
        if let Some(&largest) = self.smallest.last()
            && hash < largest
            && self.smallest.insert(hash)
        {
            self.smallest.pop_last();
        }
    }

    /// `(count, exact)`.
    pub(crate) fn estimate(&self) -> (u64, bool) {
        if self.smallest.len() < self.k {
            return (self.smallest.len() as u64, true);
        }
        let kth = self.smallest.last().copied().unwrap_or(u64::MAX) as f64 / u64::MAX as f64;
        (((self.k - 1) as f64 / kth).round() as u64, false)
    }
}

/// A fast, well-mixed 64-bit hash of 64 bits (the splitmix64 finaliser).
pub(crate) fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Hash of a text value (FNV-1a, then mixed).
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix64(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn digest_quantiles_are_close_to_exact() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut values: Vec<f64> = (0..200_000)
            .map(|_| rng.random::<f64>().powi(3) * 1000.0)
            .collect();
        let mut digest = TDigest::new(200.0);
        digest.extend(values.iter().copied());
        values.sort_by(f64::total_cmp);
        for q in [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] {
            let exact = values[(q * (values.len() - 1) as f64) as usize];
            let estimate = digest.quantile(q).expect("values were added");
            // Compare ranks: the estimate's rank must be within 0.5% of q.
            let rank = values.partition_point(|&v| v < estimate) as f64 / values.len() as f64;
            assert!(
                (rank - q).abs() < 0.005,
                "q={q}: exact {exact}, estimate {estimate}, rank {rank}"
            );
        }
        assert_eq!(digest.quantile(0.0), Some(values[0]));
        assert_eq!(digest.quantile(1.0), values.last().copied());
    }

    #[test]
    fn digest_of_few_values_is_exact() {
        let mut digest = TDigest::new(200.0);
        digest.extend([3.0, 1.0, 2.0, 4.0, 5.0]);
        assert_eq!(digest.quantile(0.5), Some(3.0));
        assert_eq!(digest.quantile(0.0), Some(1.0));
        assert_eq!(TDigest::new(100.0).quantile(0.5), None);
    }

    #[test]
    fn distinct_sketch_is_exact_then_close() {
        let mut small = DistinctSketch::new(1024);
        for i in 0..5000u64 {
            small.insert(mix64(i % 700));
        }
        assert_eq!(small.estimate(), (700, true));
        let mut large = DistinctSketch::new(1024);
        for i in 0..100_000u64 {
            large.insert(mix64(i));
        }
        let (estimate, exact) = large.estimate();
        assert!(!exact);
        assert!(
            (estimate as f64 / 100_000.0 - 1.0).abs() < 0.1,
            "{estimate}"
        );
    }
}
