//! On-disk records shared by the crates that write and read an increment's experiments and
//! models (tracking writes them; the increment gates, docs and serving read them).
//!
//! File layout of one experiment: `experiments/exp-NNN-<name>/` with `run.json`
//! ([`RunRecord`]), `params.json` (object of strings), `metrics.json` (latest value per key),
//! `metrics.jsonl` (one [`MetricPoint`] per line, append-only), `logs/` and `artifacts/`.
//! A registered model is `models/model-vN/` plus `models/model-vN.metadata.json`
//! ([`ModelVersionMetadata`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// File name of a run's record.
pub const RUN_FILE: &str = "run.json";
/// File name of a run's params.
pub const PARAMS_FILE: &str = "params.json";
/// File name of a run's latest metrics.
pub const METRICS_FILE: &str = "metrics.json";
/// File name of a run's metric history.
pub const METRICS_HISTORY_FILE: &str = "metrics.jsonl";

/// Tag naming a run's role in the increment: one of [`ROLE_BASELINE`], [`ROLE_CANDIDATE`],
/// [`ROLE_TUNING`]. The gates use it to find the best baseline and the candidates.
pub const TAG_ROLE: &str = "specweave.role";
/// Role of a baseline run (random, popularity, most frequent, mean, ...).
pub const ROLE_BASELINE: &str = "baseline";
/// Role of a candidate model run.
pub const ROLE_CANDIDATE: &str = "candidate";
/// Role of a tuning run (or trial of one).
pub const ROLE_TUNING: &str = "tuning";
/// Tag naming the metric key a run is ranked by, e.g. `precision@10`.
pub const TAG_HEADLINE_METRIC: &str = "specweave.headline_metric";
/// Tag naming the algorithm of a run, e.g. `item_knn`.
pub const TAG_ALGORITHM: &str = "specweave.algorithm";

/// Lifecycle of a run. The integer codes are MLflow's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Still running (or died without finishing; readers decide with the run's pid).
    Running,
    /// Finished successfully.
    Finished,
    /// Failed; the run's notes say why.
    Failed,
    /// Killed or found dead.
    Killed,
}

impl RunStatus {
    /// MLflow's integer code (RUNNING=1, FINISHED=3, FAILED=4, KILLED=5).
    pub fn mlflow_code(self) -> u8 {
        match self {
            RunStatus::Running => 1,
            RunStatus::Finished => 3,
            RunStatus::Failed => 4,
            RunStatus::Killed => 5,
        }
    }

    /// MLflow's status name (`RUNNING`, `FINISHED`, `FAILED`, `KILLED`).
    pub fn mlflow_name(self) -> &'static str {
        match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
            RunStatus::Killed => "KILLED",
        }
    }
}

/// `run.json`: identity, timing, status and provenance of one experiment run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Folder name, e.g. `exp-003-random-forest`.
    pub id: String,
    /// The experiment number (`3`).
    pub number: u32,
    /// The experiment name (`random-forest`).
    pub name: String,
    /// Status.
    pub status: RunStatus,
    /// Start time, ms since the Unix epoch.
    pub start_time_ms: i64,
    /// End time, ms since the Unix epoch, once ended.
    #[serde(default)]
    pub end_time_ms: Option<i64>,
    /// Free-form tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Notes, e.g. the error of a failed run.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Environment facts (rustc, crate versions, OS, CPU, host, user, git commit, dirty flag).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// SHA-256 fingerprint of the training data, when logged.
    #[serde(default)]
    pub data_fingerprint: Option<String>,
    /// SHA-256 fingerprint of the data schema, when logged.
    #[serde(default)]
    pub schema_fingerprint: Option<String>,
    /// Process id of the writer, for detecting runs whose process died.
    #[serde(default)]
    pub pid: Option<u32>,
    /// Host name of the writer.
    #[serde(default)]
    pub host: Option<String>,
}

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricPoint {
    /// Metric key, e.g. `precision@10`.
    pub key: String,
    /// The value; NaN and ±inf are stored as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    #[serde(with = "non_finite_f64")]
    pub value: f64,
    /// Step (epoch, fold, trial); 0 when not stepped.
    pub step: u64,
    /// Time of logging, ms since the Unix epoch.
    pub timestamp_ms: i64,
}

/// Deployment stage of a registered model version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelStage {
    /// Fresh from training.
    Dev,
    /// Being validated.
    Staging,
    /// Serving traffic.
    Production,
    /// Retired.
    Archived,
}

/// `models/model-vN.metadata.json`: a registered model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersionMetadata {
    /// Model name (usually the increment slug).
    pub name: String,
    /// Version label such as `0042-v3`.
    pub version: String,
    /// Version number `N` of `model-vN`.
    pub number: u32,
    /// Increment id, e.g. `0042-recommendation-model`.
    pub increment: String,
    /// Experiment the model came from, e.g. `exp-004-item-knn`.
    pub experiment: String,
    /// Algorithm name.
    pub algorithm: String,
    /// Framework that implements it.
    pub framework: String,
    /// Hyperparameters.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Metrics of the run.
    #[serde(default, with = "non_finite_map")]
    pub metrics: BTreeMap<String, f64>,
    /// Training time in seconds.
    #[serde(default)]
    pub training_time_s: Option<f64>,
    /// Fingerprint of the training data.
    #[serde(default)]
    pub data_fingerprint: Option<String>,
    /// Size of the model files in bytes.
    pub size_bytes: u64,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Stage.
    pub stage: ModelStage,
    /// The version this one replaces, if any.
    #[serde(default)]
    pub parent: Option<String>,
}

/// Serde for `f64` that writes NaN/±inf as MLflow's strings, since JSON has no such numbers.
pub mod non_finite_f64 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Serializes finite values as numbers, others as `"NaN"`, `"Infinity"`, `"-Infinity"`.
    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            serializer.serialize_f64(*value)
        } else if value.is_nan() {
            serializer.serialize_str("NaN")
        } else if *value > 0.0 {
            serializer.serialize_str("Infinity")
        } else {
            serializer.serialize_str("-Infinity")
        }
    }

    /// Reads a number or one of the three strings.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum NumOrStr {
            Num(f64),
            Str(String),
        }
        match NumOrStr::deserialize(deserializer)? {
            NumOrStr::Num(v) => Ok(v),
            NumOrStr::Str(s) => match s.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                other => Err(D::Error::custom(format!("`{other}` is not a number"))),
            },
        }
    }
}

/// Serde for maps of `f64` using [`non_finite_f64`] for each value.
pub mod non_finite_map {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize)]
    struct Wrapped(#[serde(with = "super::non_finite_f64")] f64);

    /// Serializes each value with [`non_finite_f64`](super::non_finite_f64).
    pub fn serialize<S: Serializer>(
        map: &BTreeMap<String, f64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let wrapped: BTreeMap<&String, Wrapped> =
            map.iter().map(|(k, v)| (k, Wrapped(*v))).collect();
        wrapped.serialize(serializer)
    }

    /// Reads each value with [`non_finite_f64`](super::non_finite_f64).
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<String, f64>, D::Error> {
        let wrapped = BTreeMap::<String, Wrapped>::deserialize(deserializer)?;
        Ok(wrapped.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_points_round_trip_non_finite_values() -> Result<(), serde_json::Error> {
        for value in [1.5, f64::INFINITY, f64::NEG_INFINITY] {
            let point = MetricPoint {
                key: "loss".into(),
                value,
                step: 2,
                timestamp_ms: 7,
            };
            let line = serde_json::to_string(&point)?;
            assert_eq!(serde_json::from_str::<MetricPoint>(&line)?, point);
        }
        let nan: MetricPoint =
            serde_json::from_str(r#"{"key":"x","value":"NaN","step":0,"timestamp_ms":0}"#)?;
        assert!(nan.value.is_nan());
        Ok(())
    }
}
