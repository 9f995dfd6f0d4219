//! Evaluation protocol: per-user temporal splits and leave-last-out, and the test items each
//! user must be ranked against.
//!
//! Splits keep the full id space, so train and test share user and item indices. Ranking is
//! over all items with the user's training items excluded (see
//! [`recommend_all`](crate::recommend_all)).

use crate::{Error, Result};
use specweave_core::Interactions;

/// A train/test division of an interaction log.
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionSplit {
    /// Earlier interactions, to fit on.
    pub train: Interactions,
    /// Later interactions, to evaluate on.
    pub test: Interactions,
}

impl InteractionSplit {
    /// Distinct test items of every user (index = user), sorted, with items the user already
    /// had in training removed (they are excluded from rankings, so they cannot be hits).
    pub fn relevant_items(&self) -> Vec<Vec<u32>> {
        let mut seen: Vec<Vec<u32>> = vec![Vec::new(); self.train.n_users()];
        for (&u, &i) in self.train.users().iter().zip(self.train.items()) {
            seen[u as usize].push(i);
        }
        for items in seen.iter_mut() {
            items.sort_unstable();
            items.dedup();
        }
        let mut relevant: Vec<Vec<u32>> = vec![Vec::new(); self.test.n_users()];
        for (&u, &i) in self.test.users().iter().zip(self.test.items()) {
            if seen[u as usize].binary_search(&i).is_err() {
                relevant[u as usize].push(i);
            }
        }
        for items in relevant.iter_mut() {
            items.sort_unstable();
            items.dedup();
        }
        relevant
    }

    /// Users with at least one relevant test item, the users an evaluation ranks for.
    pub fn test_users(&self) -> Vec<u32> {
        self.relevant_items()
            .iter()
            .enumerate()
            .filter(|(_, items)| !items.is_empty())
            .map(|(u, _)| u as u32)
            .collect()
    }
}

/// Each user's interaction rows ordered by (timestamp, row), the stable time order.
fn rows_by_user(interactions: &Interactions) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); interactions.n_users()];
    for (row, &u) in interactions.users().iter().enumerate() {
        rows[u as usize].push(row);
    }
    let timestamps = interactions.timestamps();
    for user_rows in rows.iter_mut() {
        user_rows.sort_by_key(|&r| (timestamps[r], r));
    }
    rows
}

/// Splits every user's history in time: the latest `test_fraction` of each user's events
/// (rounded, at least one when the user has two or more) go to test, the rest to train.
/// Users with a single event stay wholly in train.
///
/// ```
/// use specweave_core::Interactions;
/// use specweave_recommend::temporal_split;
///
/// let log = Interactions::from_indices(
///     vec![0, 0, 0, 0, 1], vec![0, 1, 2, 3, 0], vec![1.0; 5], vec![4, 1, 2, 3, 9],
///     vec!["a".into(), "b".into()], (0..4).map(|i| i.to_string()).collect(),
/// )?;
/// let split = temporal_split(&log, 0.5)?;
/// assert_eq!(split.test.items(), &[3, 0]); // user 0's two latest events, in time order
/// assert_eq!(split.train.len(), 3);
/// # Ok::<(), specweave_recommend::Error>(())
/// ```
pub fn temporal_split(interactions: &Interactions, test_fraction: f64) -> Result<InteractionSplit> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::InvalidInput(format!(
            "test_fraction must lie strictly between 0 and 1, got {test_fraction}"
        )));
    }
    split_by(interactions, |n| {
        ((n as f64 * test_fraction).round() as usize).clamp(1, n - 1)
    })
}

/// Holds out each user's latest event (users with a single event stay wholly in train).
///
/// ```
/// use specweave_core::Interactions;
/// use specweave_recommend::leave_last_out;
///
/// let log = Interactions::from_indices(
///     vec![0, 0, 1], vec![0, 1, 0], vec![1.0; 3], vec![2, 1, 5],
///     vec!["a".into(), "b".into()], vec!["x".into(), "y".into()],
/// )?;
/// let split = leave_last_out(&log)?;
/// assert_eq!((split.test.users(), split.test.items()), (&[0_u32][..], &[0_u32][..]));
/// # Ok::<(), specweave_recommend::Error>(())
/// ```
pub fn leave_last_out(interactions: &Interactions) -> Result<InteractionSplit> {
    split_by(interactions, |_| 1)
}

/// Splits with `n_test(n)` latest events of every user with `n ≥ 2` events held out.
fn split_by(
    interactions: &Interactions,
    n_test: impl Fn(usize) -> usize,
) -> Result<InteractionSplit> {
    let mut train_rows = Vec::with_capacity(interactions.len());
    let mut test_rows = Vec::new();
    for rows in rows_by_user(interactions) {
        let held_out = if rows.len() >= 2 {
            n_test(rows.len())
        } else {
            0
        };
        let cut = rows.len() - held_out;
        train_rows.extend_from_slice(&rows[..cut]);
        test_rows.extend_from_slice(&rows[cut..]);
    }
    // Keep the log's own row order inside each part.
    train_rows.sort_unstable();
    test_rows.sort_unstable_by_key(|&r| (interactions.users()[r], interactions.timestamps()[r], r));
    Ok(InteractionSplit {
        train: interactions.select(&train_rows)?,
        test: interactions.select(&test_rows)?,
    })
}
