//! Binary metrics on 10,000,000 rows against the sort bound (radix sort of the keys alone).

use criterion::{Criterion, criterion_group, criterion_main};
use specweave_eval::classification::{average_precision, log_loss, roc_auc};
use specweave_eval::sort::{f64_key, radix_sort_u64};
use std::hint::black_box;

fn binary_metrics(c: &mut Criterion) {
    let n = 10_000_000;
    let (labels, scores) = specweave_eval::synthetic::binary(n, 42);
    let mut group = c.benchmark_group("binary_10m");
    group.sample_size(10);
    group.bench_function("roc_auc", |b| {
        b.iter(|| roc_auc(black_box(&labels), black_box(&scores), None))
    });
    group.bench_function("average_precision", |b| {
        b.iter(|| average_precision(black_box(&labels), black_box(&scores), None))
    });
    group.bench_function("log_loss", |b| {
        b.iter(|| log_loss(black_box(&labels), black_box(&scores), None))
    });
    group.bench_function("sort_bound_radix_u64", |b| {
        b.iter(|| {
            let mut keys: Vec<u64> = scores.iter().map(|&s| f64_key(s)).collect();
            radix_sort_u64(&mut keys);
            black_box(keys)
        })
    });
    group.bench_function("sort_bound_std_unstable_f64", |b| {
        b.iter(|| {
            let mut v = scores.clone();
            v.sort_unstable_by(f64::total_cmp);
            black_box(v)
        })
    });
    group.finish();
}

criterion_group!(benches, binary_metrics);
criterion_main!(benches);
