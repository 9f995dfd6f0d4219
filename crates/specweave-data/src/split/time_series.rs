//! Time-series split: expanding windows in time order, with an optional gap.

use specweave_core::{Dataset, Error, Fold, Result, Splitter};

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
