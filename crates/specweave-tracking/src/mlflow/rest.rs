//! A client of MLflow's REST API (`/api/2.0/mlflow/`) with retries and backoff on
//! connection errors and 5xx answers, and log-batch chunking within the server's limits.

use crate::error::{Result, TrackingError};
use serde_json::{Value, json};
use specweave_core::records::{MetricPoint, RunStatus};
use std::time::Duration;

/// Most metrics in one log-batch request (MLflow's limit).
pub const MAX_BATCH_METRICS: usize = 1000;
/// Most params in one log-batch request (MLflow's limit).
pub const MAX_BATCH_PARAMS: usize = 100;
/// Most tags in one log-batch request (MLflow's limit).
pub const MAX_BATCH_TAGS: usize = 100;
/// Most items (metrics + params + tags) in one log-batch request (MLflow's limit).
pub const MAX_BATCH_ITEMS: usize = 1000;
/// Request size we stay under (MLflow refuses bodies over 1 MB).
const MAX_BATCH_BYTES: usize = 900_000;

/// How often and how patiently to retry a request that failed for a transient reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubled after each failure.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// A client of one MLflow tracking server.
///
/// ```no_run
/// use specweave_tracking::MlflowClient;
/// let client = MlflowClient::new("http://127.0.0.1:5000")?;
/// let experiment = client.get_or_create_experiment("0042-recommendation-model")?;
/// # Ok::<(), specweave_tracking::TrackingError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MlflowClient {
    base: String,
    agent: ureq::Agent,
    retry: RetryPolicy,
}

enum Failure {
    /// Worth retrying: transport errors, 5xx, 429.
    Transient(String),
    /// Final: the server's `{error_code, message}` or another client-side problem.
    Final {
        status: u16,
        code: String,
        message: String,
    },
}

/// A metric point as MLflow's JSON wants it: NaN and ±inf as strings.
fn metric_json(point: &MetricPoint) -> Value {
    let value = if point.value.is_nan() {
        json!("NaN")
    } else if point.value == f64::INFINITY {
        json!("Infinity")
    } else if point.value == f64::NEG_INFINITY {
        json!("-Infinity")
    } else {
        json!(point.value)
    };
    json!({"key": point.key, "value": value, "timestamp": point.timestamp_ms, "step": point.step})
}

fn key_values<'a>(items: impl IntoIterator<Item = (&'a String, &'a String)>) -> Vec<Value> {
    items
        .into_iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect()
}

/// One log-batch request's worth of items.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Batch<'a> {
    pub metrics: &'a [MetricPoint],
    pub params: &'a [(String, String)],
    pub tags: &'a [(String, String)],
}

/// Splits metrics, params and tags into batches within MLflow's count and size limits,
/// in order, so a batch boundary is a safe point to record progress.
pub(crate) fn plan_batches<'a>(
    metrics: &'a [MetricPoint],
    params: &'a [(String, String)],
    tags: &'a [(String, String)],
) -> Vec<Batch<'a>> {
    let (mut m, mut p, mut t) = (0, 0, 0);
    let mut batches = Vec::new();
    while m < metrics.len() || p < params.len() || t < tags.len() {
        let mut bytes = 0;
        let mut items = 0;
        let p_end = take_within(
            params,
            p,
            MAX_BATCH_PARAMS,
            &mut items,
            &mut bytes,
            |(k, v)| k.len() + v.len() + 32,
        );
        let t_end = take_within(tags, t, MAX_BATCH_TAGS, &mut items, &mut bytes, |(k, v)| {
            k.len() + v.len() + 32
        });
        let m_end = take_within(
            metrics,
            m,
            MAX_BATCH_METRICS,
            &mut items,
            &mut bytes,
            |point| point.key.len() + 96,
        );
        batches.push(Batch {
            metrics: &metrics[m..m_end],
            params: &params[p..p_end],
            tags: &tags[t..t_end],
        });
        (m, p, t) = (m_end, p_end, t_end);
    }
    batches
}

fn take_within<T>(
    items: &[T],
    start: usize,
    max_count: usize,
    batch_items: &mut usize,
    batch_bytes: &mut usize,
    size: impl Fn(&T) -> usize,
) -> usize {
    let mut end = start;
    while end < items.len() && end - start < max_count && *batch_items < MAX_BATCH_ITEMS {
        let item_bytes = size(&items[end]);
        // Always take at least one item per batch so progress is made.
        if *batch_bytes + item_bytes > MAX_BATCH_BYTES && *batch_items > 0 {
            break;
        }
        *batch_bytes += item_bytes;
        *batch_items += 1;
        end += 1;
    }
    end
}

impl MlflowClient {
    /// A client of the server at `uri` (e.g. `http://127.0.0.1:5000`).
    pub fn new(uri: &str) -> Result<MlflowClient> {
        let base = uri.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(TrackingError::Mlflow {
                endpoint: base,
                message: "the tracking URI must start with http:// or https://".into(),
            });
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        Ok(MlflowClient {
            base,
            agent: ureq::Agent::new_with_config(config),
            retry: RetryPolicy::default(),
        })
    }

    /// Replaces the retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> MlflowClient {
        self.retry = retry;
        self
    }

    /// The server URI without a trailing `/`.
    pub fn uri(&self) -> &str {
        &self.base
    }

    fn attempt(
        &self,
        endpoint: &str,
        get: Option<&[(&str, &str)]>,
        body: &Value,
    ) -> std::result::Result<Value, Failure> {
        let url = format!("{}/api/2.0/mlflow/{endpoint}", self.base);
        let response = match get {
            Some(query) => {
                let mut request = self.agent.get(&url);
                for (key, value) in query {
                    request = request.query(*key, *value);
                }
                request.call()
            }
            None => self.agent.post(&url).send_json(body),
        };
        let mut response = match response {
            Ok(response) => response,
            Err(
                error @ (ureq::Error::Io(_)
                | ureq::Error::Timeout(_)
                | ureq::Error::ConnectionFailed
                | ureq::Error::HostNotFound
                | ureq::Error::Protocol(_)),
            ) => return Err(Failure::Transient(error.to_string())),
            Err(error) => {
                return Err(Failure::Final {
                    status: 0,
                    code: "CLIENT_ERROR".into(),
                    message: error.to_string(),
                });
            }
        };
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|error| Failure::Transient(format!("reading the answer: {error}")))?;
        if status >= 500 || status == 429 {
            return Err(Failure::Transient(format!("HTTP {status}: {text}")));
        }
        let value: Value = if text.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&text).map_err(|error| Failure::Final {
                status,
                code: "BAD_RESPONSE".into(),
                message: format!("answer is not JSON ({error}): {text}"),
            })?
        };
        if status >= 400 {
            return Err(Failure::Final {
                status,
                code: value["error_code"].as_str().unwrap_or("UNKNOWN").to_owned(),
                message: value["message"].as_str().unwrap_or(&text).to_owned(),
            });
        }
        Ok(value)
    }

    /// Calls an endpoint with retries; returns the answer, or the final failure's status,
    /// error code and message.
    fn call_raw(
        &self,
        endpoint: &str,
        get: Option<&[(&str, &str)]>,
        body: &Value,
    ) -> std::result::Result<Value, (u16, String, String)> {
        let attempts = self.retry.attempts.max(1);
        let mut backoff = self.retry.initial_backoff;
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.attempt(endpoint, get, body) {
                Ok(value) => return Ok(value),
                Err(Failure::Final {
                    status,
                    code,
                    message,
                }) => return Err((status, code, message)),
                Err(Failure::Transient(message)) => {
                    tracing::debug!(endpoint, attempt, %message, "MLflow request failed; retrying");
                    last = message;
                    if attempt < attempts {
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(self.retry.max_backoff);
                    }
                }
            }
        }
        Err((
            0,
            "UNAVAILABLE".into(),
            format!("gave up after {attempts} attempts: {last}"),
        ))
    }

    fn call(&self, endpoint: &str, get: Option<&[(&str, &str)]>, body: &Value) -> Result<Value> {
        self.call_raw(endpoint, get, body)
            .map_err(|(status, code, message)| TrackingError::Mlflow {
                endpoint: endpoint.to_owned(),
                message: if status == 0 {
                    format!("{code}: {message}")
                } else {
                    format!("HTTP {status} {code}: {message}")
                },
            })
    }

    /// The id of the experiment `name`, created when it does not exist.
    pub fn get_or_create_experiment(&self, name: &str) -> Result<String> {
        for _ in 0..2 {
            match self.call_raw(
                "experiments/get-by-name",
                Some(&[("experiment_name", name)]),
                &Value::Null,
            ) {
                Ok(answer) => {
                    if let Some(id) = answer["experiment"]["experiment_id"].as_str() {
                        return Ok(id.to_owned());
                    }
                }
                Err((_, code, _)) if code == "RESOURCE_DOES_NOT_EXIST" => {}
                Err((status, code, message)) => {
                    return Err(TrackingError::Mlflow {
                        endpoint: "experiments/get-by-name".into(),
                        message: format!("HTTP {status} {code}: {message}"),
                    });
                }
            }
            match self.call_raw("experiments/create", None, &json!({"name": name})) {
                Ok(answer) => {
                    if let Some(id) = answer["experiment_id"].as_str() {
                        return Ok(id.to_owned());
                    }
                }
                // Another writer created it between our two calls: look it up again.
                Err((_, code, _)) if code == "RESOURCE_ALREADY_EXISTS" => continue,
                Err((status, code, message)) => {
                    return Err(TrackingError::Mlflow {
                        endpoint: "experiments/create".into(),
                        message: format!("HTTP {status} {code}: {message}"),
                    });
                }
            }
        }
        Err(TrackingError::Mlflow {
            endpoint: "experiments/create".into(),
            message: format!("the server did not return an id for experiment `{name}`"),
        })
    }

    /// Creates a run; returns its MLflow run id.
    pub fn create_run(
        &self,
        experiment_id: &str,
        run_name: &str,
        user: &str,
        start_time_ms: i64,
    ) -> Result<String> {
        let answer = self.call(
            "runs/create",
            None,
            &json!({
                "experiment_id": experiment_id,
                "run_name": run_name,
                "user_id": user,
                "start_time": start_time_ms,
            }),
        )?;
        answer["run"]["info"]["run_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| TrackingError::Mlflow {
                endpoint: "runs/create".into(),
                message: format!("no run id in the answer: {answer}"),
            })
    }

    /// Sends one log-batch request (the caller keeps within the limits; see [`MlflowClient::log_all`]).
    pub(crate) fn log_batch(&self, run_id: &str, batch: &Batch<'_>) -> Result<()> {
        let body = json!({
            "run_id": run_id,
            "metrics": batch.metrics.iter().map(metric_json).collect::<Vec<_>>(),
            "params": key_values(batch.params.iter().map(|(k, v)| (k, v))),
            "tags": key_values(batch.tags.iter().map(|(k, v)| (k, v))),
        });
        self.call("runs/log-batch", None, &body).map(drop)
    }

    /// Logs metrics, params and tags to a run in as many log-batch requests as MLflow's
    /// limits need.
    pub fn log_all(
        &self,
        run_id: &str,
        metrics: &[MetricPoint],
        params: &[(String, String)],
        tags: &[(String, String)],
    ) -> Result<()> {
        for batch in plan_batches(metrics, params, tags) {
            self.log_batch(run_id, &batch)?;
        }
        Ok(())
    }

    /// Sets a run's status and end time.
    pub fn update_run(
        &self,
        run_id: &str,
        status: RunStatus,
        end_time_ms: Option<i64>,
    ) -> Result<()> {
        let mut body = json!({"run_id": run_id, "status": status.mlflow_name()});
        if let Some(end) = end_time_ms {
            body["end_time"] = json!(end);
        }
        self.call("runs/update", None, &body).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(n: usize) -> Vec<MetricPoint> {
        (0..n)
            .map(|i| MetricPoint {
                key: "m".into(),
                value: i as f64,
                step: i as u64,
                timestamp_ms: 0,
            })
            .collect()
    }

    fn pairs(n: usize, value_len: usize) -> Vec<(String, String)> {
        (0..n)
            .map(|i| (format!("k{i}"), "v".repeat(value_len)))
            .collect()
    }

    #[test]
    fn batches_respect_mlflow_limits_and_keep_everything() {
        let metrics = points(2500);
        let params = pairs(250, 10);
        let tags = pairs(120, 10);
        let batches = plan_batches(&metrics, &params, &tags);
        for batch in &batches {
            assert!(batch.metrics.len() <= MAX_BATCH_METRICS);
            assert!(batch.params.len() <= MAX_BATCH_PARAMS);
            assert!(batch.tags.len() <= MAX_BATCH_TAGS);
            assert!(batch.metrics.len() + batch.params.len() + batch.tags.len() <= MAX_BATCH_ITEMS);
        }
        assert_eq!(batches.iter().map(|b| b.metrics.len()).sum::<usize>(), 2500);
        assert_eq!(batches.iter().map(|b| b.params.len()).sum::<usize>(), 250);
        assert_eq!(batches.iter().map(|b| b.tags.len()).sum::<usize>(), 120);
        assert_eq!(batches[0].metrics.len(), 800);
    }

    #[test]
    fn batches_stay_under_a_megabyte() {
        let params = pairs(100, 6000);
        let tags = pairs(100, 8000);
        let batches = plan_batches(&[], &params, &tags);
        assert!(batches.len() >= 2);
        for batch in &batches {
            let bytes: usize = batch
                .params
                .iter()
                .chain(batch.tags)
                .map(|(k, v)| k.len() + v.len())
                .sum();
            assert!(bytes < 1_000_000, "{bytes}");
        }
    }

    #[test]
    fn non_finite_values_use_mlflow_strings() {
        let mut point = MetricPoint {
            key: "x".into(),
            value: f64::NAN,
            step: 0,
            timestamp_ms: 1,
        };
        assert_eq!(metric_json(&point)["value"], "NaN");
        point.value = f64::NEG_INFINITY;
        assert_eq!(metric_json(&point)["value"], "-Infinity");
        point.value = 0.5;
        assert_eq!(metric_json(&point)["value"], 0.5);
    }

    #[test]
    fn an_unreachable_server_fails_after_the_retries() {
        // Port 9 (discard) on localhost is closed on test machines: connection refused.
        let client = MlflowClient::new("http://127.0.0.1:9")
            .expect("valid uri")
            .retry_policy(RetryPolicy {
                attempts: 2,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(1),
            });
        let error = client
            .get_or_create_experiment("x")
            .expect_err("nothing listens");
        assert!(
            error.to_string().contains("gave up after 2 attempts"),
            "{error}"
        );
        assert!(MlflowClient::new("ftp://x").is_err());
    }
}
