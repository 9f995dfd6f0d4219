//! Hot paths of training: single-row prediction of a 100-tree booster (target < 50 µs),
//! batch prediction, and fitting the booster and forest on 20,000 × 30 rows.

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use specweave_core::{Dataset, Learner, Target};
use specweave_train::{GradientBoosting, GradientBoostingParams, RandomForest, RandomForestParams};
use std::hint::black_box;

fn data(rows: usize) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let x = Array2::from_shape_fn((rows, 30), |_| rng.random::<f64>() * 2.0 - 1.0);
    let labels = x
        .rows()
        .into_iter()
        .map(|r| {
            usize::from(1.5 * r[0] - 2.0 * r[1] + 2.0 * r[2] * r[3] + (3.0 * r[4]).sin() > 0.0)
        })
        .collect();
    Dataset::builder(x)
        .target(Target::Classes {
            labels,
            class_names: vec!["0".into(), "1".into()],
        })
        .build()
        .expect("valid data")
}

fn benches(c: &mut Criterion) {
    let train = data(20_000);
    let booster = GradientBoosting::new(GradientBoostingParams::default())
        .expect("params")
        .fit_booster(&train)
        .expect("fit");
    let row: Vec<f64> = train.features().row(7).to_vec();
    c.bench_function("booster_100_trees_single_row_raw", |b| {
        b.iter(|| booster.predict_raw_row(black_box(&row)).expect("predict"))
    });
    let one_row = train.features().slice(ndarray::s![7..8, ..]).to_owned();
    let model: Box<dyn specweave_core::Model> = Box::new(booster.clone());
    c.bench_function("booster_100_trees_single_row_model_predict", |b| {
        b.iter(|| model.predict(black_box(one_row.view())).expect("predict"))
    });
    c.bench_function("booster_100_trees_predict_20k_rows", |b| {
        b.iter(|| model.predict(black_box(train.features())).expect("predict"))
    });
    let mut group = c.benchmark_group("fit_20k_x_30");
    group.sample_size(10);
    group.bench_function("gradient_boosting_100_rounds", |b| {
        let learner = GradientBoosting::new(GradientBoostingParams::default()).expect("params");
        b.iter(|| learner.fit(black_box(&train)).expect("fit"))
    });
    group.bench_function("random_forest_100_trees", |b| {
        let learner = RandomForest::new(RandomForestParams::default()).expect("params");
        b.iter(|| learner.fit(black_box(&train)).expect("fit"))
    });
    group.finish();
}

criterion_group!(train_benches, benches);
criterion_main!(train_benches);
