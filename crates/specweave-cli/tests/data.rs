//! `specweave data profile|schema|validate` run as a real binary on CSV and Parquet files.

use specweave::data::{Table, write_parquet};
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

const CSV: &str =
    "customer,age,plan,churned\nc1,31,basic,no\nc2,45,pro,yes\nc3,23,basic,no\nc4,38,pro,no\n";

#[test]
fn profile_writes_both_files_for_csv() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("customers.csv"), CSV)?;
    let out = specweave(
        &[
            "data",
            "profile",
            "customers.csv",
            "--target",
            "churned",
            "--out",
            "data",
        ],
        dir.path(),
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("data/profile.json"))?)?;
    assert_eq!(json["rows"], 4);
    assert_eq!(json["target"]["imbalance_ratio"], 3.0);
    let md = std::fs::read_to_string(dir.path().join("data/eda-summary.md"))?;
    assert!(md.contains("## Target `churned`"), "{md}");
    Ok(())
}

#[test]
fn schema_then_validate_on_parquet_exits_0_then_1() -> TestResult {
    let dir = tempfile::tempdir()?;
    let good = Table::builder()
        .f64("amount", vec![10.0, 20.5, 31.0, 12.0])
        .strings("channel", ["web", "store", "web", "web"])
        .build()?;
    write_parquet(dir.path().join("train.parquet"), &good)?;
    let out = specweave(
        &["data", "schema", "train.parquet", "-o", "schema.yaml"],
        dir.path(),
    )?;
    assert!(out.status.success(), "{}", text(&out));
    let yaml = std::fs::read_to_string(dir.path().join("schema.yaml"))?;
    assert!(
        yaml.contains("name: amount") && yaml.contains("type: float"),
        "{yaml}"
    );

    let out = specweave(
        &[
            "data",
            "validate",
            "train.parquet",
            "--schema",
            "schema.yaml",
        ],
        dir.path(),
    )?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("4 rows conform"), "{}", text(&out));

    let bad = Table::builder()
        .f64("amount", vec![10.0, 99.0])
        .strings("channel", ["web", "phone"])
        .build()?;
    write_parquet(dir.path().join("new.parquet"), &bad)?;
    let out = specweave(
        &["data", "validate", "new.parquet", "--schema", "schema.yaml"],
        dir.path(),
    )?;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("column `amount`: out of range"), "{report}");
    assert!(
        report.contains("row 1: `phone` not one of 2 known categories"),
        "{report}"
    );
    Ok(())
}

#[test]
fn validate_csv_and_bad_input_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("customers.csv"), CSV)?;
    let out = specweave(
        &[
            "data",
            "schema",
            "customers.csv",
            "--target",
            "churned",
            "--id",
            "customer",
        ],
        dir.path(),
    )?;
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(
        dir.path().join("new.csv"),
        "customer,age,plan,churned\nc9,abc,basic,no\n",
    )?;
    let out = specweave(
        &["data", "validate", "new.csv", "--schema", "schema.yaml"],
        dir.path(),
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("row 0: `abc` not an integer"),
        "{}",
        text(&out)
    );

    // Errors (not violations) exit 2 with a message naming the problem.
    std::fs::write(dir.path().join("broken.csv"), "a,b\n1,2\n3\n")?;
    let out = specweave(&["data", "profile", "broken.csv"], dir.path())?;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("broken.csv: line 3"), "{}", text(&out));
    let out = specweave(
        &["data", "profile", "customers.csv", "--target", "nope"],
        dir.path(),
    )?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("column `nope` not found"),
        "{}",
        text(&out)
    );
    Ok(())
}
