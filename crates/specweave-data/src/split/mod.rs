//! The splitters: holdout (random or stratified), k-fold, stratified k-fold, group k-fold and
//! time-series (expanding window with an optional gap). All implement
//! [`specweave_core::Splitter`], are seeded and give the same folds for the same seed.

mod group_k_fold;
mod holdout;
mod k_fold;
mod stratified_k_fold;
mod time_series;

pub use group_k_fold::GroupKFold;
pub use holdout::Holdout;
pub use k_fold::KFold;
pub use stratified_k_fold::StratifiedKFold;
pub use time_series::TimeSeriesSplit;

use specweave_core::{Dataset, Error, Fold, Result, Target};

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

/// Cuts `rows` into `k` consecutive validation blocks.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::ClassificationSpec;
    use ndarray::Array2;
    use specweave_core::Splitter;
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
