//! Profiles a CSV or Parquet file and writes `profile.json` and `eda-summary.md`; with
//! `--generate ROWS COLUMNS` it first writes a synthetic wide Parquet file to that path.
//!
//! ```text
//! cargo run --release -p specweave-data --example profile_file -- /tmp/wide.parquet /tmp/out --generate 1000000 20
//! ```

use specweave_data::synth::WideTableSpec;
use specweave_data::{ProfileOptions, profile_file};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(out)) = (args.first(), args.get(1)) else {
        return Err("usage: profile_file FILE OUT_DIR [--generate ROWS COLUMNS]".into());
    };
    if args.get(2).map(String::as_str) == Some("--generate") {
        let rows: usize = args.get(3).ok_or("--generate needs ROWS")?.parse()?;
        let columns: usize = args.get(4).ok_or("--generate needs COLUMNS")?.parse()?;
        WideTableSpec::new(rows, columns)
            .seed(42)
            .write_parquet(path)?;
        println!("wrote {rows} x {columns} to {path}");
        return Ok(());
    }
    let start = Instant::now();
    let profile = profile_file(path, &ProfileOptions::new())?;
    let seconds = start.elapsed().as_secs_f64();
    profile.write_to(out)?;
    println!(
        "profiled {} rows x {} columns in {seconds:.3} s",
        profile.rows,
        profile.columns.len()
    );
    Ok(())
}
