//! Service metrics in the Prometheus text format: requests by route and status, a latency
//! histogram, errors, the distribution of predictions per version and per-feature drift.

use crate::inference::Prediction;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS_S: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Upper bounds of the buckets of predicted values and positive-class probabilities.
const SCORE_BUCKETS: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

#[derive(Debug)]
struct Histogram<const N: usize> {
    buckets: [AtomicU64; N],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl<const N: usize> Default for Histogram<N> {
    fn default() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Histogram<14>,
    errors: Mutex<BTreeMap<(String, String), u64>>,
    labels: Mutex<BTreeMap<(String, String), u64>>,
    scores: Mutex<BTreeMap<String, [u64; 11]>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // a panic elsewhere cannot leave a counter map half-updated, so a poisoned lock is usable
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Metrics {
    pub(crate) fn record_request(&self, route: &str, status: u16, elapsed: Duration) {
        *lock(&self.requests)
            .entry((route.to_owned(), status))
            .or_default() += 1;
        let seconds = elapsed.as_secs_f64();
        let at = LATENCY_BUCKETS_S.partition_point(|&b| b < seconds);
        if let Some(bucket) = self.latency.buckets.get(at) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.latency.count.fetch_add(1, Ordering::Relaxed);
        self.latency
            .sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    pub(crate) fn record_error(&self, route: &str, rule: &str) {
        *lock(&self.errors)
            .entry((route.to_owned(), rule.to_owned()))
            .or_default() += 1;
    }

    pub(crate) fn record_predictions(&self, version: &str, predictions: &[Prediction]) {
        let mut labels = lock(&self.labels);
        let mut scores = lock(&self.scores);
        let histogram = scores.entry(version.to_owned()).or_default();
        for p in predictions {
            if let Some(label) = &p.label {
                *labels
                    .entry((version.to_owned(), label.clone()))
                    .or_default() += 1;
            }
            let score = match (&p.probabilities, p.value) {
                (Some(probabilities), _) if probabilities.len() == 2 => Some(probabilities[1]),
                (_, Some(value)) => Some(value),
                _ => None,
            };
            if let Some(score) = score {
                histogram[SCORE_BUCKETS.partition_point(|&b| b < score)] += 1;
            }
        }
    }

    /// Renders every metric; `drift` is `(version, feature, observed values, psi)`.
    pub(crate) fn render(&self, drift: &[(String, String, u64, Option<f64>)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP specweave_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE specweave_http_requests_total counter\n");
        for ((route, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                out,
                "specweave_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP specweave_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE specweave_http_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, bucket) in LATENCY_BUCKETS_S.iter().zip(&self.latency.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "specweave_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.latency.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "specweave_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "specweave_http_request_duration_seconds_sum {}",
            self.latency.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "specweave_http_request_duration_seconds_count {count}");

        out.push_str("# HELP specweave_errors_total Rejected or failed requests by rule.\n");
        out.push_str("# TYPE specweave_errors_total counter\n");
        for ((route, rule), n) in lock(&self.errors).iter() {
            let _ = writeln!(
                out,
                "specweave_errors_total{{route=\"{}\",rule=\"{}\"}} {n}",
                escape(route),
                escape(rule)
            );
        }
        out.push_str("# HELP specweave_predictions_total Predicted labels by model version.\n");
        out.push_str("# TYPE specweave_predictions_total counter\n");
        for ((version, label), n) in lock(&self.labels).iter() {
            let _ = writeln!(
                out,
                "specweave_predictions_total{{version=\"{}\",label=\"{}\"}} {n}",
                escape(version),
                escape(label)
            );
        }
        out.push_str(
            "# HELP specweave_prediction_score Positive-class probability or predicted value.\n",
        );
        out.push_str("# TYPE specweave_prediction_score histogram\n");
        for (version, buckets) in lock(&self.scores).iter() {
            let version = escape(version);
            let mut cumulative = 0;
            for (bound, n) in SCORE_BUCKETS.iter().zip(buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "specweave_prediction_score_bucket{{version=\"{version}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let total: u64 = buckets.iter().sum();
            let _ = writeln!(
                out,
                "specweave_prediction_score_bucket{{version=\"{version}\",le=\"+Inf\"}} {total}"
            );
            let _ = writeln!(
                out,
                "specweave_prediction_score_count{{version=\"{version}\"}} {total}"
            );
        }
        out.push_str("# HELP specweave_feature_drift_psi Population stability index of each model input against the reference profile.\n");
        out.push_str("# TYPE specweave_feature_drift_psi gauge\n");
        for (version, feature, _, psi) in drift {
            if let Some(psi) = psi {
                let _ = writeln!(
                    out,
                    "specweave_feature_drift_psi{{version=\"{}\",feature=\"{}\"}} {psi}",
                    escape(version),
                    escape(feature)
                );
            }
        }
        out.push_str("# HELP specweave_feature_observations_total Values of each model input seen since the version was loaded.\n");
        out.push_str("# TYPE specweave_feature_observations_total counter\n");
        for (version, feature, n, _) in drift {
            let _ = writeln!(
                out,
                "specweave_feature_observations_total{{version=\"{}\",feature=\"{}\"}} {n}",
                escape(version),
                escape(feature)
            );
        }
        out
    }
}

/// Escapes a Prometheus label value.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_histogram_is_cumulative_and_counts_every_request() {
        let metrics = Metrics::default();
        metrics.record_request("/predict", 200, Duration::from_micros(50));
        metrics.record_request("/predict", 200, Duration::from_millis(3));
        metrics.record_request("/predict", 422, Duration::from_secs(10));
        let text = metrics.render(&[]);
        assert!(text.contains("specweave_http_request_duration_seconds_bucket{le=\"0.0001\"} 1"));
        assert!(text.contains("specweave_http_request_duration_seconds_bucket{le=\"0.005\"} 2"));
        assert!(text.contains("specweave_http_request_duration_seconds_bucket{le=\"+Inf\"} 3"));
        assert!(
            text.contains("specweave_http_requests_total{route=\"/predict\",status=\"422\"} 1")
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
