//! Fit and forecast throughput of the forecasters on seeded seasonal series.

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use specweave_core::{Forecaster, Series};
use specweave_forecast::{AutoEts, HoltWinters, Seasonality, Stl, adf, kpss};
use std::hint::black_box;

fn seasonal(n: usize) -> Series {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let noise = Normal::new(0.0, 4.0).expect("valid noise");
    let values: Array1<f64> = (0..n)
        .map(|t| {
            let angle = 2.0 * std::f64::consts::PI * t as f64 / 12.0;
            200.0 + 0.8 * t as f64 + 25.0 * angle.sin() + noise.sample(&mut rng)
        })
        .collect();
    Series::new((0..n as i64).collect(), values).expect("valid series")
}

fn bench(c: &mut Criterion) {
    for n in [144, 1_200] {
        let series = seasonal(n);
        c.bench_function(&format!("holt_winters_additive_fit_{n}"), |b| {
            b.iter(|| {
                let mut model = HoltWinters::builder().build().expect("valid params");
                model.fit(black_box(&series)).expect("fit");
                model
            })
        });
    }
    let series = seasonal(144);
    c.bench_function("holt_winters_multiplicative_fit_forecast_144", |b| {
        b.iter(|| {
            let mut model = HoltWinters::builder()
                .seasonality(Seasonality::Multiplicative, 12)
                .build()
                .expect("valid params");
            model.fit(black_box(&series)).expect("fit");
            model.forecast(24, 0.95).expect("forecast")
        })
    });
    c.bench_function("auto_ets_fit_144", |b| {
        b.iter(|| {
            let mut model = AutoEts::new(Some(12)).expect("valid period");
            model.fit(black_box(&series)).expect("fit");
            model
        })
    });
    let values = seasonal(1_200).values().to_vec();
    c.bench_function("stl_1200", |b| {
        b.iter(|| Stl::new(12).expect("period").decompose(black_box(&values)))
    });
    c.bench_function("adf_kpss_1200", |b| {
        b.iter(|| (adf(black_box(&values)), kpss(black_box(&values))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
