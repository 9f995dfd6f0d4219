//! Baselines every recommender must beat: random, global popularity and recency-weighted
//! popularity.

mod popularity;
mod random;
mod recency;

pub use popularity::{Popularity, PopularityBy};
pub use random::RandomRecommender;
pub use recency::RecencyPopularity;

use crate::{CsrMatrix, Result, topk};
use serde::{Deserialize, Serialize};

/// A fitted state that scores every item the same for every user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct GlobalScores {
    pub(crate) item_scores: Vec<f64>,
    pub(crate) user_items: CsrMatrix,
}

impl GlobalScores {
    pub(crate) fn recommend(
        &self,
        user: u32,
        k: usize,
        exclude_seen: bool,
    ) -> Result<Vec<(u32, f64)>> {
        topk::check_user(user, self.user_items.n_rows())?;
        let seen = if exclude_seen {
            self.user_items.row(user as usize).0
        } else {
            &[]
        };
        Ok(topk::top_k(&self.item_scores, k, seen))
    }

    pub(crate) fn score(&self, user: u32, items: &[u32]) -> Result<Vec<f64>> {
        topk::check_user(user, self.user_items.n_rows())?;
        topk::check_items(items, self.item_scores.len())?;
        Ok(items
            .iter()
            .map(|&i| self.item_scores[i as usize])
            .collect())
    }

    pub(crate) fn validate(&self, algorithm: &str) -> Result<()> {
        self.user_items.validate(algorithm)?;
        if self.item_scores.len() != self.user_items.n_cols() {
            return Err(crate::Error::CorruptState {
                algorithm: algorithm.to_owned(),
                message: format!(
                    "{} item scores for {} items",
                    self.item_scores.len(),
                    self.user_items.n_cols()
                ),
            });
        }
        Ok(())
    }
}
