//! The candidate stages and the features the reranker sees for each (user, candidate) pair.

use super::MultiStageParams;
use crate::{Als, ItemKnn, Popularity, RecencyPopularity, Result, topk};
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use specweave_core::{Interactions, Recommender};
use std::collections::HashMap;

/// Names of the reranker's input features, in column order.
///
/// Ranks enter as reciprocal ranks `1 / (1 + rank)` in the source's candidate list (0 when
/// the item is not among that source's candidates); ages are fractions of the training
/// log's time span.
pub const CANDIDATE_FEATURES: [&str; 11] = [
    "popularity_log_users",
    "recency_popularity",
    "knn_score",
    "als_score",
    "knn_reciprocal_rank",
    "als_reciprocal_rank",
    "popularity_reciprocal_rank",
    "user_log_items",
    "user_age_of_last_event",
    "item_mean_weight",
    "item_age_of_last_event",
];

/// The fitted candidate generators and the user and item statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stages {
    popularity: Popularity,
    recency: RecencyPopularity,
    knn: ItemKnn,
    als: Als,
    candidates_per_source: usize,
    user_item_counts: Vec<u32>,
    user_last: Vec<i64>,
    item_mean_weight: Vec<f64>,
    item_last: Vec<i64>,
    latest: i64,
    span: f64,
}

/// One user's view of the stages: dense scores and each source's candidate list.
pub(crate) struct UserView {
    knn_scores: Vec<f64>,
    als_scores: Vec<f64>,
    knn_rank: HashMap<u32, usize>,
    als_rank: HashMap<u32, usize>,
    popularity_rank: HashMap<u32, usize>,
    /// Union of the sources' candidates, sorted by item id.
    pub(crate) candidates: Vec<u32>,
}

impl Stages {
    /// Fits every stage and the statistics on `interactions`.
    pub(crate) fn fit(interactions: &Interactions, params: &MultiStageParams) -> Result<Stages> {
        let timestamps = interactions.timestamps();
        let latest = timestamps.iter().copied().max().unwrap_or(0);
        let earliest = timestamps.iter().copied().min().unwrap_or(0);
        let span = (latest.saturating_sub(earliest)).max(1);
        let half_life = params.get_recency_half_life().unwrap_or((span / 10).max(1));
        let mut popularity = Popularity::default();
        popularity.fit(interactions)?;
        let mut recency = RecencyPopularity::new(half_life)?;
        recency.fit(interactions)?;
        let mut knn = ItemKnn::new(params.get_knn().clone())?;
        knn.fit(interactions)?;
        let mut als = Als::new(params.get_als().clone())?;
        als.fit(interactions)?;

        let mut user_items: Vec<Vec<u32>> = vec![Vec::new(); interactions.n_users()];
        let mut user_last = vec![i64::MIN; interactions.n_users()];
        let mut item_weight = vec![0.0; interactions.n_items()];
        let mut item_events = vec![0usize; interactions.n_items()];
        let mut item_last = vec![i64::MIN; interactions.n_items()];
        for (((&u, &i), &w), &t) in interactions
            .users()
            .iter()
            .zip(interactions.items())
            .zip(interactions.weights())
            .zip(timestamps)
        {
            user_items[u as usize].push(i);
            user_last[u as usize] = user_last[u as usize].max(t);
            item_weight[i as usize] += w;
            item_events[i as usize] += 1;
            item_last[i as usize] = item_last[i as usize].max(t);
        }
        let user_item_counts = user_items
            .iter_mut()
            .map(|items| {
                items.sort_unstable();
                items.dedup();
                items.len() as u32
            })
            .collect();
        let item_mean_weight = item_weight
            .iter()
            .zip(&item_events)
            .map(|(&w, &n)| if n > 0 { w / n as f64 } else { 0.0 })
            .collect();
        // Users and items never seen are as old as the start of the log.
        for last in user_last.iter_mut().chain(item_last.iter_mut()) {
            if *last == i64::MIN {
                *last = earliest;
            }
        }
        Ok(Stages {
            popularity,
            recency,
            knn,
            als,
            candidates_per_source: params.get_candidates_per_source(),
            user_item_counts,
            user_last,
            item_mean_weight,
            item_last,
            latest,
            span: span as f64,
        })
    }

    /// The item-kNN stage.
    pub(crate) fn knn(&self) -> &ItemKnn {
        &self.knn
    }

    /// Number of users and items the stages were fitted on.
    pub(crate) fn shape(&self) -> (usize, usize) {
        (self.user_last.len(), self.item_last.len())
    }

    /// Checks a deserialised state: every stage valid and fitted on the same id space.
    pub(crate) fn validate(&self, algorithm: &str) -> Result<()> {
        self.popularity.validate_state()?;
        self.recency.validate_state()?;
        self.knn.validate_state()?;
        self.als.validate_state()?;
        let (n_users, n_items) = self.shape();
        let stage_shapes = [
            self.popularity.fitted_shape(),
            self.recency.fitted_shape(),
            self.knn.fitted_shape(),
            self.als.fitted_shape(),
        ];
        if self.user_item_counts.len() != n_users
            || self.item_mean_weight.len() != n_items
            || stage_shapes.iter().any(|&s| s != Some((n_users, n_items)))
        {
            return Err(crate::Error::CorruptState {
                algorithm: algorithm.to_owned(),
                message: "stages and statistics disagree on the number of users or items".into(),
            });
        }
        Ok(())
    }

    /// Dense stage scores and candidate lists for a user.
    pub(crate) fn user_view(&self, user: u32, exclude_seen: bool) -> Result<UserView> {
        topk::check_user(user, self.user_last.len())?;
        let n = self.candidates_per_source;
        let knn_scores = self.knn.user_scores(user)?;
        let als_scores = self.als.user_scores(user)?;
        let seen = if exclude_seen {
            self.knn.seen(user)?
        } else {
            &[]
        };
        let ranks = |list: Vec<(u32, f64)>| -> HashMap<u32, usize> {
            list.into_iter()
                .enumerate()
                .map(|(r, (i, _))| (i, r))
                .collect()
        };
        let knn_rank = ranks(topk::top_k(&knn_scores, n, seen));
        let als_rank = ranks(topk::top_k(&als_scores, n, seen));
        let popularity_rank = ranks(self.popularity.recommend(user, n, exclude_seen)?);
        let mut candidates: Vec<u32> = knn_rank
            .keys()
            .chain(als_rank.keys())
            .chain(popularity_rank.keys())
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        Ok(UserView {
            knn_scores,
            als_scores,
            knn_rank,
            als_rank,
            popularity_rank,
            candidates,
        })
    }

    /// Feature rows (in [`CANDIDATE_FEATURES`] order) for `items` of `user`.
    pub(crate) fn features(
        &self,
        user: u32,
        view: &UserView,
        items: &[u32],
    ) -> Result<Array2<f64>> {
        topk::check_items(items, self.item_last.len())?;
        let popularity = self.popularity.score(user, items)?;
        let recency = self.recency.score(user, items)?;
        let reciprocal = |ranks: &HashMap<u32, usize>, item: u32| {
            ranks.get(&item).map_or(0.0, |&r| 1.0 / (1.0 + r as f64))
        };
        let u = user as usize;
        let user_log_items = f64::from(self.user_item_counts[u]).ln_1p();
        let user_age = (self.latest - self.user_last[u]) as f64 / self.span;
        let mut rows = Array2::zeros((items.len(), CANDIDATE_FEATURES.len()));
        for (row, &item) in items.iter().enumerate() {
            let i = item as usize;
            let values = [
                popularity[row].ln_1p(),
                recency[row],
                view.knn_scores[i],
                view.als_scores[i],
                reciprocal(&view.knn_rank, item),
                reciprocal(&view.als_rank, item),
                reciprocal(&view.popularity_rank, item),
                user_log_items,
                user_age,
                self.item_mean_weight[i],
                (self.latest - self.item_last[i]) as f64 / self.span,
            ];
            for (col, value) in values.into_iter().enumerate() {
                rows[[row, col]] = value;
            }
        }
        Ok(rows)
    }
}
