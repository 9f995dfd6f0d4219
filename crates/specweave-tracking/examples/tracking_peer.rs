//! The specweave side of `benches/peers/tracking_mlflow.py`: runs one workload and prints
//! its timing (and results) as JSON, so the peer script can compare with MLflow.
//!
//! `cargo run --release -p specweave-tracking --example tracking_peer -- log 1000000`
//! `cargo run --release -p specweave-tracking --example tracking_peer -- search 10000 20`

use specweave_tracking::{SearchQuery, Tracker};
use std::time::Instant;

#[path = "../benches/support/fixture.rs"]
mod fixture;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn log(points: u64) -> Result<serde_json::Value> {
    let dir = tempfile::tempdir()?;
    let tracker = Tracker::open(dir.path())?;
    let run = tracker.start_experiment("peer")?;
    let started = Instant::now();
    for step in 0..points {
        run.log_metric("train/loss", 1.0 / (step + 1) as f64, step)?;
    }
    run.flush()?;
    let buffered = started.elapsed().as_secs_f64();
    let durable_points = points.min(2000);
    let started = Instant::now();
    for step in 0..durable_points {
        run.log_metric("val/loss", 0.5, step)?;
        run.flush()?;
    }
    let durable = started.elapsed().as_secs_f64();
    run.finish()?;
    let history = tracker.metric_history("1", "train/loss")?;
    Ok(serde_json::json!({
        "points": points,
        "buffered_seconds": buffered,
        "durable_points": durable_points,
        "durable_seconds": durable,
        "stored_points": history.len(),
        "last_value": history.last().map(|p| p.value),
    }))
}

fn search(runs: usize, metrics: usize) -> Result<serde_json::Value> {
    let dir = tempfile::tempdir()?;
    fixture::write_runs(dir.path(), runs, metrics)?;
    let tracker = Tracker::open(dir.path())?;
    let query = SearchQuery::parse(fixture::FILTER, fixture::ORDER)?;
    let mut best = f64::INFINITY;
    let mut names = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let found = tracker.search(&query)?;
        best = best.min(started.elapsed().as_secs_f64());
        names = found.into_iter().map(|r| r.record.name).collect();
    }
    Ok(serde_json::json!({"runs": runs, "metrics": metrics, "seconds": best, "matches": names}))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("log") => log(args.get(1).map_or(Ok(1_000_000), |n| n.parse())?)?,
        Some("search") => search(
            args.get(1).map_or(Ok(10_000), |n| n.parse())?,
            args.get(2).map_or(Ok(20), |n| n.parse())?,
        )?,
        _ => return Err("usage: tracking_peer log [POINTS] | search [RUNS] [METRICS]".into()),
    };
    println!("{result}");
    Ok(())
}
