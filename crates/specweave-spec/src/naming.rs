//! Names of increments: the kebab-case slug of a title, and the problem kind a title implies.

use specweave_core::ProblemKind;

use crate::{Error, Result};

/// Longest slug kept, in bytes; longer titles are cut at a word boundary.
const MAX_SLUG_LEN: usize = 48;

/// Verbs that open most titles ("build recommendation model") and say nothing about the
/// increment, so the folder reads `0042-recommendation-model`.
const LEADING_VERBS: [&str; 8] = [
    "build",
    "create",
    "develop",
    "implement",
    "train",
    "make",
    "add",
    "design",
];
const ARTICLES: [&str; 3] = ["a", "an", "the"];

/// The kebab-case slug of `title`: lowercase ASCII letters and digits joined by `-`, without
/// a leading verb such as "build", at most 48 bytes.
///
/// ```
/// assert_eq!(specweave_spec::slugify("Build Recommendation Model!")?, "recommendation-model");
/// assert!(specweave_spec::slugify("!!!").is_err());
/// # Ok::<(), specweave_spec::Error>(())
/// ```
pub fn slugify(title: &str) -> Result<String> {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut start = 0;
    if words.len() > 1 && LEADING_VERBS.contains(&words[0].as_str()) {
        start = 1;
        while words.len() > start + 1 && ARTICLES.contains(&words[start].as_str()) {
            start += 1;
        }
    }
    let mut slug = String::new();
    for word in &words[start..] {
        let extra = if slug.is_empty() { 0 } else { 1 };
        if !slug.is_empty() && slug.len() + extra + word.len() > MAX_SLUG_LEN {
            break;
        }
        if extra == 1 {
            slug.push('-');
        }
        slug.push_str(word);
    }
    slug.truncate(MAX_SLUG_LEN);
    if slug.is_empty() {
        return Err(Error::EmptySlug {
            title: title.to_string(),
        });
    }
    Ok(slug)
}

/// The problem kind inferred from a title, and the word that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inference {
    /// The inferred kind.
    pub kind: ProblemKind,
    /// The word (or phrase) of the title that decided it.
    pub because_of: String,
}

/// Signals in the order they are tried: the first kind with a matching word wins, so
/// "predict churn" is classification and "predict weekly sales" is forecasting before any
/// generic "predict a value" reading.
const SIGNALS: [(ProblemKind, &[&str]); 4] = [
    (
        ProblemKind::Recommendation,
        &[
            "recommend",
            "recommendation",
            "recommendations",
            "recommender",
            "ranking",
            "personalization",
            "personalisation",
            "candidate generation",
            "next item",
        ],
    ),
    (
        ProblemKind::Forecasting,
        &[
            "forecast",
            "forecasting",
            "time series",
            "demand",
            "weekly",
            "daily",
            "monthly",
            "quarterly",
            "hourly",
            "seasonal",
        ],
    ),
    (
        ProblemKind::Classification,
        &[
            "detect",
            "detection",
            "detector",
            "classify",
            "classifier",
            "classification",
            "churn",
            "fraud",
            "spam",
            "anomaly",
            "sentiment",
            "default risk",
        ],
    ),
    (
        ProblemKind::Regression,
        &[
            "lifetime value",
            "ltv",
            "value",
            "amount",
            "price",
            "pricing",
            "revenue",
            "cost",
            "duration",
            "regression",
            "estimate",
        ],
    ),
];

/// Infers the problem kind from a title: recommend → recommendation; forecast or weekly sales
/// → forecasting; detect, classify, churn, fraud → classification; a value, amount or lifetime
/// value → regression.
///
/// ```
/// use specweave_core::ProblemKind;
/// let inferred = specweave_spec::infer_problem("Predict weekly sales")?;
/// assert_eq!(inferred.kind, ProblemKind::Forecasting);
/// assert_eq!(inferred.because_of, "weekly");
/// # Ok::<(), specweave_spec::Error>(())
/// ```
pub fn infer_problem(title: &str) -> Result<Inference> {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let joined = format!(" {} ", words.join(" "));
    for (kind, signals) in SIGNALS {
        for signal in signals {
            if joined.contains(&format!(" {signal} ")) {
                return Ok(Inference {
                    kind,
                    because_of: (*signal).to_string(),
                });
            }
        }
    }
    Err(Error::UnknownProblem {
        title: title.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_drop_the_leading_verb_and_punctuation() -> Result<()> {
        assert_eq!(
            slugify("build recommendation model")?,
            "recommendation-model"
        );
        assert_eq!(
            slugify("Build a Fraud   Detector (v2)")?,
            "fraud-detector-v2"
        );
        assert_eq!(slugify("train")?, "train");
        assert_eq!(slugify("Ünïcode sales 2026")?, "n-code-sales-2026");
        let long = slugify(&"word ".repeat(40))?;
        assert!(long.len() <= MAX_SLUG_LEN && !long.ends_with('-'), "{long}");
        Ok(())
    }

    #[test]
    fn an_empty_slug_is_an_error_naming_the_title() {
        let err = slugify("¿¡ — !?").map(|_| ()).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("title `¿¡ — !?` makes an empty slug; use letters or digits in the title")
        );
    }

    #[test]
    fn problems_are_inferred_from_the_title() -> Result<()> {
        let cases = [
            (
                "build recommendation model",
                ProblemKind::Recommendation,
                "recommendation",
            ),
            (
                "Recommend products to users",
                ProblemKind::Recommendation,
                "recommend",
            ),
            (
                "forecast store demand",
                ProblemKind::Forecasting,
                "forecast",
            ),
            ("predict weekly sales", ProblemKind::Forecasting, "weekly"),
            (
                "predict customer lifetime value",
                ProblemKind::Regression,
                "lifetime value",
            ),
            ("predict order amount", ProblemKind::Regression, "amount"),
            (
                "detect fraudulent payments",
                ProblemKind::Classification,
                "detect",
            ),
            ("predict churn", ProblemKind::Classification, "churn"),
            ("fraud model", ProblemKind::Classification, "fraud"),
            (
                "classify support tickets",
                ProblemKind::Classification,
                "classify",
            ),
        ];
        for (title, kind, word) in cases {
            let inferred = infer_problem(title)?;
            assert_eq!(
                (inferred.kind, inferred.because_of.as_str()),
                (kind, word),
                "{title}"
            );
        }
        assert!(matches!(
            infer_problem("make it better"),
            Err(Error::UnknownProblem { .. })
        ));
        Ok(())
    }
}
