//! The splitters: holdout (random or stratified), k-fold, stratified k-fold, group k-fold and
//! time-series (expanding window with an optional gap). All implement
//! [`specweave_core::Splitter`], are seeded and give the same folds for the same seed.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use specweave_core::{Dataset, Error, Fold, Result, Splitter, Target};
use std::collections::HashMap;

fn class_labels<'a>(data: &'a Dataset, splitter: &str) -> Result<&'a [usize]> {
    match data.target() {
        Target::Classes { labels, .. } => Ok(labels),
        _ => Err(Error::InvalidInput(format!(
            "{splitter} needs a classification target"
        ))),
    }
}

/// Row indices of each class, in row order.
fn rows_by_class(labels: &[usize]) -> Vec<Vec<usize>> {
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
    let mut by_class = vec![Vec::new(); n_classes];
    for (row, &label) in labels.iter().enumerate() {
        by_class[label].push(row);
    }
    by_class.retain(|rows| !rows.is_empty());
    by_class
}

fn check_k(k: usize, n: usize, what: &str) -> Result<()> {
    if k < 2 {
        return Err(Error::InvalidInput(format!(
            "{what} needs at least 2 folds, got {k}"
        )));
    }
    if n < k {
        return Err(Error::InvalidInput(format!(
            "{what} with {k} folds needs at least {k} rows, got {n}"
        )));
    }
    Ok(())
}

fn complement(n: usize, validation: &[usize]) -> Vec<usize> {
    let mut in_validation = vec![false; n];
    for &row in validation {
        in_validation[row] = true;
    }
    (0..n).filter(|&r| !in_validation[r]).collect()
}

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

fn cut_into_folds(rows: &[usize], k: usize, n: usize) -> Vec<Fold> {
    // The first n % k folds get one extra row, as in scikit-learn.
    let (base, extra) = (rows.len() / k, rows.len() % k);
    let mut start = 0;
    (0..k)
        .map(|fold| {
            let size = base + usize::from(fold < extra);
            let mut validation = rows[start..start + size].to_vec();
            start += size;
            validation.sort_unstable();
            let train = complement(n, &validation);
            Fold { train, validation }
        })
        .collect()
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

/// Stratified k-fold: every fold keeps the class proportions of the whole dataset.
///
/// Each class's rows (shuffled when asked) are dealt round-robin over the folds, so fold class
/// counts differ by at most one. Fails when a class has fewer rows than folds.
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

/// Group k-fold: no group appears in both the training and the validation rows of a fold.
///
/// Groups are placed largest first into the fold with the fewest rows so far (scikit-learn's
/// method), which is deterministic; needs the dataset's group ids.
#[derive(Debug, Clone)]
pub struct GroupKFold {
    k: usize,
}

impl GroupKFold {
    /// `k` folds over the groups.
    pub fn new(k: usize) -> Self {
        GroupKFold { k }
    }
}

impl Splitter for GroupKFold {
    fn name(&self) -> String {
        format!("group_k_fold({})", self.k)
    }

    fn split(&self, data: &Dataset) -> Result<Vec<Fold>> {
        let n = data.n_rows();
        let groups = data.groups().ok_or_else(|| {
            Error::InvalidInput("group k-fold needs group ids (set a group column)".into())
        })?;
        check_k(self.k, n, "group k-fold")?;
        let mut rows_of: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for (row, group) in groups.iter().enumerate() {
            rows_of
                .entry(group.as_str())
                .or_insert_with(|| {
                    order.push(group.as_str());
                    Vec::new()
                })
                .push(row);
        }
        if order.len() < self.k {
            return Err(Error::InvalidInput(format!(
                "group k-fold with {} folds needs at least {} groups, got {}",
                self.k,
                self.k,
                order.len()
            )));
        }
        // Largest group first; ties broken by first appearance for determinism.
        order.sort_by_key(|g| std::cmp::Reverse(rows_of[g].len()));
        let mut validation = vec![Vec::new(); self.k];
        for group in order {
            let lightest = (0..self.k)
                .min_by_key(|&f| (validation[f].len(), f))
                .unwrap_or(0);
            validation[lightest].extend_from_slice(&rows_of[group]);
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

/// Time-series split: an expanding training window followed by a validation block, never
/// shuffled; an optional gap of rows between them keeps lagged features from leaking.
///
/// Rows are ordered by the dataset's timestamps when it has them (ties in row order), else
/// taken in row order. With `n` rows and `s` splits each validation block has
/// `n / (s + 1)` rows (or the configured size), the last block ending at the last row, as in
/// scikit-learn's `TimeSeriesSplit`.
///
/// ```
/// use specweave_core::Splitter;
/// use specweave_data::{split::TimeSeriesSplit, synth::RegressionSpec};
/// let data = RegressionSpec::new(12).generate()?;
/// let folds = TimeSeriesSplit::new(3).gap(1).split(&data)?;
/// assert_eq!(folds[0].train, (0..2).collect::<Vec<_>>());
/// assert_eq!(folds[0].validation, (3..6).collect::<Vec<_>>());
/// assert_eq!(folds[2].validation, (9..12).collect::<Vec<_>>());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TimeSeriesSplit {
    n_splits: usize,
    gap: usize,
    test_size: Option<usize>,
    max_train_size: Option<usize>,
}

impl TimeSeriesSplit {
    /// `n_splits` expanding-window folds, no gap.
    pub fn new(n_splits: usize) -> Self {
        TimeSeriesSplit {
            n_splits,
            gap: 0,
            test_size: None,
            max_train_size: None,
        }
    }

    /// Rows left out between the end of training and the start of validation.
    pub fn gap(mut self, rows: usize) -> Self {
        self.gap = rows;
        self
    }

    /// Rows per validation block (default `n / (n_splits + 1)`).
    pub fn test_size(mut self, rows: usize) -> Self {
        self.test_size = Some(rows);
        self
    }

    /// Cap the training window to its most recent rows (a sliding window).
    pub fn max_train_size(mut self, rows: usize) -> Self {
        self.max_train_size = Some(rows);
        self
    }
}

impl Splitter for TimeSeriesSplit {
    fn name(&self) -> String {
        format!("time_series_split({}, gap={})", self.n_splits, self.gap)
    }

    fn split(&self, data: &Dataset) -> Result<Vec<Fold>> {
        let n = data.n_rows();
        if self.n_splits < 1 {
            return Err(Error::InvalidInput(
                "time-series split needs at least 1 split".into(),
            ));
        }
        let test_size = self.test_size.unwrap_or(n / (self.n_splits + 1));
        let needed = self.n_splits * test_size + self.gap + 1;
        if test_size == 0 || needed > n {
            return Err(Error::InvalidInput(format!(
                "time-series split with {} splits, gap {} and validation size {test_size} needs at least {} rows, got {n}",
                self.n_splits,
                self.gap,
                needed.max(self.n_splits + 1)
            )));
        }
        let mut order: Vec<usize> = (0..n).collect();
        if let Some(timestamps) = data.timestamps() {
            order.sort_by_key(|&r| timestamps[r]);
        }
        let first_test = n - self.n_splits * test_size;
        Ok((0..self.n_splits)
            .map(|s| {
                let test_start = first_test + s * test_size;
                let train_end = test_start - self.gap;
                let train_start = self
                    .max_train_size
                    .map_or(0, |max| train_end.saturating_sub(max));
                Fold {
                    train: order[train_start..train_end].to_vec(),
                    validation: order[test_start..test_start + test_size].to_vec(),
                }
            })
            .collect())
    }

    fn is_time_ordered(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::ClassificationSpec;
    use ndarray::Array2;
    use std::collections::HashSet;

    fn assert_partition(folds: &[Fold], n: usize) {
        for fold in folds {
            let train: HashSet<_> = fold.train.iter().collect();
            assert!(
                fold.validation.iter().all(|r| !train.contains(r)),
                "overlap"
            );
            assert_eq!(fold.train.len() + fold.validation.len(), n);
        }
    }

    #[test]
    fn stratified_holdout_keeps_rare_class_share() -> Result<()> {
        let data = ClassificationSpec::new(10_000)
            .positive_rate(0.01)
            .seed(1)
            .generate()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let folds = Holdout::new(0.25).stratified(true).seed(9).split(&data)?;
        assert_partition(&folds, 10_000);
        let labels = class_labels(&data, "test")?;
        let positives = folds[0]
            .validation
            .iter()
            .filter(|&&r| labels[r] == 1)
            .count();
        assert_eq!(positives, 25);
        assert_eq!(folds[0].validation.len(), 2_500);
        // Same seed, same split; another seed, another split.
        assert_eq!(
            Holdout::new(0.25).stratified(true).seed(9).split(&data)?,
            folds
        );
        assert_ne!(
            Holdout::new(0.25).stratified(true).seed(10).split(&data)?,
            folds
        );
        Ok(())
    }

    #[test]
    fn k_fold_covers_every_row_once() -> Result<()> {
        let data = Dataset::builder(Array2::zeros((23, 1))).build()?;
        let folds = KFold::new(5).shuffled(3).split(&data)?;
        assert_partition(&folds, 23);
        let mut all: Vec<usize> = folds.iter().flat_map(|f| f.validation.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..23).collect::<Vec<_>>());
        assert!(KFold::new(1).split(&data).is_err());
        assert!(KFold::new(24).split(&data).is_err());
        Ok(())
    }

    #[test]
    fn stratified_k_fold_balances_classes() -> Result<()> {
        let data = ClassificationSpec::new(1_000)
            .positive_rate(0.05)
            .seed(2)
            .generate()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let folds = StratifiedKFold::new(5).shuffled(1).split(&data)?;
        assert_partition(&folds, 1_000);
        let labels = class_labels(&data, "test")?;
        for fold in &folds {
            assert_eq!(
                fold.validation.iter().filter(|&&r| labels[r] == 1).count(),
                10
            );
            assert_eq!(fold.validation.len(), 200);
        }
        let tiny = ClassificationSpec::new(100)
            .positive_rate(0.03)
            .generate()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let err = StratifiedKFold::new(5)
            .split(&tiny)
            .expect_err("3 positives < 5 folds");
        assert!(err.to_string().contains("has only 3 rows"), "{err}");
        Ok(())
    }

    #[test]
    fn group_k_fold_never_splits_a_group() -> Result<()> {
        let groups: Vec<String> = (0..100).map(|i| format!("g{}", i % 7)).collect();
        let data = Dataset::builder(Array2::zeros((100, 1)))
            .groups(groups.clone())
            .build()?;
        let folds = GroupKFold::new(3).split(&data)?;
        assert_partition(&folds, 100);
        for fold in &folds {
            let train: HashSet<&String> = fold.train.iter().map(|&r| &groups[r]).collect();
            assert!(fold.validation.iter().all(|&r| !train.contains(&groups[r])));
        }
        assert!(GroupKFold::new(8).split(&data).is_err());
        Ok(())
    }

    #[test]
    fn time_series_split_respects_time_and_gap() -> Result<()> {
        // Timestamps in reverse row order: the split must follow time, not rows.
        let data = Dataset::builder(Array2::zeros((10, 1)))
            .timestamps((0..10).rev().collect())
            .build()?;
        let splitter = TimeSeriesSplit::new(2).gap(2);
        let folds = splitter.split(&data)?;
        assert!(splitter.is_time_ordered());
        // n=10, s=2 -> test size 3, first test starts at 4; train ends at 4-2=2.
        assert_eq!(folds[0].train, vec![9, 8]);
        assert_eq!(folds[0].validation, vec![5, 4, 3]);
        assert_eq!(folds[1].train, vec![9, 8, 7, 6, 5]);
        assert_eq!(folds[1].validation, vec![2, 1, 0]);
        assert!(TimeSeriesSplit::new(9).gap(2).split(&data).is_err());
        Ok(())
    }
}
