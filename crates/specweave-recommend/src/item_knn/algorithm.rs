//! Fitting and scoring item-kNN.

use super::{ItemKnnParams, Similarity};
use crate::explain::{self, Contribution, ExplainRecommendation, ItemExplanation};
use crate::{CsrMatrix, Error, Result, history, persist, topk};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use specweave_core::{Interactions, Recommender};

/// Item-based collaborative filtering: a user's score for item `j` is
/// `Σ_h r_uh · sim(h, j)` over the user's history items `h` whose kept neighbours include `j`.
///
/// Similarities come from sparse co-occurrence, computed item by item in parallel; each item
/// keeps its `neighbours` most similar other items (itself excluded).
///
/// ```
/// use specweave_core::{Interactions, Recommender};
/// use specweave_recommend::{ItemKnn, ItemKnnParams};
///
/// // Users who take item 0 also take item 1.
/// let log = Interactions::from_indices(
///     vec![0, 0, 1, 1, 2, 2], vec![0, 1, 0, 1, 0, 2], vec![1.0; 6], vec![0; 6],
///     vec!["a".into(), "b".into(), "c".into()], vec!["x".into(), "y".into(), "z".into()],
/// )?;
/// let mut knn = ItemKnn::new(ItemKnnParams::default())?;
/// knn.fit(&log)?;
/// assert_eq!(knn.recommend(2, 1, true)?[0].0, 1);
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemKnn {
    params: ItemKnnParams,
    fitted: Option<KnnState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KnnState {
    user_items: CsrMatrix,
    /// Row `h` holds the kept neighbours of item `h` and their similarities.
    neighbours: CsrMatrix,
}

impl ItemKnn {
    /// Registered algorithm name.
    pub const NAME: &'static str = "item_knn";

    /// An unfitted item-kNN; fails on invalid parameters.
    pub fn new(params: ItemKnnParams) -> Result<ItemKnn> {
        params.check()?;
        Ok(ItemKnn {
            params,
            fitted: None,
        })
    }

    /// Restores a fitted model from [`Recommender::to_bytes`] output.
    pub fn from_bytes(bytes: &[u8]) -> Result<ItemKnn> {
        let model: ItemKnn = persist::decode(bytes, Self::NAME)?;
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
        self.params.check()?;
        if let Some(state) = &self.fitted {
            state.user_items.validate(Self::NAME)?;
            state.neighbours.validate(Self::NAME)?;
            let n_items = state.user_items.n_cols();
            if state.neighbours.n_rows() != n_items || state.neighbours.n_cols() != n_items {
                return Err(Error::CorruptState {
                    algorithm: Self::NAME.into(),
                    message: format!("neighbour matrix is not {n_items} x {n_items}"),
                });
            }
        }
        Ok(())
    }

    /// The items a user interacted with during fitting, sorted.
    pub(crate) fn seen(&self, user: u32) -> Result<&[u32]> {
        let state = self.state()?;
        topk::check_user(user, state.user_items.n_rows())?;
        Ok(state.user_items.row(user as usize).0)
    }

    /// The hyperparameters.
    pub fn hyperparams(&self) -> &ItemKnnParams {
        &self.params
    }

    /// Kept neighbours of an item as `(neighbour, similarity)`, most similar first.
    pub fn neighbours_of(&self, item: u32) -> specweave_core::Result<Vec<(u32, f64)>> {
        let state = self.state()?;
        topk::check_items(&[item], state.neighbours.n_rows())?;
        let (cols, sims) = state.neighbours.row(item as usize);
        let pairs = cols.iter().zip(sims).map(|(&j, &s)| (j, f64::from(s)));
        Ok(topk::top_k_of(pairs, cols.len()))
    }

    fn state(&self) -> Result<&KnnState> {
        self.fitted
            .as_ref()
            .ok_or(Error::NotFitted { model: Self::NAME })
    }

    /// Dense scores of every item for a user.
    pub(crate) fn user_scores(&self, user: u32) -> Result<Vec<f64>> {
        let state = self.state()?;
        topk::check_user(user, state.user_items.n_rows())?;
        let mut scores = vec![0.0f64; state.user_items.n_cols()];
        let (history, weights) = state.user_items.row(user as usize);
        for (&h, &r) in history.iter().zip(weights) {
            let (cols, sims) = state.neighbours.row(h as usize);
            for (&j, &s) in cols.iter().zip(sims) {
                scores[j as usize] += f64::from(r) * f64::from(s);
            }
        }
        Ok(scores)
    }
}

/// Per-task buffers of the similarity computation, reused across items.
struct NeighbourScratch {
    overlap: Vec<f32>,
    touched: Vec<u32>,
    scored: Vec<(u32, f32)>,
}

/// Similarity rows of every item, computed in parallel with one dense accumulator per task.
fn fit_neighbours(user_items: &CsrMatrix, params: &ItemKnnParams) -> CsrMatrix {
    let similarity = params.get_similarity();
    // Jaccard counts co-occurrences: the same sparse product with every weight set to one,
    // which keeps the inner loop free of a per-entry branch.
    let binary;
    let user_items = match similarity {
        Similarity::Cosine => user_items,
        Similarity::Jaccard => {
            binary = user_items.with_unit_values();
            &binary
        }
    };
    let item_users = user_items.transpose();
    let n_items = item_users.n_rows();
    let shrinkage = params.get_shrinkage() as f32;
    let keep = params.get_neighbours();
    // Cosine needs each item's norm, Jaccard each item's user count.
    let sizes: Vec<f32> = (0..n_items)
        .map(|i| {
            let (users, weights) = item_users.row(i);
            match similarity {
                Similarity::Cosine => weights.iter().map(|w| w * w).sum::<f32>().sqrt(),
                Similarity::Jaccard => users.len() as f32,
            }
        })
        .collect();
    let rows: Vec<(Vec<u32>, Vec<f32>)> = (0..n_items)
        .into_par_iter()
        .map_init(
            || NeighbourScratch {
                overlap: vec![0f32; n_items],
                touched: vec![0u32; n_items + 1],
                scored: Vec::new(),
            },
            |scratch, i| {
                let (users, weights) = item_users.row(i);
                let overlap = &mut scratch.overlap;
                let touched = &mut scratch.touched;
                // Branch-free bookkeeping of first touches; the count saturates at n_items
                // (possible only with zero or cancelling weights), and then every item is
                // scanned instead.
                let mut n_touched = 0usize;
                for (&u, &w_ui) in users.iter().zip(weights) {
                    let (items, w_u) = user_items.row(u as usize);
                    for (&j, &w_uj) in items.iter().zip(w_u) {
                        let slot = &mut overlap[j as usize];
                        touched[n_touched] = j;
                        n_touched = (n_touched + usize::from(*slot == 0.0)).min(n_items);
                        *slot += w_ui * w_uj;
                    }
                }
                if n_touched == n_items {
                    for (j, slot) in touched.iter_mut().take(n_items).enumerate() {
                        *slot = j as u32;
                    }
                }
                scratch.scored.clear();
                for &j in touched[..n_touched].iter() {
                    let overlap = std::mem::take(&mut overlap[j as usize]);
                    if j as usize == i || overlap <= 0.0 {
                        continue;
                    }
                    let denominator = match similarity {
                        Similarity::Cosine => sizes[i] * sizes[j as usize] + shrinkage,
                        Similarity::Jaccard => sizes[i] + sizes[j as usize] - overlap + shrinkage,
                    };
                    if denominator > 0.0 {
                        scratch.scored.push((j, overlap / denominator));
                    }
                }
                let scored = &mut scratch.scored;
                // Best `keep` by similarity (ties by smaller id), then column order for CSR.
                let order =
                    |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
                if scored.len() > keep {
                    scored.select_nth_unstable_by(keep - 1, order);
                    scored.truncate(keep);
                }
                scored.sort_unstable_by_key(|&(j, _)| j);
                scored.iter().copied().unzip()
            },
        )
        .collect();
    CsrMatrix::from_rows(n_items, rows)
}

impl Recommender for ItemKnn {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or(serde_json::Value::Null)
    }

    fn fit(&mut self, interactions: &Interactions) -> specweave_core::Result<()> {
        let user_items = history::user_item_matrix(interactions, Self::NAME)?;
        let neighbours = fit_neighbours(&user_items, &self.params);
        tracing::debug!(
            items = neighbours.n_rows(),
            kept = neighbours.nnz(),
            "item-kNN neighbours fitted"
        );
        self.fitted = Some(KnnState {
            user_items,
            neighbours,
        });
        Ok(())
    }

    fn recommend(
        &self,
        user: u32,
        k: usize,
        exclude_seen: bool,
    ) -> specweave_core::Result<Vec<(u32, f64)>> {
        let scores = self.user_scores(user)?;
        let seen = if exclude_seen {
            self.state()?.user_items.row(user as usize).0
        } else {
            &[]
        };
        Ok(topk::top_k(&scores, k, seen))
    }

    fn score(&self, user: u32, items: &[u32]) -> specweave_core::Result<Vec<f64>> {
        let state = self.state()?;
        topk::check_user(user, state.user_items.n_rows())?;
        topk::check_items(items, state.user_items.n_cols())?;
        let (history, weights) = state.user_items.row(user as usize);
        Ok(items
            .iter()
            .map(|&j| {
                history
                    .iter()
                    .zip(weights)
                    .filter_map(|(&h, &r)| {
                        state
                            .neighbours
                            .get(h as usize, j)
                            .map(|s| f64::from(r) * f64::from(s))
                    })
                    .sum()
            })
            .collect())
    }

    fn to_bytes(&self) -> specweave_core::Result<Vec<u8>> {
        persist::encode(Self::NAME, Recommender::params(self), self)
    }
}

impl ExplainRecommendation for ItemKnn {
    fn explain(
        &self,
        user: u32,
        item: u32,
        top_n: usize,
    ) -> specweave_core::Result<ItemExplanation> {
        let state = self.state()?;
        topk::check_user(user, state.user_items.n_rows())?;
        topk::check_items(&[item], state.user_items.n_cols())?;
        let (history, weights) = state.user_items.row(user as usize);
        let all: Vec<Contribution> = history
            .iter()
            .zip(weights)
            .filter_map(|(&h, &r)| {
                state
                    .neighbours
                    .get(h as usize, item)
                    .map(|s| Contribution {
                        item: h,
                        interaction_weight: f64::from(r),
                        similarity: f64::from(s),
                        contribution: f64::from(r) * f64::from(s),
                    })
            })
            .collect();
        let score = all.iter().map(|c| c.contribution).sum();
        Ok(ItemExplanation {
            user,
            item,
            score,
            contributions: explain::strongest(all, top_n),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dense reference similarity of items `i` and `j`.
    fn brute_force(m: &CsrMatrix, i: u32, j: u32, similarity: Similarity, shrinkage: f64) -> f64 {
        let column = |c: u32| -> Vec<f64> {
            (0..m.n_rows())
                .map(|u| m.get(u, c).map_or(0.0, f64::from))
                .collect()
        };
        let (a, b) = (column(i), column(j));
        match similarity {
            Similarity::Cosine => {
                let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
                let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
                dot / (norm(&a) * norm(&b) + shrinkage)
            }
            Similarity::Jaccard => {
                let both = a
                    .iter()
                    .zip(&b)
                    .filter(|(x, y)| **x != 0.0 && **y != 0.0)
                    .count();
                let either = a
                    .iter()
                    .zip(&b)
                    .filter(|(x, y)| **x != 0.0 || **y != 0.0)
                    .count();
                both as f64 / (either as f64 + shrinkage)
            }
        }
    }

    fn sample_matrix() -> Result<CsrMatrix> {
        let (mut rows, mut cols, mut vals) = (Vec::new(), Vec::new(), Vec::new());
        for u in 0..40u32 {
            for i in 0..25u32 {
                if (u * 7 + i * 3) % 5 == 0 || (u + i) % 11 == 0 {
                    rows.push(u);
                    cols.push(i);
                    vals.push(1.0 + ((u + 2 * i) % 4) as f32);
                }
            }
        }
        CsrMatrix::from_triplets(40, 25, &rows, &cols, &vals)
    }

    #[test]
    fn kept_neighbours_match_brute_force_similarities() -> Result<()> {
        let m = sample_matrix()?;
        for similarity in [Similarity::Cosine, Similarity::Jaccard] {
            for shrinkage in [0.0, 3.0] {
                let params = ItemKnnParams::default()
                    .similarity(similarity)
                    .shrinkage(shrinkage)
                    .neighbours(5);
                let neighbours = fit_neighbours(&m, &params);
                for i in 0..25u32 {
                    let mut expected: Vec<(u32, f64)> = (0..25u32)
                        .filter(|&j| j != i)
                        .map(|j| (j, brute_force(&m, i, j, similarity, shrinkage)))
                        .filter(|&(_, s)| s > 0.0)
                        .collect();
                    expected.sort_by(topk::rank_order);
                    let (cols, sims) = neighbours.row(i as usize);
                    assert_eq!(cols.len(), expected.len().min(5));
                    for (&j, &s) in cols.iter().zip(sims) {
                        let reference = brute_force(&m, i, j, similarity, shrinkage);
                        assert!(
                            (f64::from(s) - reference).abs() < 1e-5,
                            "{similarity:?} {i}-{j}"
                        );
                        // Nothing better was dropped (ties may swap at the boundary).
                        assert!(reference >= expected[cols.len() - 1].1 - 1e-6);
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn zero_weights_do_not_break_the_neighbour_search() -> Result<()> {
        // Many zero-weight entries make first-touch bookkeeping count items repeatedly.
        let (mut rows, mut cols) = (Vec::new(), Vec::new());
        for u in 0..30u32 {
            for i in 0..6u32 {
                rows.push(u);
                cols.push(i);
            }
        }
        let vals: Vec<f32> = rows
            .iter()
            .map(|&u| if u == 0 { 1.0 } else { 0.0 })
            .collect();
        let m = CsrMatrix::from_triplets(30, 6, &rows, &cols, &vals)?;
        let neighbours = fit_neighbours(&m, &ItemKnnParams::default());
        assert_eq!(neighbours.row(0).0, &[1, 2, 3, 4, 5]);
        Ok(())
    }
}
