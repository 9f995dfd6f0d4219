//! Saving forecasters as model files and loading them back by algorithm name.

use crate::{
    AutoEts, Drift, ForecastError, HoltWinters, MovingAverage, Naive, Result, SeasonalNaive,
};
use serde::{Serialize, de::DeserializeOwned};
use specweave_core::{Forecaster, ModelFile, ModelInfo, ProblemKind};

/// Writes a forecaster's whole state (hyperparameters and fitted state) as a JSON model file.
pub(crate) fn to_model_file<T: Serialize>(
    algorithm: &str,
    params: serde_json::Value,
    state: &T,
) -> Result<Vec<u8>> {
    let info = ModelInfo {
        algorithm: algorithm.to_string(),
        problem: ProblemKind::Forecasting,
        params,
        feature_names: Vec::new(),
        class_names: Vec::new(),
        framework: concat!("specweave-forecast ", env!("CARGO_PKG_VERSION")).to_string(),
    };
    Ok(ModelFile::from_json(info, state)?.encode())
}

/// Reads a model file written by [`to_model_file`], checking that it holds `algorithm`.
pub(crate) fn from_model_file<T: DeserializeOwned>(algorithm: &str, bytes: &[u8]) -> Result<T> {
    let file = ModelFile::decode(bytes)?;
    if file.header.info.algorithm != algorithm {
        return Err(ForecastError::Core(specweave_core::Error::ModelFile(
            format!(
                "the file holds `{}`, not `{algorithm}`",
                file.header.info.algorithm
            ),
        )));
    }
    Ok(file.json_payload()?)
}

/// Names of the forecasters [`load_forecaster`] can read.
pub const LOADABLE_FORECASTERS: [&str; 6] = [
    "naive",
    "seasonal_naive",
    "drift",
    "moving_average",
    "holt_winters",
    "auto_ets",
];

/// Loads any forecaster of this crate from its model file, dispatching on the stored
/// algorithm name.
///
/// The learner-backed [`LagForecaster`](crate::LagForecaster) needs the training crate's model
/// loader and is read with [`LagForecaster::from_bytes`](crate::LagForecaster::from_bytes).
///
/// ```
/// use ndarray::array;
/// use specweave_core::{Forecaster, Series};
/// use specweave_forecast::{Naive, load_forecaster};
///
/// let series = Series::new(vec![1, 2, 3, 4], array![1.0, 2.0, 2.5, 3.0])?;
/// let mut naive = Naive::new();
/// naive.fit(&series)?;
/// let loaded = load_forecaster(&naive.to_bytes()?)?;
/// assert_eq!(loaded.forecast(2, 0.9)?, naive.forecast(2, 0.9)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_forecaster(bytes: &[u8]) -> Result<Box<dyn Forecaster>> {
    let file = ModelFile::decode(bytes)?;
    let algorithm = file.header.info.algorithm.as_str();
    Ok(match algorithm {
        "naive" => Box::new(Naive::from_bytes(bytes)?),
        "seasonal_naive" => Box::new(SeasonalNaive::from_bytes(bytes)?),
        "drift" => Box::new(Drift::from_bytes(bytes)?),
        "moving_average" => Box::new(MovingAverage::from_bytes(bytes)?),
        "holt_winters" => Box::new(HoltWinters::from_bytes(bytes)?),
        "auto_ets" => Box::new(AutoEts::from_bytes(bytes)?),
        other => {
            return Err(ForecastError::Core(specweave_core::Error::UnknownModel {
                name: other.to_string(),
                known: LOADABLE_FORECASTERS.join(", "),
            }));
        }
    })
}
