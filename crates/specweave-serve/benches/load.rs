//! Load generator for the prediction service, on loopback only and bounded in time and count.
//!
//! Trains a 100-tree gradient-boosted classifier, serves it on 127.0.0.1 and sends
//! single-record `POST /predict` requests from keep-alive clients; reports requests/s,
//! p50/p99/max latency, and the resident memory of the process sampled during the run (the
//! soak check). Settings come from the environment:
//! `LOAD_SECONDS` (default 10, at most 600), `LOAD_CLIENTS` (default 4),
//! `LOAD_MAX_REQUESTS` (default 5,000,000).
//!
//! `cargo bench -p specweave-serve --bench load`

use ndarray::Array2;
use serde_json::json;
use specweave_core::{Dataset, Target};
use specweave_serve::{BundleBuilder, ModelBundle, Service};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn setting(name: &str, default: u64, max: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .min(max)
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Request latencies in 1 µs buckets up to 100 ms (slower ones share the last bucket; the
/// exact maximum is kept).
struct LatencyHistogram {
    buckets: Vec<u64>,
    max: Duration,
}

impl LatencyHistogram {
    const BUCKETS: usize = 100_000;

    fn new() -> Self {
        LatencyHistogram {
            buckets: vec![0; Self::BUCKETS],
            max: Duration::ZERO,
        }
    }

    fn record(&mut self, latency: Duration) {
        let micros = usize::try_from(latency.as_micros()).unwrap_or(usize::MAX);
        self.buckets[micros.min(Self::BUCKETS - 1)] += 1;
        self.max = self.max.max(latency);
    }

    fn merge(&mut self, other: &LatencyHistogram) {
        for (mine, theirs) in self.buckets.iter_mut().zip(&other.buckets) {
            *mine += theirs;
        }
        self.max = self.max.max(other.max);
    }

    fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The latency at quantile `q` (bucket midpoint), or the maximum for `q = 1`.
    fn quantile(&self, q: f64) -> Duration {
        if q >= 1.0 {
            return self.max;
        }
        let rank = (self.count().saturating_sub(1) as f64 * q).round() as u64;
        let mut seen = 0;
        for (micros, &count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen > rank {
                return Duration::from_nanos(micros as u64 * 1_000 + 500);
            }
        }
        self.max
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds = setting("LOAD_SECONDS", 10, 600);
    let clients = setting("LOAD_CLIENTS", 4, 256) as usize;
    let max_requests = setting("LOAD_MAX_REQUESTS", 5_000_000, 100_000_000);

    let n_features = 20;
    let x = Array2::from_shape_fn((5_000, n_features), |(i, j)| {
        ((i * 7919 + j * 104_729) % 1000) as f64 / 100.0
    });
    let labels = x
        .rows()
        .into_iter()
        .map(|r| usize::from(r[0] + 0.5 * r[1] - 0.3 * r[2] > 5.0))
        .collect();
    let names: Vec<String> = (0..n_features).map(|j| format!("f{j}")).collect();
    let data = Dataset::builder(x)
        .feature_names(names.clone())
        .target(Target::Classes {
            labels,
            class_names: vec!["no".into(), "yes".into()],
        })
        .build()?;
    let model = specweave_train::learner_from_params(
        "gradient_boosting",
        &json!({"n_estimators": 100, "max_depth": 6}),
    )?
    .fit(&data)?;
    let dir = tempfile::tempdir()?;
    BundleBuilder::new(model.as_ref())
        .reference_from(&data)
        .write_to(dir.path())?;
    let server = Service::new(ModelBundle::load(dir.path())?).spawn(([127, 0, 0, 1], 0).into())?;
    let url = format!("http://{}/predict", server.addr());
    let record: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(j, n)| (n.clone(), json!(j as f64 / 3.0)))
        .collect();
    let body = serde_json::to_vec(&json!({ "record": record }))?;

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (stop, sent, errors) = (stop.clone(), sent.clone(), errors.clone());
            let (url, body) = (url.clone(), body.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                // A fixed histogram, allocated before the run, so that the process's memory
                // over the soak is the server's and not a growing list of timings.
                let mut latencies = LatencyHistogram::new();
                while !stop.load(Ordering::Relaxed)
                    && sent.fetch_add(1, Ordering::Relaxed) < max_requests
                {
                    let t = Instant::now();
                    let ok = agent
                        .post(&url)
                        .header("content-type", "application/json")
                        .send(&body[..])
                        .and_then(|mut r| {
                            let status = r.status();
                            r.body_mut().read_to_vec().map(|_| status == 200)
                        })
                        .unwrap_or(false);
                    latencies.record(t.elapsed());
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies
            })
        })
        .collect();

    let mut rss = vec![rss_kib().unwrap_or(0)];
    let deadline = started + Duration::from_secs(seconds);
    while Instant::now() < deadline && sent.load(Ordering::Relaxed) < max_requests {
        std::thread::sleep(Duration::from_millis(250).min(deadline - Instant::now().min(deadline)));
        if rss.len() < 10_000 {
            rss.push(rss_kib().unwrap_or(0));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut latencies = LatencyHistogram::new();
    for worker in workers {
        latencies.merge(&worker.join().map_err(|_| "a client thread panicked")?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = latencies.count();
    if n == 0 {
        return Err("no request completed".into());
    }
    let at = |q: f64| latencies.quantile(q);
    let warm = rss.get(rss.len() / 4).copied().unwrap_or(0);
    let last = rss.last().copied().unwrap_or(0);
    println!(
        "single-record POST /predict, 100-tree booster ({n_features} features), {clients} keep-alive clients, loopback"
    );
    println!(
        "requests: {n} in {elapsed:.1} s = {:.0} req/s; errors: {}",
        n as f64 / elapsed,
        errors.load(Ordering::Relaxed)
    );
    println!(
        "latency: p50 {:.1} us, p99 {:.1} us, max {:.1} us",
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        at(1.0).as_secs_f64() * 1e6
    );
    println!(
        "rss: start {} KiB, after the first quarter {warm} KiB, end {last} KiB, max {} KiB",
        rss[0],
        rss.iter().max().copied().unwrap_or(0)
    );
    server.shutdown()?;
    Ok(())
}
