//! Loading and profiling a generated 1,000,000 × 20 Parquet file (the data-stage benchmark;
//! `benches/peers/pandas_profile.py` runs pandas on the same file).

use criterion::{Criterion, criterion_group, criterion_main};
use specweave_data::synth::WideTableSpec;
use specweave_data::{ProfileOptions, profile_file};
use std::hint::black_box;

fn profile_million_rows(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("specweave-bench");
    let path = dir.join("wide-1000000x20.parquet");
    if !path.exists() {
        std::fs::create_dir_all(&dir).expect("create the bench folder");
        WideTableSpec::new(1_000_000, 20)
            .seed(42)
            .write_parquet(&path)
            .expect("write the bench file");
    }
    let mut group = c.benchmark_group("data_stage");
    group.sample_size(10);
    group.bench_function("load_and_profile_1m_x_20_parquet", |b| {
        b.iter(|| {
            let profile = profile_file(black_box(&path), &ProfileOptions::new()).expect("profile");
            black_box(profile.rows)
        })
    });
    group.finish();
}

criterion_group!(benches, profile_million_rows);
criterion_main!(benches);
