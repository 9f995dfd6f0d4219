//! Success criteria: the lines of a spec's `## Success Criteria` section turned into typed,
//! checkable criteria on the metric keys the tracking records use.
//!
//! | criterion text | metric key | check |
//! |---|---|---|
//! | `Precision@10 > 0.25` | `precision@10` | `> 0.25` (also `recall@k`, `ndcg@k`, `map@k`, `mrr@k`, `hit_rate@k`) |
//! | `RMSE < $50` | `rmse` | `< 50` (currency signs are dropped) |
//! | `MAPE < 10%` | `mape` | `< 0.10`: percentages become fractions, as metrics are logged as fractions |
//! | `Latency: <100ms inference` | `latency_p99_ms` | `< 100` (`s` and `us` are converted to ms; `p50`/`p95` pick `latency_p50_ms`/`latency_p95_ms`) |
//! | `Throughput: 1000 req/sec` | `throughput_rps` | `>= 1000` (`req/min` is divided by 60) |
//! | `99% precision` | `precision` | `>= 0.99` |
//! | `Better than random baseline by 3x` | headline metric | at least 3 times the random baseline |
//! | `New model must beat best baseline by 20%+` | headline metric | at least 20 % better than the best baseline |
//!
//! Without a comparison sign the check is `>=` for metrics where higher is better and `<=`
//! for error, latency and spread metrics (`rmse`, `mae`, `mse`, `mape`, `log_loss`,
//! `latency_*`, `cv_std`, `*_cv_std`). "Better" means higher for the first group and lower for
//! the second, so "3x better" on RMSE means a third of the baseline's error.

use std::fmt;

use serde::Serialize;

/// How a metric is compared with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    /// `>`
    #[serde(rename = ">")]
    Greater,
    /// `>=`
    #[serde(rename = ">=")]
    GreaterOrEqual,
    /// `<`
    #[serde(rename = "<")]
    Less,
    /// `<=`
    #[serde(rename = "<=")]
    LessOrEqual,
}

impl Comparison {
    /// The sign, e.g. `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
        }
    }

    /// Whether `actual` satisfies the comparison with `target`. NaN never does.
    pub fn holds(self, actual: f64, target: f64) -> bool {
        match self {
            Comparison::Greater => actual > target,
            Comparison::GreaterOrEqual => actual >= target,
            Comparison::Less => actual < target,
            Comparison::LessOrEqual => actual <= target,
        }
    }
}

/// Which baseline a relative criterion compares against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineRef {
    /// The best of all baseline runs.
    Best,
    /// The baseline whose name or algorithm contains this word (e.g. `random`, `popularity`).
    Named(String),
}

impl fmt::Display for BaselineRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaselineRef::Best => f.write_str("best baseline"),
            BaselineRef::Named(name) => write!(f, "{name} baseline"),
        }
    }
}

/// How much better than a baseline a model must be.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Margin {
    /// A factor: `3x` means three times better.
    Factor(f64),
    /// A relative improvement in percent: `20%` means 20 % better.
    Percent(f64),
}

/// What a criterion checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Check {
    /// A metric of the best model against a fixed target.
    Threshold {
        /// Metric key, e.g. `precision@10`.
        metric: String,
        /// The comparison.
        comparison: Comparison,
        /// Target in the metric's own units (fractions for percentages, ms for latency).
        target: f64,
    },
    /// The best model's headline metric (or `metric`) against a baseline's.
    BeatBaseline {
        /// Which baseline.
        baseline: BaselineRef,
        /// By how much.
        margin: Margin,
        /// The metric, when the criterion names one; otherwise the headline metric.
        metric: Option<String>,
    },
}

/// One success criterion, with the text and line it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    /// The text as written (without the list marker).
    pub text: String,
    /// 1-based line in the file.
    pub line: usize,
    /// What to check.
    pub check: Check,
}

/// Whether lower values of `metric` are better (errors, latency, spread).
///
/// ```
/// assert!(specweave_spec::lower_is_better("rmse"));
/// assert!(specweave_spec::lower_is_better("mase"));
/// assert!(!specweave_spec::lower_is_better("ndcg@10"));
/// ```
pub fn lower_is_better(metric: &str) -> bool {
    matches!(
        metric,
        "rmse"
            | "mae"
            | "mse"
            | "mape"
            | "smape"
            | "mase"
            | "rmsse"
            | "wape"
            | "log_loss"
            | "brier_score"
            | "cv_std"
            | "max_error"
    ) || metric.starts_with("latency")
        || metric.ends_with("_cv_std")
}

impl Check {
    /// The required value of a relative check, given the baseline's value of the metric.
    /// Margins are relative to the baseline's magnitude, so they also work for negative
    /// values (an R² below zero).
    pub fn required_against(baseline: f64, margin: Margin, lower_better: bool) -> f64 {
        match (margin, lower_better) {
            (Margin::Factor(f), false) if baseline >= 0.0 => baseline * f,
            (Margin::Factor(f), false) => baseline / f,
            (Margin::Factor(f), true) if baseline >= 0.0 => baseline / f,
            (Margin::Factor(f), true) => baseline * f,
            (Margin::Percent(p), false) => baseline + baseline.abs() * p / 100.0,
            (Margin::Percent(p), true) => baseline - baseline.abs() * p / 100.0,
        }
    }
}

/// Parses one criterion line (list marker already removed).
///
/// ```
/// use specweave_spec::{parse_criterion, Check, Comparison};
/// let criterion = parse_criterion("MAPE < 10%", 12)?;
/// assert_eq!(
///     criterion.check,
///     Check::Threshold { metric: "mape".into(), comparison: Comparison::Less, target: 0.10 }
/// );
/// # Ok::<(), String>(())
/// ```
pub fn parse_criterion(text: &str, line: usize) -> Result<Criterion, String> {
    let cleaned = text.replace("**", "").replace('`', "");
    let lower = cleaned.trim().to_lowercase();
    let check = if lower.contains("baseline") {
        parse_relative(&lower)?
    } else {
        parse_threshold(&lower)?
    };
    Ok(Criterion {
        text: cleaned.trim().to_string(),
        line,
        check,
    })
}

/// Parses the bullets of a criteria section. `first_line` is the 1-based line of the first
/// line of `body`. Returns the criteria and, for each bullet that is not a criterion, its
/// line and the reason. Prose that is not a list item and HTML comments are skipped.
pub fn parse_criteria_block(
    body: &str,
    first_line: usize,
) -> (Vec<Criterion>, Vec<(usize, String)>) {
    let mut criteria = Vec::new();
    let mut errors = Vec::new();
    let mut in_comment = false;
    for (index, line) in body.lines().enumerate() {
        let number = first_line + index;
        let trimmed = line.trim();
        if in_comment {
            in_comment = !trimmed.contains("-->");
            continue;
        }
        if trimmed.starts_with("<!--") {
            in_comment = !trimmed.contains("-->");
            continue;
        }
        let Some(item) = list_item(trimmed) else {
            continue;
        };
        match parse_criterion(item, number) {
            Ok(criterion) => criteria.push(criterion),
            Err(reason) => errors.push((number, reason)),
        }
    }
    (criteria, errors)
}

fn list_item(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| {
            let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            (digits > 0)
                .then(|| line[digits..].strip_prefix(". "))
                .flatten()
        })?;
    let rest = rest.trim_start();
    let rest = ["[ ] ", "[x] ", "[X] "]
        .iter()
        .find_map(|b| rest.strip_prefix(b))
        .unwrap_or(rest);
    (!rest.trim().is_empty()).then_some(rest)
}

/// Metric names as written, and the key they map to. Longer names first so `roc auc` wins
/// over `auc`, and `precision@k` over `precision`.
const METRIC_ALIASES: [(&str, &str); 24] = [
    ("root mean squared error", "rmse"),
    ("mean absolute percentage error", "mape"),
    ("mean absolute error", "mae"),
    ("mean squared error", "mse"),
    ("r-squared", "r2"),
    ("r squared", "r2"),
    ("roc auc", "roc_auc"),
    ("roc-auc", "roc_auc"),
    ("roc_auc", "roc_auc"),
    ("auc", "roc_auc"),
    ("f1 score", "f1"),
    ("f1-score", "f1"),
    ("log loss", "log_loss"),
    ("log_loss", "log_loss"),
    ("rmse", "rmse"),
    ("mape", "mape"),
    ("mae", "mae"),
    ("mse", "mse"),
    ("r²", "r2"),
    ("r^2", "r2"),
    ("r2", "r2"),
    ("f1", "f1"),
    ("accuracy", "accuracy"),
    ("cv std", "cv_std"),
];

const RANKED_METRICS: [(&str, &str); 7] = [
    ("precision", "precision"),
    ("recall", "recall"),
    ("ndcg", "ndcg"),
    ("map", "map"),
    ("mrr", "mrr"),
    ("hit rate", "hit_rate"),
    ("hit_rate", "hit_rate"),
];

/// Finds the metric named in `lower`; returns the key and the byte range of the name so the
/// number search can skip it (the `10` of `precision@10` is not a target).
fn find_metric(lower: &str) -> Option<(String, std::ops::Range<usize>)> {
    for (name, key) in RANKED_METRICS {
        if let Some(start) = find_word(lower, &format!("{name}@")) {
            let after = start + name.len() + 1;
            let digits: String = lower[after..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !digits.is_empty() {
                return Some((format!("{key}@{digits}"), start..after + digits.len()));
            }
        }
    }
    if let Some(start) = find_word(lower, "latency") {
        let percentile = ["p50", "p90", "p95", "p99", "p999"]
            .into_iter()
            .find(|p| find_word(lower, p).is_some());
        // Only the word is cut out: `p99` never reads as a target because digits glued to
        // a letter are skipped by the number search.
        let key = percentile.map_or_else(
            || "latency_p99_ms".to_string(),
            |p| format!("latency_{p}_ms"),
        );
        return Some((key, start..start + "latency".len()));
    }
    if let Some(start) = find_word(lower, "throughput") {
        return Some((
            "throughput_rps".to_string(),
            start..start + "throughput".len(),
        ));
    }
    for (name, key) in METRIC_ALIASES {
        if let Some(start) = find_word(lower, name) {
            return Some((key.to_string(), start..start + name.len()));
        }
    }
    for (name, key) in [("precision", "precision"), ("recall", "recall")] {
        if let Some(start) = find_word(lower, name) {
            return Some((key.to_string(), start..start + name.len()));
        }
    }
    None
}

/// Position of `word` in `text` where it is not glued to other letters or digits.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find(word) {
        let start = from + found;
        let end = start + word.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = word.ends_with('@')
            || text[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return Some(start);
        }
        from = start + word.len().max(1);
    }
    None
}

fn parse_threshold(lower: &str) -> Result<Check, String> {
    let (metric, span) = find_metric(lower).ok_or_else(|| {
        format!(
            "no known metric in `{lower}`; use e.g. Precision@10, Recall@10, NDCG@10, RMSE, MAE, R², MAPE, ROC AUC, F1, precision, recall, accuracy, latency or throughput"
        )
    })?;
    let rest = format!("{} {}", &lower[..span.start], &lower[span.end..]);
    let (value, unit) = find_number(&rest).ok_or_else(|| {
        format!("no target value for {metric} in `{lower}`; write e.g. `{metric} > 0.25`")
    })?;
    let comparison = find_comparison(&rest).unwrap_or(if lower_is_better(&metric) {
        Comparison::LessOrEqual
    } else {
        Comparison::GreaterOrEqual
    });
    let target = convert_unit(&metric, value, &unit)?;
    Ok(Check::Threshold {
        metric,
        comparison,
        target,
    })
}

fn parse_relative(lower: &str) -> Result<Check, String> {
    let position = lower.find("baseline").unwrap_or(0);
    let before: Vec<&str> = lower[..position]
        .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    let baseline = match before.last().copied() {
        None
        | Some("best" | "the" | "than" | "beat" | "beats" | "any" | "all" | "strongest" | "a") => {
            BaselineRef::Best
        }
        Some(word) => BaselineRef::Named(word.to_string()),
    };
    let metric = find_metric(&lower.replace("baseline", "        ")).map(|(key, _)| key);
    let margin = match find_number(lower) {
        None => Margin::Percent(0.0),
        Some((value, unit)) => match unit.as_str() {
            "x" | "×" | "times" => Margin::Factor(value),
            "%" => Margin::Percent(value),
            other => {
                return Err(format!(
                    "margin `{value}{other}` in `{lower}` is neither a factor (`3x`) nor a percentage (`20%`)"
                ));
            }
        },
    };
    if let Margin::Factor(f) = margin
        && f <= 0.0
    {
        return Err(format!("factor {f}x in `{lower}` must be positive"));
    }
    Ok(Check::BeatBaseline {
        baseline,
        margin,
        metric,
    })
}

fn find_comparison(text: &str) -> Option<Comparison> {
    let signs = [
        (">=", Comparison::GreaterOrEqual),
        ("≥", Comparison::GreaterOrEqual),
        ("<=", Comparison::LessOrEqual),
        ("≤", Comparison::LessOrEqual),
        (">", Comparison::Greater),
        ("<", Comparison::Less),
        ("at least", Comparison::GreaterOrEqual),
        ("at most", Comparison::LessOrEqual),
        ("no more than", Comparison::LessOrEqual),
        ("no less than", Comparison::GreaterOrEqual),
        ("less than", Comparison::Less),
        ("under", Comparison::Less),
        ("below", Comparison::Less),
        ("more than", Comparison::Greater),
        ("greater than", Comparison::Greater),
        ("above", Comparison::Greater),
        ("over", Comparison::Greater),
    ];
    signs
        .into_iter()
        .filter_map(|(sign, comparison)| text.find(sign).map(|at| (at, comparison)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, comparison)| comparison)
}

/// The first number in `text` and the unit written right after it (`%`, `ms`, `x`, `req/sec`...).
fn find_number(text: &str) -> Option<(f64, String)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        let glued_to_word = i > 0 && (bytes[i - 1].is_ascii_alphabetic() || bytes[i - 1] == b'@');
        if starts_number && glued_to_word {
            // Digits that belong to a name (`p99`, `r2`, `@10`) are never the target.
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            continue;
        }
        if starts_number {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b',')
            {
                i += 1;
            }
            let number: String = text[start..i].chars().filter(|c| *c != ',').collect();
            let value: f64 = number.trim_end_matches('.').parse().ok()?;
            let mut value = value;
            let mut after = &text[i..];
            // `6k req/min`: a thousands suffix glued to the number.
            if let Some(rest) = after.strip_prefix('k')
                && rest
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphabetic() || rest.starts_with("rps"))
            {
                value *= 1000.0;
                after = rest;
            }
            let unit: String = after
                .trim_start()
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ')' && *c != '+' && *c != ',')
                .collect();
            return Some((value, unit));
        }
        i += 1;
    }
    None
}

fn convert_unit(metric: &str, value: f64, unit: &str) -> Result<f64, String> {
    let unit = unit.trim_end_matches(['.', ';', ':']);
    if metric.starts_with("latency") {
        return match unit {
            "" | "ms" | "msec" | "milliseconds" | "millisecond" => Ok(value),
            "s" | "sec" | "second" | "seconds" => Ok(value * 1000.0),
            "us" | "µs" | "μs" | "microseconds" => Ok(value / 1000.0),
            other => Err(format!("unknown latency unit `{other}`; use ms, s or us")),
        };
    }
    if metric == "throughput_rps" {
        return match unit {
            "" | "req/sec" | "req/s" | "requests/sec" | "requests/s" | "rps" | "qps" | "/s"
            | "/sec" | "requests/second" | "req/second" | "predictions/sec" => Ok(value),
            "req/min" | "requests/min" | "rpm" | "/min" => Ok(value / 60.0),
            other => Err(format!(
                "unknown throughput unit `{other}`; use req/sec or req/min"
            )),
        };
    }
    match unit {
        "%" => Ok(value / 100.0),
        _ => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threshold(metric: &str, comparison: Comparison, target: f64) -> Check {
        Check::Threshold {
            metric: metric.into(),
            comparison,
            target,
        }
    }

    #[test]
    fn the_issue_examples_map_to_metric_keys() -> Result<(), String> {
        use Comparison::*;
        let cases = [
            (
                "Precision@10 > 0.25",
                threshold("precision@10", Greater, 0.25),
            ),
            ("Recall@10 > 0.15", threshold("recall@10", Greater, 0.15)),
            ("NDCG@20 >= 0.3", threshold("ndcg@20", GreaterOrEqual, 0.3)),
            ("RMSE < $50", threshold("rmse", Less, 50.0)),
            ("MAPE < 10%", threshold("mape", Less, 0.10)),
            (
                "Latency: <100ms inference",
                threshold("latency_p99_ms", Less, 100.0),
            ),
            (
                "Latency: <100ms inference (p99, one row)",
                threshold("latency_p99_ms", Less, 100.0),
            ),
            (
                "p95 latency under 0.2 s",
                threshold("latency_p95_ms", Less, 200.0),
            ),
            (
                "Throughput: 1000 req/sec",
                threshold("throughput_rps", GreaterOrEqual, 1000.0),
            ),
            (
                "Throughput: 6k req/min",
                threshold("throughput_rps", GreaterOrEqual, 100.0),
            ),
            (
                "99% precision",
                threshold("precision", GreaterOrEqual, 0.99),
            ),
            ("R² > 0.7", threshold("r2", Greater, 0.7)),
            ("ROC AUC ≥ 0.85", threshold("roc_auc", GreaterOrEqual, 0.85)),
            ("**F1** at least 0.8", threshold("f1", GreaterOrEqual, 0.8)),
            ("MAE: 30", threshold("mae", LessOrEqual, 30.0)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_criterion(text, 1)?.check, expected, "{text}");
        }
        assert_eq!(
            parse_criterion("Better than random baseline by 3x", 1)?.check,
            Check::BeatBaseline {
                baseline: BaselineRef::Named("random".into()),
                margin: Margin::Factor(3.0),
                metric: None
            }
        );
        assert_eq!(
            parse_criterion("New model must beat best baseline by 20%+", 1)?.check,
            Check::BeatBaseline {
                baseline: BaselineRef::Best,
                margin: Margin::Percent(20.0),
                metric: None
            }
        );
        assert_eq!(
            parse_criterion("Beat the popularity baseline on NDCG@10 by 10%", 1)?.check,
            Check::BeatBaseline {
                baseline: BaselineRef::Named("popularity".into()),
                margin: Margin::Percent(10.0),
                metric: Some("ndcg@10".into())
            }
        );
        Ok(())
    }

    #[test]
    fn unparseable_bullets_are_reported_with_their_line() {
        let body = "Prose is skipped.\n\n- Precision@10 > 0.25\n- Users are happy\n<!-- - ignored -->\n- Recall@10 >\n- Latency < 3 parsecs\n";
        let (criteria, errors) = parse_criteria_block(body, 20);
        assert_eq!(criteria.len(), 1);
        assert_eq!(criteria[0].line, 22);
        let lines: Vec<usize> = errors.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [23, 25, 26]);
        assert!(
            errors[0]
                .1
                .starts_with("no known metric in `users are happy`")
        );
        assert!(errors[1].1.starts_with("no target value for recall@10"));
        assert!(errors[2].1.starts_with("unknown latency unit `parsecs`"));
    }

    #[test]
    fn relative_margins_respect_the_metric_direction() {
        assert!((Check::required_against(0.1, Margin::Factor(3.0), false) - 0.3).abs() < 1e-12);
        assert!((Check::required_against(30.0, Margin::Factor(3.0), true) - 10.0).abs() < 1e-12);
        assert!((Check::required_against(50.0, Margin::Percent(20.0), true) - 40.0).abs() < 1e-12);
        assert!((Check::required_against(0.5, Margin::Percent(20.0), false) - 0.6).abs() < 1e-12);
        assert!(!Comparison::Greater.holds(f64::NAN, 0.0));
    }
}
