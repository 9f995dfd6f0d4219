//! The holdout splitter: one random or stratified train/validation split.

use super::{class_labels, complement, rows_by_class};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use specweave_core::{Dataset, Error, Fold, Result, Splitter};

/// One train/validation split, random or stratified by class.
///
/// ```
/// use specweave_core::Splitter;
/// use specweave_data::{split::Holdout, synth::ClassificationSpec};
/// let data = ClassificationSpec::new(1_000).positive_rate(0.05).generate()?;
/// let folds = Holdout::new(0.2).stratified(true).seed(42).split(&data)?;
/// assert_eq!(folds[0].validation.len(), 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Holdout {
    validation_fraction: f64,
    stratified: bool,
    seed: u64,
}

impl Holdout {
    /// A random holdout of `validation_fraction` of the rows (in (0, 1)).
    pub fn new(validation_fraction: f64) -> Self {
        Holdout {
            validation_fraction,
            stratified: false,
            seed: 0,
        }
    }

    /// Keep each class's share equal in both parts (needs a classification target).
    pub fn stratified(mut self, yes: bool) -> Self {
        self.stratified = yes;
        self
    }

    /// Random seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl Splitter for Holdout {
    fn name(&self) -> String {
        format!(
            "{}holdout({})",
            if self.stratified { "stratified_" } else { "" },
            self.validation_fraction
        )
    }

    fn split(&self, data: &Dataset) -> Result<Vec<Fold>> {
        let n = data.n_rows();
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(Error::InvalidInput(format!(
                "validation fraction must be in (0, 1), got {}",
                self.validation_fraction
            )));
        }
        // Like scikit-learn: the validation part is ceil(n × fraction) rows.
        let n_validation = (n as f64 * self.validation_fraction).ceil() as usize;
        if n < 2 || n_validation == 0 || n_validation >= n {
            return Err(Error::InvalidInput(format!(
                "a holdout of {} leaves an empty part with {n} rows",
                self.validation_fraction
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut validation = if self.stratified {
            let by_class = rows_by_class(class_labels(data, "a stratified holdout")?);
            // Largest-remainder allocation keeps the total exact and each class's share close.
            let exact: Vec<f64> = by_class
                .iter()
                .map(|rows| rows.len() as f64 * n_validation as f64 / n as f64)
                .collect();
            let mut take: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
            let mut remainder: Vec<(usize, f64)> = exact
                .iter()
                .enumerate()
                .map(|(c, x)| (c, x - x.floor()))
                .collect();
            remainder.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let short = n_validation - take.iter().sum::<usize>();
            for &(c, _) in remainder.iter().take(short) {
                take[c] += 1;
            }
            let mut validation = Vec::with_capacity(n_validation);
            for (rows, count) in by_class.into_iter().zip(take) {
                let mut rows = rows;
                rows.shuffle(&mut rng);
                validation.extend_from_slice(&rows[..count.min(rows.len())]);
            }
            validation
        } else {
            let mut rows: Vec<usize> = (0..n).collect();
            rows.shuffle(&mut rng);
            rows.truncate(n_validation);
            rows
        };
        validation.sort_unstable();
        let train = complement(n, &validation);
        Ok(vec![Fold { train, validation }])
    }
}
