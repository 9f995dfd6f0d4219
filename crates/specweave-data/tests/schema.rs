//! Schema inference, YAML round trips and validation with every rule on CSV and Parquet.

use specweave_data::{
    ColumnRole, ColumnType, DataSchema, Rule, SchemaOptions, Table, infer_schema, validate_file,
    write_parquet,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const TRAIN: &str = "id,age,income,plan,active,signup,churned\n\
    c1,31,1200.5,basic,true,2024-01-02,no\n\
    c2,45,3400.0,pro,false,2024-01-03,yes\n\
    c3,23,,basic,true,2024-02-04,no\n\
    c4,52,800.25,pro,true,2024-03-05,no\n";

fn schema_for(dir: &tempfile::TempDir) -> Result<DataSchema, Box<dyn std::error::Error>> {
    let path = dir.path().join("train.csv");
    std::fs::write(&path, TRAIN)?;
    Ok(infer_schema(
        &path,
        &SchemaOptions::new()
            .target("churned")
            .role("id", ColumnRole::Id)
            .role("signup", ColumnRole::Timestamp),
    )?)
}

#[test]
fn inference_finds_types_ranges_categories_and_roles() -> TestResult {
    let dir = tempfile::tempdir()?;
    let schema = schema_for(&dir)?;
    let get = |name: &str| schema.column(name).ok_or(format!("no {name}"));
    assert_eq!(get("id")?.column_type, ColumnType::String);
    assert_eq!(get("id")?.role, ColumnRole::Id);
    let age = get("age")?;
    assert_eq!(
        (age.column_type, age.min, age.max, age.nullable),
        (ColumnType::Int, Some(23.0), Some(52.0), false)
    );
    assert_eq!(get("income")?.column_type, ColumnType::Float);
    assert!(get("income")?.nullable);
    assert_eq!(
        get("plan")?.categories,
        Some(vec!["basic".to_string(), "pro".to_string()])
    );
    assert_eq!(get("active")?.column_type, ColumnType::Bool);
    assert_eq!(get("signup")?.column_type, ColumnType::Timestamp);
    let target = get("churned")?;
    assert_eq!(
        (target.role, target.column_type),
        (ColumnRole::Target, ColumnType::Categorical)
    );
    let path = dir.path().join("schema.yaml");
    schema.write(&path)?;
    let text = std::fs::read_to_string(&path)?;
    assert!(
        text.contains("type: categorical") && text.contains("role: target"),
        "{text}"
    );
    assert_eq!(DataSchema::read(&path)?, schema);
    Ok(())
}

#[test]
fn conforming_file_has_no_violations() -> TestResult {
    let dir = tempfile::tempdir()?;
    let schema = schema_for(&dir)?;
    let report = validate_file(dir.path().join("train.csv"), &schema, 3)?;
    assert!(report.is_conforming(), "{report}");
    assert_eq!(report.rows_checked, 4);
    Ok(())
}

#[test]
fn every_rule_is_reported_with_column_row_and_reason() -> TestResult {
    let dir = tempfile::tempdir()?;
    let schema = schema_for(&dir)?;
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "id,age,plan,active,signup,churned,extra\n\
         c1,abc,basic,true,2024-01-02,no,1\n\
         c2,99,gold,maybe,2024-01-03,yes,2\n\
         c3,,basic,true,yesterday,no,3\n\
         c4,10,silver,true,2024-01-05,,4\n",
    )?;
    let report = validate_file(&bad, &schema, 1)?;
    let find = |column: &str, rule: Rule| {
        report
            .violations
            .iter()
            .find(|v| v.column == column && v.rule == rule)
            .ok_or(format!("no {rule} for {column}:\n{report}"))
    };
    assert_eq!(find("income", Rule::MissingColumn)?.count, 1);
    assert_eq!(find("extra", Rule::ExtraColumn)?.count, 1);
    let age_type = find("age", Rule::TypeMismatch)?;
    assert_eq!(
        (
            age_type.examples[0].row,
            age_type.examples[0].value.as_deref()
        ),
        (Some(0), Some("abc"))
    );
    assert_eq!(find("age", Rule::OutOfRange)?.count, 2, "99 and 10");
    assert_eq!(
        find("age", Rule::OutOfRange)?.examples.len(),
        1,
        "examples are capped"
    );
    assert_eq!(find("age", Rule::UnexpectedNull)?.examples[0].row, Some(2));
    assert_eq!(find("plan", Rule::UnknownCategory)?.count, 2);
    assert_eq!(find("active", Rule::TypeMismatch)?.count, 1);
    assert_eq!(find("signup", Rule::TypeMismatch)?.examples[0].row, Some(2));
    assert_eq!(find("churned", Rule::UnexpectedNull)?.count, 1);
    let text = report.to_string();
    assert!(
        text.contains("column `plan`: unknown category (2 total)"),
        "{text}"
    );
    assert!(text.contains("row 1: `gold`"), "{text}");
    Ok(())
}

#[test]
fn parquet_files_validate_too() -> TestResult {
    let dir = tempfile::tempdir()?;
    let good = dir.path().join("good.parquet");
    write_parquet(
        &good,
        &Table::builder()
            .f64("score", vec![0.1, 0.5, 0.9])
            .strings("tier", ["a", "b", "a"])
            .build()?,
    )?;
    let schema = infer_schema(&good, &SchemaOptions::new())?;
    assert!(validate_file(&good, &schema, 5)?.is_conforming());
    let bad = dir.path().join("bad.parquet");
    write_parquet(
        &bad,
        &Table::builder()
            .f64("score", vec![0.1, 1.5])
            .strings("tier", ["a", "z"])
            .build()?,
    )?;
    let report = validate_file(&bad, &schema, 5)?;
    assert_eq!(report.total_violations(), 2, "{report}");
    Ok(())
}
