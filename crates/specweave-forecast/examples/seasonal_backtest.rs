//! A forecasting EDA and model comparison on a seeded monthly series: diagnostics, then a
//! rolling-origin backtest of the baselines, Holt-Winters and the automatic model, then the
//! chosen model's forecast with 95% intervals.
//!
//! `cargo run --release -p specweave-forecast --example seasonal_backtest`

use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use specweave_core::{Forecaster, Series};
use specweave_forecast::{
    AutoEts, Drift, HoltWinters, Naive, RollingOrigin, SeasonalNaive, Window, diagnose, ljung_box,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let noise = Normal::new(0.0, 6.0)?;
    let values: Array1<f64> = (0..120)
        .map(|t| {
            let month = 2.0 * std::f64::consts::PI * t as f64 / 12.0;
            300.0
                + 1.2 * t as f64
                + 40.0 * month.sin()
                + 15.0 * (2.0 * month).cos()
                + noise.sample(&mut rng)
        })
        .collect();
    let month_ms = 30 * 86_400_000_i64;
    let series = Series::new((0..120).map(|t| t * month_ms).collect(), values)?;

    println!(
        "{}",
        diagnose(series.values().as_slice().ok_or("contiguous")?, Some(12))?.to_markdown()
    );

    let plan = RollingOrigin::builder()
        .window(Window::Expanding { initial: 72 })
        .horizon(12)
        .step(6)
        .build()?;
    let mut candidates: Vec<Box<dyn Forecaster>> = vec![
        Box::new(Naive::new()),
        Box::new(SeasonalNaive::new(12)?),
        Box::new(Drift::new()),
        Box::new(HoltWinters::builder().build()?),
        Box::new(AutoEts::new(Some(12))?),
    ];
    println!("| model | origins | MAE | RMSE | 95% coverage |\n|---|---|---|---|---|");
    for model in &mut candidates {
        let report = plan.run(model.as_mut(), &series)?;
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.2} |",
            report.forecaster,
            report.origins.len(),
            report.mae(),
            report.rmse(),
            report.coverage()
        );
    }

    let mut model = AutoEts::new(Some(12))?;
    model.fit(&series)?;
    let selected = model.selected().ok_or("no model selected")?;
    let residual_test = ljung_box(selected.residuals()?, 24, 0)?;
    println!(
        "\nselected ETS({}), Ljung-Box p = {:.3} on its residuals",
        selected.hyperparams().label(),
        residual_test.p_value
    );
    let forecast = model.forecast(12, 0.95)?;
    for h in 0..12 {
        println!(
            "t+{:<2} {:8.1}  [{:8.1}, {:8.1}]",
            h + 1,
            forecast.mean[h],
            forecast.lower[h],
            forecast.upper[h]
        );
    }
    Ok(())
}
