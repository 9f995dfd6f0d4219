//! Ranking metrics on 100,000 users × 100 candidates, single-threaded and on all threads.

use criterion::{Criterion, criterion_group, criterion_main};
use specweave_eval::ranking::{Gain, RankingInput, evaluate_ranking};
use std::hint::black_box;

fn ranking_metrics(c: &mut Criterion) {
    let (users, items, relevance, scores) = specweave_eval::synthetic::ranking(100_000, 100, 7);
    let input = RankingInput {
        users: &users,
        items: &items,
        relevance: &relevance,
        scores: &scores,
    };
    let mut group = c.benchmark_group("ranking_100k_x_100");
    group.sample_size(10);
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    group.bench_function("all_metrics_at_10_single_thread", |b| {
        b.iter(|| single.install(|| evaluate_ranking(black_box(&input), 10, Gain::Linear)))
    });
    group.bench_function("all_metrics_at_10_all_threads", |b| {
        b.iter(|| evaluate_ranking(black_box(&input), 10, Gain::Linear))
    });
    group.finish();
}

criterion_group!(benches, ranking_metrics);
criterion_main!(benches);
