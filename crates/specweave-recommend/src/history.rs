//! The user×item matrix every recommender keeps: seen-item exclusion and history look-ups.

use crate::{CsrMatrix, Error, Result};
use specweave_core::Interactions;

/// The summed interaction weight of every (user, item) pair, as a users × items matrix.
pub(crate) fn user_item_matrix(
    interactions: &Interactions,
    model: &'static str,
) -> Result<CsrMatrix> {
    if interactions.is_empty() {
        return Err(Error::EmptyInteractions { model });
    }
    let weights: Vec<f32> = interactions.weights().iter().map(|&w| w as f32).collect();
    CsrMatrix::from_triplets(
        interactions.n_users(),
        interactions.n_items(),
        interactions.users(),
        interactions.items(),
        &weights,
    )
}
