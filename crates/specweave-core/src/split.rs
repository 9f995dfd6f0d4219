//! The splitter vocabulary: how rows are divided into training and validation folds.
//!
//! `specweave-data` implements the splitters (holdout, k-fold, stratified, group,
//! time-series); training code consumes them through [`Splitter`] alone.

use crate::{Dataset, Result};

/// One train/validation division of a dataset's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// Row indices to fit on.
    pub train: Vec<usize>,
    /// Row indices to evaluate on.
    pub validation: Vec<usize>,
}

/// Produces folds for a dataset, deterministically for a given configuration and seed.
pub trait Splitter: Send + Sync + std::fmt::Debug {
    /// Short name, e.g. `"stratified_k_fold(5)"`, for logs and reports.
    fn name(&self) -> String;

    /// The folds; fails when the dataset cannot be split this way (too few rows, no
    /// timestamps for a time-series split, a class with fewer members than folds, ...).
    fn split(&self, data: &Dataset) -> Result<Vec<Fold>>;

    /// True when folds respect time order, so callers can refuse shuffled splits for series.
    fn is_time_ordered(&self) -> bool {
        false
    }
}
