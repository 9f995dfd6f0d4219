//! Plain k-fold cross-validation.

use super::{check_k, cut_into_folds};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use specweave_core::{Dataset, Fold, Result, Splitter};

/// K-fold cross-validation: rows (shuffled when asked) cut into `k` nearly equal folds.
///
/// ```
/// use specweave_core::Splitter;
/// use specweave_data::{split::KFold, synth::RegressionSpec};
/// let data = RegressionSpec::new(10).generate()?;
/// let folds = KFold::new(3).split(&data)?;
/// assert_eq!(folds.iter().map(|f| f.validation.len()).collect::<Vec<_>>(), [4, 3, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct KFold {
    k: usize,
    shuffle: bool,
    seed: u64,
}

impl KFold {
    /// `k` folds over the rows in order (scikit-learn's default: no shuffle).
    pub fn new(k: usize) -> Self {
        KFold {
            k,
            shuffle: false,
            seed: 0,
        }
    }

    /// Shuffle rows with `seed` before cutting.
    pub fn shuffled(mut self, seed: u64) -> Self {
        self.shuffle = true;
        self.seed = seed;
        self
    }
}

impl Splitter for KFold {
    fn name(&self) -> String {
        format!("k_fold({})", self.k)
    }

    fn split(&self, data: &Dataset) -> Result<Vec<Fold>> {
        let n = data.n_rows();
        check_k(self.k, n, "k-fold")?;
        let mut rows: Vec<usize> = (0..n).collect();
        if self.shuffle {
            rows.shuffle(&mut ChaCha8Rng::seed_from_u64(self.seed));
        }
        Ok(cut_into_folds(&rows, self.k, n))
    }
}
