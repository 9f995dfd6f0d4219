//! Permutation and impurity importance.

mod common;

use common::FnModel;
use ndarray::{Array1, Array2};
use specweave_core::{Aggregation, LEAF, OutputLink, SplitRule, Tree, TreeEnsemble, TreeOutput};
use specweave_explain::{PermutationImportance, impurity_importance};

/// Root splits feature 0 into [5 of class 0] and [1 of class 0, 4 of class 1]; the right
/// child splits feature 1 into pure leaves.
fn gini_tree() -> Tree {
    Tree {
        left: vec![1, LEAF, 3, LEAF, LEAF],
        right: vec![2, LEAF, 4, LEAF, LEAF],
        feature: vec![0, 0, 1, 0, 0],
        threshold: vec![0.5, 0.0, 0.5, 0.0, 0.0],
        missing_left: vec![true; 5],
        cover: vec![10.0, 5.0, 5.0, 1.0, 4.0],
        // Internal values are deliberately wrong: importance recomputes them from leaves.
        values: vec![9.0, 9.0, 1.0, 0.0, 9.0, 9.0, 1.0, 0.0, 0.0, 1.0],
        value_width: 2,
        split_rule: SplitRule::LessOrEqual,
        output: TreeOutput::All,
    }
}

#[test]
fn impurity_importance_is_the_normalised_gini_decrease() {
    let forest = TreeEnsemble::new(
        vec![gini_tree()],
        3,
        vec![0.0, 0.0],
        Aggregation::Mean,
        OutputLink::Identity,
    )
    .expect("valid");
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let importance = impurity_importance(&forest, &names).expect("importance");
    // Gini decreases 3.2 (root) and 1.6 (second split).
    assert!((importance.mean[0] - 2.0 / 3.0).abs() < 1e-12);
    assert!((importance.mean[1] - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(importance.mean[2], 0.0);
    assert!(impurity_importance(&forest, &names[..2]).is_err());
}

#[test]
fn impurity_importance_averages_normalised_trees() {
    let mut swapped = gini_tree();
    swapped.feature = vec![1, 0, 0];
    swapped.left = vec![1, LEAF, LEAF];
    swapped.right = vec![2, LEAF, LEAF];
    swapped.threshold = vec![0.5, 0.0, 0.0];
    swapped.missing_left = vec![true; 3];
    swapped.cover = vec![4.0, 2.0, 2.0];
    swapped.values = vec![0.5, 0.5, 1.0, 0.0, 0.0, 1.0];
    let forest = TreeEnsemble::new(
        vec![gini_tree(), swapped],
        2,
        vec![0.0, 0.0],
        Aggregation::Mean,
        OutputLink::Identity,
    )
    .expect("valid");
    let importance = impurity_importance(&forest, &["a".into(), "b".into()]).expect("importance");
    // Tree 1: (2/3, 1/3); tree 2: (0, 1); mean (1/3, 2/3).
    assert!((importance.mean[0] - 1.0 / 3.0).abs() < 1e-12);
    assert!((importance.mean[1] - 2.0 / 3.0).abs() < 1e-12);
    assert!((importance.std[0] - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(importance.raw.dim(), (2, 2));
}

#[test]
fn permutation_importance_ranks_used_features_and_is_reproducible() {
    let rows = 200;
    let features = Array2::from_shape_fn((rows, 3), |(r, c)| {
        ((r * (c + 3) * 7919) % 101) as f64 / 10.0
    });
    let model = FnModel::new(1, |x| vec![3.0 * x[0] + 0.5 * x[1]]);
    let target: Array1<f64> = features
        .rows()
        .into_iter()
        .map(|r| 3.0 * r[0] + 0.5 * r[1])
        .collect();
    let score = |p: &specweave_core::Predictions| -> specweave_core::Result<f64> {
        let s = p.scores()?;
        Ok(-(&s - &target).mapv(|e| e * e).mean().unwrap_or(0.0))
    };
    let settings = PermutationImportance::new().repeats(4).seed(11);
    let importance = settings
        .compute(&model, features.view(), score)
        .expect("importance");
    assert_eq!(importance.raw.dim(), (3, 4));
    assert!(importance.mean[0] > importance.mean[1] && importance.mean[1] > 0.0);
    assert_eq!(importance.mean[2], 0.0, "an unused feature cannot matter");
    assert!(importance.std[0] > 0.0);
    assert_eq!(importance.ranked()[0].0, "x0");
    let again = settings
        .compute(&model, features.view(), score)
        .expect("importance");
    assert_eq!(importance, again);
    assert!(
        PermutationImportance::new()
            .repeats(0)
            .compute(&model, features.view(), score)
            .is_err()
    );
}
