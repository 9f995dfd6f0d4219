//! TreeSHAP throughput: recursive Algorithm 2 against precomputed per-leaf tables, on a
//! boosted-like ensemble of 100 trees of depth 6 over 30 features (1000 rows).

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use specweave_core::{Aggregation, LEAF, OutputLink, SplitRule, Tree, TreeEnsemble, TreeOutput};
use specweave_explain::{TreeExplainer, TreeShapAlgorithm};
use std::hint::black_box;

/// A tree split on random features at random sample values, covers from routed samples.
fn grow(
    rng: &mut ChaCha8Rng,
    data: &Array2<f64>,
    samples: &[usize],
    depth: usize,
    tree: &mut Tree,
) -> u32 {
    let id = tree.left.len();
    tree.left.push(LEAF);
    tree.right.push(LEAF);
    tree.feature.push(0);
    tree.threshold.push(0.0);
    tree.missing_left.push(true);
    tree.cover.push(samples.len() as f64);
    tree.values.push(rng.random::<f64>() - 0.5);
    if depth == 0 || samples.len() < 2 {
        return id as u32;
    }
    let feature = rng.random_range(0..data.ncols());
    let threshold = data[[samples[rng.random_range(0..samples.len())], feature]];
    let (left, right): (Vec<usize>, Vec<usize>) = samples
        .iter()
        .partition(|&&s| data[[s, feature]] <= threshold);
    if left.is_empty() || right.is_empty() {
        return id as u32;
    }
    tree.feature[id] = feature as u32;
    tree.threshold[id] = threshold;
    let l = grow(rng, data, &left, depth - 1, tree);
    let r = grow(rng, data, &right, depth - 1, tree);
    tree.left[id] = l;
    tree.right[id] = r;
    id as u32
}

fn ensemble(rng: &mut ChaCha8Rng, data: &Array2<f64>) -> TreeEnsemble {
    let samples: Vec<usize> = (0..data.nrows()).collect();
    let trees = (0..100)
        .map(|_| {
            let mut tree = Tree {
                left: vec![],
                right: vec![],
                feature: vec![],
                threshold: vec![],
                missing_left: vec![],
                cover: vec![],
                values: vec![],
                value_width: 1,
                split_rule: SplitRule::LessOrEqual,
                output: TreeOutput::All,
            };
            grow(rng, data, &samples, 6, &mut tree);
            tree
        })
        .collect();
    TreeEnsemble::new(
        trees,
        data.ncols(),
        vec![0.0],
        Aggregation::Sum,
        OutputLink::Logistic,
    )
    .expect("generated ensemble is valid")
}

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let data = Array2::from_shape_fn((2000, 30), |_| rng.random::<f64>());
    let model = ensemble(&mut rng, &data);
    let rows = data.slice(ndarray::s![..1000, ..]).to_owned();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("thread pool");
    let mut group = c.benchmark_group("tree_shap_1000_rows_1_thread");
    group.sample_size(10);
    for algorithm in [TreeShapAlgorithm::Recursive, TreeShapAlgorithm::Precomputed] {
        let explainer = TreeExplainer::new(&model)
            .expect("explainer")
            .check_additivity(false)
            .algorithm(algorithm);
        group.bench_function(format!("{algorithm:?}"), |b| {
            b.iter(|| pool.install(|| black_box(explainer.shap_values(rows.view()).expect("shap"))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
