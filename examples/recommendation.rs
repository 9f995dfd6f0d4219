//! The flagship: a recommendation increment from an empty folder to a validated, completed
//! increment.
//!
//! ```text
//! cargo run --release --example recommendation
//! cargo run --release --example recommendation -- --root /tmp/recs
//! cargo run --release --example recommendation -- --root /tmp/recs path/to/ml-100k/u.data
//! ```
//!
//! It generates implicit feedback (or reads a MovieLens `u.data` file), then runs every task:
//! data profile and schema, per-user temporal split, random/popularity/recency baselines,
//! item-kNN, ALS, a multi-stage candidate generator with a gradient-boosted reranker and a
//! BPR matrix factorisation trained with burn, tuning on a validation split, evaluation with
//! bootstrap intervals and a paired comparison, explanations, latency and throughput, living
//! docs, validation and `done`.

mod common;

use specweave::pipeline::recommendation::{RecommendationConfig, run_recommendation};
use specweave::spec::Increment;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (root, args) = common::root_and_args("recommendation")?;
    let mut increment = Increment::create(&root, "build recommendation model", None)?;
    println!("increment: {}", increment.dir().display());

    let mut config = RecommendationConfig::default();
    if let Some(path) = args.first() {
        println!("data: MovieLens file {path}");
        config = config.movielens(path);
    }
    let started = Instant::now();
    let outcome = run_recommendation(&mut increment, &config)?;
    println!("\n{}", outcome.summary_table());
    println!("{}", outcome.validation.to_table());
    common::report_closing(
        outcome.summary_path.as_deref(),
        &outcome.increment_dir,
        started,
    );
    Ok(())
}
