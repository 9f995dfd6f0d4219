//! Comparison rules with a verdict each: "beats the best baseline by ≥ 20%", "at least 3×
//! the random baseline", "no worse than the previous model version".

use crate::error::{EvalError, Result};
use serde::{Deserialize, Serialize};

/// Whether larger values of a metric are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Scores such as accuracy, AUC, NDCG, R².
    HigherIsBetter,
    /// Losses and errors such as log loss, RMSE, MAPE.
    LowerIsBetter,
}

impl Direction {
    /// The direction of a registry metric name: losses and errors (`mse`, `rmse`, `mae`,
    /// `medae`, `max_error`, `mape`, `smape`, `mase`, `log_loss`, `brier`, and names ending
    /// in `_loss` or `_error`) are lower-is-better, everything else higher-is-better.
    ///
    /// ```
    /// use specweave_eval::compare::Direction;
    /// assert_eq!(Direction::of("rmse"), Direction::LowerIsBetter);
    /// assert_eq!(Direction::of("ndcg@10"), Direction::HigherIsBetter);
    /// ```
    pub fn of(metric: &str) -> Direction {
        const LOWER: [&str; 10] = [
            "mse",
            "rmse",
            "mae",
            "medae",
            "max_error",
            "mape",
            "smape",
            "mase",
            "log_loss",
            "brier",
        ];
        let m = metric.to_ascii_lowercase();
        if LOWER.contains(&m.as_str()) || m.ends_with("_loss") || m.ends_with("_error") {
            Direction::LowerIsBetter
        } else {
            Direction::HigherIsBetter
        }
    }

    /// Relative improvement of `candidate` over `reference`: positive when better.
    pub fn relative_improvement(self, candidate: f64, reference: f64) -> f64 {
        let gain = match self {
            Direction::HigherIsBetter => candidate - reference,
            Direction::LowerIsBetter => reference - candidate,
        };
        gain / reference.abs()
    }

    /// How many times better `candidate` is than `reference` (c/r, or r/c for losses).
    pub fn ratio(self, candidate: f64, reference: f64) -> f64 {
        match self {
            Direction::HigherIsBetter => candidate / reference,
            Direction::LowerIsBetter => reference / candidate,
        }
    }

    /// The better of two values.
    pub fn best(self, a: f64, b: f64) -> f64 {
        match self {
            Direction::HigherIsBetter => a.max(b),
            Direction::LowerIsBetter => a.min(b),
        }
    }
}

/// A rule a candidate's metric must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// Relative improvement over the best baseline of at least `min_improvement`
    /// (0.2 = "beats it by ≥ 20%").
    BeatsBestBaseline {
        /// Required relative improvement, as a fraction.
        min_improvement: f64,
    },
    /// At least `factor` times the random baseline ("≥ 3×").
    MultipleOfRandom {
        /// Required factor.
        factor: f64,
    },
    /// No worse than the previous model version by more than `tolerance` (relative;
    /// 0 = must match or beat it).
    NotWorseThanPrevious {
        /// Allowed relative regression, as a fraction.
        tolerance: f64,
    },
}

/// The outcome of one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The rule checked.
    pub rule: Rule,
    /// Whether it holds.
    pub passed: bool,
    /// The candidate's value.
    pub candidate: f64,
    /// The value compared against (best baseline, random baseline or previous version).
    pub reference: f64,
    /// Relative improvement (or ratio, for [`Rule::MultipleOfRandom`]) that was achieved.
    pub achieved: f64,
    /// One sentence for reports.
    pub message: String,
}

/// The values one comparison works with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Metric name (decides the direction unless set explicitly).
    pub metric: String,
    /// Whether larger is better.
    pub direction: Direction,
    /// The candidate's value.
    pub candidate: f64,
    /// Baselines by name.
    pub baselines: Vec<(String, f64)>,
    /// The random baseline's value, if known.
    pub random: Option<f64>,
    /// The previous model version's value, if any.
    pub previous: Option<f64>,
}

impl Comparison {
    /// A comparison of `candidate` on `metric`, direction from [`Direction::of`].
    pub fn new(metric: &str, candidate: f64) -> Self {
        Comparison {
            metric: metric.to_string(),
            direction: Direction::of(metric),
            candidate,
            baselines: Vec::new(),
            random: None,
            previous: None,
        }
    }

    /// Adds a baseline.
    pub fn baseline(mut self, name: &str, value: f64) -> Self {
        self.baselines.push((name.to_string(), value));
        self
    }

    /// Sets the random baseline.
    pub fn random(mut self, value: f64) -> Self {
        self.random = Some(value);
        self
    }

    /// Sets the previous version's value.
    pub fn previous(mut self, value: f64) -> Self {
        self.previous = Some(value);
        self
    }

    /// The best baseline (name and value), NaN values ignored.
    pub fn best_baseline(&self) -> Option<(&str, f64)> {
        self.baselines.iter().filter(|(_, v)| v.is_finite()).fold(
            None,
            |best: Option<(&str, f64)>, (name, v)| match best {
                Some((_, b)) if self.direction.best(b, *v) == b => best,
                _ => Some((name.as_str(), *v)),
            },
        )
    }

    /// Checks one rule.
    ///
    /// ```
    /// use specweave_eval::compare::{Comparison, Rule};
    /// let c = Comparison::new("precision@10", 0.18).baseline("popularity", 0.12).baseline("random", 0.02).random(0.02);
    /// let v = c.check(Rule::BeatsBestBaseline { min_improvement: 0.2 })?;
    /// assert!(v.passed && (v.achieved - 0.5).abs() < 1e-12);
    /// assert!(c.check(Rule::MultipleOfRandom { factor: 3.0 })?.passed);
    /// # Ok::<(), specweave_eval::EvalError>(())
    /// ```
    pub fn check(&self, rule: Rule) -> Result<Verdict> {
        if !self.candidate.is_finite() {
            return Err(EvalError::NonFinite {
                what: format!("candidate {}", self.metric),
                row: 0,
                value: self.candidate,
            });
        }
        let d = self.direction;
        let (reference, achieved, passed, message) = match rule {
            Rule::BeatsBestBaseline { min_improvement } => {
                let (name, best) = self.best_baseline().ok_or_else(|| {
                    EvalError::param(
                        "baselines",
                        format!("no baseline value of {} to compare with", self.metric),
                    )
                })?;
                let achieved = d.relative_improvement(self.candidate, best);
                let passed = achieved >= min_improvement;
                let message = format!(
                    "{} {:.4} vs best baseline {name} {:.4}: {:+.1}% (needs ≥ {:.1}%)",
                    self.metric,
                    self.candidate,
                    best,
                    achieved * 100.0,
                    min_improvement * 100.0
                );
                (best, achieved, passed, message)
            }
            Rule::MultipleOfRandom { factor } => {
                let random = self.random.ok_or_else(|| {
                    EvalError::param(
                        "random",
                        format!("no random baseline of {} to compare with", self.metric),
                    )
                })?;
                let achieved = d.ratio(self.candidate, random);
                let passed = achieved >= factor;
                let message = format!(
                    "{} {:.4} is {:.2}× the random baseline {:.4} (needs ≥ {factor}×)",
                    self.metric, self.candidate, achieved, random
                );
                (random, achieved, passed, message)
            }
            Rule::NotWorseThanPrevious { tolerance } => {
                let previous = self.previous.ok_or_else(|| {
                    EvalError::param(
                        "previous",
                        format!("no previous version of {} to compare with", self.metric),
                    )
                })?;
                let achieved = d.relative_improvement(self.candidate, previous);
                let passed = achieved >= -tolerance;
                let message = format!(
                    "{} {:.4} vs previous version {:.4}: {:+.1}% (allowed regression {:.1}%)",
                    self.metric,
                    self.candidate,
                    previous,
                    achieved * 100.0,
                    tolerance * 100.0
                );
                (previous, achieved, passed, message)
            }
        };
        Ok(Verdict {
            rule,
            passed,
            candidate: self.candidate,
            reference,
            achieved,
            message,
        })
    }
}
