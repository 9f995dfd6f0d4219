//! A synthetic increment for the search benchmarks: `runs` finished runs with `metrics`
//! metrics each, written directly in the store's formats (creating them through the API
//! would time run creation, not search). Values are deterministic so peers can rebuild the
//! same runs.

use specweave_core::records::{RunRecord, RunStatus};
use std::collections::BTreeMap;
use std::path::Path;

/// The model param of run `run`.
pub fn model_of(run: usize) -> &'static str {
    ["gbdt", "knn", "linear"][run % 3]
}

/// The value of metric `m{metric}` of run `run`, in [0, 1).
pub fn value_of(run: usize, metric: usize) -> f64 {
    ((run * 7919 + metric * 104_729 + run * metric * 31) % 1000) as f64 / 1000.0
}

/// Writes the runs under `increment/experiments/`.
pub fn write_runs(increment: &Path, runs: usize, metrics: usize) -> std::io::Result<()> {
    let experiments = increment.join("experiments");
    for run in 0..runs {
        let number = (run + 1) as u32;
        let id = format!("exp-{number:03}-run{run}");
        let dir = experiments.join(&id);
        std::fs::create_dir_all(&dir)?;
        let record = RunRecord {
            id: id.clone(),
            number,
            name: format!("run{run}"),
            status: RunStatus::Finished,
            start_time_ms: 1_700_000_000_000 + run as i64,
            end_time_ms: Some(1_700_000_001_000 + run as i64),
            tags: BTreeMap::new(),
            notes: Vec::new(),
            environment: BTreeMap::new(),
            data_fingerprint: None,
            schema_fingerprint: None,
            pid: None,
            host: None,
        };
        std::fs::write(dir.join("run.json"), serde_json::to_vec(&record)?)?;
        let params = BTreeMap::from([("model", model_of(run))]);
        std::fs::write(dir.join("params.json"), serde_json::to_vec(&params)?)?;
        let latest: BTreeMap<String, f64> = (0..metrics)
            .map(|m| (format!("m{m}"), value_of(run, m)))
            .collect();
        std::fs::write(dir.join("metrics.json"), serde_json::to_vec(&latest)?)?;
    }
    Ok(())
}

/// The filter and order both sides run.
pub const FILTER: &str = "metrics.m3 > 0.5 and params.model = 'gbdt'";
/// The order both sides use.
pub const ORDER: &str = "metrics.m0 desc";
