//! The random baseline: a seeded, reproducible random score per (user, item).

use crate::{CsrMatrix, Error, Result, history, persist, topk};
use serde::{Deserialize, Serialize};
use specweave_core::{Interactions, Recommender};

/// Scores every (user, item) pair with a uniform pseudo-random number derived from the seed,
/// so `recommend` and `score` agree and a saved model ranks identically after loading.
///
/// ```
/// use specweave_core::{Interactions, Recommender};
/// use specweave_recommend::RandomRecommender;
///
/// let log = Interactions::from_indices(
///     vec![0, 1], vec![0, 1], vec![1.0; 2], vec![0; 2],
///     vec!["a".into(), "b".into()], vec!["x".into(), "y".into(), "z".into()],
/// )?;
/// let mut model = RandomRecommender::new(7);
/// model.fit(&log)?;
/// let top = model.recommend(0, 3, true)?;
/// assert_eq!(top.len(), 2); // item 0 was seen
/// assert_eq!(model.score(0, &[top[0].0])?[0], top[0].1);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RandomRecommender {
    seed: u64,
    user_items: Option<CsrMatrix>,
}

impl RandomRecommender {
    /// Registered algorithm name.
    pub const NAME: &'static str = "random";

    /// A random recommender with a seed.
    pub fn new(seed: u64) -> RandomRecommender {
        RandomRecommender {
            seed,
            user_items: None,
        }
    }

    /// Restores a fitted model from [`Recommender::to_bytes`] output.
    pub fn from_bytes(bytes: &[u8]) -> Result<RandomRecommender> {
        let model: RandomRecommender = persist::decode(bytes, Self::NAME)?;
        if let Some(m) = &model.user_items {
            m.validate(Self::NAME)?;
        }
        Ok(model)
    }

    fn state(&self) -> Result<&CsrMatrix> {
        self.user_items
            .as_ref()
            .ok_or(Error::NotFitted { model: Self::NAME })
    }

    fn draw(&self, user: u32, item: u32) -> f64 {
        let mixed = splitmix64(self.seed ^ (u64::from(user) << 32 | u64::from(item)));
        // The top 53 bits give a uniform double in [0, 1).
        (mixed >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// SplitMix64 finaliser: a fast, well-mixed hash of 64 bits.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Recommender for RandomRecommender {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "seed": self.seed })
    }

    fn fit(&mut self, interactions: &Interactions) -> specweave_core::Result<()> {
        self.user_items = Some(history::user_item_matrix(interactions, Self::NAME)?);
        Ok(())
    }

    fn recommend(
        &self,
        user: u32,
        k: usize,
        exclude_seen: bool,
    ) -> specweave_core::Result<Vec<(u32, f64)>> {
        let user_items = self.state()?;
        topk::check_user(user, user_items.n_rows())?;
        let scores: Vec<f64> = (0..user_items.n_cols() as u32)
            .map(|item| self.draw(user, item))
            .collect();
        let seen = if exclude_seen {
            user_items.row(user as usize).0
        } else {
            &[]
        };
        Ok(topk::top_k(&scores, k, seen))
    }

    fn score(&self, user: u32, items: &[u32]) -> specweave_core::Result<Vec<f64>> {
        let user_items = self.state()?;
        topk::check_user(user, user_items.n_rows())?;
        topk::check_items(items, user_items.n_cols())?;
        Ok(items.iter().map(|&i| self.draw(user, i)).collect())
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        persist::encode(Self::NAME, self.params(), self)
    }
}
