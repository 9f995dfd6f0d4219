//! `specweave explain` run as a real binary on model files and data files, checked against
//! the model's own predictions and against shap's values for an imported LightGBM model.

use ndarray::{Array1, Array2};
use specweave::core::{Dataset, Learner, Model, Target};
use specweave::data::{Table, read_table, write_parquet};
use specweave::train::{GradientBoosting, GradientBoostingParams, LogisticRegression};
use std::path::Path;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn specweave(args: &[&str], dir: &Path) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_specweave"))
        .args(args)
        .current_dir(dir)
        .output()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

const FEATURES: [&str; 3] = ["signal", "weak", "noise"];

/// 120 rows where `signal` drives the target, `weak` a little and `noise` not at all.
fn features() -> Array2<f64> {
    Array2::from_shape_fn((120, 3), |(i, j)| match j {
        0 => ((i * 37) % 101) as f64 / 10.0,
        1 => ((i * 17) % 13) as f64,
        _ => ((i * 53) % 29) as f64 / 3.0,
    })
}

fn regression_target(x: &Array2<f64>) -> Array1<f64> {
    x.rows()
        .into_iter()
        .map(|r| 3.0 * r[0] + 0.5 * r[1])
        .collect()
}

fn class_labels(x: &Array2<f64>) -> Vec<usize> {
    x.rows()
        .into_iter()
        .map(|r| usize::from(r[0] + 0.2 * r[1] > 6.0))
        .collect()
}

/// Writes the features (and a target column) as Parquet.
fn write_data(path: &Path, x: &Array2<f64>, target: Vec<f64>) -> TestResult {
    let table = FEATURES
        .iter()
        .enumerate()
        .fold(Table::builder(), |b, (j, name)| {
            b.f64(*name, x.column(j).to_vec())
        })
        .f64("y", target)
        .build()?;
    write_parquet(path, &table)?;
    Ok(())
}

fn fitted_booster(x: &Array2<f64>) -> Result<Box<dyn Model>, Box<dyn std::error::Error>> {
    let data = Dataset::builder(x.clone())
        .feature_names(FEATURES)
        .target(Target::Continuous(regression_target(x)))
        .build()?;
    let learner = GradientBoosting::new(GradientBoostingParams {
        n_estimators: 20,
        ..GradientBoostingParams::default()
    })?;
    Ok(learner.fit(&data)?)
}

#[test]
fn tree_shap_values_add_up_to_the_model_output() -> TestResult {
    let dir = tempfile::tempdir()?;
    let x = features();
    let model = fitted_booster(&x)?;
    std::fs::write(dir.path().join("model.bin"), model.to_bytes()?)?;
    write_data(
        &dir.path().join("data.parquet"),
        &x,
        regression_target(&x).to_vec(),
    )?;

    let out = specweave(
        &[
            "explain",
            "model.bin",
            "--data",
            "data.parquet",
            "--out",
            "shap.parquet",
        ],
        dir.path(),
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    let first_feature = printed
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next());
    assert_eq!(first_feature, Some("signal"), "{printed}");

    let shap = read_table(dir.path().join("shap.parquet"))?;
    assert_eq!(shap.n_rows(), 120);
    let expected = shap.f64_column("expected_value")?;
    let columns: Vec<Vec<f64>> = FEATURES
        .iter()
        .map(|f| shap.f64_column(&format!("shap_{f}")))
        .collect::<Result<_, _>>()?;
    let predictions = model.predict(x.view())?.scores()?;
    for row in 0..120 {
        let total = expected[row] + columns.iter().map(|c| c[row]).sum::<f64>();
        assert!(
            (total - predictions[row]).abs() < 1e-9,
            "row {row}: {total} vs {}",
            predictions[row]
        );
    }
    let mean_abs = |c: &Vec<f64>| c.iter().map(|v| v.abs()).sum::<f64>() / c.len() as f64;
    assert!(mean_abs(&columns[0]) > mean_abs(&columns[2]));
    Ok(())
}

#[test]
fn interventional_and_kernel_values_are_written_for_the_rows_asked() -> TestResult {
    let dir = tempfile::tempdir()?;
    let x = features();
    std::fs::write(
        dir.path().join("model.bin"),
        fitted_booster(&x)?.to_bytes()?,
    )?;
    write_data(
        &dir.path().join("data.parquet"),
        &x,
        regression_target(&x).to_vec(),
    )?;
    for method in ["interventional", "kernel", "lime"] {
        let out = specweave(
            &[
                "explain",
                "model.bin",
                "--data",
                "data.parquet",
                "--method",
                method,
                "--rows",
                "7",
                "--background-rows",
                "30",
                "--out",
                "values.parquet",
            ],
            dir.path(),
        )?;
        assert!(out.status.success(), "{method}: {}", text(&out));
        let values = read_table(dir.path().join("values.parquet"))?;
        assert_eq!(values.n_rows(), 7, "{method}");
        let prefix = if method == "lime" { "lime_" } else { "shap_" };
        assert!(
            values.column_names().contains(&format!("{prefix}signal")),
            "{method}: {:?}",
            values.column_names()
        );
    }
    Ok(())
}

#[test]
fn permutation_importance_ranks_the_signal_first_for_a_classifier() -> TestResult {
    let dir = tempfile::tempdir()?;
    let x = features();
    let labels = class_labels(&x);
    let data = Dataset::builder(x.clone())
        .feature_names(FEATURES)
        .target(Target::Classes {
            labels: labels.clone(),
            class_names: vec!["0".into(), "1".into()],
        })
        .build()?;
    let model = LogisticRegression::new(Default::default())?.fit(&data)?;
    std::fs::write(dir.path().join("model.bin"), model.to_bytes()?)?;
    write_data(
        &dir.path().join("data.parquet"),
        &x,
        labels.iter().map(|&l| l as f64).collect(),
    )?;
    let out = specweave(
        &[
            "explain",
            "model.bin",
            "--data",
            "data.parquet",
            "--method",
            "permutation",
            "--target",
            "y",
            "--out",
            "importance.parquet",
        ],
        dir.path(),
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let table = read_table(dir.path().join("importance.parquet"))?;
    let names = table.string_column("feature")?;
    let means = table.f64_column("importance_mean")?;
    let signal = names
        .iter()
        .position(|n| n.as_deref() == Some("signal"))
        .ok_or("no signal row")?;
    let noise = names
        .iter()
        .position(|n| n.as_deref() == Some("noise"))
        .ok_or("no noise row")?;
    assert!(means[signal] > 0.1, "{means:?}");
    assert!(means[signal] > means[noise], "{means:?}");

    let missing_target = specweave(
        &[
            "explain",
            "model.bin",
            "--data",
            "data.parquet",
            "--method",
            "permutation",
            "--out",
            "x.parquet",
        ],
        dir.path(),
    )?;
    assert!(!missing_target.status.success());
    assert!(text(&missing_target).contains("--target"));
    Ok(())
}

#[test]
fn imported_lightgbm_model_matches_shap() -> TestResult {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../specweave-explain/tests/fixtures");
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        fixtures.join("lightgbm_regression.expected.json"),
    )?)?;
    let rows: Vec<Vec<f64>> = serde_json::from_value(expected["rows"].clone())?;
    // rows × features × outputs, one output for a regression
    let shap_expected: Vec<Vec<Vec<f64>>> =
        serde_json::from_value(expected["shap_values"].clone())?;
    let dir = tempfile::tempdir()?;
    let table = (0..rows[0].len())
        .fold(Table::builder(), |b, j| {
            b.f64(
                format!("Column_{j}"),
                rows.iter().map(|r| r[j]).collect::<Vec<_>>(),
            )
        })
        .build()?;
    write_parquet(dir.path().join("rows.parquet"), &table)?;
    let model = fixtures.join("lightgbm_regression.json");
    let model = model.to_str().ok_or("fixture path is not UTF-8")?;
    let out = specweave(
        &[
            "explain",
            model,
            "--data",
            "rows.parquet",
            "--out",
            "shap.parquet",
        ],
        dir.path(),
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let shap = read_table(dir.path().join("shap.parquet"))?;
    for (j, _) in rows[0].iter().enumerate() {
        let column = shap.f64_column(&format!("shap_Column_{j}"))?;
        for (row, value) in column.iter().enumerate() {
            let want = shap_expected[row][j][0];
            assert!(
                (value - want).abs() < 1e-6 * want.abs().max(1.0),
                "row {row} feature {j}: {value} vs shap {want}"
            );
        }
    }
    Ok(())
}

#[test]
fn bad_inputs_are_named_and_leave_earlier_output_intact() -> TestResult {
    let dir = tempfile::tempdir()?;
    let x = features();
    std::fs::write(
        dir.path().join("model.bin"),
        fitted_booster(&x)?.to_bytes()?,
    )?;
    let earlier = b"earlier result".to_vec();
    std::fs::write(dir.path().join("out.parquet"), &earlier)?;

    // Data without one of the model's features.
    let table = Table::builder()
        .f64("signal", vec![1.0, 2.0])
        .f64("weak", vec![1.0, 2.0])
        .build()?;
    write_parquet(dir.path().join("partial.parquet"), &table)?;
    let out = specweave(
        &[
            "explain",
            "model.bin",
            "--data",
            "partial.parquet",
            "--out",
            "out.parquet",
        ],
        dir.path(),
    )?;
    assert!(!out.status.success());
    assert!(text(&out).contains("noise"), "{}", text(&out));

    // A file that is no model at all.
    std::fs::write(dir.path().join("junk.bin"), b"\x00\x01 not a model")?;
    write_data(
        &dir.path().join("data.parquet"),
        &x,
        regression_target(&x).to_vec(),
    )?;
    let out = specweave(
        &[
            "explain",
            "junk.bin",
            "--data",
            "data.parquet",
            "--out",
            "out.parquet",
        ],
        dir.path(),
    )?;
    assert!(!out.status.success());
    assert!(text(&out).contains("junk.bin"), "{}", text(&out));

    // A JSON file that is neither LightGBM nor XGBoost.
    std::fs::write(dir.path().join("other.json"), br#"{"layers": []}"#)?;
    let out = specweave(
        &[
            "explain",
            "other.json",
            "--data",
            "data.parquet",
            "--out",
            "out.parquet",
        ],
        dir.path(),
    )?;
    assert!(!out.status.success());
    assert!(text(&out).contains("not recognised"), "{}", text(&out));

    assert_eq!(std::fs::read(dir.path().join("out.parquet"))?, earlier);
    Ok(())
}
