//! Model files of the neural models: burn's record bytes plus the architecture, inside a
//! [`ModelFile`] with a binary payload, so a model loads without the training code.
//!
//! Payload layout: a little-endian `u64` length, that many bytes of architecture JSON, then
//! burn's burnpack record of the weights.

use super::DeviceChoice;
use super::mlp::FittedMlp;
use super::network::{Architecture, Network};
use super::recommender::BprMatrixFactorization;
use serde::{Serialize, de::DeserializeOwned};
use specweave_core::{Error, Model, ModelFile, PayloadEncoding, Recommender, Result};

/// Algorithm name of [`MlpClassifier`](super::MlpClassifier) models.
pub const ALGORITHM_CLASSIFIER: &str = "mlp_classifier";
/// Algorithm name of [`MlpRegressor`](super::MlpRegressor) models.
pub const ALGORITHM_REGRESSOR: &str = "mlp_regressor";
/// Algorithm name of [`BprMatrixFactorization`](super::BprMatrixFactorization) recommenders.
pub const ALGORITHM_BPR: &str = "bpr_matrix_factorization";
/// The framework recorded in the model info.
pub(crate) const FRAMEWORK: &str = "burn 0.22";

/// Joins the architecture JSON and the record bytes into one payload.
pub(crate) fn encode_payload<T: Serialize>(architecture: &T, record: &[u8]) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(architecture)?;
    let mut payload = Vec::with_capacity(8 + json.len() + record.len());
    payload.extend_from_slice(&(json.len() as u64).to_le_bytes());
    payload.extend_from_slice(&json);
    payload.extend_from_slice(record);
    Ok(payload)
}

/// Splits a payload into its architecture and record bytes.
pub(crate) fn decode_payload<T: DeserializeOwned>(file: &ModelFile) -> Result<(T, &[u8])> {
    let algorithm = &file.header.info.algorithm;
    if file.header.encoding != PayloadEncoding::Binary {
        return Err(Error::ModelFile(format!(
            "`{algorithm}` needs a binary payload"
        )));
    }
    let payload = &file.payload;
    let json_len = payload
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| {
            Error::ModelFile(format!(
                "`{algorithm}` payload is shorter than its length prefix"
            ))
        })?;
    let json_end = usize::try_from(json_len)
        .ok()
        .and_then(|len| len.checked_add(8))
        .filter(|&end| end <= payload.len())
        .ok_or_else(|| {
            Error::ModelFile(format!(
                "`{algorithm}` architecture length {json_len} overruns the payload"
            ))
        })?;
    let architecture = serde_json::from_slice(&payload[8..json_end])
        .map_err(|e| Error::ModelFile(format!("`{algorithm}` architecture does not parse: {e}")))?;
    Ok((architecture, &payload[json_end..]))
}

/// Loads an MLP model file written by [`Model::to_bytes`] of a fitted
/// [`MlpClassifier`](super::MlpClassifier) or [`MlpRegressor`](super::MlpRegressor).
///
/// The model computes on the device named by `SPECWEAVE_DEVICE` (the CPU by default).
///
/// ```
/// use ndarray::{Array1, Array2};
/// use specweave_core::{Dataset, Learner, Target};
/// use specweave_train::neural::{MlpParams, MlpRegressor, load_neural_model};
///
/// let x = Array2::from_shape_fn((20, 2), |(i, j)| (i + j) as f64);
/// let data = Dataset::builder(x).target(Target::Continuous(Array1::linspace(0.0, 1.0, 20))).build()?;
/// let model = MlpRegressor::new(MlpParams::default().hidden_layers(vec![4]).epochs(2))?.fit(&data)?;
/// let loaded = load_neural_model(&model.to_bytes()?)?;
/// assert_eq!(loaded.predict(data.features())?, model.predict(data.features())?);
/// # Ok::<(), specweave_core::Error>(())
/// ```
pub fn load_neural_model(bytes: &[u8]) -> Result<Box<dyn Model>> {
    let file = ModelFile::decode(bytes)?;
    let info = file.header.info.clone();
    match info.algorithm.as_str() {
        ALGORITHM_CLASSIFIER | ALGORITHM_REGRESSOR => {
            let (arch, record): (Architecture, _) = decode_payload(&file)?;
            if arch.input_mean.len() != arch.n_inputs || arch.input_inv_std.len() != arch.n_inputs {
                return Err(Error::ModelFile(format!(
                    "`{}` input scaling does not match its {} inputs",
                    info.algorithm, arch.n_inputs
                )));
            }
            let choice = DeviceChoice::from_env().resolve();
            let network =
                Network::from_record_bytes(&arch, record, &choice.burn_device().autodiff())?;
            Ok(Box::new(FittedMlp::new(info, arch, network, choice)))
        }
        other => Err(Error::UnknownModel {
            name: other.to_string(),
            known: format!("{ALGORITHM_CLASSIFIER}, {ALGORITHM_REGRESSOR}"),
        }),
    }
}

/// Loads a recommender file written by a fitted
/// [`BprMatrixFactorization`](super::BprMatrixFactorization).
pub fn load_neural_recommender(bytes: &[u8]) -> Result<Box<dyn Recommender>> {
    let file = ModelFile::decode(bytes)?;
    match file.header.info.algorithm.as_str() {
        ALGORITHM_BPR => Ok(Box::new(BprMatrixFactorization::from_file(&file)?)),
        other => Err(Error::UnknownModel {
            name: other.to_string(),
            known: ALGORITHM_BPR.to_string(),
        }),
    }
}
