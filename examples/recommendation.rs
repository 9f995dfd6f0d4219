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
//! item-kNN, ALS and a multi-stage candidate generator with a gradient-boosted reranker,
//! tuning on a validation split, evaluation with bootstrap intervals and a paired comparison,
//! explanations, latency and throughput, validation and `done`.

use specweave::pipeline::recommendation::{RecommendationConfig, run_recommendation};
use specweave::spec::Increment;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut root: Option<PathBuf> = None;
    let mut movielens: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => {
                root = Some(args.next().ok_or("--root needs a folder")?.into());
            }
            "-h" | "--help" => {
                println!("usage: recommendation [--root DIR] [MOVIELENS_U_DATA]");
                return Ok(());
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other}").into()),
            path => movielens = Some(path.into()),
        }
    }
    let root = match root {
        Some(root) => root,
        None => std::env::temp_dir().join(format!(
            "specweave-recommendation-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs()
        )),
    };
    std::fs::create_dir_all(&root)?;
    let mut increment = Increment::create(&root, "build recommendation model", None)?;
    println!("increment: {}", increment.dir().display());

    let mut config = RecommendationConfig::default();
    if let Some(path) = movielens {
        println!("data: MovieLens file {}", path.display());
        config = config.movielens(path);
    }
    let started = Instant::now();
    let outcome = run_recommendation(&mut increment, &config)?;
    println!("\n{}", outcome.summary_table());
    println!("{}", outcome.validation.to_table());
    match &outcome.summary_path {
        Some(path) => println!(
            "completed in {:.1} s: {}",
            started.elapsed().as_secs_f64(),
            path.display()
        ),
        None => println!(
            "not completed ({:.1} s): validation failed; see {}",
            started.elapsed().as_secs_f64(),
            outcome
                .increment_dir
                .join(specweave::spec::VALIDATION_REPORT)
                .display()
        ),
    }
    Ok(())
}
