//! Stratified k-fold: folds that keep the class proportions.

use super::{check_k, class_labels, complement, rows_by_class};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use specweave_core::{Dataset, Error, Fold, Result, Splitter};

/// Stratified k-fold: every fold keeps the class proportions of the whole dataset.
///
/// Each class's rows (shuffled when asked) are dealt round-robin over the folds, so fold class
/// counts differ by at most one. Fails when a class has fewer rows than folds.
///
/// ```
/// use specweave_core::{Splitter, Target};
/// use specweave_data::{split::StratifiedKFold, synth::ClassificationSpec};
/// let data = ClassificationSpec::new(1_000).positive_rate(0.01).generate()?;
/// let Target::Classes { labels, .. } = data.target() else { unreachable!() };
/// for fold in StratifiedKFold::new(5).shuffled(7).split(&data)? {
///     assert_eq!(fold.validation.iter().filter(|&&r| labels[r] == 1).count(), 2);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct StratifiedKFold {
    k: usize,
    shuffle: bool,
    seed: u64,
}

impl StratifiedKFold {
    /// `k` stratified folds, rows in order within each class.
    pub fn new(k: usize) -> Self {
        StratifiedKFold {
            k,
            shuffle: false,
            seed: 0,
        }
    }

    /// Shuffle each class's rows with `seed` first.
    pub fn shuffled(mut self, seed: u64) -> Self {
        self.shuffle = true;
        self.seed = seed;
        self
    }
}

impl Splitter for StratifiedKFold {
    fn name(&self) -> String {
        format!("stratified_k_fold({})", self.k)
    }

    fn split(&self, data: &Dataset) -> Result<Vec<Fold>> {
        let n = data.n_rows();
        check_k(self.k, n, "stratified k-fold")?;
        let labels = class_labels(data, "stratified k-fold")?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut validation = vec![Vec::new(); self.k];
        // Continue the round-robin across classes so fold sizes stay balanced too.
        let mut next_fold = 0;
        for mut rows in rows_by_class(labels) {
            if rows.len() < self.k {
                return Err(Error::InvalidInput(format!(
                    "stratified k-fold with {} folds: class {} has only {} rows",
                    self.k,
                    labels[rows[0]],
                    rows.len()
                )));
            }
            if self.shuffle {
                rows.shuffle(&mut rng);
            }
            for row in rows {
                validation[next_fold].push(row);
                next_fold = (next_fold + 1) % self.k;
            }
        }
        Ok(validation
            .into_iter()
            .map(|mut validation| {
                validation.sort_unstable();
                let train = complement(n, &validation);
                Fold { train, validation }
            })
            .collect())
    }
}
