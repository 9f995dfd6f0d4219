//! Explanation data: contributions of history items add up to the scores they explain.

mod support;

use specweave_core::Recommender;
use specweave_recommend::{
    Als, AlsParams, ExplainRecommendation, ItemKnn, ItemKnnParams, MultiStage, MultiStageParams,
};
use std::sync::Arc;
use support::{Synthetic, TestLogistic};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn data() -> Synthetic {
    Synthetic {
        users: 150,
        items: 80,
        per_user: 12,
        ..Synthetic::default()
    }
}

#[test]
fn item_knn_contributions_sum_to_the_score() -> TestResult {
    let log = data().generate();
    let mut knn = ItemKnn::new(ItemKnnParams::default().neighbours(30))?;
    knn.fit(&log)?;
    for user in [0, 33, 149] {
        let explanations = knn.explain_top(user, 3, usize::MAX)?;
        assert_eq!(explanations.len(), 3);
        let top = knn.recommend(user, 3, true)?;
        for (explanation, (item, score)) in explanations.iter().zip(&top) {
            assert_eq!(explanation.item, *item);
            let total: f64 = explanation
                .contributions
                .iter()
                .map(|c| c.contribution)
                .sum();
            assert!((total - score).abs() < 1e-9, "{total} vs {score}");
            assert!((explanation.score - score).abs() < 1e-9);
            assert!(
                explanation
                    .contributions
                    .windows(2)
                    .all(|w| w[0].contribution >= w[1].contribution)
            );
            // Every contributor is a history item that lists the recommendation as a neighbour.
            for c in &explanation.contributions {
                let neighbours = knn.neighbours_of(c.item)?;
                assert!(
                    neighbours
                        .iter()
                        .any(|&(j, s)| j == *item && (s - c.similarity).abs() < 1e-12)
                );
            }
        }
        let top_two = knn.explain(user, top[0].0, 2)?;
        assert!(top_two.contributions.len() <= 2);
    }
    Ok(())
}

#[test]
fn als_contributions_decompose_the_least_squares_score() -> TestResult {
    let log = data().generate();
    // Enough CG steps that the fitted user factors are the exact least-squares solution.
    let params = AlsParams::default()
        .factors(8)
        .iterations(6)
        .cg_steps(20)
        .alpha(4.0)
        .regularization(0.5);
    let mut als = Als::new(params)?;
    als.fit(&log)?;
    for user in [2, 77] {
        let exact = als.recalculate_user_factors(user)?;
        for explanation in als.explain_top(user, 3, usize::MAX)? {
            let total: f64 = explanation
                .contributions
                .iter()
                .map(|c| c.contribution)
                .sum();
            let y = als.item_factors(explanation.item)?;
            let exact_score: f64 = exact.iter().zip(y).map(|(a, b)| f64::from(a * b)).sum();
            assert!(
                (total - exact_score).abs() < 1e-3 * (1.0 + exact_score.abs()),
                "user {user}, item {}: contributions {total} vs least-squares score {exact_score}",
                explanation.item,
            );
            // The fitted factors are close to the least-squares ones.
            assert!((explanation.score - exact_score).abs() < 0.1 * (1.0 + exact_score.abs()));
            assert!(
                explanation
                    .contributions
                    .iter()
                    .all(|c| c.interaction_weight == 1.0)
            );
        }
    }
    Ok(())
}

#[test]
fn multi_stage_explains_its_top_three_with_knn_evidence() -> TestResult {
    let log = data().generate();
    let params = MultiStageParams::default()
        .candidates_per_source(20)
        .als(AlsParams::default().factors(8).iterations(4));
    let mut model = MultiStage::new(params, Arc::new(TestLogistic::default()))?;
    model.fit(&log)?;
    for user in [5, 120] {
        let top = model.recommend(user, 3, true)?;
        let explanations = model.explain_top(user, 3, 3)?;
        assert_eq!(explanations.len(), 3);
        let (_, features) = model.candidate_features(user, true)?;
        assert_eq!(
            features.ncols(),
            specweave_recommend::CANDIDATE_FEATURES.len()
        );
        for (explanation, (item, score)) in explanations.iter().zip(&top) {
            assert_eq!(explanation.item, *item);
            assert!((explanation.score - score).abs() < 1e-12);
            assert!(explanation.contributions.len() <= 3);
            assert!(explanation.contributions.iter().all(|c| c.similarity > 0.0));
        }
    }
    Ok(())
}
