//! Explanation data: which items of a user's history made a recommendation.
//!
//! Plain data, so the explanation crate can turn it into reports without depending on the
//! model types here.

use crate::topk;
use serde::{Deserialize, Serialize};
use specweave_core::Recommender;

/// One history item's share of a recommendation's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The history item (internal id).
    pub item: u32,
    /// The user's summed interaction weight with the history item.
    pub interaction_weight: f64,
    /// How similar the history item is to the recommended item: the neighbour similarity for
    /// item-kNN, the factor similarity in the user's ALS metric for ALS.
    pub similarity: f64,
    /// The history item's additive share of the score.
    pub contribution: f64,
}

/// Why `item` was recommended to `user`: the history items that contributed most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemExplanation {
    /// The user (internal id).
    pub user: u32,
    /// The recommended item (internal id).
    pub item: u32,
    /// The model's score for the pair.
    pub score: f64,
    /// The largest contributions, largest first.
    pub contributions: Vec<Contribution>,
}

/// Recommenders whose scores decompose over the user's history items.
pub trait ExplainRecommendation: Recommender {
    /// The `top_n` history items that contributed most to `item`'s score for `user`.
    fn explain(
        &self,
        user: u32,
        item: u32,
        top_n: usize,
    ) -> specweave_core::Result<ItemExplanation>;

    /// Explanations of the user's top-`k` recommendations (seen items excluded), best first.
    fn explain_top(
        &self,
        user: u32,
        k: usize,
        top_n: usize,
    ) -> specweave_core::Result<Vec<ItemExplanation>> {
        self.recommend(user, k, true)?
            .into_iter()
            .map(|(item, _)| self.explain(user, item, top_n))
            .collect()
    }
}

/// Keeps the `top_n` largest contributions, largest first (ties by smaller item id).
pub(crate) fn strongest(mut all: Vec<Contribution>, top_n: usize) -> Vec<Contribution> {
    let keys: Vec<(u32, f64)> = all.iter().map(|c| (c.item, c.contribution)).collect();
    let kept = topk::top_k_of(keys.into_iter(), top_n);
    let mut out = Vec::with_capacity(kept.len());
    for (item, _) in kept {
        if let Some(at) = all.iter().position(|c| c.item == item) {
            out.push(all.swap_remove(at));
        }
    }
    out
}
