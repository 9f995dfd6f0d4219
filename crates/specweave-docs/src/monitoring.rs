//! Monitoring: a reference profile for drift detection (per-feature quantile bins with PSI
//! and KS thresholds, the prediction distribution, latency and error-rate objectives) and
//! the Prometheus alert rules that watch it.
//!
//! ```
//! use specweave_docs::{psi, ks_critical_value};
//! let same = psi(&[0.25, 0.25, 0.5], &[0.25, 0.25, 0.5]);
//! assert!(same.abs() < 1e-12);
//! assert!((ks_critical_value(0.05, 1000, 1000) - 0.0608).abs() < 1e-3);
//! ```

use serde::{Deserialize, Serialize};

/// PSI above which a feature is reported as drifting (a warning).
pub const PSI_WARN: f64 = 0.1;
/// PSI above which a feature has shifted enough to page and consider retraining.
pub const PSI_ALERT: f64 = 0.25;
/// Bins per feature in the reference profile.
pub const BINS: usize = 10;
/// Smallest bin share used in PSI, so empty bins do not give infinite values.
const PSI_FLOOR: f64 = 1e-4;

/// Population stability index between reference and current bin shares:
/// `sum (cur - ref) * ln(cur / ref)`, shares floored at 1e-4.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| {
            let (r, c) = (r.max(PSI_FLOOR), c.max(PSI_FLOOR));
            (c - r) * (c / r).ln()
        })
        .sum()
}

/// Two-sample Kolmogorov-Smirnov critical distance at level `alpha` for samples of `n` and
/// `m` rows (asymptotic: `c(alpha) sqrt((n + m) / (n m))`, `c = sqrt(-ln(alpha / 2) / 2)`).
pub fn ks_critical_value(alpha: f64, n: usize, m: usize) -> f64 {
    let (n, m) = (n.max(1) as f64, m.max(1) as f64);
    (-(alpha / 2.0).ln() / 2.0).sqrt() * ((n + m) / (n * m)).sqrt()
}

/// Reference distribution of one feature (or of the predictions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// Feature name, or `prediction`.
    pub name: String,
    /// Inner bin edges (quantiles of the reference sample); bins are `(-inf, e0)`,
    /// `[e0, e1)`, ..., `[e_last, inf)`.
    pub edges: Vec<f64>,
    /// Share of reference rows per bin.
    pub shares: Vec<f64>,
    /// Reference mean.
    pub mean: f64,
    /// Reference standard deviation.
    pub std_dev: f64,
    /// PSI warning threshold.
    pub psi_warn: f64,
    /// PSI alert threshold.
    pub psi_alert: f64,
    /// KS distance above which the current window differs at alpha 0.05, for a window the
    /// size of the reference sample.
    pub ks_threshold: f64,
}

impl FeatureDrift {
    /// Profiles one column of finite values; `None` when it has none.
    pub fn from_values(name: &str, values: &[f64]) -> Option<FeatureDrift> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let mut edges: Vec<f64> = (1..BINS)
            .map(|k| sorted[((k * n) / BINS).min(n - 1)])
            .collect();
        edges.dedup();
        let mut counts = vec![0usize; edges.len() + 1];
        for v in &sorted {
            counts[edges.partition_point(|e| e <= v)] += 1;
        }
        let shares = counts.iter().map(|&c| c as f64 / n as f64).collect();
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let var = sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
        Some(FeatureDrift {
            name: name.to_string(),
            edges,
            shares,
            mean,
            std_dev: var.sqrt(),
            psi_warn: PSI_WARN,
            psi_alert: PSI_ALERT,
            ks_threshold: ks_critical_value(0.05, n, n),
        })
    }
}

/// The reference profile saved as `reports/drift-profile.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftProfile {
    /// Model version the profile belongs to.
    pub model_version: String,
    /// Rows in the reference sample.
    pub reference_rows: usize,
    /// One entry per feature.
    pub features: Vec<FeatureDrift>,
    /// Distribution of the model's scores, when held-out predictions were saved.
    pub prediction: Option<FeatureDrift>,
    /// p99 latency objective in milliseconds.
    pub latency_p99_ms_objective: f64,
    /// Error-rate objective (share of failed requests).
    pub error_rate_objective: f64,
}

impl DriftProfile {
    /// Prometheus alert rules (YAML) for this profile: per-feature PSI warnings and alerts,
    /// prediction drift, p99 latency and error rate. Expects the service to export
    /// `specweave_feature_psi{feature=...}`, `specweave_prediction_psi`,
    /// `specweave_request_duration_seconds_bucket` and `specweave_requests_total{status=...}`.
    pub fn alert_rules_yaml(&self, model: &str) -> String {
        let mut y = String::new();
        y.push_str("groups:\n");
        y.push_str(&format!(
            "  - name: specweave-{}\n    rules:\n",
            yaml_name(model)
        ));
        let rule = |y: &mut String,
                    alert: &str,
                    expr: &str,
                    minutes: u32,
                    severity: &str,
                    summary: &str| {
            y.push_str(&format!("      - alert: {alert}\n"));
            y.push_str(&format!("        expr: {}\n", yaml_quote(expr)));
            y.push_str(&format!("        for: {minutes}m\n"));
            y.push_str(&format!(
                "        labels:\n          severity: {severity}\n          model: {}\n",
                yaml_quote(model)
            ));
            y.push_str(&format!(
                "        annotations:\n          summary: {}\n",
                yaml_quote(summary)
            ));
        };
        for f in &self.features {
            let sel = format!(
                "specweave_feature_psi{{model=\"{model}\",feature=\"{}\"}}",
                f.name
            );
            let id = camel(&f.name);
            rule(
                &mut y,
                &format!("FeatureDriftWarning{id}"),
                &format!("{sel} > {}", f.psi_warn),
                30,
                "warning",
                &format!("PSI of {} above {} for 30 minutes", f.name, f.psi_warn),
            );
            rule(
                &mut y,
                &format!("FeatureDriftCritical{id}"),
                &format!("{sel} > {}", f.psi_alert),
                15,
                "critical",
                &format!(
                    "PSI of {} above {}: retrain or roll back",
                    f.name, f.psi_alert
                ),
            );
        }
        if let Some(p) = &self.prediction {
            rule(
                &mut y,
                "PredictionDrift",
                &format!(
                    "specweave_prediction_psi{{model=\"{model}\"}} > {}",
                    p.psi_alert
                ),
                15,
                "critical",
                &format!("prediction distribution PSI above {}", p.psi_alert),
            );
        }
        let latency_s = self.latency_p99_ms_objective / 1000.0;
        rule(
            &mut y,
            "LatencyP99High",
            &format!(
                "histogram_quantile(0.99, sum(rate(specweave_request_duration_seconds_bucket{{model=\"{model}\"}}[5m])) by (le)) > {latency_s}"
            ),
            10,
            "critical",
            &format!("p99 latency above {} ms", self.latency_p99_ms_objective),
        );
        rule(
            &mut y,
            "ErrorRateHigh",
            &format!(
                "sum(rate(specweave_requests_total{{model=\"{model}\",status=\"error\"}}[5m])) / sum(rate(specweave_requests_total{{model=\"{model}\"}}[5m])) > {}",
                self.error_rate_objective
            ),
            5,
            "critical",
            &format!("error rate above {}%", self.error_rate_objective * 100.0),
        );
        y
    }
}

/// A double-quoted YAML scalar.
fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn yaml_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `days_since_signup` → `DaysSinceSignup`, for alert names.
fn camel(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_grows_with_shift_and_matches_the_formula() {
        let reference = [0.2, 0.3, 0.5];
        assert!(psi(&reference, &reference).abs() < 1e-12);
        let current = [0.1, 0.3, 0.6];
        let expected = (0.1 - 0.2) * (0.1f64 / 0.2).ln() + (0.6 - 0.5) * (0.6f64 / 0.5).ln();
        assert!((psi(&reference, &current) - expected).abs() < 1e-12);
        assert!(psi(&reference, &[0.0, 0.0, 1.0]) > PSI_ALERT);
    }

    #[test]
    fn profiles_bin_into_deciles_and_alert_rules_name_every_feature() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let drift = FeatureDrift::from_values("days since signup", &values).expect("finite values");
        assert_eq!(drift.shares.len(), BINS);
        assert!(
            drift.shares.iter().all(|s| (s - 0.1).abs() < 1e-9),
            "{:?}",
            drift.shares
        );
        assert!((drift.ks_threshold - 1.358 * (2.0f64 / 1000.0).sqrt()).abs() < 1e-3);
        assert!(FeatureDrift::from_values("empty", &[f64::NAN]).is_none());
        let profile = DriftProfile {
            model_version: "churn 0001-v1".into(),
            reference_rows: 1000,
            features: vec![drift],
            prediction: None,
            latency_p99_ms_objective: 50.0,
            error_rate_objective: 0.01,
        };
        let yaml = profile.alert_rules_yaml("churn 0001-v1");
        assert!(yaml.contains("alert: FeatureDriftCriticalDaysSinceSignup"));
        assert!(yaml.contains("> 0.05\""), "latency in seconds: {yaml}");
    }
}
