//! Problems found while reading a document that do not stop the read: warnings and errors,
//! each with the file and line it points at.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::Location;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document is usable but probably not what the author meant.
    Warning,
    /// The document is wrong; the value read from it cannot be trusted.
    Error,
}

/// One problem in a document, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Warning or error.
    pub severity: Severity,
    /// File and 1-based line.
    pub location: Location,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Diagnostic {
    /// An error at `file:line`.
    pub fn error(file: &Path, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            location: Location {
                file: file.to_path_buf(),
                line,
            },
            message: message.into(),
        }
    }

    /// A warning at `file:line`.
    pub fn warning(file: &Path, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, line, message)
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}: {label}: {}", self.location, self.message)
    }
}
