//! `tasks.md`: reading tasks in both layouts and changing one task's status in place.
//!
//! A task is a heading `### T-003: Train baseline` followed by `**Field**: value` lines,
//! either all on one line separated by `|` or one field per line:
//!
//! ```text
//! ### T-003: Train baseline model (random/popularity)
//! **Status**: [x] completed | **Depends on**: T-002
//! ```
//!
//! Statuses are `[ ] pending`, `[~] in_progress`, `[x] completed` and `[-] canceled`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;

use crate::fsutil::{read_text, write_atomic};
use crate::{Diagnostic, Error, Result};

/// File name of the task list.
pub const TASKS_FILE: &str = "tasks.md";

/// Status of one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Not started: `[ ] pending`.
    Pending,
    /// Under way: `[~] in_progress`.
    InProgress,
    /// Done: `[x] completed`.
    Completed,
    /// Dropped: `[-] canceled`.
    Canceled,
}

impl TaskStatus {
    /// All statuses.
    pub const ALL: [TaskStatus; 4] = [
        TaskStatus::Pending,
        TaskStatus::InProgress,
        TaskStatus::Completed,
        TaskStatus::Canceled,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Completed => "completed",
            TaskStatus::Canceled => "canceled",
        }
    }

    /// The checkbox written before the name.
    pub fn checkbox(self) -> &'static str {
        match self {
            TaskStatus::Pending => "[ ]",
            TaskStatus::InProgress => "[~]",
            TaskStatus::Completed => "[x]",
            TaskStatus::Canceled => "[-]",
        }
    }

    /// How the status is written in tasks.md, e.g. `[x] completed`.
    pub fn markdown(self) -> String {
        format!("{} {}", self.checkbox(), self.as_str())
    }

    /// Whether the task no longer blocks anything (completed or canceled).
    pub fn is_closed(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Canceled)
    }

    fn from_word(word: &str) -> Option<TaskStatus> {
        match word
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "pending" | "todo" | "open" => Some(TaskStatus::Pending),
            "in_progress" | "active" | "started" => Some(TaskStatus::InProgress),
            "completed" | "complete" | "done" => Some(TaskStatus::Completed),
            "canceled" | "cancelled" => Some(TaskStatus::Canceled),
            _ => None,
        }
    }

    fn from_checkbox(mark: char) -> Option<TaskStatus> {
        match mark {
            ' ' => Some(TaskStatus::Pending),
            '~' | '>' | '/' => Some(TaskStatus::InProgress),
            'x' | 'X' => Some(TaskStatus::Completed),
            '-' => Some(TaskStatus::Canceled),
            _ => None,
        }
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<TaskStatus> {
        TaskStatus::from_word(s).ok_or_else(|| {
            Error::InvalidInput(format!(
                "unknown task status `{s}`; expected one of pending, in_progress, completed, canceled"
            ))
        })
    }
}

/// One task of tasks.md.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    /// Id such as `T-003`.
    pub id: String,
    /// Title after the id.
    pub title: String,
    /// Status (pending when the task has no status line; a warning says so).
    pub status: TaskStatus,
    /// Ids of the tasks this one depends on.
    pub depends_on: Vec<String>,
    /// Other fields (`Estimate`, `Owner`, ...), by name.
    pub fields: BTreeMap<String, String>,
    /// 1-based line of the heading.
    pub line: usize,
    /// 1-based line of the status field, if any.
    pub status_line: Option<usize>,
    #[serde(skip)]
    status_span: Option<Range<usize>>,
}

/// The tasks of one tasks.md, with the problems found while reading it.
#[derive(Debug, Clone)]
pub struct TaskList {
    /// The file read.
    pub path: PathBuf,
    /// Tasks in file order.
    pub tasks: Vec<Task>,
    /// Warnings and errors, each with file and line.
    pub diagnostics: Vec<Diagnostic>,
    text: String,
}

impl TaskList {
    /// Reads and parses a tasks.md file.
    pub fn read(path: &Path) -> Result<TaskList> {
        let text = read_text(path)?;
        Ok(TaskList::parse(path, text))
    }

    /// Parses tasks.md text; `path` is used in diagnostics. Never fails: problems become
    /// [`Diagnostic`]s (duplicate ids, unknown statuses and dependencies on missing tasks are
    /// errors).
    ///
    /// ```
    /// use specweave_spec::{TaskList, TaskStatus};
    /// let text = "### T-001: EDA\n**Status**: [x] completed\n\n### T-002: Features\n**Status**: [ ] pending | **Depends on**: T-001\n";
    /// let list = TaskList::parse("tasks.md".as_ref(), text.to_string());
    /// assert_eq!(list.tasks[1].depends_on, ["T-001"]);
    /// assert_eq!(list.tasks[0].status, TaskStatus::Completed);
    /// assert!(list.diagnostics.is_empty());
    /// ```
    pub fn parse(path: &Path, text: String) -> TaskList {
        let mut tasks: Vec<Task> = Vec::new();
        let mut diagnostics = Vec::new();
        let mut offset = 0;
        for (index, raw_line) in text.split_inclusive('\n').enumerate() {
            let line_number = index + 1;
            let line_start = offset;
            offset += raw_line.len();
            let line = raw_line.trim_end_matches(['\n', '\r']);
            if let Some((id, title)) = parse_heading(line) {
                tasks.push(Task {
                    id,
                    title,
                    status: TaskStatus::Pending,
                    depends_on: Vec::new(),
                    fields: BTreeMap::new(),
                    line: line_number,
                    status_line: None,
                    status_span: None,
                });
                continue;
            }
            if line.trim_start().starts_with('#') {
                // Any other heading ends the fields of the current task.
                continue;
            }
            let Some(task) = tasks.last_mut() else {
                continue;
            };
            for (name, value) in parse_fields(line) {
                let key = name.to_ascii_lowercase();
                match key.as_str() {
                    "status" => {
                        if task.status_line.is_some() {
                            diagnostics.push(Diagnostic::warning(
                                path,
                                line_number,
                                format!(
                                    "{} has a second **Status** field; the first one (line {}) is used",
                                    task.id,
                                    task.status_line.unwrap_or(0)
                                ),
                            ));
                            continue;
                        }
                        let start = line_start + value.start;
                        let span = start..line_start + value.end;
                        let written = &line[value.clone()];
                        match parse_status(written) {
                            Ok((status, mismatch)) => {
                                if let Some(message) = mismatch {
                                    diagnostics.push(Diagnostic::warning(
                                        path,
                                        line_number,
                                        format!("{}: {message}", task.id),
                                    ));
                                }
                                task.status = status;
                            }
                            Err(message) => diagnostics.push(Diagnostic::error(
                                path,
                                line_number,
                                format!("{}: {message}", task.id),
                            )),
                        }
                        task.status_line = Some(line_number);
                        task.status_span = Some(span);
                    }
                    "depends on" | "depends" | "dependencies" => {
                        task.depends_on = parse_dependencies(&line[value]);
                    }
                    _ => {
                        task.fields
                            .insert(name.to_string(), line[value].trim().to_string());
                    }
                }
            }
        }
        check_tasks(path, &tasks, &mut diagnostics);
        TaskList {
            path: path.to_path_buf(),
            tasks,
            diagnostics,
            text,
        }
    }

    /// The original text, unchanged.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The task with `id` (case-insensitive).
    pub fn get(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id.eq_ignore_ascii_case(id))
    }

    /// Sets the status of task `id`, rewriting only the status value of its status line;
    /// every other byte of the text stays as it was. Call [`TaskList::write`] to save.
    ///
    /// ```
    /// use specweave_spec::{TaskList, TaskStatus};
    /// let text = "### T-001: EDA\n**Status**: [ ] pending | **Depends on**: none\n";
    /// let mut list = TaskList::parse("tasks.md".as_ref(), text.to_string());
    /// list.set_status("T-001", TaskStatus::Completed)?;
    /// assert_eq!(list.text(), "### T-001: EDA\n**Status**: [x] completed | **Depends on**: none\n");
    /// # Ok::<(), specweave_spec::Error>(())
    /// ```
    pub fn set_status(&mut self, id: &str, status: TaskStatus) -> Result<()> {
        let matching: Vec<usize> = self
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.id.eq_ignore_ascii_case(id))
            .map(|(i, _)| i)
            .collect();
        let index = match matching.as_slice() {
            [index] => *index,
            [] => {
                let known: Vec<&str> = self.tasks.iter().map(|t| t.id.as_str()).collect();
                return Err(Error::Task {
                    file: self.path.clone(),
                    message: format!(
                        "no task `{id}`; tasks are {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                });
            }
            several => {
                let lines: Vec<String> = several
                    .iter()
                    .map(|&i| self.tasks[i].line.to_string())
                    .collect();
                return Err(Error::Task {
                    file: self.path.clone(),
                    message: format!(
                        "task id `{id}` is used more than once (lines {}); make the ids unique first",
                        lines.join(", ")
                    ),
                });
            }
        };
        let task = &self.tasks[index];
        let Some(span) = task.status_span.clone() else {
            return Err(Error::Task {
                file: self.path.clone(),
                message: format!(
                    "{} (line {}) has no **Status** field; add `**Status**: [ ] pending` below its heading",
                    task.id, task.line
                ),
            });
        };
        let replacement = status.markdown();
        let delta = replacement.len() as isize - span.len() as isize;
        self.text.replace_range(span.clone(), &replacement);
        for task in &mut self.tasks {
            if let Some(other) = task.status_span.as_mut()
                && other.start > span.start
            {
                other.start = other.start.saturating_add_signed(delta);
                other.end = other.end.saturating_add_signed(delta);
            }
        }
        let task = &mut self.tasks[index];
        task.status = status;
        task.status_span = Some(span.start..span.start + replacement.len());
        Ok(())
    }

    /// Writes the (possibly edited) text back to the file it was read from, atomically.
    pub fn write(&self) -> Result<()> {
        write_atomic(&self.path, self.text.as_bytes())
    }

    /// Counts of tasks per status, in [`TaskStatus::ALL`] order.
    pub fn counts(&self) -> [(TaskStatus, usize); 4] {
        TaskStatus::ALL.map(|s| (s, self.tasks.iter().filter(|t| t.status == s).count()))
    }
}

/// `### T-003: Title` (two to four `#`) → (`T-003`, `Title`).
fn parse_heading(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start();
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    if !(2..=4).contains(&hashes) {
        return None;
    }
    let rest = rest[hashes..].trim_start();
    let (id, title) = match rest.split_once(':') {
        Some((id, title)) => (id.trim(), title.trim()),
        // `### T-003 Train baseline`: the title follows the id without a colon.
        None => {
            let id = rest.split_whitespace().next()?;
            (id, rest[id.len()..].trim())
        }
    };
    let digits = id.strip_prefix("T-").or_else(|| id.strip_prefix("t-"))?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((id.to_ascii_uppercase(), title.to_string()))
}

/// Finds the `**Name**: value` fields of a line; values are byte ranges within the line,
/// trimmed, ending before the next `|`.
pub(crate) fn parse_fields(line: &str) -> Vec<(&str, Range<usize>)> {
    let mut fields = Vec::new();
    let mut part_start = 0;
    let bytes = line.as_bytes();
    let mut parts = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'|' {
            parts.push(part_start..i);
            part_start = i + 1;
        }
    }
    parts.push(part_start..line.len());
    for part in parts {
        let text = &line[part.clone()];
        let leading = text.len() - text.trim_start().len();
        let mut body = &text[leading..];
        let mut body_start = part.start + leading;
        if let Some(rest) = body.strip_prefix("- ").or_else(|| body.strip_prefix("* ")) {
            body_start += body.len() - rest.len();
            body = rest;
        }
        let Some(after_open) = body.strip_prefix("**") else {
            continue;
        };
        let Some(close) = after_open.find("**") else {
            continue;
        };
        let raw_name = &after_open[..close];
        let after_name = &after_open[close + 2..];
        // Both `**Status**: x` and `**Status:** x` are common.
        let (name, after_colon) = if let Some(name) = raw_name.strip_suffix(':') {
            (name, after_name)
        } else if let Some(rest) = after_name.strip_prefix(':') {
            (raw_name, rest)
        } else {
            continue;
        };
        let value_offset = body_start + (body.len() - after_colon.len());
        let value_leading = after_colon.len() - after_colon.trim_start().len();
        let start = value_offset + value_leading;
        let end = value_offset + after_colon.trim_end().len();
        fields.push((name.trim(), start..end.max(start)));
    }
    fields
}

/// Reads `[x] completed`, `[ ]`, `done`...; returns a warning when box and word disagree.
fn parse_status(written: &str) -> Result<(TaskStatus, Option<String>), String> {
    let written = written.trim();
    let (from_box, word) = match written.strip_prefix('[') {
        Some(rest) => {
            let mut chars = rest.chars();
            let mark = chars.next();
            let closing = chars.next();
            match (mark, closing) {
                (Some(mark), Some(']')) => match TaskStatus::from_checkbox(mark) {
                    Some(status) => (Some(status), chars.as_str().trim()),
                    None => {
                        return Err(format!(
                            "unknown checkbox `[{mark}]`; use [ ], [~], [x] or [-]"
                        ));
                    }
                },
                _ => return Err(format!("malformed checkbox in status `{written}`")),
            }
        }
        None => (None, written),
    };
    let from_word = if word.is_empty() {
        None
    } else {
        Some(TaskStatus::from_word(word).ok_or_else(|| {
            format!(
                "unknown status `{word}`; expected one of pending, in_progress, completed, canceled"
            )
        })?)
    };
    match (from_box, from_word) {
        (Some(b), Some(w)) if b != w => Ok((
            w,
            Some(format!(
                "checkbox {} says {b} but the word says {w}; using {w}",
                b.checkbox()
            )),
        )),
        (_, Some(w)) => Ok((w, None)),
        (Some(b), None) => Ok((b, None)),
        (None, None) => Err("empty status; write e.g. `[ ] pending`".to_string()),
    }
}

fn parse_dependencies(value: &str) -> Vec<String> {
    value
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .filter(|d| {
            !matches!(
                d.to_ascii_lowercase().as_str(),
                "none" | "-" | "n/a" | "and"
            )
        })
        .map(str::to_ascii_uppercase)
        .collect()
}

fn check_tasks(path: &Path, tasks: &[Task], diagnostics: &mut Vec<Diagnostic>) {
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for task in tasks {
        if let Some(first) = first_line.get(task.id.as_str()) {
            diagnostics.push(Diagnostic::error(
                path,
                task.line,
                format!("duplicate task id {} (first used on line {first})", task.id),
            ));
        } else {
            first_line.insert(&task.id, task.line);
        }
        if task.status_line.is_none() {
            diagnostics.push(Diagnostic::warning(
                path,
                task.line,
                format!("{} has no **Status** field; it counts as pending", task.id),
            ));
        }
    }
    for task in tasks {
        for dependency in &task.depends_on {
            if !first_line.contains_key(dependency.as_str()) {
                diagnostics.push(Diagnostic::error(
                    path,
                    task.status_line.unwrap_or(task.line),
                    format!(
                        "{} depends on {dependency}, which does not exist in this file",
                        task.id
                    ),
                ));
            } else if dependency == &task.id {
                diagnostics.push(Diagnostic::error(
                    path,
                    task.line,
                    format!("{} depends on itself", task.id),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH_LAYOUTS: &str = "# Tasks\r\n\r\n### T-001: EDA\r\n**Status**: [x] completed | **Depends on**: none | **Estimate**: 2h\r\n\r\n### T-002: Features\r\n**Status**: [~] in_progress\r\n**Depends on**: T-001\r\n- **Owner**: ana\r\n\r\n## T-003: Baseline\r\n**Status:** [ ]  |  **Depends on**: T-001, T-002\r\nSome prose | with a pipe.\r\n";

    #[test]
    fn reads_both_layouts() {
        let list = TaskList::parse(Path::new("tasks.md"), BOTH_LAYOUTS.to_string());
        assert!(list.diagnostics.is_empty(), "{:?}", list.diagnostics);
        let summary: Vec<(&str, TaskStatus, Vec<String>, usize)> = list
            .tasks
            .iter()
            .map(|t| (t.id.as_str(), t.status, t.depends_on.clone(), t.line))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("T-001", TaskStatus::Completed, vec![], 3),
                (
                    "T-002",
                    TaskStatus::InProgress,
                    vec!["T-001".to_string()],
                    6
                ),
                (
                    "T-003",
                    TaskStatus::Pending,
                    vec!["T-001".to_string(), "T-002".to_string()],
                    11
                ),
            ]
        );
        assert_eq!(
            list.tasks[0].fields.get("Estimate").map(String::as_str),
            Some("2h")
        );
        assert_eq!(
            list.tasks[1].fields.get("Owner").map(String::as_str),
            Some("ana")
        );
    }

    #[test]
    fn setting_a_status_changes_only_that_value() -> Result<()> {
        let mut list = TaskList::parse(Path::new("tasks.md"), BOTH_LAYOUTS.to_string());
        list.set_status("t-002", TaskStatus::Completed)?;
        list.set_status("T-003", TaskStatus::Canceled)?;
        list.set_status("T-001", TaskStatus::Pending)?;
        let expected = BOTH_LAYOUTS
            .replace(
                "[x] completed | **Depends on**: none",
                "[ ] pending | **Depends on**: none",
            )
            .replace("[~] in_progress", "[x] completed")
            .replace("**Status:** [ ]  |", "**Status:** [-] canceled  |");
        assert_eq!(list.text(), expected);
        let reparsed = TaskList::parse(Path::new("tasks.md"), list.text().to_string());
        let statuses: Vec<TaskStatus> = reparsed.tasks.iter().map(|t| t.status).collect();
        assert_eq!(
            statuses,
            [
                TaskStatus::Pending,
                TaskStatus::Completed,
                TaskStatus::Canceled
            ]
        );
        Ok(())
    }

    #[test]
    fn bad_tasks_are_reported_with_their_lines() {
        let text = "### T-001: A\n**Status**: [x] finished\n### T-002: B\n**Status**: [?]\n### T-001: C\n**Status**: [ ] pending | **Depends on**: T-009\n### T-004: D\n";
        let list = TaskList::parse(Path::new("x/tasks.md"), text.to_string());
        let messages: Vec<String> = list.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "x/tasks.md:2: error: T-001: unknown status `finished`; expected one of pending, in_progress, completed, canceled",
                "x/tasks.md:4: error: T-002: unknown checkbox `[?]`; use [ ], [~], [x] or [-]",
                "x/tasks.md:5: error: duplicate task id T-001 (first used on line 1)",
                "x/tasks.md:7: warning: T-004 has no **Status** field; it counts as pending",
                "x/tasks.md:6: error: T-001 depends on T-009, which does not exist in this file",
            ]
        );
    }

    #[test]
    fn ambiguous_or_missing_ids_are_refused() {
        let text = "### T-001: A\n**Status**: [ ] pending\n### T-001: B\n**Status**: [ ] pending\n### T-002: C\n";
        let mut list = TaskList::parse(Path::new("tasks.md"), text.to_string());
        let err = |r: Result<()>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(list.set_status("T-001", TaskStatus::Completed)).contains("lines 1, 3"));
        assert!(
            err(list.set_status("T-007", TaskStatus::Completed))
                .contains("tasks are T-001, T-001, T-002")
        );
        assert!(
            err(list.set_status("T-002", TaskStatus::Completed))
                .contains("has no **Status** field")
        );
        assert_eq!(list.text(), text);
    }

    #[test]
    fn headings_with_and_without_colon() {
        assert_eq!(
            parse_heading("### T-003 Train baseline"),
            Some(("T-003".into(), "Train baseline".into()))
        );
        assert_eq!(
            parse_heading("## t-7:"),
            Some(("T-7".into(), String::new()))
        );
        assert_eq!(parse_heading("### Tasks: overview"), None);
        assert_eq!(parse_heading("##### T-001: too deep"), None);
        assert_eq!(parse_heading("### T-é: odd"), None);
    }

    #[test]
    fn mismatched_checkbox_and_word_warn() {
        let list = TaskList::parse(
            Path::new("tasks.md"),
            "### T-001: A\n**Status**: [x] pending\n".to_string(),
        );
        assert_eq!(list.tasks[0].status, TaskStatus::Pending);
        assert!(
            list.diagnostics[0]
                .to_string()
                .contains("checkbox [x] says completed")
        );
    }

    mod round_trip {
        use super::*;
        use proptest::prelude::*;

        fn status_strategy() -> impl Strategy<Value = TaskStatus> {
            prop::sample::select(TaskStatus::ALL.to_vec())
        }

        /// One task in either layout, with arbitrary spacing, prose and line endings.
        fn task_text(
            index: usize,
            status: TaskStatus,
            one_line: bool,
            spaces: usize,
            prose: &str,
            newline: &str,
        ) -> String {
            let pad = " ".repeat(spaces);
            let id = format!("T-{:03}", index + 1);
            let depends = if index == 0 {
                "none".to_string()
            } else {
                format!("T-{index:03}")
            };
            let fields = if one_line {
                format!(
                    "**Status**:{pad}{}{pad} | **Depends on**: {depends}{newline}",
                    status.markdown()
                )
            } else {
                format!(
                    "**Status**:{pad}{}{newline}**Depends on**: {depends}{newline}",
                    status.markdown()
                )
            };
            format!("### {id}: task {index}{newline}{fields}{prose}{newline}{newline}")
        }

        proptest! {
            #[test]
            fn edits_change_only_the_status_value(
                tasks in prop::collection::vec(
                    (status_strategy(), any::<bool>(), 1usize..4, "[a-z |:]{0,30}"),
                    1..8,
                ),
                crlf in any::<bool>(),
                edits in prop::collection::vec((0usize..8, status_strategy()), 1..6),
            ) {
                let newline = if crlf { "\r\n" } else { "\n" };
                let mut text = format!("# Tasks{newline}{newline}");
                for (index, (status, one_line, spaces, prose)) in tasks.iter().enumerate() {
                    text.push_str(&task_text(index, *status, *one_line, *spaces, prose, newline));
                }
                let mut list = TaskList::parse(Path::new("tasks.md"), text.clone());
                prop_assert!(list.diagnostics.is_empty(), "{:?}", list.diagnostics);
                let mut expected: Vec<TaskStatus> = tasks.iter().map(|t| t.0).collect();
                for (target, status) in edits {
                    let target = target % tasks.len();
                    list.set_status(&format!("T-{:03}", target + 1), status)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    expected[target] = status;
                }
                let status_lines: Vec<usize> = list.tasks.iter().filter_map(|t| t.status_line).collect();
                let before: Vec<&str> = text.split_inclusive('\n').collect();
                let after: Vec<&str> = list.text().split_inclusive('\n').collect();
                prop_assert_eq!(before.len(), after.len());
                for (number, (b, a)) in before.iter().zip(&after).enumerate() {
                    if !status_lines.contains(&(number + 1)) {
                        prop_assert_eq!(b, a, "line {} changed", number + 1);
                    }
                }
                let reparsed = TaskList::parse(Path::new("tasks.md"), list.text().to_string());
                let statuses: Vec<TaskStatus> = reparsed.tasks.iter().map(|t| t.status).collect();
                prop_assert_eq!(statuses, expected);
            }
        }
    }
}
