//! Fits Holt-Winters (additive trend and season) to each series of a file and prints one line
//! per series: fit seconds, holdout MASE, in-sample SSE. Used by the statsmodels peer script.
//!
//! Usage: `holt_winters_series <file> <period> <test_len>`, where each line of the file holds
//! one series as comma-separated values.

use specweave_core::{Forecaster, Series};
use specweave_forecast::{HoltWinters, Seasonality, Trend};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, period, test_len] = args.as_slice() else {
        return Err("usage: holt_winters_series <file> <period> <test_len>".into());
    };
    let period: usize = period.parse()?;
    let test_len: usize = test_len.parse()?;
    let text = std::fs::read_to_string(path)?;
    for (line_number, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let values = line
            .split(',')
            .map(|v| v.trim().parse::<f64>())
            .collect::<Result<Vec<f64>, _>>()
            .map_err(|e| format!("line {}: {e}", line_number + 1))?;
        if values.len() <= test_len + 2 * period {
            return Err(format!("line {}: series too short", line_number + 1).into());
        }
        let split = values.len() - test_len;
        let train = Series::new(
            (0..split as i64).collect(),
            values[..split].iter().copied().collect(),
        )?;
        let mut model = HoltWinters::builder()
            .trend(Trend::Additive)
            .seasonality(Seasonality::Additive, period)
            .build()?;
        let started = Instant::now();
        model.fit(&train)?;
        let seconds = started.elapsed().as_secs_f64();
        let forecast = model.forecast(test_len, 0.95)?;
        let scale = (period..split)
            .map(|t| (values[t] - values[t - period]).abs())
            .sum::<f64>()
            / (split - period) as f64;
        let mae = values[split..]
            .iter()
            .zip(forecast.mean.iter())
            .map(|(a, f)| (a - f).abs())
            .sum::<f64>()
            / test_len as f64;
        println!("{seconds},{},{}", mae / scale, model.sse()?);
    }
    Ok(())
}
