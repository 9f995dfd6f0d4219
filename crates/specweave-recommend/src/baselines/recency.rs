//! Recency-weighted popularity: recent events count more, with an exponential half-life.

use super::GlobalScores;
use crate::{Error, Result, history, persist};
use serde::{Deserialize, Serialize};
use specweave_core::{Interactions, Recommender};

/// Popularity where each event's weight halves every `half_life` timestamp units before the
/// latest event in the log.
///
/// ```
/// use specweave_core::{Interactions, Recommender};
/// use specweave_recommend::RecencyPopularity;
///
/// // Item 0 was popular long ago, item 1 is popular now.
/// let log = Interactions::from_indices(
///     vec![0, 1, 2, 0], vec![0, 0, 0, 1], vec![1.0; 4], vec![0, 0, 0, 1_000],
///     vec!["a".into(), "b".into(), "c".into()], vec!["x".into(), "y".into()],
/// )?;
/// let mut model = RecencyPopularity::new(100)?;
/// model.fit(&log)?;
/// assert_eq!(model.recommend(1, 1, false)?[0].0, 1);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecencyPopularity {
    half_life: i64,
    fitted: Option<GlobalScores>,
}

impl RecencyPopularity {
    /// Registered algorithm name.
    pub const NAME: &'static str = "recency_popularity";

    /// A recency-weighted popularity with the given half-life (timestamp units, > 0).
    pub fn new(half_life: i64) -> Result<RecencyPopularity> {
        if half_life <= 0 {
            return Err(Error::InvalidParam {
                model: Self::NAME,
                param: "half_life",
                message: format!("must be positive, got {half_life}"),
            });
        }
        Ok(RecencyPopularity {
            half_life,
            fitted: None,
        })
    }

    /// Restores a fitted model from [`Recommender::to_bytes`] output.
    pub fn from_bytes(bytes: &[u8]) -> Result<RecencyPopularity> {
        let model: RecencyPopularity = persist::decode(bytes, Self::NAME)?;
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
        if self.half_life <= 0 {
            return Err(Error::CorruptState {
                algorithm: Self::NAME.into(),
                message: format!("half_life {} is not positive", self.half_life),
            });
        }
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

/// Decayed weight of an event `age` units old: `weight · 2^(−age / half_life)`.
pub(crate) fn decayed(weight: f64, age: i64, half_life: i64) -> f64 {
    weight * (-(age.max(0) as f64) / half_life as f64 * std::f64::consts::LN_2).exp()
}

impl Recommender for RecencyPopularity {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "half_life": self.half_life })
    }

    fn fit(&mut self, interactions: &Interactions) -> specweave_core::Result<()> {
        let user_items = history::user_item_matrix(interactions, Self::NAME)?;
        let latest = interactions.timestamps().iter().copied().max().unwrap_or(0);
        let mut item_scores = vec![0.0; interactions.n_items()];
        for ((&item, &weight), &ts) in interactions
            .items()
            .iter()
            .zip(interactions.weights())
            .zip(interactions.timestamps())
        {
            item_scores[item as usize] +=
                decayed(weight, latest.saturating_sub(ts), self.half_life);
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
