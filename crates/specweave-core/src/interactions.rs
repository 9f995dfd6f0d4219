//! User–item interactions, the input of recommenders.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A log of (user, item, weight, timestamp) events with dense internal ids.
///
/// External ids (strings from the source file) are mapped to dense `u32` indices in order of
/// first appearance; `user_ids()[u]` gives the external id of internal user `u`.
///
/// ```
/// use specweave_core::Interactions;
///
/// let mut builder = Interactions::builder();
/// builder.push("alice", "matrix", 5.0, 1_000)?;
/// builder.push("bob", "matrix", 3.0, 2_000)?;
/// builder.push("alice", "alien", 4.0, 3_000)?;
/// let log = builder.build();
/// assert_eq!((log.n_users(), log.n_items(), log.len()), (2, 2, 3));
/// assert_eq!(log.item_index("alien"), Some(1));
/// # Ok::<(), specweave_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interactions {
    users: Vec<u32>,
    items: Vec<u32>,
    weights: Vec<f64>,
    timestamps: Vec<i64>,
    user_ids: Vec<String>,
    item_ids: Vec<String>,
}

impl Interactions {
    /// Starts an empty builder.
    pub fn builder() -> InteractionsBuilder {
        InteractionsBuilder::default()
    }

    /// Builds interactions from dense ids directly; `user_ids`/`item_ids` name each index.
    ///
    /// Fails when the columns differ in length, an index is out of range, or a weight is not finite.
    pub fn from_indices(
        users: Vec<u32>,
        items: Vec<u32>,
        weights: Vec<f64>,
        timestamps: Vec<i64>,
        user_ids: Vec<String>,
        item_ids: Vec<String>,
    ) -> Result<Interactions> {
        let n = users.len();
        for (what, len) in [
            ("items", items.len()),
            ("weights", weights.len()),
            ("timestamps", timestamps.len()),
        ] {
            if len != n {
                return Err(Error::shape(format!("interaction {what} vs users"), n, len));
            }
        }
        if let Some((row, u)) = users
            .iter()
            .enumerate()
            .find(|(_, u)| **u as usize >= user_ids.len())
        {
            return Err(Error::InvalidInput(format!(
                "user index {u} at row {row} out of range for {} users",
                user_ids.len()
            )));
        }
        if let Some((row, i)) = items
            .iter()
            .enumerate()
            .find(|(_, i)| **i as usize >= item_ids.len())
        {
            return Err(Error::InvalidInput(format!(
                "item index {i} at row {row} out of range for {} items",
                item_ids.len()
            )));
        }
        if let Some((row, &value)) = weights.iter().enumerate().find(|(_, w)| !w.is_finite()) {
            return Err(Error::NonFinite {
                what: "interaction weights".into(),
                row,
                value,
            });
        }
        Ok(Interactions {
            users,
            items,
            weights,
            timestamps,
            user_ids,
            item_ids,
        })
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// True when there are no events.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Number of distinct users (internal ids are `0..n_users`).
    pub fn n_users(&self) -> usize {
        self.user_ids.len()
    }

    /// Number of distinct items (internal ids are `0..n_items`).
    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }

    /// Internal user id of each event.
    pub fn users(&self) -> &[u32] {
        &self.users
    }

    /// Internal item id of each event.
    pub fn items(&self) -> &[u32] {
        &self.items
    }

    /// Weight (rating, count, confidence) of each event.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Timestamp (ms since the Unix epoch, or any monotone unit) of each event.
    pub fn timestamps(&self) -> &[i64] {
        &self.timestamps
    }

    /// External id of each internal user.
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids
    }

    /// External id of each internal item.
    pub fn item_ids(&self) -> &[String] {
        &self.item_ids
    }

    /// Internal id of an external user id (linear scan; build a map for repeated look-ups).
    pub fn user_index(&self, external: &str) -> Option<u32> {
        self.user_ids
            .iter()
            .position(|u| u == external)
            .map(|i| i as u32)
    }

    /// Internal id of an external item id (linear scan; build a map for repeated look-ups).
    pub fn item_index(&self, external: &str) -> Option<u32> {
        self.item_ids
            .iter()
            .position(|i| i == external)
            .map(|i| i as u32)
    }

    /// The events at `rows`, keeping the same id space (so train and test share indices).
    pub fn select(&self, rows: &[usize]) -> Result<Interactions> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.len()) {
            return Err(Error::InvalidInput(format!(
                "interaction index {bad} out of range for {} events",
                self.len()
            )));
        }
        Ok(Interactions {
            users: rows.iter().map(|&r| self.users[r]).collect(),
            items: rows.iter().map(|&r| self.items[r]).collect(),
            weights: rows.iter().map(|&r| self.weights[r]).collect(),
            timestamps: rows.iter().map(|&r| self.timestamps[r]).collect(),
            user_ids: self.user_ids.clone(),
            item_ids: self.item_ids.clone(),
        })
    }
}

/// Builder for [`Interactions`] that maps external ids to dense indices.
#[derive(Debug, Default, Clone)]
pub struct InteractionsBuilder {
    users: Vec<u32>,
    items: Vec<u32>,
    weights: Vec<f64>,
    timestamps: Vec<i64>,
    user_index: HashMap<String, u32>,
    item_index: HashMap<String, u32>,
    user_ids: Vec<String>,
    item_ids: Vec<String>,
}

impl InteractionsBuilder {
    /// Appends one event; fails on a non-finite weight.
    pub fn push(&mut self, user: &str, item: &str, weight: f64, timestamp: i64) -> Result<()> {
        if !weight.is_finite() {
            return Err(Error::NonFinite {
                what: "interaction weight".into(),
                row: self.users.len(),
                value: weight,
            });
        }
        let u = intern(user, &mut self.user_index, &mut self.user_ids);
        let i = intern(item, &mut self.item_index, &mut self.item_ids);
        self.users.push(u);
        self.items.push(i);
        self.weights.push(weight);
        self.timestamps.push(timestamp);
        Ok(())
    }

    /// Finishes the log.
    pub fn build(self) -> Interactions {
        Interactions {
            users: self.users,
            items: self.items,
            weights: self.weights,
            timestamps: self.timestamps,
            user_ids: self.user_ids,
            item_ids: self.item_ids,
        }
    }
}

fn intern(key: &str, index: &mut HashMap<String, u32>, ids: &mut Vec<String>) -> u32 {
    if let Some(&id) = index.get(key) {
        return id;
    }
    let id = ids.len() as u32;
    ids.push(key.to_owned());
    index.insert(key.to_owned(), id);
    id
}
