//! # specweave-recommend
//!
//! Recommendation model families over [`specweave_core::Interactions`], all implementing
//! [`specweave_core::Recommender`] and saved as [`specweave_core::ModelFile`]s:
//!
//! - baselines: [`RandomRecommender`], [`Popularity`], [`RecencyPopularity`];
//! - [`ItemKnn`]: cosine or Jaccard similarity on sparse co-occurrence, with shrinkage and
//!   top-N neighbours per item;
//! - [`Als`]: implicit-feedback ALS with confidence `1 + α·r` and a conjugate-gradient solver;
//! - [`MultiStage`]: candidate generation (union of kNN, ALS and popularity candidates) and a
//!   reranker over candidate features trained through any [`specweave_core::Learner`].
//!
//! The evaluation protocol ([`temporal_split`], [`leave_last_out`], [`recommend_all`]) ranks
//! all items for every user in parallel with partial sorts, excluding seen items, and
//! [`ExplainRecommendation`] gives the history items behind a recommendation as plain data.
//!
//! ```
//! use specweave_core::{Interactions, Recommender};
//! use specweave_recommend::{ItemKnn, ItemKnnParams, recommend_all, temporal_split};
//!
//! let mut log = Interactions::builder();
//! for (user, item, ts) in [("ann", "tea", 1), ("ann", "cake", 2), ("bo", "tea", 1),
//!                          ("bo", "cake", 2), ("cy", "tea", 1), ("cy", "cake", 3),
//!                          ("cy", "jam", 2)] {
//!     log.push(user, item, 1.0, ts)?;
//! }
//! let split = temporal_split(&log.build(), 0.5)?;
//! let mut knn = ItemKnn::new(ItemKnnParams::default())?;
//! knn.fit(&split.train)?;
//! let lists = recommend_all(&knn, &split.test_users(), 1, true)?;
//! assert_eq!(lists[0][0].0, 1); // everyone who took tea also took cake
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod als;
mod baselines;
mod csr;
mod error;
mod explain;
mod history;
mod item_knn;
mod multi_stage;
mod persist;
mod protocol;
mod topk;

pub use als::{Als, AlsParams};
pub use baselines::{Popularity, PopularityBy, RandomRecommender, RecencyPopularity};
pub use csr::CsrMatrix;
pub use error::{Error, Result};
pub use explain::{Contribution, ExplainRecommendation, ItemExplanation};
pub use item_knn::{ItemKnn, ItemKnnParams, Similarity};
pub use multi_stage::{CANDIDATE_FEATURES, MultiStage, MultiStageParams};
pub use persist::{LOADABLE_RECOMMENDERS, load_recommender};
pub use protocol::{InteractionSplit, leave_last_out, temporal_split};
pub use topk::{recommend_all, top_k};
