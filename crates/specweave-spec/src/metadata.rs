//! `metadata.json`, the one status store of an increment, and the lifecycle its status
//! follows: planning → active → ready_for_review → completed, plus paused and abandoned.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use specweave_core::ProblemKind;

use crate::fsutil::{read_text, write_atomic};
use crate::{Error, Result};

/// File name of the status store.
pub const METADATA_FILE: &str = "metadata.json";

/// Lifecycle status of an increment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Spec and plan are being written.
    Planning,
    /// Work is under way.
    Active,
    /// Work is done and waits for review.
    ReadyForReview,
    /// Closed by the done gate.
    Completed,
    /// On hold; may be resumed.
    Paused,
    /// Given up; final.
    Abandoned,
}

impl Status {
    /// All statuses, in lifecycle order.
    pub const ALL: [Status; 6] = [
        Status::Planning,
        Status::Active,
        Status::ReadyForReview,
        Status::Completed,
        Status::Paused,
        Status::Abandoned,
    ];

    /// The snake_case name used in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Planning => "planning",
            Status::Active => "active",
            Status::ReadyForReview => "ready_for_review",
            Status::Completed => "completed",
            Status::Paused => "paused",
            Status::Abandoned => "abandoned",
        }
    }

    /// The statuses this one may move to. Review can send work back to active; paused work
    /// resumes where planning or work left off; completed and abandoned are final.
    ///
    /// ```
    /// use specweave_spec::Status;
    /// assert!(Status::Active.can_move_to(Status::ReadyForReview));
    /// assert!(!Status::Planning.can_move_to(Status::Completed));
    /// assert!(Status::Completed.allowed_next().is_empty());
    /// ```
    pub fn allowed_next(self) -> &'static [Status] {
        match self {
            Status::Planning => &[Status::Active, Status::Paused, Status::Abandoned],
            Status::Active => &[Status::ReadyForReview, Status::Paused, Status::Abandoned],
            Status::ReadyForReview => &[Status::Completed, Status::Active, Status::Abandoned],
            Status::Paused => &[Status::Planning, Status::Active, Status::Abandoned],
            Status::Completed | Status::Abandoned => &[],
        }
    }

    /// Whether moving from `self` to `next` is allowed.
    pub fn can_move_to(self, next: Status) -> bool {
        self.allowed_next().contains(&next)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;

    fn from_str(s: &str) -> Result<Status> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == wanted)
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown increment status `{s}`; expected one of {}",
                    Status::ALL.map(Status::as_str).join(", ")
                ))
            })
    }
}

/// One recorded status change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// When, RFC 3339.
    pub at: String,
    /// Why, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A completion that was forced past failing validation rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletionOverride {
    /// The reason the user gave.
    pub reason: String,
    /// Names of the rules that failed at the time.
    pub failed_rules: Vec<String>,
    /// When, RFC 3339.
    pub at: String,
}

/// `metadata.json`: identity, problem kind, status and lineage of an increment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Folder name, e.g. `0042-recommendation-model`.
    pub id: String,
    /// The number (`42`).
    pub number: u32,
    /// The title as given.
    pub title: String,
    /// The problem kind.
    pub problem: ProblemKind,
    /// Lifecycle status; the only place it is stored (spec.md's frontmatter mirrors it).
    pub status: Status,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Time of the last change, RFC 3339.
    pub last_activity: String,
    /// Id of the parent increment in a multi-increment project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Every status change, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Transition>,
    /// Set when completion was forced past failing rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_override: Option<CompletionOverride>,
}

impl Metadata {
    /// Reads `metadata.json` from an increment folder.
    pub fn read(increment_dir: &Path) -> Result<Metadata> {
        let path = increment_dir.join(METADATA_FILE);
        let text = read_text(&path)?;
        serde_json::from_str(&text).map_err(Error::json(&path))
    }

    /// Writes `metadata.json` into an increment folder (atomically).
    pub fn write(&self, increment_dir: &Path) -> Result<()> {
        let path = increment_dir.join(METADATA_FILE);
        let mut text = serde_json::to_string_pretty(self).map_err(Error::json(&path))?;
        text.push('\n');
        write_atomic(&path, text.as_bytes())
    }

    /// Moves to `next` if the lifecycle allows it, recording the change at `at` (RFC 3339).
    pub fn transition(&mut self, next: Status, at: &str, reason: Option<&str>) -> Result<()> {
        if !self.status.can_move_to(next) {
            let allowed = self.status.allowed_next();
            return Err(Error::Transition {
                increment: self.id.clone(),
                from: self.status,
                to: next,
                allowed: if allowed.is_empty() {
                    "none, it is final".into()
                } else {
                    allowed
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        }
        self.history.push(Transition {
            from: self.status,
            to: next,
            at: at.to_string(),
            reason: reason.map(str::to_string),
        });
        self.status = next;
        self.last_activity = at.to_string();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Metadata {
        Metadata {
            id: "0001-churn".into(),
            number: 1,
            title: "predict churn".into(),
            problem: ProblemKind::Classification,
            status: Status::Planning,
            created: "2026-01-01T00:00:00Z".into(),
            last_activity: "2026-01-01T00:00:00Z".into(),
            parent: None,
            history: Vec::new(),
            completion_override: None,
        }
    }

    #[test]
    fn invalid_transitions_name_the_allowed_ones() {
        let mut metadata = sample();
        let err = metadata
            .transition(Status::Completed, "t", None)
            .map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("cannot move increment 0001-churn from planning to completed; allowed from planning: active, paused, abandoned".into())
        );
        assert_eq!(metadata.status, Status::Planning);
    }

    #[test]
    fn the_full_lifecycle_is_recorded() -> Result<()> {
        let mut metadata = sample();
        for next in [
            Status::Active,
            Status::Paused,
            Status::Active,
            Status::ReadyForReview,
            Status::Completed,
        ] {
            metadata.transition(next, "2026-01-02T00:00:00Z", None)?;
        }
        assert_eq!(metadata.history.len(), 5);
        assert_eq!(metadata.last_activity, "2026-01-02T00:00:00Z");
        let err = metadata
            .transition(Status::Active, "t", None)
            .map_err(|e| e.to_string());
        assert!(err.is_err_and(|e| e.ends_with("none, it is final")));
        Ok(())
    }

    #[test]
    fn statuses_parse_in_several_spellings() -> Result<()> {
        assert_eq!(
            "ready-for-review".parse::<Status>()?,
            Status::ReadyForReview
        );
        assert_eq!(" Active ".parse::<Status>()?, Status::Active);
        assert!("done".parse::<Status>().is_err());
        let json = serde_json::to_string(&sample()).map_err(Error::json("x"))?;
        assert!(json.contains(r#""lastActivity""#) && json.contains(r#""status":"planning""#));
        Ok(())
    }
}
