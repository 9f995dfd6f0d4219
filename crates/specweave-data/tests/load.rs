//! Loading real CSV and Parquet files, and every bad input the data stage must reject clearly.

use specweave_core::{FeatureKind, Target};
use specweave_data::{DataError, LoadOptions, Table, TargetKind, load_dataset, write_parquet};
use std::path::PathBuf;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn write(dir: &tempfile::TempDir, name: &str, contents: &[u8]) -> std::io::Result<PathBuf> {
    let path = dir.path().join(name);
    std::fs::write(&path, contents)?;
    Ok(path)
}

#[test]
fn csv_loads_roles_categories_and_classes() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = write(
        &dir,
        "customers.csv",
        b"id,age,plan,active,signup,weight,region,churned\n\
          c1,31,basic,true,2024-01-02,1.0,n,no\n\
          c2,45,pro,false,2024-01-03,2.0,s,yes\n\
          c3,,basic,true,2024-01-04,1.0,n,no\n",
    )?;
    let options = LoadOptions::new()
        .target("churned")
        .id("id")
        .weight("weight")
        .group("region")
        .timestamp("signup");
    let data = load_dataset(&path, &options)?;
    assert_eq!(data.feature_names(), ["age", "plan", "active"]);
    assert_eq!(data.feature_kinds()[0], FeatureKind::Numeric);
    assert_eq!(
        data.feature_kinds()[1],
        FeatureKind::Categorical {
            categories: vec!["basic".into(), "pro".into()]
        }
    );
    assert_eq!(data.feature_kinds()[2], FeatureKind::Boolean);
    assert!(data.features()[[2, 0]].is_nan(), "empty age is missing");
    assert_eq!(data.features()[[1, 1]], 1.0);
    assert_eq!(
        data.target(),
        &Target::Classes {
            labels: vec![0, 1, 0],
            class_names: vec!["no".into(), "yes".into()]
        }
    );
    assert_eq!(data.target_name(), Some("churned"));
    assert_eq!(data.groups().map(|g| g.len()), Some(3));
    assert_eq!(data.timestamps().map(|t| t[1] - t[0]), Some(86_400_000));
    assert_eq!(data.weights().map(|w| w.sum()), Some(4.0));
    Ok(())
}

#[test]
fn integer_targets_follow_target_kind() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = write(&dir, "t.csv", b"x,y\n1,0\n2,1\n3,1\n")?;
    let auto = load_dataset(&path, &LoadOptions::new().target("y"))?;
    assert_eq!(auto.target().n_classes(), Some(2));
    let continuous = load_dataset(
        &path,
        &LoadOptions::new()
            .target("y")
            .target_kind(TargetKind::Continuous),
    )?;
    assert!(matches!(continuous.target(), Target::Continuous(_)));
    Ok(())
}

#[test]
fn parquet_round_trip_loads() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("t.parquet");
    let table = Table::builder()
        .f64("x", vec![1.0, 2.0, 3.0])
        .strings("color", ["red", "blue", "red"])
        .f64("y", vec![0.5, 1.5, 2.5])
        .build()?;
    write_parquet(&path, &table)?;
    let data = load_dataset(&path, &LoadOptions::new().target("y"))?;
    assert_eq!(data.n_rows(), 3);
    assert_eq!(data.features()[[1, 1]], 0.0, "blue sorts before red");
    assert_eq!(data.target().as_f64().map(|t| t.sum()), Some(4.5));
    Ok(())
}

#[test]
fn wrong_field_count_names_file_and_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = write(&dir, "bad.csv", b"a,b,c\n1,2,3\n4,5\n")?;
    let err = load_dataset(&path, &LoadOptions::new()).expect_err("short row");
    let text = err.to_string();
    assert!(
        matches!(err, DataError::Csv { line: Some(3), .. }),
        "{text}"
    );
    assert!(
        text.contains("bad.csv") && text.contains("line 3"),
        "{text}"
    );
    assert!(text.contains("expected 3 got 2"), "{text}");
    Ok(())
}

#[test]
fn unparsable_number_names_line_and_column() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut contents = String::from("a,b\n");
    for i in 0..50 {
        contents.push_str(&format!("{i},{}\n", i * 2));
    }
    contents.push_str("50,abc\n");
    let path = write(&dir, "bad_number.csv", contents.as_bytes())?;
    let options =
        LoadOptions::new().read_options(specweave_data::ReadOptions::default().infer_rows(10));
    let err = load_dataset(&path, &options).expect_err("abc is not a number");
    let text = err.to_string();
    assert!(
        matches!(&err, DataError::Csv { line: Some(52), column: Some(c), .. } if c == "b"),
        "{text}"
    );
    assert!(text.contains("`abc` does not parse"), "{text}");
    Ok(())
}

#[test]
fn empty_and_header_only_files_are_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let empty = write(&dir, "empty.csv", b"")?;
    let err = load_dataset(&empty, &LoadOptions::new()).expect_err("empty");
    assert!(matches!(err, DataError::Empty { .. }), "{err}");
    let header = write(&dir, "header.csv", b"a,b\n")?;
    let err = load_dataset(&header, &LoadOptions::new()).expect_err("no rows");
    assert!(err.to_string().contains("no data rows"), "{err}");
    let empty_parquet = write(&dir, "empty.parquet", b"")?;
    assert!(matches!(
        load_dataset(&empty_parquet, &LoadOptions::new()),
        Err(DataError::Empty { .. })
    ));
    Ok(())
}

#[test]
fn missing_target_column_lists_the_columns() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = write(&dir, "t.csv", b"a,b\n1,2\n")?;
    let err = load_dataset(&path, &LoadOptions::new().target("label")).expect_err("no label");
    let text = err.to_string();
    assert!(
        text.contains("`label` not found") && text.contains("a, b"),
        "{text}"
    );
    Ok(())
}

#[test]
fn nan_or_empty_target_names_the_row() -> TestResult {
    let dir = tempfile::tempdir()?;
    let empty = write(&dir, "e.csv", b"x,y\n1,2.5\n2,\n")?;
    let err = load_dataset(&empty, &LoadOptions::new().target("y")).expect_err("empty y");
    assert!(
        matches!(&err, DataError::InvalidValue { row: 1, column, .. } if column == "y"),
        "{err}"
    );
    let nan = write(&dir, "n.csv", b"x,y\n1,2.5\n2,NaN\n")?;
    let err = load_dataset(&nan, &LoadOptions::new().target("y")).expect_err("NaN y");
    assert!(
        matches!(&err, DataError::InvalidValue { row: 1, .. }),
        "{err}"
    );
    let text = write(&dir, "c.csv", b"x,y\n1,cat\n2,\n")?;
    let err = load_dataset(&text, &LoadOptions::new().target("y")).expect_err("empty class");
    assert!(err.to_string().contains("empty target"), "{err}");
    Ok(())
}

#[test]
fn invalid_utf8_is_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let header = write(&dir, "h.csv", b"a,\xff\xfeb\n1,2\n")?;
    let err = load_dataset(&header, &LoadOptions::new()).expect_err("bad header");
    assert!(err.to_string().contains("invalid UTF-8"), "{err}");
    let body = write(&dir, "b.csv", b"a,b\n1,x\n2,\xff\xfe\n")?;
    let err = load_dataset(&body, &LoadOptions::new()).expect_err("bad value");
    assert!(
        matches!(&err, DataError::Csv { line: Some(3), column: Some(c), .. } if c == "b"),
        "{err}"
    );
    assert!(err.to_string().contains("invalid UTF-8"), "{err}");
    // Past the rows used for type inference, the batch decoder reports it.
    let mut late = b"a,b\n".to_vec();
    for i in 0..20 {
        late.extend_from_slice(format!("{i},x\n").as_bytes());
    }
    late.extend_from_slice(b"20,\xff\n");
    let path = write(&dir, "late.csv", &late)?;
    let options =
        LoadOptions::new().read_options(specweave_data::ReadOptions::default().infer_rows(5));
    let err = load_dataset(&path, &options).expect_err("bad late value");
    assert!(err.to_string().contains("invalid UTF-8"), "{err}");
    assert!(
        matches!(&err, DataError::Csv { line: Some(22), .. }),
        "{err}"
    );
    Ok(())
}

#[test]
fn truncated_parquet_is_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("t.parquet");
    let table = Table::builder()
        .f64("x", (0..1000).map(f64::from).collect::<Vec<_>>())
        .build()?;
    write_parquet(&path, &table)?;
    let bytes = std::fs::read(&path)?;
    std::fs::write(&path, &bytes[..bytes.len() / 2])?;
    let err = load_dataset(&path, &LoadOptions::new()).expect_err("truncated");
    assert!(matches!(err, DataError::Parquet { .. }), "{err}");
    assert!(err.to_string().contains("t.parquet"), "{err}");
    Ok(())
}

#[test]
fn wrong_field_count_after_inference_names_the_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut contents = String::from("a,b,c\n");
    for i in 0..30 {
        contents.push_str(&format!("{i},1,2\n"));
    }
    contents.push_str("7,8\n");
    let path = write(&dir, "late.csv", contents.as_bytes())?;
    let options =
        LoadOptions::new().read_options(specweave_data::ReadOptions::default().infer_rows(5));
    let err = load_dataset(&path, &options).expect_err("short row");
    assert!(
        matches!(err, DataError::Csv { line: Some(32), .. }),
        "{err}"
    );
    Ok(())
}
