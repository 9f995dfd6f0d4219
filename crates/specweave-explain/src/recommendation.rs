//! Explained recommendations: for each of a user's top items, the history items that
//! contributed most, optional reranker attributions, and a one-line rationale such as
//! "because you interacted with Alien and Heat; popular this week".
//!
//! A neighbourhood recommender's score decomposes exactly into history contributions:
//! `score(u, i) = Σ_j sim(i, j)·r_uj` over the user's items `j`. For factor models the
//! similarity of item factors gives the same kind of account.

use crate::{Contribution, ExplainError, Result, ShapValues};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use specweave_core::Interactions;
use std::collections::HashMap;

/// Similarity between two items (internal ids), higher meaning more alike.
pub trait ItemSimilarity: Sync {
    /// Similarity of items `a` and `b`.
    fn similarity(&self, a: u32, b: u32) -> f64;
}

impl<F: Fn(u32, u32) -> f64 + Sync> ItemSimilarity for F {
    fn similarity(&self, a: u32, b: u32) -> f64 {
        self(a, b)
    }
}

/// Cosine similarity of item factor vectors (one row per item).
#[derive(Debug, Clone, Copy)]
pub struct FactorSimilarity<'a> {
    factors: ArrayView2<'a, f64>,
}

impl<'a> FactorSimilarity<'a> {
    /// Item factors, items × factors.
    pub fn new(factors: ArrayView2<'a, f64>) -> FactorSimilarity<'a> {
        FactorSimilarity { factors }
    }
}

impl ItemSimilarity for FactorSimilarity<'_> {
    fn similarity(&self, a: u32, b: u32) -> f64 {
        let (a, b) = (a as usize, b as usize);
        if a >= self.factors.nrows() || b >= self.factors.nrows() {
            return 0.0;
        }
        let (x, y) = (self.factors.row(a), self.factors.row(b));
        let norm = (x.dot(&x) * y.dot(&y)).sqrt();
        if norm > 0.0 { x.dot(&y) / norm } else { 0.0 }
    }
}

/// One history item's part in a recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryContribution {
    /// Internal item id.
    pub item: u32,
    /// External item id.
    pub item_id: String,
    /// Similarity times the user's interaction weight.
    pub weight: f64,
    /// Share of the positive contributions (0..=1).
    pub share: f64,
}

/// Why one item was recommended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemExplanation {
    /// 1-based rank in the recommendation list.
    pub rank: usize,
    /// Internal item id.
    pub item: u32,
    /// External item id.
    pub item_id: String,
    /// The recommender's score.
    pub score: f64,
    /// History items that contributed most, largest first.
    pub contributors: Vec<HistoryContribution>,
    /// Strongest reranker feature attributions, when a reranker was explained.
    pub reranker: Vec<Contribution>,
    /// Whether the item is among the trending items of the configured window.
    pub trending: bool,
    /// One line for people.
    pub rationale: String,
}

/// Why a user got their top items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserExplanation {
    /// Internal user id.
    pub user: u32,
    /// External user id.
    pub user_id: String,
    /// One explanation per explained item, in rank order.
    pub items: Vec<ItemExplanation>,
}

/// Explains recommendations from a user's interaction history.
///
/// ```
/// use specweave_core::Interactions;
/// use specweave_explain::RecommendationExplainer;
///
/// let mut log = Interactions::builder();
/// log.push("ann", "Alien", 5.0, 10)?;
/// log.push("ann", "Heat", 3.0, 20)?;
/// log.push("bob", "Aliens", 4.0, 30)?;
/// let log = log.build();
/// let aliens = log.item_index("Aliens").expect("known item");
/// // Item-kNN similarities: Aliens is close to Alien, a little to Heat.
/// let similarity = |a: u32, b: u32| match (a.min(b), a.max(b)) { (0, 2) => 0.9, (1, 2) => 0.2, _ => 0.0 };
/// let explainer = RecommendationExplainer::new(&log, &similarity);
/// let explanation = explainer.explain(0, &[(aliens, 5.1)], None)?;
/// assert_eq!(explanation.items[0].rationale, "because you interacted with Alien and Heat");
/// assert_eq!(explanation.items[0].contributors[0].weight, 4.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RecommendationExplainer<'a> {
    interactions: &'a Interactions,
    similarity: &'a dyn ItemSimilarity,
    history: HashMap<u32, Vec<(u32, f64)>>,
    top_items: usize,
    contributors: usize,
    trending: Option<Trending>,
}

#[derive(Debug, Clone)]
struct Trending {
    label: String,
    items: Vec<u32>,
}

impl std::fmt::Debug for RecommendationExplainer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecommendationExplainer")
            .field("users", &self.history.len())
            .field("top_items", &self.top_items)
            .field("contributors", &self.contributors)
            .field("trending", &self.trending)
            .finish()
    }
}

impl<'a> RecommendationExplainer<'a> {
    /// An explainer over the interactions the recommender was fitted on; explains the top 3
    /// items with up to 2 contributors each.
    pub fn new(
        interactions: &'a Interactions,
        similarity: &'a dyn ItemSimilarity,
    ) -> RecommendationExplainer<'a> {
        let mut history: HashMap<u32, HashMap<u32, f64>> = HashMap::new();
        for ((&u, &i), &w) in interactions
            .users()
            .iter()
            .zip(interactions.items())
            .zip(interactions.weights())
        {
            *history.entry(u).or_default().entry(i).or_default() += w;
        }
        let history = history
            .into_iter()
            .map(|(u, items)| {
                let mut items: Vec<(u32, f64)> = items.into_iter().collect();
                items.sort_unstable_by_key(|(i, _)| *i);
                (u, items)
            })
            .collect();
        RecommendationExplainer {
            interactions,
            similarity,
            history,
            top_items: 3,
            contributors: 2,
            trending: None,
        }
    }

    /// How many of the recommended items to explain (default 3).
    pub fn top_items(mut self, n: usize) -> Self {
        self.top_items = n;
        self
    }

    /// How many history items to name per recommendation (default 2).
    pub fn contributors(mut self, n: usize) -> Self {
        self.contributors = n;
        self
    }

    /// Marks the `top_k` items with the most interactions at or after `since` (a timestamp
    /// in the interactions' unit) as trending, described by `label` (e.g. `"popular this week"`).
    pub fn trending_since(mut self, since: i64, top_k: usize, label: impl Into<String>) -> Self {
        let mut counts: HashMap<u32, usize> = HashMap::new();
        for (&item, &ts) in self
            .interactions
            .items()
            .iter()
            .zip(self.interactions.timestamps())
        {
            if ts >= since {
                *counts.entry(item).or_default() += 1;
            }
        }
        let mut ranked: Vec<(u32, usize)> = counts.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        self.trending = Some(Trending {
            label: label.into(),
            items: ranked.into_iter().take(top_k).map(|(i, _)| i).collect(),
        });
        self
    }

    /// Explains `recommendations` (best first, as `(item, score)`) for internal user `user`.
    ///
    /// `reranker`, when given, holds the reranker's attributions with one row per
    /// recommended item in the same order; its strongest contributions to output 0 join
    /// each item's explanation.
    pub fn explain(
        &self,
        user: u32,
        recommendations: &[(u32, f64)],
        reranker: Option<&ShapValues>,
    ) -> Result<UserExplanation> {
        let user_id = self
            .interactions
            .user_ids()
            .get(user as usize)
            .cloned()
            .ok_or_else(|| {
                ExplainError::param(
                    "user",
                    format!(
                        "user {user} is unknown; the interactions have {} users",
                        self.interactions.n_users()
                    ),
                )
            })?;
        if let Some(shap) = reranker {
            let needed = recommendations.len().min(self.top_items);
            if shap.n_rows() < needed {
                return Err(ExplainError::shape(
                    "reranker attributions vs explained items",
                    needed,
                    shap.n_rows(),
                ));
            }
        }
        let history = self.history.get(&user).map(Vec::as_slice).unwrap_or(&[]);
        let mut items = Vec::new();
        for (rank, &(item, score)) in recommendations.iter().take(self.top_items).enumerate() {
            let mut contributions: Vec<(u32, f64)> = history
                .iter()
                .filter(|(h, _)| *h != item)
                .map(|&(h, w)| (h, self.similarity.similarity(item, h) * w))
                .filter(|(_, c)| *c > 0.0 && c.is_finite())
                .collect();
            contributions.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let positive: f64 = contributions.iter().map(|(_, c)| c).sum();
            let contributors: Vec<HistoryContribution> = contributions
                .iter()
                .take(self.contributors)
                .map(|&(h, c)| HistoryContribution {
                    item: h,
                    item_id: self.item_name(h),
                    weight: c,
                    share: if positive > 0.0 { c / positive } else { 0.0 },
                })
                .collect();
            let reranker = match reranker {
                Some(shap) => {
                    let row = shap.explain_row(rank, 0, 2)?;
                    row.positive.into_iter().chain(row.negative).collect()
                }
                None => Vec::new(),
            };
            let trending = self
                .trending
                .as_ref()
                .is_some_and(|t| t.items.contains(&item));
            let rationale = self.rationale(&contributors, &reranker, trending);
            items.push(ItemExplanation {
                rank: rank + 1,
                item,
                item_id: self.item_name(item),
                score,
                contributors,
                reranker,
                trending,
                rationale,
            });
        }
        Ok(UserExplanation {
            user,
            user_id,
            items,
        })
    }

    fn item_name(&self, item: u32) -> String {
        self.interactions
            .item_ids()
            .get(item as usize)
            .cloned()
            .unwrap_or_else(|| format!("item {item}"))
    }

    fn rationale(
        &self,
        contributors: &[HistoryContribution],
        reranker: &[Contribution],
        trending: bool,
    ) -> String {
        let mut parts = Vec::new();
        if !contributors.is_empty() {
            let names: Vec<&str> = contributors.iter().map(|c| c.item_id.as_str()).collect();
            let list = match names.as_slice() {
                [one] => (*one).to_string(),
                [init @ .., last] => format!("{} and {last}", init.join(", ")),
                [] => String::new(),
            };
            parts.push(format!("because you interacted with {list}"));
        }
        if let Some(t) = self.trending.as_ref().filter(|_| trending) {
            parts.push(t.label.clone());
        }
        if let Some(top) = reranker.iter().find(|c| c.attribution > 0.0) {
            parts.push(format!("ranked up by {}", top.feature));
        }
        if parts.is_empty() {
            "recommended on the model's overall score".to_string()
        } else {
            parts.join("; ")
        }
    }
}
