//! `specweave serve` end to end: the binary serves a bundle, answers over HTTP and stops
//! cleanly on SIGTERM.

use specweave::core::ndarray::Array2;
use specweave::core::{Dataset, Target};
use specweave::serve::BundleBuilder;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn http(addr: &str, request: &str) -> Result<String, Box<dyn std::error::Error>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

#[test]
fn serve_answers_predictions_and_stops_on_sigterm() -> TestResult {
    let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * (j + 3)) % 17) as f64);
    let values = x.rows().into_iter().map(|r| 2.0 * r[0] - r[1]).collect();
    let data = Dataset::builder(x)
        .feature_names(["a", "b"])
        .target(Target::Continuous(values))
        .build()?;
    let model = specweave::train::learner_from_params(
        "gradient_boosting",
        &serde_json::json!({"n_estimators": 10}),
    )?
    .fit(&data)?;
    let dir = tempfile::tempdir()?;
    let v1 = dir.path().join("model-v1");
    let v2 = dir.path().join("model-v2");
    BundleBuilder::new(model.as_ref()).write_to(&v1)?;
    BundleBuilder::new(model.as_ref()).write_to(&v2)?;

    let mut child = Command::new(env!("CARGO_BIN_EXE_specweave"))
        .args(["serve", "--port", "0", "--split", "0.5", "--ab"])
        .arg(&v2)
        .arg(&v1)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .ok_or("no address")?
        .to_owned();
    assert!(
        line.contains("model-v1, model-v2 for 50.0% of users"),
        "{line}"
    );

    let health = http(
        &addr,
        "GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )?;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let body = r#"{"record": {"a": 3, "b": 1}, "user": "u-7"}"#;
    let predict = http(
        &addr,
        &format!(
            "POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ),
    )?;
    assert!(predict.starts_with("HTTP/1.1 200"), "{predict}");
    assert!(predict.contains("\"model_version\":\"model-v"), "{predict}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()?;
    assert!(status.success());
    let exit = child.wait()?;
    assert!(exit.success(), "{exit:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest)?;
    assert!(rest.contains("stopped"));
    Ok(())
}

#[test]
fn serve_rejects_a_missing_bundle_and_a_bad_split() -> TestResult {
    let missing = Command::new(env!("CARGO_BIN_EXE_specweave"))
        .args(["serve", "/nonexistent/model-v9"])
        .output()?;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("bundle.json"));
    let unpaired = Command::new(env!("CARGO_BIN_EXE_specweave"))
        .args(["serve", "x", "--split", "0.1"])
        .output()?;
    assert!(!unpaired.status.success());
    Ok(())
}
