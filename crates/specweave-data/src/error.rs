//! The one error type of the data stage, with the file, line, column or row that caused it.

use std::path::{Path, PathBuf};
use thiserror::Error;

/// Everything that can go wrong while reading, checking, profiling or transforming data.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file could not be opened, read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A CSV row that cannot be read: wrong field count, a value that does not parse, bad UTF-8.
    #[error("{path}{}{}: {message}", line.map(|l| format!(": line {l}")).unwrap_or_default(), column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line number in the file (the header is line 1), when known.
        line: Option<usize>,
        /// Name of the column, when known.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A Parquet file that cannot be read (truncated, corrupt, not Parquet) or written.
    #[error("{path}: parquet: {message}")]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file holds no header or no rows.
    #[error("{path}: the file is empty ({what})")]
    Empty {
        /// The file.
        path: PathBuf,
        /// What is missing: no header, no rows.
        what: String,
    },
    /// A column named in the options or the schema is not in the file.
    #[error("{path}: column `{column}` not found; the file has: {available}")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The requested column.
        column: String,
        /// Comma-separated names of the columns that exist.
        available: String,
    },
    /// A value that cannot be used where it is: a NaN or empty target, a bad timestamp.
    #[error("{path}: column `{column}`, row {row}: {reason}")]
    InvalidValue {
        /// The file (or `<memory>` for in-memory data).
        path: PathBuf,
        /// The column.
        column: String,
        /// 0-based data row (not counting the header).
        row: usize,
        /// What is wrong with the value.
        reason: String,
    },
    /// A file whose extension names no format this crate reads.
    #[error("{path}: unknown data format; expected a .csv, .tsv or .parquet file")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A `schema.yaml` that cannot be read or written.
    #[error("{path}: schema: {message}")]
    Schema {
        /// The schema file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Parameters that break a documented rule (zero folds, a fraction outside 0..1, ...).
    #[error("invalid parameters: {0}")]
    InvalidParams(String),
    /// A feature pipeline applied to data it cannot handle.
    #[error("feature pipeline: {0}")]
    Pipeline(String),
    /// An Arrow operation failed on in-memory data.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// JSON output failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The shared vocabulary rejected a value (shape mismatch, bad label, ...).
    #[error(transparent)]
    Core(#[from] specweave_core::Error),
}

/// Result alias of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

impl DataError {
    /// An [`DataError::Io`] builder for `map_err`.
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
        move |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Turns an Arrow CSV error into one that names the file, the 1-based line and the column.
    pub(crate) fn from_csv(
        path: &Path,
        error: arrow::error::ArrowError,
        columns: &[String],
        header_lines: usize,
    ) -> DataError {
        let text = error.to_string();
        // Arrow counts data records from 0 ("line N" is the N-th record); files count lines
        // from 1 with the header first, which is what an editor shows.
        let number_after = |marker: &str| -> Option<usize> {
            let start = text.find(marker)? + marker.len();
            let digits: String = text[start..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            digits.parse().ok()
        };
        if text.contains("incorrect number of fields") {
            let line = number_after("for line ");
            let message = text
                .split_once(", expected")
                .map(|(_, rest)| format!("wrong number of fields: expected{rest}"))
                .unwrap_or_else(|| text.clone());
            return DataError::Csv {
                path: path.to_path_buf(),
                line,
                column: None,
                message,
            };
        }
        if text.contains("unequal lengths between records") {
            // From the CSV tokenizer during type inference; its line numbers are already 1-based.
            let expected = number_after("Expected ");
            let found = number_after("found ");
            let message = match (expected, found) {
                (Some(e), Some(f)) => format!("wrong number of fields: expected {e} got {f}"),
                _ => text.clone(),
            };
            return DataError::Csv {
                path: path.to_path_buf(),
                line: number_after("at line "),
                column: None,
                message,
            };
        }
        if text.contains("Error while parsing value") {
            let column = number_after("for column ").and_then(|c| columns.get(c).cloned());
            // Arrow counts data rows from 1 here; the header lines come before them.
            let line = number_after("at line ").map(|l| l + header_lines);
            let value = text
                .split_once("parsing value '")
                .and_then(|(_, rest)| rest.split_once('\''))
                .map(|(v, _)| v.to_owned())
                .unwrap_or_default();
            let kind = text
                .split_once("as type '")
                .and_then(|(_, rest)| rest.split_once('\''))
                .map(|(v, _)| v.to_owned())
                .unwrap_or_default();
            return DataError::Csv {
                path: path.to_path_buf(),
                line,
                column,
                message: format!("`{value}` does not parse as {kind}"),
            };
        }
        let lowered = text.to_lowercase();
        if lowered.contains("utf-8") || lowered.contains("utf8") {
            // The tokenizer reports "... in field K near byte index B at line N" (1-based line).
            return DataError::Csv {
                path: path.to_path_buf(),
                line: number_after("at line ").or_else(|| number_after("for line ")),
                column: number_after("in field ")
                    .or_else(|| number_after("and field "))
                    .and_then(|c| columns.get(c).cloned()),
                message: "invalid UTF-8 in a value".into(),
            };
        }
        DataError::Csv {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: text,
        }
    }
}
