//! The quality profile on real files: statistics agree with exact values, and the checks find
//! duplicates, constant columns, correlated pairs, imbalance and planted leaks.

use specweave_data::{ProfileOptions, ReadOptions, Table, profile_file, write_parquet};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fixture(dir: &tempfile::TempDir) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    let n = 5_000usize;
    let x: Vec<f64> = (0..n).map(|i| (i % 1000) as f64).collect();
    let doubled: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
    let label: Vec<String> = (0..n)
        .map(|i| {
            if i % 50 == 0 {
                "fraud".into()
            } else {
                "ok".into()
            }
        })
        .collect();
    // `status` is a planted leak: it is the label under another name.
    let status: Vec<String> = label
        .iter()
        .map(|l| {
            if l == "fraud" {
                "charged_back".into()
            } else {
                "settled".into()
            }
        })
        .collect();
    let noisy: Vec<Option<f64>> = (0..n)
        .map(|i| i % 1000)
        .map(|i| (i % 10 != 0).then_some(((i * 7919) % 101) as f64))
        .collect();
    let table = Table::builder()
        .f64("x", x)
        .f64("doubled", doubled)
        .optional_f64("noisy", noisy)
        .strings("constant", vec!["same"; n])
        .strings("status", status)
        .strings("label", label)
        .build()?;
    let path = dir.path().join("fixture.parquet");
    write_parquet(&path, &table)?;
    Ok(path)
}

#[test]
fn profile_matches_exact_statistics() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = fixture(&dir)?;
    // Small batches exercise the batch-by-batch merge.
    let options = ProfileOptions::new()
        .target("label")
        .read_options(ReadOptions::default().batch_size(777));
    let profile = profile_file(&path, &options)?;
    assert_eq!(profile.rows, 5_000);
    let x = &profile.columns[0];
    let numeric = x.numeric.as_ref().ok_or("x is numeric")?;
    assert!((numeric.mean - 499.5).abs() < 1e-9);
    // Sample std of 0..999 repeated 5 times.
    let exact_var: f64 = (0..5000)
        .map(|i| ((i % 1000) as f64 - 499.5).powi(2))
        .sum::<f64>()
        / 4999.0;
    assert!((numeric.std - exact_var.sqrt()).abs() < 1e-9);
    assert_eq!((numeric.min, numeric.max), (0.0, 999.0));
    let median = numeric
        .quantiles
        .iter()
        .find(|q| q.level == 0.5)
        .ok_or("median")?;
    assert!((median.value - 499.5).abs() < 5.0, "{}", median.value);
    assert_eq!((x.distinct, x.distinct_exact), (1000, true));
    let noisy = &profile.columns[2];
    assert_eq!(noisy.missing, 500);
    assert!((noisy.missing_fraction - 0.1).abs() < 1e-12);
    assert_eq!(profile.constant_columns, vec!["constant".to_string()]);
    // Every column repeats with period 1000, so the last 4000 rows are duplicates.
    assert_eq!(profile.duplicate_rows, 4_000);
    assert_eq!(profile.correlated_pairs.len(), 1);
    assert_eq!(profile.correlated_pairs[0].left, "x");
    assert_eq!(profile.correlated_pairs[0].right, "doubled");
    let target = profile.target.as_ref().ok_or("target")?;
    assert_eq!(target.classes[0].value, "ok");
    assert_eq!(target.classes[0].count, 4_900);
    assert_eq!(target.classes[1].count, 100);
    assert_eq!(target.imbalance_ratio, Some(49.0));
    let leaks: Vec<&str> = profile
        .leakage_suspects
        .iter()
        .map(|s| s.column.as_str())
        .collect();
    assert_eq!(leaks, vec!["status"], "{:?}", profile.leakage_suspects);
    Ok(())
}

#[test]
fn profile_writes_json_and_markdown() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = fixture(&dir)?;
    let profile = profile_file(&path, &ProfileOptions::new().target("label"))?;
    let out = dir.path().join("data");
    profile.write_to(&out)?;
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("profile.json"))?)?;
    assert_eq!(json["rows"], 5000);
    let md = std::fs::read_to_string(out.join("eda-summary.md"))?;
    assert!(
        md.contains("Imbalance ratio (largest / smallest class): 49.0"),
        "{md}"
    );
    assert!(md.contains("`status` almost determines the target"), "{md}");
    assert!(md.contains("| x | 0 | 1000 |"), "{md}");
    Ok(())
}

#[test]
fn numeric_target_leak_is_found_by_correlation() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("clv.csv");
    let mut csv = String::from("spend,visits,clv\n");
    for i in 0..400 {
        let spend = i as f64;
        csv.push_str(&format!(
            "{spend},{},{}\n",
            (i * 37) % 11,
            spend * 3.0 + 0.5
        ));
    }
    std::fs::write(&path, csv)?;
    let profile = profile_file(&path, &ProfileOptions::new().target("clv"))?;
    assert_eq!(profile.leakage_suspects.len(), 1);
    assert_eq!(profile.leakage_suspects[0].column, "spend");
    assert_eq!(profile.leakage_suspects[0].measure, "pearson_r");
    assert!(
        profile
            .target
            .as_ref()
            .is_some_and(|t| t.classes.is_empty())
    );
    Ok(())
}
