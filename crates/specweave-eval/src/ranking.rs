//! Ranking and recommendation metrics, per user (query) then averaged, with ranx 0.3's
//! definitions.
//!
//! A user's ranked list is given as the relevance grade of each ranked item, best first
//! (0 for items that are not relevant); the user's judgements are all relevance grades of
//! that user, ranked or not. An item is relevant when its grade is above 0.
//!
//! - precision@k = hits in the top k / k (also when the list is shorter than k);
//! - recall@k = hits in the top k / R, with R the number of relevant items;
//! - NDCG@k = DCG@k / IDCG@k, DCG = Σ gain(relᵢ)/log₂(i + 1) over ranks i = 1..k, gain
//!   linear (`rel`) by default or exponential (`2^rel − 1`); IDCG from the judgements
//!   sorted by grade, cut at k;
//! - MAP@k = Σ precision@i over the ranks i ≤ k of relevant items / R (R = all relevant,
//!   not min(R, k), as ranx);
//! - MRR@k = 1 / rank of the first relevant item in the top k; hit rate@k = 1 if any.
//!
//! Users without relevant items score 0 on every metric and count in the mean (ranx).
//!
//! **Tie rule**: candidates with equal scores are ordered by item id descending, the rule of
//! `trec_eval`, so results are deterministic (ranx's own sort is not stable).

use crate::error::{EvalError, Result, check_finite, check_len};
use crate::sort::{f64_key, radix_sort_by_key};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// How a relevance grade becomes a gain in DCG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gain {
    /// `rel` (ranx `ndcg`, Järvelin & Kekäläinen).
    #[default]
    Linear,
    /// `2^rel − 1` (ranx `ndcg_burges`).
    Exponential,
}

impl Gain {
    #[inline]
    fn of(self, rel: f64) -> f64 {
        match self {
            Gain::Linear => rel,
            Gain::Exponential => rel.exp2() - 1.0,
        }
    }
}

/// Precision@k of one ranked list: hits in the top `k` divided by `k`.
///
/// ```
/// use specweave_eval::ranking::precision_at_k;
/// assert_eq!(precision_at_k(&[1.0, 0.0, 2.0], 5), 0.4);
/// ```
pub fn precision_at_k(ranked: &[f64], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    hits(ranked, k) as f64 / k as f64
}

/// Recall@k of one ranked list: hits in the top `k` / number of relevant items (0 if none).
pub fn recall_at_k(ranked: &[f64], n_relevant: usize, k: usize) -> f64 {
    if n_relevant == 0 {
        return 0.0;
    }
    hits(ranked, k) as f64 / n_relevant as f64
}

/// NDCG@k of one ranked list against the user's judgements (any order).
///
/// ```
/// use specweave_eval::ranking::{ndcg_at_k, Gain};
/// // ideal order: perfect
/// assert_eq!(ndcg_at_k(&[3.0, 2.0, 0.0], &[3.0, 2.0], 3, Gain::Linear), 1.0);
/// let n = ndcg_at_k(&[0.0, 1.0], &[1.0], 2, Gain::Linear);
/// assert!((n - 1.0 / 3f64.log2()).abs() < 1e-15);
/// ```
pub fn ndcg_at_k(ranked: &[f64], judgements: &[f64], k: usize, gain: Gain) -> f64 {
    let mut ideal: Vec<f64> = judgements.iter().copied().filter(|&r| r > 0.0).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    ndcg_sorted(ranked, &ideal, k, gain)
}

/// NDCG with the positive judgements already sorted descending.
fn ndcg_sorted(ranked: &[f64], ideal_desc: &[f64], k: usize, gain: Gain) -> f64 {
    if ideal_desc.is_empty() {
        return 0.0;
    }
    let actual = dcg(ranked, k, gain);
    let ideal = dcg(ideal_desc, k, gain);
    actual / if ideal == 0.0 { 1.0 } else { ideal }
}

fn dcg(rels: &[f64], k: usize, gain: Gain) -> f64 {
    rels.iter()
        .take(k)
        .enumerate()
        .filter(|(_, r)| **r > 0.0)
        .map(|(i, &r)| gain.of(r) / discount(i))
        .sum()
}

#[inline]
fn discount(index: usize) -> f64 {
    // rank i = index + 1, discount log2(i + 1)
    ((index + 2) as f64).log2()
}

/// Average precision@k of one ranked list: Σ precision@i over relevant ranks i ≤ k / R.
///
/// ```
/// use specweave_eval::ranking::average_precision_at_k;
/// // hits at ranks 1 and 3 out of 3 relevant: (1 + 2/3) / 3
/// let ap = average_precision_at_k(&[1.0, 0.0, 1.0], 3, 10);
/// assert!((ap - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-15);
/// ```
pub fn average_precision_at_k(ranked: &[f64], n_relevant: usize, k: usize) -> f64 {
    if n_relevant == 0 {
        return 0.0;
    }
    let mut found = 0usize;
    let mut sum = 0.0;
    for (i, &r) in ranked.iter().take(k).enumerate() {
        if r > 0.0 {
            found += 1;
            sum += found as f64 / (i + 1) as f64;
        }
    }
    sum / n_relevant as f64
}

/// Reciprocal rank of the first relevant item in the top `k`, 0 when there is none.
pub fn reciprocal_rank_at_k(ranked: &[f64], k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|&r| r > 0.0)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// 1 when a relevant item is in the top `k`, else 0.
pub fn hit_at_k(ranked: &[f64], k: usize) -> f64 {
    f64::from(u8::from(ranked.iter().take(k).any(|&r| r > 0.0)))
}

fn hits(ranked: &[f64], k: usize) -> usize {
    ranked.iter().take(k).filter(|&&r| r > 0.0).count()
}

/// Per-user scores of every ranking metric at one cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct UserScores {
    /// precision@k.
    pub precision: f64,
    /// recall@k.
    pub recall: f64,
    /// NDCG@k.
    pub ndcg: f64,
    /// average precision@k.
    pub average_precision: f64,
    /// reciprocal rank@k.
    pub reciprocal_rank: f64,
    /// hit@k.
    pub hit: f64,
}

impl UserScores {
    /// All metrics of one ranked list; `ideal_desc` holds the user's positive grades sorted
    /// descending.
    pub fn compute(ranked: &[f64], ideal_desc: &[f64], k: usize, gain: Gain) -> Self {
        let n_relevant = ideal_desc.len();
        UserScores {
            precision: precision_at_k(ranked, k),
            recall: recall_at_k(ranked, n_relevant, k),
            ndcg: ndcg_sorted(ranked, ideal_desc, k, gain),
            average_precision: average_precision_at_k(ranked, n_relevant, k),
            reciprocal_rank: reciprocal_rank_at_k(ranked, k),
            hit: hit_at_k(ranked, k),
        }
    }
}

/// Scored candidates of many users as flat columns, one row per (user, item) pair.
///
/// Every judged item of a user must appear as a row (with any score) so that recall and
/// IDCG see it; rows with relevance 0 are candidates that are not relevant.
#[derive(Debug, Clone, Copy)]
pub struct RankingInput<'a> {
    /// User (query) id per row.
    pub users: &'a [u64],
    /// Item (document) id per row.
    pub items: &'a [u64],
    /// Relevance grade per row (0 = not relevant).
    pub relevance: &'a [f64],
    /// Model score per row (higher ranks first).
    pub scores: &'a [f64],
}

impl RankingInput<'_> {
    fn validate(&self) -> Result<()> {
        let n = self.users.len();
        check_len("items", n, self.items.len())?;
        check_len("relevance", n, self.relevance.len())?;
        check_len("scores", n, self.scores.len())?;
        check_finite("scores", self.scores)?;
        check_finite("relevance", self.relevance)?;
        if let Some(row) = self.relevance.iter().position(|&r| r < 0.0) {
            return Err(EvalError::invalid(
                "relevance",
                row,
                "relevance grades must not be negative",
            ));
        }
        if n == 0 {
            return Err(EvalError::Empty("no ranking rows".into()));
        }
        Ok(())
    }

    /// Row ranges of each user, in first-appearance order when rows are already grouped by
    /// user, otherwise after a radix sort by user id. Returns the row order and the ranges.
    fn groups(&self) -> (Option<Vec<u32>>, Vec<(usize, usize)>) {
        let n = self.users.len();
        let mut ranges = Vec::new();
        let mut seen = HashSet::new();
        let mut grouped = true;
        let mut start = 0;
        for i in 1..=n {
            if i == n || self.users[i] != self.users[start] {
                if !seen.insert(self.users[start]) {
                    grouped = false;
                    break;
                }
                ranges.push((start, i));
                start = i;
            }
        }
        if grouped {
            return (None, ranges);
        }
        let mut order: Vec<(u64, u32)> = self
            .users
            .iter()
            .enumerate()
            .map(|(i, &u)| (u, i as u32))
            .collect();
        radix_sort_by_key(&mut order, |p| p.0);
        ranges.clear();
        let mut start = 0;
        for i in 1..=n {
            if i == n || order[i].0 != order[start].0 {
                ranges.push((start, i));
                start = i;
            }
        }
        (Some(order.into_iter().map(|p| p.1).collect()), ranges)
    }
}

/// Reusable per-thread buffers: candidates (score key, item, relevance), the ranked
/// relevance grades and the user's positive grades.
type Scratch = (Vec<(u64, u64, f64)>, Vec<f64>, Vec<f64>);

/// Mean ranking metrics over users, and the per-user scores behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingScores {
    /// The cutoff.
    pub k: usize,
    /// User ids, in the order of `per_user`.
    pub users: Vec<u64>,
    /// Scores of each user.
    pub per_user: Vec<UserScores>,
    /// Mean over users.
    pub mean: UserScores,
    /// Distinct items in any top-k list.
    pub recommended_items: usize,
    /// Distinct items among all rows (the catalog seen by the evaluation).
    pub catalog_items: usize,
}

impl RankingScores {
    /// Catalog coverage: distinct recommended items / distinct items in the input.
    pub fn coverage(&self) -> f64 {
        self.recommended_items as f64 / self.catalog_items as f64
    }

    /// Metric means under their registry names (`precision@10`, ...).
    pub fn named(&self) -> Vec<(String, f64)> {
        let k = self.k;
        vec![
            (format!("precision@{k}"), self.mean.precision),
            (format!("recall@{k}"), self.mean.recall),
            (format!("ndcg@{k}"), self.mean.ndcg),
            (format!("map@{k}"), self.mean.average_precision),
            (format!("mrr@{k}"), self.mean.reciprocal_rank),
            (format!("hit_rate@{k}"), self.mean.hit),
            ("coverage".to_string(), self.coverage()),
        ]
    }
}

/// Evaluates every ranking metric at cutoff `k` for every user of `input`, in parallel
/// over users (rayon).
///
/// ```
/// use specweave_eval::ranking::{evaluate_ranking, Gain, RankingInput};
/// let input = RankingInput {
///     users: &[1, 1, 1, 2, 2],
///     items: &[10, 11, 12, 10, 13],
///     relevance: &[0.0, 1.0, 0.0, 1.0, 0.0],
///     scores: &[0.9, 0.8, 0.1, 0.2, 0.7],
/// };
/// let scores = evaluate_ranking(&input, 1, Gain::Linear)?;
/// assert_eq!(scores.mean.precision, 0.0);
/// let scores = evaluate_ranking(&input, 2, Gain::Linear)?;
/// assert_eq!(scores.mean.hit, 1.0);
/// assert_eq!(scores.mean.precision, 0.5);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn evaluate_ranking(input: &RankingInput<'_>, k: usize, gain: Gain) -> Result<RankingScores> {
    if k == 0 {
        return Err(EvalError::param("k", "the cutoff must be at least 1"));
    }
    input.validate()?;
    let (order, ranges) = input.groups();
    let row = |i: usize| order.as_ref().map_or(i, |o| o[i] as usize);
    let results: Vec<(u64, UserScores, Vec<u64>)> = ranges
        .par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(candidates, ranked, ideal): &mut Scratch, &(start, end)| {
                candidates.clear();
                ideal.clear();
                for i in start..end {
                    let r = row(i);
                    let rel = input.relevance[r];
                    candidates.push((f64_key(input.scores[r]), input.items[r], rel));
                    if rel > 0.0 {
                        ideal.push(rel);
                    }
                }
                // best first: score descending, then item id descending
                let better = |a: &(u64, u64, f64), b: &(u64, u64, f64)| (b.0, b.1).cmp(&(a.0, a.1));
                let top = k.min(candidates.len());
                if top < candidates.len() {
                    candidates.select_nth_unstable_by(top - 1, better);
                }
                candidates[..top].sort_unstable_by(better);
                ranked.clear();
                ranked.extend(candidates[..top].iter().map(|c| c.2));
                ideal.sort_unstable_by(|a, b| b.total_cmp(a));
                let scores = UserScores::compute(ranked, ideal, k, gain);
                let items: Vec<u64> = candidates[..top].iter().map(|c| c.1).collect();
                (input.users[row(start)], scores, items)
            },
        )
        .collect();
    let n_users = results.len() as f64;
    let mut mean = UserScores::default();
    let recommended_items = distinct_count(results.iter().flat_map(|r| r.2.iter().copied()));
    let mut users = Vec::with_capacity(results.len());
    let mut per_user = Vec::with_capacity(results.len());
    for (user, s, _) in results {
        mean.precision += s.precision;
        mean.recall += s.recall;
        mean.ndcg += s.ndcg;
        mean.average_precision += s.average_precision;
        mean.reciprocal_rank += s.reciprocal_rank;
        mean.hit += s.hit;
        users.push(user);
        per_user.push(s);
    }
    for v in [
        &mut mean.precision,
        &mut mean.recall,
        &mut mean.ndcg,
        &mut mean.average_precision,
        &mut mean.reciprocal_rank,
        &mut mean.hit,
    ] {
        *v /= n_users;
    }
    Ok(RankingScores {
        k,
        users,
        per_user,
        mean,
        recommended_items,
        catalog_items: distinct_count(input.items.iter().copied()),
    })
}

/// Number of distinct ids. Ids are usually dense (internal item ids), so a bitmap over
/// `0..=max` does it in one pass; sparse ids (hashes) fall back to a hash set.
fn distinct_count<I: Iterator<Item = u64> + Clone>(ids: I) -> usize {
    let (count, max) = ids
        .clone()
        .fold((0usize, 0u64), |(c, m), id| (c + 1, m.max(id)));
    if count == 0 {
        return 0;
    }
    let dense_limit = (64 * count as u64).max(1 << 20);
    if max < dense_limit {
        let mut bits = vec![0u64; (max / 64 + 1) as usize];
        for id in ids {
            bits[(id / 64) as usize] |= 1 << (id % 64);
        }
        bits.iter().map(|w| w.count_ones() as usize).sum()
    } else {
        ids.collect::<HashSet<u64>>().len()
    }
}

/// Catalog coverage of recommendation lists: distinct recommended items / catalog size.
///
/// ```
/// use specweave_eval::ranking::catalog_coverage;
/// assert_eq!(catalog_coverage(&[vec![1, 2], vec![2, 3]], 6)?, 0.5);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn catalog_coverage(lists: &[Vec<u64>], catalog_size: usize) -> Result<f64> {
    if catalog_size == 0 {
        return Err(EvalError::param(
            "catalog_size",
            "the catalog must not be empty",
        ));
    }
    let distinct: HashSet<u64> = lists.iter().flatten().copied().collect();
    Ok(distinct.len() as f64 / catalog_size as f64)
}

/// Intra-list diversity: mean over lists of the mean pairwise dissimilarity
/// `1 − similarity(a, b)` of the items in the list. Lists with fewer than two items are
/// skipped; with none left the result is NaN.
///
/// ```
/// use specweave_eval::ranking::intra_list_diversity;
/// let same_genre = |a: u64, b: u64| if a % 2 == b % 2 { 1.0 } else { 0.0 };
/// let d = intra_list_diversity(&[vec![1, 2], vec![1, 3]], same_genre);
/// assert_eq!(d, 0.5);
/// ```
pub fn intra_list_diversity(
    lists: &[Vec<u64>],
    similarity: impl Fn(u64, u64) -> f64 + Sync,
) -> f64 {
    let per_list: Vec<f64> = lists
        .par_iter()
        .filter(|l| l.len() >= 2)
        .map(|list| {
            let mut sum = 0.0;
            let mut pairs = 0usize;
            for (i, &a) in list.iter().enumerate() {
                for &b in &list[i + 1..] {
                    sum += 1.0 - similarity(a, b);
                    pairs += 1;
                }
            }
            sum / pairs as f64
        })
        .collect();
    if per_list.is_empty() {
        return f64::NAN;
    }
    per_list.iter().sum::<f64>() / per_list.len() as f64
}

/// Novelty: mean self-information −log₂ p(i) of recommended items, where p(i) is the
/// fraction of users who interacted with item `i` in `popularity` (item → user count) out
/// of `n_users`. Items never seen count as seen once, so novelty stays finite.
///
/// ```
/// use specweave_eval::ranking::novelty;
/// let popularity = std::collections::HashMap::from([(1u64, 4usize), (2, 1)]);
/// let n = novelty(&[vec![1, 2]], &popularity, 4)?;
/// assert_eq!(n, (0.0 + 2.0) / 2.0);
/// # Ok::<(), specweave_eval::EvalError>(())
/// ```
pub fn novelty(
    lists: &[Vec<u64>],
    popularity: &HashMap<u64, usize>,
    n_users: usize,
) -> Result<f64> {
    if n_users == 0 {
        return Err(EvalError::param("n_users", "must be at least 1"));
    }
    let (mut sum, mut count) = (0.0, 0usize);
    for &item in lists.iter().flatten() {
        let seen = popularity.get(&item).copied().unwrap_or(0).max(1);
        sum -= (seen as f64 / n_users as f64).log2();
        count += 1;
    }
    if count == 0 {
        return Err(EvalError::Empty("no recommended items".into()));
    }
    Ok(sum / count as f64)
}
