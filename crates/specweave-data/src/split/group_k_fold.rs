//! Group k-fold: no group on both sides of a fold.

use super::{check_k, complement};
use specweave_core::{Dataset, Error, Fold, Result, Splitter};
use std::collections::HashMap;

/// Group k-fold: no group appears in both the training and the validation rows of a fold.
///
/// Groups are placed largest first into the fold with the fewest rows so far (scikit-learn's
/// method), which is deterministic; needs the dataset's group ids.
///
/// ```
/// use ndarray::Array2;
/// use specweave_core::{Dataset, Splitter};
/// use specweave_data::split::GroupKFold;
/// let customers: Vec<String> = ["a", "a", "b", "c", "c", "c"].map(String::from).to_vec();
/// let data = Dataset::builder(Array2::zeros((6, 1))).groups(customers).build()?;
/// let folds = GroupKFold::new(2).split(&data)?;
/// assert_eq!(folds[0].validation, [3, 4, 5]); // the largest group fills a fold
/// assert_eq!(folds[1].validation, [0, 1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
