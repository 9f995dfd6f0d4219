//! Global popularity: every user gets the most popular items they have not seen.

use super::GlobalScores;
use crate::{Error, Result, history, persist};
use serde::{Deserialize, Serialize};
use specweave_core::{Interactions, Recommender};

/// What "popular" counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PopularityBy {
    /// Distinct users who interacted with the item (repeat events count once).
    #[default]
    Users,
    /// Sum of interaction weights.
    Weight,
}

/// Recommends the globally most popular items.
///
/// ```
/// use specweave_core::{Interactions, Recommender};
/// use specweave_recommend::Popularity;
///
/// let log = Interactions::from_indices(
///     vec![0, 1, 1], vec![1, 1, 0], vec![1.0; 3], vec![0; 3],
///     vec!["a".into(), "b".into()], vec!["x".into(), "y".into()],
/// )?;
/// let mut model = Popularity::default();
/// model.fit(&log)?;
/// assert_eq!(model.recommend(0, 1, false)?, vec![(1, 2.0)]);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Popularity {
    by: PopularityBy,
    fitted: Option<GlobalScores>,
}

impl Popularity {
    /// Registered algorithm name.
    pub const NAME: &'static str = "popularity";

    /// A popularity recommender counting `by`.
    pub fn new(by: PopularityBy) -> Popularity {
        Popularity { by, fitted: None }
    }

    /// Restores a fitted model from [`Recommender::to_bytes`] output.
    pub fn from_bytes(bytes: &[u8]) -> Result<Popularity> {
        let model: Popularity = persist::decode(bytes, Self::NAME)?;
        model.validate_state()?;
        Ok(model)
    }

    /// `(users, items)` the model was fitted on, `None` before fitting.
    pub(crate) fn fitted_shape(&self) -> Option<(usize, usize)> {
        self.fitted
            .as_ref()
            .map(|s| (s.user_items.n_rows(), s.user_items.n_cols()))
    }

    /// Checks a deserialised model before use.
    pub(crate) fn validate_state(&self) -> Result<()> {
        match &self.fitted {
            Some(state) => state.validate(Self::NAME),
            None => Ok(()),
        }
    }

    fn state(&self) -> Result<&GlobalScores> {
        self.fitted
            .as_ref()
            .ok_or(Error::NotFitted { model: Self::NAME })
    }
}

impl Recommender for Popularity {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "by": self.by })
    }

    fn fit(&mut self, interactions: &Interactions) -> specweave_core::Result<()> {
        let user_items = history::user_item_matrix(interactions, Self::NAME)?;
        let mut item_scores = vec![0.0; interactions.n_items()];
        let item_users = user_items.transpose();
        for (item, score) in item_scores.iter_mut().enumerate() {
            let (users, weights) = item_users.row(item);
            *score = match self.by {
                PopularityBy::Users => users.len() as f64,
                PopularityBy::Weight => weights.iter().map(|&w| f64::from(w)).sum(),
            };
        }
        self.fitted = Some(GlobalScores {
            item_scores,
            user_items,
        });
        Ok(())
    }

    fn recommend(
        &self,
        user: u32,
        k: usize,
        exclude_seen: bool,
    ) -> specweave_core::Result<Vec<(u32, f64)>> {
        Ok(self.state()?.recommend(user, k, exclude_seen)?)
    }

    fn score(&self, user: u32, items: &[u32]) -> specweave_core::Result<Vec<f64>> {
        Ok(self.state()?.score(user, items)?)
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        persist::encode(Self::NAME, self.params(), self)
    }
}
