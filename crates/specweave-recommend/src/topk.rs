//! Top-k selection with partial sorts, and ranking every user in parallel.
//!
//! Ties are broken by the smaller item id first, so rankings are deterministic and do not
//! depend on thread scheduling.

use crate::{Error, Result};
use rayon::prelude::*;
use specweave_core::Recommender;
use std::cmp::Ordering;

/// The `k` best `(item, score)` pairs from a dense score vector, best first.
///
/// Items listed in `exclude` (any order) and non-finite scores are skipped. Never sorts all
/// `n` scores: small `k` keeps a sorted buffer of the best so far (most scores are rejected
/// by one comparison), large `k` uses `select_nth_unstable_by` and sorts only the `k` kept.
///
/// ```
/// use specweave_recommend::top_k;
///
/// let scores = [0.1, 0.9, 0.5, 0.9, 0.7];
/// assert_eq!(top_k(&scores, 3, &[3]), vec![(1, 0.9), (4, 0.7), (2, 0.5)]);
/// ```
pub fn top_k(scores: &[f64], k: usize, exclude: &[u32]) -> Vec<(u32, f64)> {
    let mut excluded = vec![false; scores.len()];
    for &item in exclude {
        if let Some(flag) = excluded.get_mut(item as usize) {
            *flag = true;
        }
    }
    let candidates = scores
        .iter()
        .enumerate()
        .filter(|&(i, s)| !excluded[i] && s.is_finite())
        .map(|(i, &s)| (i as u32, s));
    top_k_of(candidates, k)
}

/// Up to this many results, selection keeps a sorted buffer that rejects most candidates
/// with a single comparison; above it, a linear-time partial sort of all candidates wins.
const INSERTION_LIMIT: usize = 64;

/// The `k` best of arbitrary `(item, score)` pairs, best first, ties by smaller item id.
pub(crate) fn top_k_of(pairs: impl Iterator<Item = (u32, f64)>, k: usize) -> Vec<(u32, f64)> {
    if k == 0 {
        return Vec::new();
    }
    if k <= INSERTION_LIMIT {
        let mut best: Vec<(u32, f64)> = Vec::with_capacity(k + 1);
        for pair in pairs {
            if best.len() == k && rank_order(&pair, &best[k - 1]) != Ordering::Less {
                continue;
            }
            let at = best.partition_point(|kept| rank_order(kept, &pair) == Ordering::Less);
            best.insert(at, pair);
            best.truncate(k);
        }
        return best;
    }
    let mut all: Vec<(u32, f64)> = pairs.collect();
    if all.len() > k {
        all.select_nth_unstable_by(k - 1, rank_order);
        all.truncate(k);
    }
    all.sort_unstable_by(rank_order);
    all
}

/// Higher score first, then smaller item id.
pub(crate) fn rank_order(a: &(u32, f64), b: &(u32, f64)) -> Ordering {
    b.1.partial_cmp(&a.1)
        .unwrap_or(Ordering::Equal)
        .then(a.0.cmp(&b.0))
}

/// Top-`k` recommendations for each of `users`, computed in parallel (one task per user).
///
/// The result is in the order of `users`. Fails with the first error any user raised.
///
/// ```
/// use specweave_core::{Interactions, Recommender};
/// use specweave_recommend::{recommend_all, Popularity};
///
/// let log = Interactions::from_indices(
///     vec![0, 0, 1, 2], vec![0, 1, 1, 2], vec![1.0; 4], vec![0; 4],
///     vec!["a".into(), "b".into(), "c".into()], vec!["x".into(), "y".into(), "z".into()],
/// )?;
/// let mut model = Popularity::default();
/// model.fit(&log)?;
/// let lists = recommend_all(&model, &[1, 2], 1, true)?;
/// assert_eq!(lists[0][0].0, 0); // user 1 saw item 1; item 0 and 2 tie, smaller id wins
/// assert_eq!(lists[1][0].0, 1);
/// # Ok::<(), specweave_core::Error>(())
/// ```
pub fn recommend_all(
    recommender: &dyn Recommender,
    users: &[u32],
    k: usize,
    exclude_seen: bool,
) -> specweave_core::Result<Vec<Vec<(u32, f64)>>> {
    users
        .par_iter()
        .map(|&user| recommender.recommend(user, k, exclude_seen))
        .collect()
}

/// Fails unless `user < n_users`.
pub(crate) fn check_user(user: u32, n_users: usize) -> Result<()> {
    if (user as usize) < n_users {
        Ok(())
    } else {
        Err(Error::UnknownUser { user, n_users })
    }
}

/// Fails unless every item is `< n_items`.
pub(crate) fn check_items(items: &[u32], n_items: usize) -> Result<()> {
    match items.iter().find(|&&i| i as usize >= n_items) {
        Some(&item) => Err(Error::UnknownItem { item, n_items }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_matches_a_full_sort() {
        let scores: Vec<f64> = (0..500).map(|i| ((i * 7919) % 101) as f64).collect();
        let mut full: Vec<(u32, f64)> = scores
            .iter()
            .enumerate()
            .map(|(i, &s)| (i as u32, s))
            .collect();
        full.sort_by(rank_order);
        for k in [0, 1, 10, 499, 500, 800] {
            let expected: Vec<_> = full.iter().take(k).copied().collect();
            assert_eq!(top_k(&scores, k, &[]), expected, "k = {k}");
        }
    }

    #[test]
    fn excluded_and_nan_items_are_skipped() {
        let scores = [f64::NAN, 3.0, 2.0, 1.0];
        assert_eq!(top_k(&scores, 10, &[1, 99]), vec![(2, 2.0), (3, 1.0)]);
    }
}
