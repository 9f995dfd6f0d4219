//! End-to-end tests: a model from a tracked experiment is bundled, registered, served on
//! 127.0.0.1 and exercised over real HTTP.

use ndarray::Array2;
use serde_json::{Value, json};
use specweave_core::{Dataset, FeatureKind, Target};
use specweave_data::pipeline::{FeaturePipeline, Imputation, UnseenCategory};
use specweave_data::{ColumnRole, ColumnSchema, ColumnType, DataSchema};
use specweave_serve::{BundleBuilder, ModelBundle, RunningServer, ServeError, Service};
use specweave_tracking::{ModelRegistry, RegisterModel, Tracker};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const PLANS: [&str; 3] = ["basic", "pro", "team"];

fn raw_training_data(n: usize, seed: u64) -> Result<Dataset, Box<dyn std::error::Error>> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1_u64 << 53) as f64
    };
    let mut x = Array2::<f64>::zeros((n, 3));
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let amount = next() * 1000.0;
        let plan = (next() * 3.0).floor().min(2.0);
        let age = if i % 17 == 0 {
            f64::NAN
        } else {
            18.0 + (next() * 60.0).floor()
        };
        x[[i, 0]] = amount;
        x[[i, 1]] = plan;
        x[[i, 2]] = age;
        let risk = amount / 1000.0 + if plan == 2.0 { 0.4 } else { 0.0 } - 0.2 * next();
        labels.push(usize::from(risk > 0.7));
    }
    Ok(Dataset::builder(x)
        .feature_names(["amount", "plan", "age"])
        .feature_kinds(vec![
            FeatureKind::Numeric,
            FeatureKind::Categorical {
                categories: PLANS.iter().map(|p| p.to_string()).collect(),
            },
            FeatureKind::Numeric,
        ])
        .target(Target::Classes {
            labels,
            class_names: vec!["ok".into(), "fraud".into()],
        })
        .build()?)
}

fn schema() -> DataSchema {
    let column = |name: &str, column_type, nullable, min, max, categories: Option<Vec<String>>| {
        ColumnSchema {
            name: name.into(),
            column_type,
            nullable,
            min,
            max,
            categories,
            role: ColumnRole::Feature,
        }
    };
    DataSchema {
        columns: vec![
            column(
                "amount",
                ColumnType::Float,
                false,
                Some(0.0),
                Some(10_000.0),
                None,
            ),
            column(
                "plan",
                ColumnType::Categorical,
                false,
                None,
                None,
                Some(PLANS.iter().map(|p| p.to_string()).collect()),
            ),
            column("age", ColumnType::Int, true, Some(0.0), Some(130.0), None),
            ColumnSchema {
                role: ColumnRole::Target,
                ..column("is_fraud", ColumnType::Bool, false, None, None, None)
            },
        ],
    }
}

/// Trains a booster in a tracked run, bundles it and registers the bundle; returns the
/// registry and the version number.
fn train_and_register(
    increment: &Path,
    scratch: &Path,
    n_estimators: usize,
) -> Result<(ModelRegistry, u32), Box<dyn std::error::Error>> {
    let tracker = Tracker::open(increment)?;
    let run = tracker.start_experiment(&format!("gb-{n_estimators}"))?;
    run.set_algorithm("gradient_boosting")?;
    let raw = raw_training_data(600, n_estimators as u64)?;
    let pipeline = FeaturePipeline::new()
        .impute(["age"], Imputation::Median)
        .one_hot(["plan"], UnseenCategory::Error)
        .fit(&raw)?;
    let features = pipeline.transform(&raw)?;
    let model = specweave_train::learner_from_params(
        "gradient_boosting",
        &json!({"n_estimators": n_estimators, "max_depth": 3}),
    )?
    .fit(&features)?;
    run.log_metric("train_rows", raw.n_rows() as f64, 0)?;
    let run_id = run.finish()?.id;

    let bundle_dir = scratch.join(format!("bundle-{n_estimators}"));
    BundleBuilder::new(model.as_ref())
        .pipeline(pipeline)
        .schema(schema())
        .threshold(0.35)
        .reference_from(&features)
        .write_to(&bundle_dir)?;
    let registry = ModelRegistry::new(&tracker);
    let version =
        registry.register(RegisterModel::new(run_id, &bundle_dir).framework("specweave-train"))?;
    Ok((registry, version.metadata.number))
}

struct Fixture {
    _root: tempfile::TempDir,
    registry: ModelRegistry,
    models: PathBuf,
}

fn fixture(versions: &[usize]) -> Result<(Fixture, Vec<u32>), Box<dyn std::error::Error>> {
    let root = tempfile::tempdir()?;
    let increment = root.path().join("0042-fraud-model");
    std::fs::create_dir_all(&increment)?;
    let mut numbers = Vec::new();
    let mut registry = None;
    for &n in versions {
        let (r, number) = train_and_register(&increment, root.path(), n)?;
        numbers.push(number);
        registry = Some(r);
    }
    let registry = registry.ok_or("no version registered")?;
    let models = registry.models_dir();
    Ok((
        Fixture {
            _root: root,
            registry,
            models,
        },
        numbers,
    ))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn post(server: &RunningServer, path: &str, body: &Value) -> Result<(u16, Value), ureq::Error> {
    let mut response = agent()
        .post(&format!("http://{}{path}", server.addr()))
        .send_json(body)?;
    let status = response.status().as_u16();
    Ok((status, response.body_mut().read_json()?))
}

fn post_raw(server: &RunningServer, path: &str, body: &str) -> Result<(u16, Value), ureq::Error> {
    let mut response = agent()
        .post(&format!("http://{}{path}", server.addr()))
        .header("content-type", "application/json")
        .send(body)?;
    let status = response.status().as_u16();
    Ok((status, response.body_mut().read_json()?))
}

fn get(server: &RunningServer, path: &str) -> Result<(u16, String), ureq::Error> {
    let mut response = agent()
        .get(&format!("http://{}{path}", server.addr()))
        .call()?;
    let status = response.status().as_u16();
    Ok((status, response.body_mut().read_to_string()?))
}

fn start(service: Service) -> Result<RunningServer, ServeError> {
    service.spawn(([127, 0, 0, 1], 0).into())
}

fn record(amount: f64, plan: &str, age: Value) -> Value {
    json!({"amount": amount, "plan": plan, "age": age})
}

#[test]
fn a_tracked_model_is_bundled_served_and_explained() -> TestResult {
    let (fixture, numbers) = fixture(&[20])?;
    let bundle = ModelBundle::from_registry(&fixture.registry, numbers[0])?;
    assert_eq!(bundle.version(), "0042-v1");
    let server = start(Service::new(bundle))?;

    let (status, body) = get(&server, "/health")?;
    assert_eq!((status, body.contains("ok")), (200, true));
    let (status, body) = get(&server, "/ready")?;
    assert_eq!(status, 200);
    assert!(body.contains("0042-v1"));

    let (status, body) = get(&server, "/model")?;
    assert_eq!(status, 200);
    let model: Value = serde_json::from_str(&body)?;
    assert_eq!(model["primary"]["version"], "0042-v1");
    assert_eq!(model["primary"]["algorithm"], "gradient_boosting");
    assert_eq!(model["primary"]["threshold"], 0.35);
    assert_eq!(model["primary"]["inputs"], json!(["amount", "plan", "age"]));
    assert_eq!(model["primary"]["metadata"]["experiment"], "exp-001-gb-20");

    // one record: the answer agrees with the model applied to the transformed features
    let (status, body) = post(
        &server,
        "/predict",
        &json!({"record": record(950.0, "team", json!(40))}),
    )?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["model_version"], "0042-v1");
    let prediction = &body["predictions"][0];
    let p_fraud = prediction["probabilities"][1]
        .as_f64()
        .ok_or("a probability")?;
    assert!(
        p_fraud > 0.5,
        "a large amount on the team plan is risky: {p_fraud}"
    );
    assert_eq!(prediction["label"], "fraud");
    assert!(prediction.get("explanation").is_none());

    // a batch, with a missing nullable field imputed by the pipeline
    let (status, body) = post(
        &server,
        "/predict",
        &json!({"records": [record(10.0, "basic", json!(30)), record(990.0, "team", Value::Null), {"amount": 500.0, "plan": "pro"}]}),
    )?;
    assert_eq!(status, 200, "{body}");
    let predictions = body["predictions"].as_array().ok_or("an array")?;
    assert_eq!(predictions.len(), 3);
    assert_eq!(predictions[0]["label"], "ok");
    assert_eq!(predictions[1]["label"], "fraud");

    // explanations: contributions add up to the explained margin
    let (status, body) = post(
        &server,
        "/explain",
        &json!({"records": [record(950.0, "team", json!(40)), record(10.0, "basic", json!(30))]}),
    )?;
    assert_eq!(status, 200, "{body}");
    let explanation = &body["predictions"][0]["explanation"];
    let positive = explanation["positive"].as_array().ok_or("contributions")?;
    assert_eq!(positive[0]["feature"], "amount", "{explanation}");
    let low = &body["predictions"][1]["explanation"];
    assert_eq!(low["negative"][0]["feature"], "amount", "{low}");

    // the same through /predict with explain: true
    let (status, body) = post(
        &server,
        "/predict",
        &json!({"record": record(950.0, "team", json!(40)), "explain": true}),
    )?;
    assert_eq!(status, 200);
    assert!(body["predictions"][0]["explanation"]["positive"].is_array());

    let (status, body) = get(&server, "/recommend?user=1&k=5")?;
    assert_eq!(status, 404);
    assert!(body.contains("not_a_recommender"));

    let (status, metrics) = get(&server, "/metrics")?;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("specweave_http_requests_total{route=\"/predict\",status=\"200\"} 3"),
        "{metrics}"
    );
    assert!(metrics.contains("specweave_http_requests_total{route=\"/explain\",status=\"200\"} 1"));
    assert!(
        metrics
            .contains("specweave_errors_total{route=\"/recommend\",rule=\"not_a_recommender\"} 1")
    );
    assert!(metrics.contains("specweave_predictions_total{version=\"0042-v1\",label=\"fraud\"}"));
    assert!(metrics.contains("specweave_prediction_score_count{version=\"0042-v1\"} 7"));
    assert!(
        metrics.contains("specweave_feature_drift_psi{version=\"0042-v1\",feature=\"amount\"}")
    );
    assert!(metrics.contains(
        "specweave_feature_observations_total{version=\"0042-v1\",feature=\"amount\"} 7"
    ));
    assert!(metrics.contains("specweave_http_request_duration_seconds_count"));

    server.shutdown()?;
    Ok(())
}

#[test]
fn every_bad_input_gets_a_clear_error() -> TestResult {
    let (fixture, numbers) = fixture(&[10])?;
    let bundle = ModelBundle::from_registry(&fixture.registry, numbers[0])?;
    let server = start(Service::new(bundle).body_limit(4096).max_batch(50)?)?;

    let expect = |status: u16, body: &Value, want_status: u16, rule: &str, field: Option<&str>| {
        assert_eq!(status, want_status, "{body}");
        assert_eq!(body["error"]["rule"], rule, "{body}");
        if let Some(field) = field {
            assert_eq!(body["error"]["field"], field, "{body}");
            assert_eq!(body["error"]["row"], 0, "{body}");
        }
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    };

    let (s, b) = post_raw(&server, "/predict", "{\"record\": ")?;
    expect(s, &b, 400, "invalid_json", None);
    let (s, b) = post_raw(&server, "/predict", "[1, 2]")?;
    expect(s, &b, 400, "invalid_json", None);
    let (s, b) = post(&server, "/predict", &json!({"recods": []}))?;
    expect(s, &b, 400, "invalid_json", None);
    let (s, b) = post(&server, "/predict", &json!({}))?;
    expect(s, &b, 400, "record_or_records", None);
    let (s, b) = post(&server, "/predict", &json!({"records": []}))?;
    expect(s, &b, 400, "invalid_request", None);

    let cases = [
        (json!({"plan": "pro", "age": 3}), "missing_column", "amount"),
        (
            json!({"amount": "lots", "plan": "pro", "age": 3}),
            "type_mismatch",
            "amount",
        ),
        (
            json!({"amount": -5.0, "plan": "pro", "age": 3}),
            "out_of_range",
            "amount",
        ),
        (
            json!({"amount": 5.0, "plan": "gold", "age": 3}),
            "unknown_category",
            "plan",
        ),
        (
            json!({"amount": 5.0, "plan": 2, "age": 3}),
            "type_mismatch",
            "plan",
        ),
        (
            json!({"amount": 5.0, "plan": "pro", "age": 3.5}),
            "type_mismatch",
            "age",
        ),
        (
            json!({"amount": 5.0, "plan": Value::Null, "age": 3}),
            "unexpected_null",
            "plan",
        ),
        (
            json!({"amount": 5.0, "plan": "pro", "age": 3, "card": "4111"}),
            "extra_column",
            "card",
        ),
    ];
    for (bad, rule, field) in cases {
        let (s, b) = post(&server, "/predict", &json!({"record": bad}))?;
        expect(s, &b, 422, rule, Some(field));
    }
    // the row of a bad record in a batch is named
    let (s, b) = post(
        &server,
        "/predict",
        &json!({"records": [record(1.0, "pro", json!(3)), record(1.0, "pro", json!(300))]}),
    )?;
    assert_eq!(
        (s, &b["error"]["rule"], &b["error"]["row"]),
        (422, &json!("out_of_range"), &json!(1))
    );

    let big = json!({"record": {"amount": 1.0, "plan": "x".repeat(10_000), "age": 3}});
    let (s, b) = post(&server, "/predict", &big)?;
    expect(s, &b, 413, "body_too_large", None);
    let many: Vec<Value> = (0..60)
        .map(|_| json!({"amount": 1.0, "plan": "pro"}))
        .collect();
    let (s, b) = post(&server, "/predict", &json!({"records": many}))?;
    expect(s, &b, 413, "batch_too_large", None);

    let (s, body) = get(&server, "/nope")?;
    assert_eq!(s, 404);
    assert!(body.contains("unknown_route"));

    // the server is still healthy and counted every error by rule
    let (s, _) = post(
        &server,
        "/predict",
        &json!({"record": record(1.0, "pro", json!(3))}),
    )?;
    assert_eq!(s, 200);
    let (_, metrics) = get(&server, "/metrics")?;
    assert!(
        metrics.contains("specweave_errors_total{route=\"/predict\",rule=\"unknown_category\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("specweave_errors_total{route=\"/predict\",rule=\"body_too_large\"} 1")
    );
    server.shutdown()?;
    Ok(())
}

#[test]
fn a_tampered_bundle_does_not_load() -> TestResult {
    let (fixture, numbers) = fixture(&[5])?;
    let dir = fixture.models.join(format!("model-v{}", numbers[0]));
    let pipeline = dir.join("pipeline.json");
    let text = std::fs::read_to_string(&pipeline)?;
    std::fs::write(&pipeline, text.replacen("\"age\"", "\"agf\"", 1))?;
    match ModelBundle::load(&dir) {
        Err(ServeError::Checksum { path, .. }) => assert_eq!(path, pipeline),
        other => panic!("expected a checksum error, got {other:?}"),
    }
    std::fs::remove_file(dir.join("model.swm"))?;
    assert!(matches!(
        ModelBundle::load(&dir),
        Err(ServeError::Io { .. })
    ));
    Ok(())
}

#[test]
fn a_hot_swap_under_load_drops_no_request() -> TestResult {
    let (fixture, numbers) = fixture(&[10, 30])?;
    let v1 = ModelBundle::from_registry(&fixture.registry, numbers[0])?;
    let server = start(Service::new(v1))?;
    let addr = server.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let stop = stop.clone();
            std::thread::spawn(move || -> Result<Vec<String>, String> {
                let agent = agent();
                let mut versions = Vec::new();
                let mut i = 0_u32;
                while !stop.load(Ordering::Relaxed) || i < 20 {
                    let mut response = agent
                        .post(&format!("http://{addr}/predict"))
                        .send_json(json!({"record": {"amount": f64::from(i % 1000), "plan": "pro", "age": c}}))
                        .map_err(|e| e.to_string())?;
                    if response.status() != 200 {
                        return Err(format!("status {}", response.status()));
                    }
                    let body: Value = response.body_mut().read_json().map_err(|e| e.to_string())?;
                    versions.push(body["model_version"].as_str().unwrap_or("?").to_owned());
                    i += 1;
                }
                Ok(versions)
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let v2 = ModelBundle::from_registry(&fixture.registry, numbers[1])?;
    let replaced = server.service().swap(v2);
    assert_eq!(replaced, "0042-v1");
    std::thread::sleep(std::time::Duration::from_millis(150));
    stop.store(true, Ordering::Relaxed);
    let mut served_v2_after = 0;
    for client in clients {
        let versions = client.join().map_err(|_| "client thread panicked")??;
        assert!(
            versions.iter().all(|v| v == "0042-v1" || v == "0042-v2"),
            "{versions:?}"
        );
        // once a client saw v2 it never sees v1 again
        if let Some(first) = versions.iter().position(|v| v == "0042-v2") {
            assert!(versions[first..].iter().all(|v| v == "0042-v2"));
            served_v2_after += 1;
        }
    }
    assert_eq!(served_v2_after, 4);
    let (_, model) = get(&server, "/model")?;
    assert!(model.contains("\"version\":\"0042-v2\""));
    server.shutdown()?;
    Ok(())
}

#[test]
fn ab_routing_follows_the_split_and_names_the_version() -> TestResult {
    let (fixture, numbers) = fixture(&[10, 12])?;
    let primary = ModelBundle::from_registry(&fixture.registry, numbers[0])?;
    let candidate = ModelBundle::from_registry(&fixture.registry, numbers[1])?;
    assert!(
        Service::new(ModelBundle::from_registry(&fixture.registry, numbers[0])?)
            .ab(
                ModelBundle::from_registry(&fixture.registry, numbers[1])?,
                1.5
            )
            .is_err()
    );
    let server = start(Service::new(primary).ab(candidate, 0.2)?)?;
    let n = 600;
    let mut to_candidate = 0;
    for user in 0..n {
        let body =
            json!({"record": record(100.0, "basic", json!(20)), "user": format!("user-{user}")});
        let (status, answer) = post(&server, "/predict", &body)?;
        assert_eq!(status, 200);
        let version = answer["model_version"].as_str().ok_or("a version")?;
        if version == "0042-v2" {
            to_candidate += 1;
        }
        // the same user always lands on the same version
        if user % 100 == 0 {
            let (_, again) = post(&server, "/predict", &body)?;
            assert_eq!(again["model_version"], version);
        }
    }
    let share = f64::from(to_candidate) / f64::from(n);
    assert!((share - 0.2).abs() < 0.05, "candidate share {share}");

    // the header works too, and requests without a user go to the primary
    let mut response = agent()
        .post(&format!("http://{}/predict", server.addr()))
        .header("x-user-id", "user-1")
        .send_json(json!({"record": record(100.0, "basic", json!(20))}))?;
    let header = response
        .headers()
        .get("x-model-version")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = response.body_mut().read_json()?;
    assert_eq!(header.as_deref(), body["model_version"].as_str());
    assert_eq!(
        Some(server.service().version_for(Some("user-1")).as_str()),
        header.as_deref()
    );
    let (_, anonymous) = post(
        &server,
        "/predict",
        &json!({"record": record(1.0, "pro", json!(3))}),
    )?;
    assert_eq!(anonymous["model_version"], "0042-v1");

    let (_, model) = get(&server, "/model")?;
    let model: Value = serde_json::from_str(&model)?;
    assert_eq!(model["candidate"]["split"], 0.2);
    assert_eq!(model["candidate"]["model"]["version"], "0042-v2");
    server.shutdown()?;
    Ok(())
}

#[test]
fn shutdown_stops_listening() -> TestResult {
    let (fixture, numbers) = fixture(&[3])?;
    let server = start(Service::new(ModelBundle::from_registry(
        &fixture.registry,
        numbers[0],
    )?))?;
    let addr = server.addr();
    assert_eq!(get(&server, "/health")?.0, 200);
    server.shutdown()?;
    assert!(std::net::TcpStream::connect(addr).is_err());
    Ok(())
}

#[test]
fn arrow_batches_take_the_same_checks_as_json() -> TestResult {
    use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use arrow::record_batch::RecordBatch;
    let (fixture, numbers) = fixture(&[10])?;
    let predictor =
        specweave_serve::Predictor::new(ModelBundle::from_registry(&fixture.registry, numbers[0])?);
    let batch = RecordBatch::try_from_iter([
        (
            "amount",
            Arc::new(Float64Array::from(vec![950.0, 10.0])) as ArrayRef,
        ),
        (
            "plan",
            Arc::new(StringArray::from(vec!["team", "basic"])) as ArrayRef,
        ),
        (
            "age",
            Arc::new(Int64Array::from(vec![Some(40), None])) as ArrayRef,
        ),
    ])?;
    let from_arrow = predictor.predict_batch(&batch, false)?;
    let records: Vec<specweave_serve::Record> = [
        json!({"amount": 950.0, "plan": "team", "age": 40}),
        json!({"amount": 10.0, "plan": "basic", "age": null}),
    ]
    .iter()
    .filter_map(|v| v.as_object().cloned())
    .collect();
    assert_eq!(from_arrow, predictor.predict(&records, false)?);

    let bad = RecordBatch::try_from_iter([
        (
            "amount",
            Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef,
        ),
        (
            "plan",
            Arc::new(StringArray::from(vec!["pro", "gold"])) as ArrayRef,
        ),
        ("age", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
    ])?;
    match predictor.predict_batch(&bad, false) {
        Err(ServeError::Input {
            row, field, rule, ..
        }) => {
            assert_eq!((row, field.as_str(), rule), (1, "plan", "unknown_category"));
        }
        other => panic!("expected an input error, got {other:?}"),
    }
    Ok(())
}
