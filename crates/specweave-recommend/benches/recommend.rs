//! Criterion benches of the hot paths: item-kNN and ALS fitting, and ranking every user.
//!
//! `cargo bench -p specweave-recommend --bench recommend -- --warm-up-time 1 --measurement-time 3`

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use specweave_core::Recommender;
use specweave_recommend::{Als, AlsParams, ItemKnn, ItemKnnParams, recommend_all, top_k};
use std::hint::black_box;
use support::Synthetic;

fn benches(c: &mut Criterion) {
    let log = Synthetic {
        users: 4_000,
        items: 2_000,
        per_user: 50,
        factors: 16,
        sharpness: 3.0,
        ..Synthetic::default()
    }
    .generate();
    let mut group = c.benchmark_group("recommend_200k");
    group.sample_size(10);
    group.bench_function("item_knn_fit", |b| {
        b.iter(|| {
            let mut knn = ItemKnn::new(ItemKnnParams::default()).expect("valid params");
            knn.fit(black_box(&log)).expect("fit");
            knn
        })
    });
    group.bench_function("als_fit_64_factors_5_iterations", |b| {
        b.iter(|| {
            let params = AlsParams::default().factors(64).iterations(5);
            let mut als = Als::new(params).expect("valid params");
            als.fit(black_box(&log)).expect("fit");
            als
        })
    });
    let mut knn = ItemKnn::new(ItemKnnParams::default()).expect("valid params");
    knn.fit(&log).expect("fit");
    let users: Vec<u32> = (0..4_000).collect();
    group.bench_function("item_knn_top10_all_users", |b| {
        b.iter(|| recommend_all(&knn, black_box(&users), 10, true).expect("ranking"))
    });
    group.finish();

    let scores: Vec<f64> = (0..100_000)
        .map(|i| ((i * 7_919) % 100_003) as f64)
        .collect();
    c.bench_function("top_k_10_of_100k", |b| {
        b.iter(|| top_k(black_box(&scores), 10, &[]))
    });
}

criterion_group!(recommend, benches);
criterion_main!(recommend);
