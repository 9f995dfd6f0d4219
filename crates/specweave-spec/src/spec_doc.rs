//! `spec.md`: YAML frontmatter, `##` sections and the success criteria, plus the one edit
//! the lifecycle makes to it (the frontmatter's `status:` line).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use specweave_core::ProblemKind;

use crate::criteria::{Criterion, parse_criteria_block};
use crate::error::Location;
use crate::fsutil::read_text;
use crate::{Diagnostic, Error, Result, Status};

/// File name of the spec.
pub const SPEC_FILE: &str = "spec.md";
/// Heading of the success criteria section.
pub const SUCCESS_CRITERIA: &str = "Success Criteria";

/// The frontmatter of spec.md. Unknown keys are allowed and ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpecFrontmatter {
    /// Increment id.
    #[serde(default)]
    pub increment: Option<String>,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Problem kind.
    #[serde(default)]
    pub problem: Option<ProblemKind>,
    /// Mirror of the status in metadata.json.
    #[serde(default)]
    pub status: Option<Status>,
    /// Creation date.
    #[serde(default)]
    pub created: Option<String>,
    /// Parent increment id.
    #[serde(default)]
    pub parent: Option<String>,
    /// Metric key runs are ranked by, e.g. `precision@10`.
    #[serde(default)]
    pub headline_metric: Option<String>,
    /// Candidate models required besides the baselines (default 3).
    #[serde(default)]
    pub min_candidates: Option<u32>,
}

/// A `##` section of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Heading text without the `##`.
    pub title: String,
    /// 1-based line of the heading.
    pub line: usize,
    /// Text between this heading and the next `##` heading.
    pub body: String,
}

/// A parsed spec.md.
#[derive(Debug, Clone)]
pub struct SpecDocument {
    /// The file read.
    pub path: PathBuf,
    /// The frontmatter.
    pub frontmatter: SpecFrontmatter,
    /// `##` sections in order.
    pub sections: Vec<Section>,
    /// Success criteria that parsed.
    pub criteria: Vec<Criterion>,
    /// Criteria lines that did not parse (errors) and other warnings, with lines.
    pub diagnostics: Vec<Diagnostic>,
}

impl SpecDocument {
    /// Reads and parses spec.md.
    pub fn read(path: &Path) -> Result<SpecDocument> {
        SpecDocument::parse(path, &read_text(path)?)
    }

    /// Parses spec.md text. Broken frontmatter is an error with file and line; criteria that
    /// do not parse become error diagnostics with their line.
    ///
    /// ```
    /// let text = "---\nstatus: active\nheadline_metric: rmse\n---\n# Spec\n\n## Success Criteria\n\n- RMSE < $50\n";
    /// let spec = specweave_spec::SpecDocument::parse("spec.md".as_ref(), text)?;
    /// assert_eq!(spec.frontmatter.status, Some(specweave_spec::Status::Active));
    /// assert_eq!(spec.criteria[0].line, 9);
    /// # Ok::<(), specweave_spec::Error>(())
    /// ```
    pub fn parse(path: &Path, text: &str) -> Result<SpecDocument> {
        let (frontmatter, body_start_line) = match frontmatter_span(text) {
            FrontmatterSpan::None => (SpecFrontmatter::default(), 1),
            FrontmatterSpan::Unclosed => {
                return Err(Error::Parse {
                    location: Location {
                        file: path.to_path_buf(),
                        line: 1,
                    },
                    message:
                        "frontmatter opened with `---` is never closed; add a `---` line after it"
                            .into(),
                });
            }
            FrontmatterSpan::Closed { yaml, closing_line } => {
                let parsed = if yaml.trim().is_empty() {
                    SpecFrontmatter::default()
                } else {
                    serde_norway::from_str::<SpecFrontmatter>(yaml).map_err(|e| {
                        let line = e.location().map_or(1, |l| l.line()) + 1;
                        Error::Parse {
                            location: Location {
                                file: path.to_path_buf(),
                                line,
                            },
                            message: format!(
                                "broken frontmatter: {}",
                                strip_location(&e.to_string())
                            ),
                        }
                    })?
                };
                (parsed, closing_line + 1)
            }
        };
        let mut sections: Vec<Section> = Vec::new();
        let mut in_fence = false;
        for (index, line) in text.lines().enumerate().skip(body_start_line - 1) {
            let number = index + 1;
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if !in_fence && let Some(title) = line.strip_prefix("## ") {
                sections.push(Section {
                    title: title.trim().to_string(),
                    line: number,
                    body: String::new(),
                });
            } else if let Some(section) = sections.last_mut() {
                section.body.push_str(line);
                section.body.push('\n');
            }
        }
        let mut diagnostics = Vec::new();
        let mut criteria = Vec::new();
        match sections
            .iter()
            .find(|s| s.title.eq_ignore_ascii_case(SUCCESS_CRITERIA))
        {
            None => diagnostics.push(Diagnostic::warning(
                path,
                1,
                "no `## Success Criteria` section; validation has nothing to check the model against",
            )),
            Some(section) => {
                let (parsed, errors) = parse_criteria_block(&section.body, section.line + 1);
                criteria = parsed;
                diagnostics.extend(
                    errors
                        .into_iter()
                        .map(|(line, reason)| Diagnostic::error(path, line, format!("success criterion not understood: {reason}"))),
                );
                if criteria.is_empty() && diagnostics.is_empty() {
                    diagnostics.push(Diagnostic::warning(
                        path,
                        section.line,
                        "the Success Criteria section lists no criteria",
                    ));
                }
            }
        }
        Ok(SpecDocument {
            path: path.to_path_buf(),
            frontmatter,
            sections,
            criteria,
            diagnostics,
        })
    }

    /// The section with this title (case-insensitive).
    pub fn section(&self, title: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.title.eq_ignore_ascii_case(title))
    }
}

enum FrontmatterSpan<'a> {
    None,
    Unclosed,
    Closed { yaml: &'a str, closing_line: usize },
}

/// Locates the frontmatter: a first line `---` and the next line `---`.
fn frontmatter_span(text: &str) -> FrontmatterSpan<'_> {
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else {
        return FrontmatterSpan::None;
    };
    if first.trim_end() != "---" {
        return FrontmatterSpan::None;
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for (index, line) in lines.enumerate() {
        if line.trim_end() == "---" {
            return FrontmatterSpan::Closed {
                yaml: &text[yaml_start..offset],
                closing_line: index + 2,
            };
        }
        offset += line.len();
    }
    FrontmatterSpan::Unclosed
}

/// serde_norway appends "at line L column C" (of the YAML, not the file); the error's
/// location already carries the file line.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// Returns `text` with the frontmatter's `status:` value set to `status`, changing only that
/// line (or adding one before the closing `---` when there is none). `None` when the text
/// has no frontmatter.
///
/// ```
/// use specweave_spec::{Status, set_frontmatter_status};
/// let text = "---\ntitle: x\nstatus: planning # mirrors metadata.json\n---\nbody\n";
/// let edited = set_frontmatter_status(text, Status::Active);
/// assert_eq!(edited.as_deref(), Some("---\ntitle: x\nstatus: active # mirrors metadata.json\n---\nbody\n"));
/// ```
pub fn set_frontmatter_status(text: &str, status: Status) -> Option<String> {
    let FrontmatterSpan::Closed { yaml, .. } = frontmatter_span(text) else {
        return None;
    };
    let yaml_start = text.find('\n')? + 1;
    let mut offset = yaml_start;
    for line in yaml.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("status:") {
            let value_start = offset + "status:".len() + (rest.len() - rest.trim_start().len());
            let content = rest.trim_start();
            let value_len = content
                .find([' ', '\t', '#', '\r', '\n'])
                .unwrap_or(content.len());
            let mut edited = String::with_capacity(text.len() + 16);
            edited.push_str(&text[..value_start]);
            edited.push_str(status.as_str());
            edited.push_str(&text[value_start + value_len..]);
            return Some(edited);
        }
        offset += line.len();
    }
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut edited = String::with_capacity(text.len() + 32);
    edited.push_str(&text[..yaml_start + yaml.len()]);
    edited.push_str(&format!("status: {}{newline}", status.as_str()));
    edited.push_str(&text[yaml_start + yaml.len()..]);
    Some(edited)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_frontmatter_names_file_and_line() {
        let text = "---\ntitle: ok\nstatus: [unclosed\n---\n";
        let err = SpecDocument::parse(Path::new("inc/spec.md"), text).map(|_| ());
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.starts_with("inc/spec.md:"), "{message}");
        assert!(message.contains("broken frontmatter"), "{message}");

        let unknown = "---\nstatus: finished\n---\n";
        let message = SpecDocument::parse(Path::new("spec.md"), unknown)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            message
                .starts_with("spec.md:2: broken frontmatter: status: unknown variant `finished`"),
            "{message}"
        );

        let unclosed = "---\nstatus: active\n# Spec\n";
        let message = SpecDocument::parse(Path::new("spec.md"), unclosed)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.starts_with("spec.md:1: frontmatter opened with `---` is never closed"));
    }

    #[test]
    fn sections_and_criteria_keep_their_lines() -> Result<()> {
        let text = "---\nproblem: regression\n---\n# T\n\n## Model Requirements\n- Latency: <100ms\n\n```\n## not a section\n```\n## Success Criteria\n- RMSE < $50\n- sounds good\n";
        let spec = SpecDocument::parse(Path::new("spec.md"), text)?;
        let titles: Vec<&str> = spec.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Model Requirements", "Success Criteria"]);
        assert_eq!(spec.frontmatter.problem, Some(ProblemKind::Regression));
        assert_eq!(spec.criteria.len(), 1);
        assert_eq!(spec.diagnostics.len(), 1);
        assert!(
            spec.diagnostics[0]
                .to_string()
                .starts_with("spec.md:14: error: success criterion not understood")
        );
        Ok(())
    }

    #[test]
    fn status_edits_touch_only_the_status_line() {
        let text = "---\r\nid: 1\r\nstatus: planning\r\n---\r\nbody\r\n";
        assert_eq!(
            set_frontmatter_status(text, Status::ReadyForReview).as_deref(),
            Some("---\r\nid: 1\r\nstatus: ready_for_review\r\n---\r\nbody\r\n")
        );
        assert_eq!(
            set_frontmatter_status("---\nid: 1\n---\nx\n", Status::Paused).as_deref(),
            Some("---\nid: 1\nstatus: paused\n---\nx\n")
        );
        assert_eq!(
            set_frontmatter_status("no frontmatter\n", Status::Active),
            None
        );
    }
}
