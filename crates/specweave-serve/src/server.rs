//! The HTTP service (axum on tokio): predictions, explanations, health, readiness, model
//! metadata and metrics; atomic hot swap of model versions and A/B routing by user id.

use crate::bundle::ModelBundle;
use crate::error::{Result, ServeError};
use crate::inference::{Predictor, Record};
use crate::metrics::Metrics;
use arc_swap::ArcSwap;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Default limit on request bodies (1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;
/// Default limit on records per request.
pub const DEFAULT_MAX_BATCH: usize = 10_000;
/// Header that carries the user id for A/B routing (a body `user` field takes precedence).
pub const USER_HEADER: &str = "x-user-id";
/// Response header naming the model version that served the request.
pub const VERSION_HEADER: &str = "x-model-version";

/// One model slot; a swap replaces the whole predictor at once, so a request sees either the
/// old version or the new one, never a mix, and requests in flight finish on the old one.
#[derive(Debug)]
struct Slot(ArcSwap<Predictor>);

impl Slot {
    fn new(bundle: ModelBundle) -> Slot {
        Slot(ArcSwap::from_pointee(Predictor::new(bundle)))
    }
}

#[derive(Debug)]
struct Shared {
    primary: Slot,
    candidate: Option<(Slot, f64)>,
    metrics: Metrics,
    ready: AtomicBool,
    max_batch: usize,
}

/// A configured prediction service: cheap to clone, every clone serves the same models.
///
/// ```no_run
/// use specweave_serve::{ModelBundle, Service};
/// let bundle = ModelBundle::load(std::path::Path::new("models/model-v3"))?;
/// let running = Service::new(bundle).spawn("127.0.0.1:8080".parse()?)?;
/// println!("listening on {}", running.addr());
/// running.shutdown()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Service {
    shared: Arc<Shared>,
    body_limit: usize,
}

impl Service {
    /// A service of one model version.
    pub fn new(primary: ModelBundle) -> Service {
        Service {
            shared: Arc::new(Shared {
                primary: Slot::new(primary),
                candidate: None,
                metrics: Metrics::default(),
                ready: AtomicBool::new(true),
                max_batch: DEFAULT_MAX_BATCH,
            }),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    fn shared_mut(&mut self) -> Result<&mut Shared> {
        Arc::get_mut(&mut self.shared).ok_or_else(|| {
            ServeError::Server("the service is already shared; configure it before cloning".into())
        })
    }

    /// Routes the share `split` (in `[0, 1]`) of users, by hashed user id, to `candidate`.
    pub fn ab(mut self, candidate: ModelBundle, split: f64) -> Result<Service> {
        if !(0.0..=1.0).contains(&split) {
            return Err(ServeError::Request(format!(
                "the A/B split must lie in [0, 1]; got {split}"
            )));
        }
        self.shared_mut()?.candidate = Some((Slot::new(candidate), split));
        Ok(self)
    }

    /// Limit on request bodies in bytes; larger bodies get 413.
    pub fn body_limit(mut self, bytes: usize) -> Service {
        self.body_limit = bytes;
        self
    }

    /// Limit on records per request; more get 413.
    pub fn max_batch(mut self, records: usize) -> Result<Service> {
        self.shared_mut()?.max_batch = records;
        Ok(self)
    }

    /// Swaps in a new primary version atomically and returns the version it replaced.
    pub fn swap(&self, bundle: ModelBundle) -> String {
        let old = self.shared.primary.0.swap(Arc::new(Predictor::new(bundle)));
        old.bundle().version()
    }

    /// Swaps in a new candidate version (when A/B routing is on) and returns the old one.
    pub fn swap_candidate(&self, bundle: ModelBundle) -> Result<String> {
        let (slot, _) = self
            .shared
            .candidate
            .as_ref()
            .ok_or_else(|| ServeError::Request("no A/B candidate is configured".into()))?;
        let old = slot.0.swap(Arc::new(Predictor::new(bundle)));
        Ok(old.bundle().version())
    }

    /// The version a user is routed to.
    pub fn version_for(&self, user: Option<&str>) -> String {
        self.shared.route(user).bundle().version()
    }

    /// The axum router of the service.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/predict", post(predict))
            .route("/explain", post(explain))
            .route("/recommend", get(recommend))
            .route("/health", get(health))
            .route("/ready", get(ready))
            .route("/model", get(model))
            .route("/metrics", get(metrics))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(self.shared.clone(), track))
            .layer(DefaultBodyLimit::max(self.body_limit))
            .with_state(self.shared.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the requests in flight.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let shared = self.shared.clone();
        let signal = async move {
            shutdown.await;
            shared.ready.store(false, Ordering::SeqCst);
        };
        axum::serve(listener, self.router())
            .with_graceful_shutdown(signal)
            .await
            .map_err(|e| ServeError::Server(e.to_string()))
    }

    /// Serves on `addr` until Ctrl-C or SIGTERM, then finishes the requests in flight.
    /// `on_bound` is called with the bound address once the service accepts connections.
    pub fn run_until_signal(
        self,
        addr: SocketAddr,
        on_bound: impl FnOnce(SocketAddr),
    ) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| ServeError::Server(format!("cannot start the runtime: {e}")))?;
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| ServeError::Server(format!("cannot bind {addr}: {e}")))?;
            let bound = listener
                .local_addr()
                .map_err(|e| ServeError::Server(e.to_string()))?;
            on_bound(bound);
            self.serve(listener, shutdown_signal()).await
        })
    }

    /// Starts the service on its own runtime thread, bound to `addr` (port 0 picks a free one).
    pub fn spawn(self, addr: SocketAddr) -> Result<RunningServer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| ServeError::Server(format!("cannot start the runtime: {e}")))?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(addr))
            .map_err(|e| ServeError::Server(format!("cannot bind {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| ServeError::Server(e.to_string()))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let service = self.clone();
        let thread = std::thread::Builder::new()
            .name("specweave-serve".into())
            .spawn(move || {
                runtime.block_on(service.serve(listener, async move {
                    let _ = stopped.await;
                }))
            })
            .map_err(|e| ServeError::Server(format!("cannot start the server thread: {e}")))?;
        Ok(RunningServer {
            addr: bound,
            service: self,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// Completes on Ctrl-C or, on Unix, SIGTERM; if a handler cannot be installed the other still
/// works, and with neither the service runs until the process is killed.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// A service running on its own thread; dropping it shuts the service down.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    service: Service,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl RunningServer {
    /// The address the service listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The service, e.g. to hot-swap a version.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// Stops accepting connections, finishes the requests in flight and waits for the end.
    pub fn shutdown(mut self) -> Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| ServeError::Server("the server thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

impl Shared {
    fn route(&self, user: Option<&str>) -> Arc<Predictor> {
        match (&self.candidate, user) {
            (Some((slot, split)), Some(user)) if unit_hash(user) < *split => slot.0.load_full(),
            _ => self.primary.0.load_full(),
        }
    }

    fn predictors(&self) -> Vec<Arc<Predictor>> {
        let mut all = vec![self.primary.0.load_full()];
        if let Some((slot, _)) = &self.candidate {
            all.push(slot.0.load_full());
        }
        all
    }
}

/// A user id hashed (FNV-1a with a splitmix64 finaliser, stable across runs and platforms)
/// to `[0, 1)`.
fn unit_hash(user: &str) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in user.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // FNV's top bits barely change with the last bytes (user-1, user-2, ...), so the
    // splitmix64 finaliser mixes every input bit into them before they become the fraction
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^= hash >> 31;
    // the top 53 bits give an exactly representable fraction
    (hash >> 11) as f64 / (1_u64 << 53) as f64
}

/// A JSON error answer naming the rule broken and, for record errors, the field and row.
struct ApiError {
    status: StatusCode,
    rule: String,
    message: String,
    field: Option<String>,
    row: Option<usize>,
}

impl ApiError {
    fn new(status: StatusCode, rule: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            rule: rule.to_owned(),
            message: message.into(),
            field: None,
            row: None,
        }
    }
}

impl From<ServeError> for ApiError {
    fn from(error: ServeError) -> ApiError {
        match error {
            ServeError::Input {
                row,
                field,
                rule,
                message,
            } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                rule: rule.to_owned(),
                message,
                field: Some(field),
                row: Some(row),
            },
            ServeError::Request(message) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
            }
            ServeError::Data(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "feature_pipeline",
                e.to_string(),
            ),
            ServeError::Core(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "model_input",
                e.to_string(),
            ),
            other => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                other.to_string(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"rule": self.rule, "message": self.message});
        if let Some(field) = self.field {
            error["field"] = json!(field);
        }
        if let Some(row) = self.row {
            error["row"] = json!(row);
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        // the middleware counts errors by rule from this header, then removes it
        if let Ok(value) = HeaderValue::from_str(&self.rule) {
            response.headers_mut().insert(ERROR_RULE_HEADER, value);
        }
        response
    }
}

const ERROR_RULE_HEADER: &str = "x-specweave-error-rule";

async fn track(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let mut response = next.run(request).await;
    let status = response.status();
    let rule = response.headers_mut().remove(ERROR_RULE_HEADER);
    if status.is_client_error() || status.is_server_error() {
        let rule = match &rule {
            Some(rule) => rule.to_str().unwrap_or("unknown").to_owned(),
            None => status.as_u16().to_string(),
        };
        shared.metrics.record_error(&route, &rule);
    }
    shared
        .metrics
        .record_request(&route, status.as_u16(), started.elapsed());
    response
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PredictRequest {
    #[serde(default)]
    record: Option<Record>,
    #[serde(default)]
    records: Option<Vec<Record>>,
    #[serde(default)]
    explain: bool,
    #[serde(default)]
    user: Option<String>,
}

fn body_error(rejection: BytesRejection) -> ApiError {
    let status = rejection.status();
    let rule = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "body_too_large"
    } else {
        "unreadable_body"
    };
    ApiError::new(status, rule, rejection.body_text())
}

fn run_prediction(
    shared: &Shared,
    headers: &HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
    force_explain: bool,
) -> std::result::Result<Response, ApiError> {
    let body = body.map_err(body_error)?;
    let request: PredictRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", e.to_string()))?;
    let records = match (request.record, request.records) {
        (Some(record), None) => vec![record],
        (None, Some(records)) => records,
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "record_or_records",
                "give exactly one of `record` (an object) or `records` (an array of objects)",
            ));
        }
    };
    if records.len() > shared.max_batch {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "{} records exceed the limit of {} per request",
                records.len(),
                shared.max_batch
            ),
        ));
    }
    let user = request.user.or_else(|| {
        headers
            .get(USER_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let predictor = shared.route(user.as_deref());
    let version = predictor.bundle().version();
    let predictions = predictor.predict(&records, request.explain || force_explain)?;
    shared.metrics.record_predictions(&version, &predictions);
    let mut response = Json(json!({
        "model_version": version,
        "predictions": predictions,
    }))
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&version) {
        response.headers_mut().insert(VERSION_HEADER, value);
    }
    Ok(response)
}

/// Bodies up to this size (a few records) are predicted on the request task; larger batches
/// and explanations run on the blocking pool so they never stall other connections.
const INLINE_BODY_BYTES: usize = 16 * 1024;

async fn answer_prediction(
    shared: Arc<Shared>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
    explain: bool,
) -> Response {
    let small = body.as_ref().is_ok_and(|b| b.len() <= INLINE_BODY_BYTES);
    if small && !explain {
        return run_prediction(&shared, &headers, body, false)
            .unwrap_or_else(IntoResponse::into_response);
    }
    tokio::task::spawn_blocking(move || run_prediction(&shared, &headers, body, explain))
        .await
        .unwrap_or_else(|e| {
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the prediction task failed: {e}"),
            ))
        })
        .unwrap_or_else(IntoResponse::into_response)
}

async fn predict(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    answer_prediction(shared, headers, body, false).await
}

async fn explain(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    answer_prediction(shared, headers, body, true).await
}

async fn recommend(State(shared): State<Arc<Shared>>) -> Response {
    let version = shared.primary.0.load().bundle().version();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_a_recommender",
        format!("model version {version} predicts records; it does not recommend items"),
    )
    .into_response()
}

async fn health() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    let versions: Vec<String> = shared
        .predictors()
        .iter()
        .map(|p| p.bundle().version())
        .collect();
    if shared.ready.load(Ordering::SeqCst) {
        Json(json!({"ready": true, "versions": versions})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "reason": "shutting down"})),
        )
            .into_response()
    }
}

fn describe(predictor: &Predictor) -> Value {
    let bundle = predictor.bundle();
    let info = bundle.model().info();
    json!({
        "version": bundle.version(),
        "algorithm": info.algorithm,
        "problem": info.problem,
        "framework": info.framework,
        "features": info.feature_names,
        "inputs": bundle.raw_input_names(),
        "class_names": bundle.manifest().class_names,
        "threshold": bundle.manifest().threshold,
        "explainer": bundle.manifest().explainer,
        "explainable": bundle.model().as_tree_model().is_some(),
        "metadata": bundle.metadata(),
    })
}

async fn model(State(shared): State<Arc<Shared>>) -> Response {
    let primary = shared.primary.0.load();
    let candidate = shared
        .candidate
        .as_ref()
        .map(|(slot, split)| json!({"split": split, "model": describe(&slot.0.load())}));
    Json(json!({"primary": describe(&primary), "candidate": candidate})).into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let drift: Vec<(String, String, u64, Option<f64>)> = shared
        .predictors()
        .iter()
        .flat_map(|p| {
            let version = p.bundle().version();
            p.drift()
                .map(|d| d.psi())
                .unwrap_or_default()
                .into_iter()
                .map(move |(feature, n, psi)| (version.clone(), feature.to_owned(), n, psi))
                .collect::<Vec<_>>()
        })
        .collect();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(&drift),
    )
        .into_response()
}

async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "unknown_route", "no such endpoint").into_response()
}

#[cfg(test)]
mod tests {
    use super::unit_hash;

    #[test]
    fn user_hash_is_uniform_enough_for_a_split() {
        let n = 20_000;
        let below = (0..n)
            .filter(|i| unit_hash(&format!("user-{i}")) < 0.1)
            .count();
        let share = below as f64 / n as f64;
        assert!((share - 0.1).abs() < 0.01, "share {share}");
        assert_eq!(unit_hash("same"), unit_hash("same"));
    }
}
