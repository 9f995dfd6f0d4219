//! Ranking quality on synthetic latent-factor interactions: the collaborative models beat
//! the popularity baseline by the margin the recommendation issue requires.

mod support;

use specweave_core::Recommender;
use specweave_recommend::{
    Als, AlsParams, ItemKnn, ItemKnnParams, MultiStage, MultiStageParams, Popularity,
    RandomRecommender, RecencyPopularity, Similarity, temporal_split,
};
use std::sync::Arc;
use support::{Synthetic, TestLogistic, precision_at_k};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fitted_precision(
    model: &mut dyn Recommender,
    data: &Synthetic,
) -> Result<f64, Box<dyn std::error::Error>> {
    let split = temporal_split(&data.generate(), 0.2)?;
    model.fit(&split.train)?;
    Ok(precision_at_k(model, &split, 10))
}

fn popularity_precision(data: &Synthetic) -> Result<f64, Box<dyn std::error::Error>> {
    fitted_precision(&mut Popularity::default(), data)
}

#[test]
fn item_knn_beats_popularity_by_a_fifth() -> TestResult {
    let data = Synthetic::default();
    let popularity = popularity_precision(&data)?;
    for similarity in [Similarity::Cosine, Similarity::Jaccard] {
        let params = ItemKnnParams::default()
            .similarity(similarity)
            .neighbours(50)
            .shrinkage(2.0);
        let knn = fitted_precision(&mut ItemKnn::new(params)?, &data)?;
        eprintln!("P@10 popularity {popularity:.4}, item-kNN {similarity:?} {knn:.4}");
        assert!(
            knn >= 1.2 * popularity,
            "{similarity:?}: {knn} vs popularity {popularity}"
        );
    }
    Ok(())
}

#[test]
fn als_beats_popularity_by_a_fifth() -> TestResult {
    let data = Synthetic::default();
    let popularity = popularity_precision(&data)?;
    let params = AlsParams::default()
        .factors(16)
        .iterations(10)
        .alpha(5.0)
        .regularization(1.0)
        .seed(3);
    let als = fitted_precision(&mut Als::new(params)?, &data)?;
    eprintln!("P@10 popularity {popularity:.4}, ALS {als:.4}");
    assert!(
        als >= 1.2 * popularity,
        "ALS {als} vs popularity {popularity}"
    );
    Ok(())
}

#[test]
fn popularity_beats_random_and_recency_tracks_popularity() -> TestResult {
    let data = Synthetic::default();
    let popularity = popularity_precision(&data)?;
    let random = fitted_precision(&mut RandomRecommender::new(1), &data)?;
    // Events are spread evenly in time, so recency weighting keeps most of the signal.
    let recency = fitted_precision(&mut RecencyPopularity::new(20_000)?, &data)?;
    eprintln!("P@10 random {random:.4}, popularity {popularity:.4}, recency {recency:.4}");
    assert!(
        popularity > 1.5 * random,
        "popularity {popularity} vs random {random}"
    );
    assert!(recency > random, "recency {recency} vs random {random}");
    Ok(())
}

#[test]
fn multi_stage_reranker_beats_popularity() -> TestResult {
    let data = Synthetic::default();
    let popularity = popularity_precision(&data)?;
    let params = MultiStageParams::default()
        .candidates_per_source(30)
        .knn(ItemKnnParams::default().neighbours(50).shrinkage(2.0))
        .als(
            AlsParams::default()
                .factors(16)
                .iterations(8)
                .alpha(5.0)
                .regularization(1.0),
        );
    let mut model = MultiStage::new(params, Arc::new(TestLogistic::default()))?;
    let multi = fitted_precision(&mut model, &data)?;
    let (rows, positives) = model.training_rows()?;
    eprintln!(
        "P@10 popularity {popularity:.4}, multi-stage {multi:.4} ({rows} rows, {positives} positives)"
    );
    assert!(positives > 0 && positives < rows);
    assert!(
        multi >= 1.2 * popularity,
        "multi-stage {multi} vs popularity {popularity}"
    );
    Ok(())
}
