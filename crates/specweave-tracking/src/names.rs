//! Naming rules: MLflow's rules for metric, param and tag keys, and the rules that keep
//! experiment and artifact names inside the increment.

use crate::error::{Result, TrackingError};
use std::path::{Component, Path};

/// Longest metric, param or tag key MLflow accepts.
pub const MAX_KEY_LEN: usize = 250;
/// Longest param value MLflow accepts.
pub const MAX_PARAM_VALUE_LEN: usize = 6000;
/// Longest tag value MLflow accepts.
pub const MAX_TAG_VALUE_LEN: usize = 8000;
/// Longest experiment name (it becomes part of a folder name).
pub const MAX_EXPERIMENT_NAME_LEN: usize = 100;

const KEY_RULE: &str = "keys may contain only letters, digits, `_`, `-`, `.`, ` `, `:`, `/` (MLflow's `^[/\\w.\\- :]*$`) and `@` (sent to MLflow as `_at_`)";

fn shorten(value: &str) -> String {
    if value.chars().count() > 80 {
        let head: String = value.chars().take(77).collect();
        format!("{head}...")
    } else {
        value.to_owned()
    }
}

fn invalid(what: &'static str, value: &str, rule: impl Into<String>) -> TrackingError {
    TrackingError::InvalidName {
        what,
        value: shorten(value),
        rule: rule.into(),
    }
}

/// Checks a metric, param or tag key against MLflow's rules, with one addition: `@`, as in
/// `precision@10`, is allowed and becomes `_at_` in MLflow (see [`mlflow_key`]).
///
/// ```
/// use specweave_tracking::validate_key;
/// assert!(validate_key("metric key", "precision@10").is_ok());
/// assert!(validate_key("metric key", "precision#10").is_err());
/// assert!(validate_key("param key", "../x").is_err());
/// ```
pub fn validate_key(what: &'static str, key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid(what, key, "keys must not be empty"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(invalid(
            what,
            key,
            format!("keys are at most {MAX_KEY_LEN} characters (MLflow's limit)"),
        ));
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ' | ':' | '/' | '@')))
    {
        return Err(invalid(
            what,
            key,
            format!("character `{bad}` is not allowed; {KEY_RULE}"),
        ));
    }
    // MLflow stores keys as file paths: they must be normalized relative paths.
    if key.starts_with('/')
        || key.ends_with('/')
        || key.contains("//")
        || key.split('/').any(|part| part == ".." || part == ".")
    {
        return Err(invalid(
            what,
            key,
            "keys must be normalized relative paths: no leading or trailing `/`, no `//`, no `.` or `..` parts (MLflow's rule)",
        ));
    }
    Ok(())
}

/// The MLflow name of a key: `@` (which MLflow refuses) becomes `_at_`, so `precision@10`
/// is `precision_at_10` in MLflow; every other key is unchanged.
///
/// ```
/// assert_eq!(specweave_tracking::mlflow_key("precision@10"), "precision_at_10");
/// ```
pub fn mlflow_key(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains('@') {
        std::borrow::Cow::Owned(key.replace('@', "_at_"))
    } else {
        std::borrow::Cow::Borrowed(key)
    }
}

/// Checks a param value's length against MLflow's limit.
pub fn validate_param_value(key: &str, value: &str) -> Result<()> {
    if value.chars().count() > MAX_PARAM_VALUE_LEN {
        return Err(invalid(
            "param value",
            value,
            format!(
                "the value of `{key}` is longer than {MAX_PARAM_VALUE_LEN} characters (MLflow's limit)"
            ),
        ));
    }
    Ok(())
}

/// Checks a tag value's length against MLflow's limit.
pub fn validate_tag_value(key: &str, value: &str) -> Result<()> {
    if value.chars().count() > MAX_TAG_VALUE_LEN {
        return Err(invalid(
            "tag value",
            value,
            format!(
                "the value of `{key}` is longer than {MAX_TAG_VALUE_LEN} characters (MLflow's limit)"
            ),
        ));
    }
    Ok(())
}

/// Checks an experiment name: it becomes the folder `exp-NNN-<name>`, so it must be one
/// plain path segment.
///
/// ```
/// use specweave_tracking::validate_experiment_name;
/// assert!(validate_experiment_name("baseline-random").is_ok());
/// assert!(validate_experiment_name("../x").is_err());
/// ```
pub fn validate_experiment_name(name: &str) -> Result<()> {
    const RULE: &str = "experiment names are one folder segment of letters, digits, `_`, `-` and `.`, not starting with `.`";
    if name.is_empty() {
        return Err(invalid("experiment name", name, "names must not be empty"));
    }
    if name.len() > MAX_EXPERIMENT_NAME_LEN {
        return Err(invalid(
            "experiment name",
            name,
            format!("names are at most {MAX_EXPERIMENT_NAME_LEN} characters"),
        ));
    }
    if name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(invalid("experiment name", name, RULE));
    }
    Ok(())
}

/// Checks a relative file name inside a run's `artifacts/`, `logs/` or a report folder:
/// no absolute paths, no `..`, nothing that escapes the folder.
///
/// ```
/// use specweave_tracking::validate_relative_name;
/// assert!(validate_relative_name("artifact name", "plots/roc.svg").is_ok());
/// assert!(validate_relative_name("artifact name", "../../etc/passwd").is_err());
/// assert!(validate_relative_name("artifact name", "/tmp/x").is_err());
/// ```
pub fn validate_relative_name(what: &'static str, name: &str) -> Result<()> {
    const RULE: &str = "names must be relative paths inside the run (no `..`, no absolute paths)";
    if name.is_empty() {
        return Err(invalid(what, name, "names must not be empty"));
    }
    if name.contains('\0') || name.contains('\\') {
        return Err(invalid(what, name, "names must not contain NUL or `\\`"));
    }
    let path = Path::new(name);
    if !path
        .components()
        .all(|component| matches!(component, Component::Normal(_)))
    {
        return Err(invalid(what, name, RULE));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_mlflow_rules() {
        for good in ["loss", "val/loss", "precision@10", "a b:c-d.e", "ü"] {
            assert!(validate_key("metric key", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a#b",
            "/a",
            "a/",
            "a//b",
            "a/../b",
            "..",
            "a\nb",
            &"k".repeat(251),
        ] {
            assert!(validate_key("metric key", bad).is_err(), "{bad}");
        }
        let message = validate_key("metric key", "p#10")
            .expect_err("# is not allowed")
            .to_string();
        assert!(
            message.contains("`#`") && message.contains("MLflow"),
            "{message}"
        );
    }

    #[test]
    fn experiment_names_stay_one_segment() {
        assert!(validate_experiment_name("random-forest_v2.1").is_ok());
        for bad in ["", "a/b", "..", ".hidden", "/abs", "a b", &"x".repeat(101)] {
            assert!(validate_experiment_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn value_lengths_are_limited() {
        assert!(validate_param_value("k", &"v".repeat(6000)).is_ok());
        assert!(validate_param_value("k", &"v".repeat(6001)).is_err());
        assert!(validate_tag_value("k", &"v".repeat(8001)).is_err());
    }
}
