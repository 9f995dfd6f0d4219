//! Weekly sales: the next 12 weeks forecast with prediction intervals, validated in time
//! order only (rolling origin), scored by MAPE, from an empty folder to a completed increment.
//!
//! ```text
//! cargo run --release --example sales_forecast -- [--root DIR]
//! ```

mod common;

use specweave::data::synth::SeriesSpec;
use specweave::pipeline::forecasting::{ForecastConfig, run_forecasting};
use specweave::spec::Increment;
use std::time::Instant;

const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (root, _) = common::root_and_args("sales_forecast")?;
    let mut increment = Increment::create(&root, "forecast weekly sales", None)?;
    println!("increment: {}", increment.dir().display());
    // Four years of weekly sales with growth and a yearly season, from 2022-01-03.
    let sales = SeriesSpec::new(4 * 52)
        .level(12_000.0)
        .trend(15.0)
        .period(52)
        .amplitude(2_500.0)
        .noise(400.0)
        .timing(1_641_168_000_000, WEEK_MS)
        .seed(5)
        .generate()?;
    let started = Instant::now();
    let outcome = run_forecasting(&mut increment, &ForecastConfig::new(sales, 52).horizon(12))?;
    println!("\n{}", outcome.summary_table());
    println!("the next 12 weeks (model refitted on all 208 weeks):");
    println!("week   forecast   95% interval");
    let future = &outcome.future;
    for (week, ((mean, lower), upper)) in future
        .mean
        .iter()
        .zip(future.lower.iter())
        .zip(future.upper.iter())
        .enumerate()
    {
        println!("  +{:<2} {mean:>10.0}   [{lower:.0}, {upper:.0}]", week + 1);
    }
    println!("{}", outcome.validation.to_table());
    common::report_closing(
        outcome.summary_path.as_deref(),
        &outcome.increment_dir,
        started,
    );
    Ok(())
}
