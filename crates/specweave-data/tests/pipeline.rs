//! The feature pipeline: fitted on training rows only, identical at inference (even when the
//! inference file lists its categories differently), serializable, names flowing through.

use ndarray::array;
use specweave_core::{Dataset, FeatureKind};
use specweave_data::pipeline::{
    DatePart, FeaturePipeline, FittedPipeline, Imputation, RollingStat, UnseenCategory,
};
use specweave_data::{LoadOptions, load_dataset};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn cat(categories: &[&str]) -> FeatureKind {
    FeatureKind::Categorical {
        categories: categories.iter().map(|c| c.to_string()).collect(),
    }
}

#[test]
fn imputation_strategies_match_hand_computed_values() -> TestResult {
    let data = Dataset::builder(array![
        [1.0, 5.0],
        [f64::NAN, 5.0],
        [4.0, f64::NAN],
        [10.0, 7.0]
    ])
    .feature_names(["a", "b"])
    .build()?;
    let cases = [
        (Imputation::Mean, 5.0, 17.0 / 3.0),
        (Imputation::Median, 4.0, 5.0),
        (Imputation::MostFrequent, 1.0, 5.0),
        (Imputation::Constant(-1.0), -1.0, -1.0),
    ];
    for (strategy, a, b) in cases {
        let out = FeaturePipeline::new()
            .impute(Vec::<String>::new(), strategy.clone())
            .fit(&data)?
            .transform(&data)?;
        assert_eq!(out.features()[[1, 0]], a, "{strategy:?}");
        assert!((out.features()[[2, 1]] - b).abs() < 1e-12, "{strategy:?}");
    }
    Ok(())
}

#[test]
fn scalers_use_training_statistics_only() -> TestResult {
    let train = Dataset::builder(array![[0.0], [10.0]])
        .feature_names(["x"])
        .build()?;
    let test = Dataset::builder(array![[20.0]])
        .feature_names(["x"])
        .build()?;
    let standard = FeaturePipeline::new().standard_scale(["x"]).fit(&train)?;
    assert_eq!(
        standard.transform(&test)?.features()[[0, 0]],
        3.0,
        "(20 - 5) / 5"
    );
    let min_max = FeaturePipeline::new().min_max_scale(["x"]).fit(&train)?;
    assert_eq!(
        min_max.transform(&test)?.features()[[0, 0]],
        2.0,
        "(20 - 0) / 10"
    );
    Ok(())
}

#[test]
fn encoders_match_categories_by_name_and_apply_the_unseen_policy() -> TestResult {
    let dir = tempfile::tempdir()?;
    let train_path = dir.path().join("train.csv");
    std::fs::write(&train_path, "plan,y\nbasic,1\npro,0\nbasic,1\n")?;
    // At inference the file has other categories, so its own codes differ from training.
    let new_path = dir.path().join("new.csv");
    std::fs::write(&new_path, "plan,y\npro,0\nenterprise,1\n")?;
    let options = LoadOptions::new().target("y");
    let train = load_dataset(&train_path, &options)?;
    let new = load_dataset(&new_path, &options)?;
    let one_hot = FeaturePipeline::new()
        .one_hot(["plan"], UnseenCategory::Ignore)
        .fit(&train)?;
    assert_eq!(one_hot.output_names(), ["plan=basic", "plan=pro"]);
    let encoded = one_hot.transform(&new)?;
    assert_eq!(encoded.features(), array![[0.0, 1.0], [0.0, 0.0]]);
    let strict = FeaturePipeline::new()
        .ordinal(["plan"], UnseenCategory::Error)
        .fit(&train)?;
    let err = strict.transform(&new).expect_err("enterprise is unseen");
    assert!(
        err.to_string()
            .contains("row 1: category `enterprise` was not seen"),
        "{err}"
    );
    let lenient = FeaturePipeline::new()
        .ordinal(["plan"], UnseenCategory::Ignore)
        .fit(&train)?;
    let codes = lenient.transform(&new)?;
    assert_eq!(codes.features()[[0, 0]], 1.0, "pro keeps its training code");
    assert!(codes.features()[[1, 0]].is_nan());
    assert_eq!(codes.feature_kinds()[0], cat(&["basic", "pro"]));
    Ok(())
}

#[test]
fn date_parts_lags_and_rolling_windows() -> TestResult {
    // 2024-03-01 (a Friday) at 13:00 UTC, then one day later each row.
    let start = 1_709_298_000_000.0;
    let day = 86_400_000.0;
    let data = Dataset::builder(array![
        [start, 1.0],
        [start + day, 2.0],
        [start + 2.0 * day, 4.0],
        [start + 3.0 * day, 8.0]
    ])
    .feature_names(["when", "sales"])
    .build()?;
    let fitted = FeaturePipeline::new()
        .lags(["sales"], vec![1, 2])
        .rolling(["sales"], 2, vec![RollingStat::Mean, RollingStat::Max])
        .date_parts(
            ["when"],
            vec![
                DatePart::Year,
                DatePart::Month,
                DatePart::Weekday,
                DatePart::Hour,
            ],
        )
        .fit(&data)?;
    assert_eq!(
        fitted.output_names(),
        [
            "when_year",
            "when_month",
            "when_weekday",
            "when_hour",
            "sales",
            "sales_lag_1",
            "sales_lag_2",
            "sales_roll2_mean",
            "sales_roll2_max"
        ]
    );
    let out = fitted.transform(&data)?;
    let f = out.features();
    assert_eq!(
        (f[[0, 0]], f[[0, 1]], f[[0, 2]], f[[0, 3]]),
        (2024.0, 3.0, 4.0, 13.0)
    );
    assert!(f[[0, 5]].is_nan() && f[[1, 6]].is_nan());
    assert_eq!((f[[3, 5]], f[[3, 6]]), (4.0, 2.0));
    assert!(f[[0, 7]].is_nan(), "no past values at the first row");
    assert_eq!(
        (f[[3, 7]], f[[3, 8]]),
        (3.0, 4.0),
        "window of rows 1 and 2, current row excluded"
    );
    Ok(())
}

#[test]
fn fitted_pipeline_round_trips_through_json() -> TestResult {
    let data = Dataset::builder(array![[1.0, 0.0], [f64::NAN, 1.0], [3.0, f64::NAN]])
        .feature_names(["x", "color"])
        .feature_kinds(vec![FeatureKind::Numeric, cat(&["red", "blue"])])
        .build()?;
    let fitted = FeaturePipeline::new()
        .impute(Vec::<String>::new(), Imputation::MostFrequent)
        .min_max_scale(["x"])
        .one_hot(["color"], UnseenCategory::Error)
        .fit(&data)?;
    let json = fitted.to_json()?;
    let back = FittedPipeline::from_json(&json)?;
    assert_eq!(back, fitted);
    let a = fitted.transform(&data)?;
    let b = back.transform(&data)?;
    assert_eq!(a.features(), b.features());
    assert_eq!(a.feature_names(), ["x", "color=blue", "color=red"]);
    // Most frequent colour ties between red and blue: the smaller name wins.
    assert_eq!(a.features().row(2).to_vec(), vec![1.0, 1.0, 0.0]);
    let missing = Dataset::builder(array![[1.0]])
        .feature_names(["y"])
        .build()?;
    assert!(
        fitted
            .transform(&missing)
            .expect_err("no x")
            .to_string()
            .contains("column `x` not in the data")
    );
    Ok(())
}
