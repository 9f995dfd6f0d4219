//! Model files: every recommender round-trips, and damaged or mismatched files fail cleanly.

mod support;

use specweave_core::{ModelFile, Recommender};
use specweave_recommend::{
    Als, AlsParams, ItemKnn, ItemKnnParams, LOADABLE_RECOMMENDERS, MultiStage, MultiStageParams,
    Popularity, PopularityBy, RandomRecommender, RecencyPopularity, Similarity, load_recommender,
};
use std::sync::Arc;
use support::{Synthetic, TestLogistic, TestLogisticModel};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn small() -> Synthetic {
    Synthetic {
        users: 80,
        items: 60,
        per_user: 10,
        ..Synthetic::default()
    }
}

fn single_stage_models() -> Result<Vec<Box<dyn Recommender>>, Box<dyn std::error::Error>> {
    Ok(vec![
        Box::new(RandomRecommender::new(9)),
        Box::new(Popularity::new(PopularityBy::Weight)),
        Box::new(RecencyPopularity::new(3_000)?),
        Box::new(ItemKnn::new(
            ItemKnnParams::default()
                .similarity(Similarity::Jaccard)
                .shrinkage(1.0),
        )?),
        Box::new(Als::new(AlsParams::default().factors(8).iterations(4))?),
    ])
}

#[test]
fn every_single_stage_model_round_trips() -> TestResult {
    let log = small().generate();
    let mut names = Vec::new();
    for mut model in single_stage_models()? {
        model.fit(&log)?;
        let restored = load_recommender(&model.to_bytes()?)?;
        assert_eq!(restored.name(), model.name());
        assert_eq!(restored.params(), model.params());
        for user in [0, 17, 79] {
            assert_eq!(
                restored.recommend(user, 10, true)?,
                model.recommend(user, 10, true)?
            );
            assert_eq!(
                restored.score(user, &[0, 5, 59])?,
                model.score(user, &[0, 5, 59])?
            );
        }
        names.push(model.name().to_owned());
    }
    assert_eq!(names, LOADABLE_RECOMMENDERS);
    Ok(())
}

#[test]
fn multi_stage_round_trips_with_its_ranker_loader() -> TestResult {
    let log = small().generate();
    let params = MultiStageParams::default()
        .candidates_per_source(15)
        .als(AlsParams::default().factors(8).iterations(4));
    let mut model = MultiStage::new(params, Arc::new(TestLogistic::default()))?;
    model.fit(&log)?;
    let bytes = model.to_bytes()?;
    let restored = MultiStage::from_bytes(&bytes, TestLogisticModel::from_bytes)?;
    for user in [0, 40] {
        assert_eq!(
            restored.recommend(user, 5, true)?,
            model.recommend(user, 5, true)?
        );
    }
    // A loaded model serves but cannot refit until a learner is attached.
    let mut restored = restored;
    assert!(restored.fit(&log).is_err());
    let mut restored = restored.with_learner(Arc::new(TestLogistic::default()))?;
    restored.fit(&log)?;
    // The generic loader names the family it cannot restore on its own.
    let err = load_recommender(&bytes).expect_err("multi-stage needs its ranker loader");
    assert!(err.to_string().contains("multi_stage"), "{err}");
    Ok(())
}

#[test]
fn damaged_and_mismatched_files_are_rejected() -> TestResult {
    let log = small().generate();
    let mut knn = ItemKnn::new(ItemKnnParams::default())?;
    knn.fit(&log)?;
    let bytes = knn.to_bytes()?;
    let truncated = load_recommender(&bytes[..bytes.len() - 3]).expect_err("truncated");
    assert!(truncated.to_string().contains("truncated"), "{truncated}");
    let mut altered = bytes.clone();
    let last = altered.len() - 2;
    altered[last] ^= 0x01;
    assert!(load_recommender(&altered).is_err());
    let wrong = Als::from_bytes(&bytes).expect_err("an item-kNN file is not ALS");
    assert!(wrong.to_string().contains("item_knn"), "{wrong}");

    // A well-formed file whose state contradicts itself fails at load, not at query time.
    let file = ModelFile::decode(&bytes)?;
    let mut state: serde_json::Value = file.json_payload()?;
    state["fitted"]["neighbours"]["indices"][0] = serde_json::json!(10_000);
    let forged = ModelFile::from_json(file.header.info.clone(), &state)?.encode();
    let err = load_recommender(&forged).expect_err("forged indices");
    assert!(err.to_string().contains("inconsistent"), "{err}");
    Ok(())
}

#[test]
fn queries_fail_cleanly_on_bad_input() -> TestResult {
    let log = small().generate();
    for mut model in single_stage_models()? {
        let unfitted = model.recommend(0, 5, true).expect_err("not fitted");
        assert!(unfitted.to_string().contains("not fitted"), "{unfitted}");
        model.fit(&log)?;
        let unknown = model.recommend(80, 5, true).expect_err("unknown user");
        assert!(unknown.to_string().contains("unknown user 80"), "{unknown}");
        let bad_item = model.score(0, &[60]).expect_err("unknown item");
        assert!(
            bad_item.to_string().contains("unknown item 60"),
            "{bad_item}"
        );
        assert!(model.recommend(0, 0, true)?.is_empty());
        let everything = model.recommend(0, 1_000, false)?;
        assert_eq!(everything.len(), 60, "{} ranks every item", model.name());
        let unseen = model.recommend(0, 1_000, true)?;
        assert_eq!(
            unseen.len(),
            50,
            "{} excludes the 10 seen items",
            model.name()
        );
    }
    let empty = log.select(&[])?;
    let err = Popularity::default().fit(&empty).expect_err("empty log");
    assert!(err.to_string().contains("empty"), "{err}");
    Ok(())
}

#[test]
fn invalid_hyperparameters_are_rejected_before_fitting() {
    let checks = [
        ItemKnn::new(ItemKnnParams::default().shrinkage(f64::NAN)).map(|_| ()),
        ItemKnn::new(ItemKnnParams::default().neighbours(0)).map(|_| ()),
        Als::new(AlsParams::default().factors(0)).map(|_| ()),
        Als::new(AlsParams::default().alpha(-1.0)).map(|_| ()),
        Als::new(AlsParams::default().cg_steps(0)).map(|_| ()),
        RecencyPopularity::new(0).map(|_| ()),
        MultiStage::new(
            MultiStageParams::default().candidates_per_source(0),
            Arc::new(TestLogistic::default()),
        )
        .map(|_| ()),
    ];
    for check in checks {
        let err = check.expect_err("invalid parameter");
        assert!(err.to_string().contains("invalid hyperparameter"), "{err}");
    }
}
