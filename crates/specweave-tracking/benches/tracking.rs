//! Benchmarks of the tracking hot paths: buffered `log_metric` throughput, a durable
//! `log_metric` + `flush`, and searching 10,000 runs × 20 metrics.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use specweave_tracking::{SearchQuery, Tracker};
use std::hint::black_box;

#[path = "support/fixture.rs"]
mod fixture;

fn log_metric(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let tracker = Tracker::open(dir.path()).expect("tracker");
    let run = tracker.start_experiment("bench").expect("run");
    let mut group = c.benchmark_group("log_metric");
    const BATCH: u64 = 10_000;
    group.throughput(Throughput::Elements(BATCH));
    let mut step = 0_u64;
    group.bench_function("buffered (auto-flush every 100k points, fsync)", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                run.log_metric("train/loss", black_box(0.5), step)
                    .expect("logged");
                step += 1;
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("durable (log_metric + flush with fsync)", |b| {
        b.iter(|| {
            run.log_metric("val/loss", black_box(0.25), step)
                .expect("logged");
            step += 1;
            run.flush().expect("flushed");
        })
    });
    group.finish();
    run.finish().expect("finished");
}

fn search(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    fixture::write_runs(dir.path(), 10_000, 20).expect("fixture");
    let tracker = Tracker::open(dir.path()).expect("tracker");
    let query = SearchQuery::parse(fixture::FILTER, fixture::ORDER).expect("query");
    let mut group = c.benchmark_group("search");
    group.sample_size(10);
    group.bench_function("10k runs x 20 metrics", |b| {
        b.iter(|| black_box(tracker.search(&query).expect("searched").len()))
    });
    group.finish();
}

criterion_group!(benches, log_metric, search);
criterion_main!(benches);
