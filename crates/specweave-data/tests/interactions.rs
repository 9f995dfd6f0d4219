//! Interaction and series loaders on small fixture files, and the stratified sample.

use specweave_data::{
    DataError, InteractionOptions, SampleOptions, Table, load_inter, load_interactions,
    load_movielens, load_series, read_table, write_parquet, write_sample,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn movielens_u_data_loads_and_reports_bad_lines() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("u.data");
    std::fs::write(
        &path,
        "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n",
    )?;
    let log = load_movielens(&path)?;
    assert_eq!((log.n_users(), log.n_items(), log.len()), (2, 3, 3));
    assert_eq!(log.user_ids()[log.users()[2] as usize], "196");
    assert_eq!(log.weights(), [3.0, 3.0, 1.0]);
    std::fs::write(
        &path,
        "196\t242\t3\t881250949\n186\t302\tthree\t891717742\n",
    )?;
    let err = load_movielens(&path).expect_err("bad rating");
    assert!(
        matches!(&err, DataError::Csv { line: Some(2), column: Some(c), .. } if c == "rating"),
        "{err}"
    );
    std::fs::write(&path, "196\t242\t3\n")?;
    assert!(
        load_movielens(&path)
            .expect_err("3 fields")
            .to_string()
            .contains("expected 4 got 3")
    );
    Ok(())
}

#[test]
fn inter_typed_header_loads_in_any_column_order() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("ml-100k.inter");
    std::fs::write(
        &path,
        "item_id:token\tuser_id:token\ttimestamp:float\trating:float\n242\t196\t881250949\t3\n302\t186\t891717742\t5\n",
    )?;
    let log = load_inter(&path)?;
    assert_eq!(log.user_ids(), ["196", "186"]);
    assert_eq!(log.item_ids(), ["242", "302"]);
    assert_eq!(log.weights(), [3.0, 5.0]);
    assert_eq!(log.timestamps()[1], 891_717_742_000);
    std::fs::write(&path, "user:token\titem_id:token\n1\t2\n")?;
    let err = load_inter(&path).expect_err("no user_id");
    assert!(err.to_string().contains("no `user_id` field"), "{err}");
    Ok(())
}

#[test]
fn parquet_interactions_with_named_columns() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("events.parquet");
    let table = Table::builder()
        .strings("customer", ["a", "b", "a"])
        .strings("sku", ["x", "x", "y"])
        .f64("ts", vec![10.0, 20.0, 30.0])
        .build()?;
    write_parquet(&path, &table)?;
    let log = load_interactions(
        &path,
        &InteractionOptions::new("customer", "sku").timestamp("ts"),
    )?;
    assert_eq!((log.n_users(), log.n_items()), (2, 2));
    assert_eq!(
        log.weights(),
        [1.0, 1.0, 1.0],
        "implicit feedback without a rating"
    );
    assert_eq!(log.timestamps(), [10, 20, 30]);
    let err =
        load_interactions(&path, &InteractionOptions::new("user", "sku")).expect_err("no user");
    assert!(err.to_string().contains("`user` not found"), "{err}");
    Ok(())
}

#[test]
fn series_is_sorted_and_rejects_duplicates() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("s.csv");
    std::fs::write(&path, "t,y\n3,30\n1,10\n2,20\n")?;
    let series = load_series(&path, "t", "y")?;
    assert_eq!(series.timestamps(), [1, 2, 3]);
    std::fs::write(&path, "t,y\n1,10\n1,20\n")?;
    assert!(load_series(&path, "t", "y").is_err());
    Ok(())
}

#[test]
fn stratified_sample_keeps_a_rare_class_and_is_seeded() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("fraud.parquet");
    let n = 20_000;
    let ids: Vec<f64> = (0..n).map(f64::from).collect();
    let labels: Vec<&str> = (0..n)
        .map(|i| if i % 1000 == 0 { "fraud" } else { "ok" })
        .collect();
    write_parquet(
        &path,
        &Table::builder()
            .f64("id", ids)
            .strings("label", labels)
            .build()?,
    )?;
    let out = dir.path().join("sample.parquet");
    let options = SampleOptions::new(500).stratify_by("label").seed(3);
    let summary = write_sample(&path, &out, &options)?;
    assert_eq!(summary.sample_rows, 500);
    assert_eq!(
        summary.strata,
        vec![
            ("fraud".to_string(), 20, 1),
            ("ok".to_string(), 19_980, 499)
        ]
    );
    let sample = read_table(&out)?;
    let labels = sample.string_column("label")?;
    assert_eq!(
        labels
            .iter()
            .filter(|l| l.as_deref() == Some("fraud"))
            .count(),
        1
    );
    let first = sample.f64_column("id")?;
    write_sample(&path, &out, &options)?;
    assert_eq!(
        read_table(&out)?.f64_column("id")?,
        first,
        "same seed, same sample"
    );
    assert!(first.windows(2).all(|w| w[0] < w[1]), "file order is kept");
    Ok(())
}
