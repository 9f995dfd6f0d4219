//! `tests.md`: the evaluation protocol and its test cases (`### TC-001: ...` headings with a
//! `**Criterion**:` field, parsed like the spec's success criteria).

use std::path::{Path, PathBuf};

use crate::criteria::{Criterion, parse_criterion};
use crate::fsutil::read_text;
use crate::tasks::parse_fields;
use crate::{Diagnostic, Result};

/// File name of the evaluation criteria.
pub const TESTS_FILE: &str = "tests.md";

/// One test case of tests.md.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// Id such as `TC-001`.
    pub id: String,
    /// Heading text after the id.
    pub title: String,
    /// 1-based line of the heading.
    pub line: usize,
    /// The parsed `**Criterion**` field, if any.
    pub criterion: Option<Criterion>,
}

/// A parsed tests.md.
#[derive(Debug, Clone)]
pub struct TestPlan {
    /// The file read.
    pub path: PathBuf,
    /// Test cases in order.
    pub cases: Vec<TestCase>,
    /// Criteria that did not parse, with lines.
    pub diagnostics: Vec<Diagnostic>,
}

impl TestPlan {
    /// Reads and parses tests.md.
    pub fn read(path: &Path) -> Result<TestPlan> {
        Ok(TestPlan::parse(path, &read_text(path)?))
    }

    /// Parses tests.md text.
    ///
    /// ```
    /// let plan = specweave_spec::TestPlan::parse("tests.md".as_ref(), "### TC-001: quality\n**Criterion**: RMSE < 5\n");
    /// assert_eq!(plan.cases[0].criterion.as_ref().map(|c| c.line), Some(2));
    /// ```
    pub fn parse(path: &Path, text: &str) -> TestPlan {
        let mut cases: Vec<TestCase> = Vec::new();
        let mut diagnostics = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if let Some(rest) = line.strip_prefix("### ")
                && let Some((id, title)) = rest.split_once(':')
                && id.trim().starts_with("TC-")
            {
                cases.push(TestCase {
                    id: id.trim().to_string(),
                    title: title.trim().to_string(),
                    line: number,
                    criterion: None,
                });
                continue;
            }
            let Some(case) = cases.last_mut() else {
                continue;
            };
            for (name, range) in parse_fields(line) {
                if name.eq_ignore_ascii_case("criterion") {
                    match parse_criterion(&line[range], number) {
                        Ok(criterion) => case.criterion = Some(criterion),
                        Err(reason) => diagnostics.push(Diagnostic::error(
                            path,
                            number,
                            format!("{}: criterion not understood: {reason}", case.id),
                        )),
                    }
                }
            }
        }
        TestPlan {
            path: path.to_path_buf(),
            cases,
            diagnostics,
        }
    }
}
