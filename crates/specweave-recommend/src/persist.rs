//! Saving recommenders as model files and loading them back by algorithm name.

use crate::{Als, Error, ItemKnn, Popularity, RandomRecommender, RecencyPopularity, Result};
use serde::{Serialize, de::DeserializeOwned};
use specweave_core::{ModelFile, ModelInfo, ProblemKind, Recommender};

/// The `framework` recorded in every model file this crate writes.
pub(crate) const FRAMEWORK: &str = concat!("specweave-recommend ", env!("CARGO_PKG_VERSION"));

/// Wraps a recommender's serialisable state in a model file.
pub(crate) fn encode<T: Serialize>(
    algorithm: &str,
    params: serde_json::Value,
    state: &T,
) -> specweave_core::Result<Vec<u8>> {
    let info = ModelInfo {
        algorithm: algorithm.to_owned(),
        problem: ProblemKind::Recommendation,
        params,
        feature_names: Vec::new(),
        class_names: Vec::new(),
        framework: FRAMEWORK.to_owned(),
    };
    Ok(ModelFile::from_json(info, state)?.encode())
}

/// Decodes a model file and checks that it holds `algorithm`.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], algorithm: &str) -> Result<T> {
    let file = ModelFile::decode(bytes)?;
    if file.header.info.algorithm != algorithm {
        return Err(Error::InvalidInput(format!(
            "model file holds `{}`, not `{algorithm}`",
            file.header.info.algorithm
        )));
    }
    Ok(file.json_payload()?)
}

/// Names of the recommenders [`load_recommender`] can restore.
pub const LOADABLE_RECOMMENDERS: [&str; 5] = [
    RandomRecommender::NAME,
    Popularity::NAME,
    RecencyPopularity::NAME,
    ItemKnn::NAME,
    Als::NAME,
];

/// Restores any single-stage recommender of this crate from its model file.
///
/// The multi-stage recommender holds a ranking model from another crate and is restored with
/// [`MultiStage::from_bytes`](crate::MultiStage::from_bytes) instead.
///
/// ```
/// use specweave_core::{Interactions, Recommender};
/// use specweave_recommend::{load_recommender, Popularity};
///
/// let log = Interactions::from_indices(
///     vec![0, 1], vec![0, 0], vec![1.0; 2], vec![0; 2],
///     vec!["a".into(), "b".into()], vec!["x".into(), "y".into()],
/// )?;
/// let mut model = Popularity::default();
/// model.fit(&log)?;
/// let restored = load_recommender(&model.to_bytes()?)?;
/// assert_eq!(restored.recommend(0, 2, false)?, model.recommend(0, 2, false)?);
/// # Ok::<(), specweave_core::Error>(())
/// ```
pub fn load_recommender(bytes: &[u8]) -> specweave_core::Result<Box<dyn Recommender>> {
    let file = ModelFile::decode(bytes)?;
    let algorithm = file.header.info.algorithm.as_str();
    let model: Box<dyn Recommender> = match algorithm {
        RandomRecommender::NAME => Box::new(RandomRecommender::from_bytes(bytes)?),
        Popularity::NAME => Box::new(Popularity::from_bytes(bytes)?),
        RecencyPopularity::NAME => Box::new(RecencyPopularity::from_bytes(bytes)?),
        ItemKnn::NAME => Box::new(ItemKnn::from_bytes(bytes)?),
        Als::NAME => Box::new(Als::from_bytes(bytes)?),
        other => {
            return Err(specweave_core::Error::UnknownModel {
                name: other.to_owned(),
                known: LOADABLE_RECOMMENDERS.join(", "),
            });
        }
    };
    Ok(model)
}
