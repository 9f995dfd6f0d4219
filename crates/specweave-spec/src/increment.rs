//! An increment on disk: creating one with a unique number, opening it by id, listing all of
//! them with their lineage, and the edits that keep its documents and status store in step.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use specweave_core::ProblemKind;

use crate::fsutil::{read_text, write_atomic};
use crate::metadata::METADATA_FILE;
use crate::spec_doc::{SPEC_FILE, set_frontmatter_status};
use crate::tasks::TASKS_FILE;
use crate::templates::{self, TemplateContext};
use crate::tests_doc::TESTS_FILE;
use crate::{
    Error, Location, Metadata, Result, SpecDocument, Status, TaskList, TaskStatus, TestPlan,
    infer_problem, locate_increment, slugify,
};

/// Folder under the root (`.specweave`) that holds the increments.
pub const INCREMENTS_DIR: &str = "increments";
/// File name of the plan.
pub const PLAN_FILE: &str = "plan.md";
/// Sub-folders every increment has.
pub const INCREMENT_FOLDERS: [&str; 5] = ["experiments", "data", "models", "notebooks", "reports"];
/// Lock file that serialises numbering between processes.
const LOCK_FILE: &str = ".numbering.lock";

/// An increment folder and its metadata.
#[derive(Debug, Clone)]
pub struct Increment {
    dir: PathBuf,
    metadata: Metadata,
}

/// Options for creating an increment; see [`Increment::builder`].
#[derive(Debug, Clone)]
pub struct IncrementBuilder {
    root: PathBuf,
    title: String,
    problem: Option<ProblemKind>,
    parent: Option<String>,
    now: Option<DateTime<Utc>>,
}

impl IncrementBuilder {
    /// Sets the problem kind; without it the kind is inferred from the title.
    pub fn problem(mut self, problem: ProblemKind) -> Self {
        self.problem = Some(problem);
        self
    }

    /// Names the parent increment (any id [`locate_increment`] accepts).
    pub fn parent(mut self, parent: impl Into<String>) -> Self {
        self.parent = Some(parent.into());
        self
    }

    /// Fixes the creation time (for reproducible documents); defaults to now.
    pub fn created_at(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// Creates the increment: takes the next free number under an exclusive lock (so two
    /// processes never get the same one), writes every document into a staging folder and
    /// renames it into place, so a half-written increment is never visible.
    pub fn create(self) -> Result<Increment> {
        let slug = slugify(&self.title)?;
        let problem = match self.problem {
            Some(problem) => problem,
            None => infer_problem(&self.title)?.kind,
        };
        let increments = self.root.join(INCREMENTS_DIR);
        std::fs::create_dir_all(&increments).map_err(Error::io(&increments))?;
        let parent = match &self.parent {
            Some(parent) => Some(
                locate_increment(&self.root, parent)?
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
            None => None,
        };
        let now = self.now.unwrap_or_else(Utc::now);
        let timestamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let date = now.format("%Y-%m-%d").to_string();

        let lock = lock_numbering(&increments)?;
        let number = next_number(&increments)?;
        let id = format!("{number:04}-{slug}");
        let target = increments.join(&id);
        let staging = increments.join(format!(".staging-{id}-{}", std::process::id()));
        let result = (|| {
            if staging.exists() {
                std::fs::remove_dir_all(&staging).map_err(Error::io(&staging))?;
            }
            std::fs::create_dir(&staging).map_err(Error::io(&staging))?;
            for folder in INCREMENT_FOLDERS {
                let path = staging.join(folder);
                std::fs::create_dir(&path).map_err(Error::io(&path))?;
            }
            let ctx = TemplateContext {
                id: &id,
                title: self.title.trim(),
                kind: problem,
                date: &date,
                parent: parent.as_deref(),
            };
            let documents = [
                (SPEC_FILE, templates::spec_md(&ctx)),
                (PLAN_FILE, templates::plan_md(&ctx)),
                (TASKS_FILE, templates::tasks_md(&ctx)),
                (TESTS_FILE, templates::tests_md(&ctx)),
            ];
            for (name, text) in documents {
                let path = staging.join(name);
                std::fs::write(&path, text).map_err(Error::io(&path))?;
            }
            let metadata = Metadata {
                id: id.clone(),
                number,
                title: self.title.trim().to_string(),
                problem,
                status: Status::Planning,
                created: timestamp.clone(),
                last_activity: timestamp.clone(),
                parent: parent.clone(),
                history: Vec::new(),
                completion_override: None,
            };
            metadata.write(&staging)?;
            // create_dir is atomic: if the name exists despite the lock (a writer that does
            // not take it), the rename below fails instead of merging folders.
            if target.exists() {
                return Err(Error::InvalidInput(format!(
                    "{} already exists",
                    target.display()
                )));
            }
            std::fs::rename(&staging, &target).map_err(Error::io(&target))?;
            Ok(metadata)
        })();
        drop(lock);
        match result {
            Ok(metadata) => Ok(Increment {
                dir: target,
                metadata,
            }),
            Err(error) => {
                let _ = std::fs::remove_dir_all(&staging);
                Err(error)
            }
        }
    }
}

/// Takes the exclusive numbering lock; released when the file is dropped.
fn lock_numbering(increments: &Path) -> Result<File> {
    let path = increments.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(Error::io(&path))?;
    file.lock().map_err(Error::io(&path))?;
    Ok(file)
}

/// One more than the highest number in use (`NNNN-*` folders, staging ones included).
fn next_number(increments: &Path) -> Result<u32> {
    let mut highest = 0;
    for entry in std::fs::read_dir(increments).map_err(Error::io(increments))? {
        let entry = entry.map_err(Error::io(increments))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let name = name.strip_prefix(".staging-").unwrap_or(&name);
        let prefix: String = name.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(number) = prefix.parse::<u32>() {
            highest = highest.max(number);
        }
    }
    highest
        .checked_add(1)
        .ok_or_else(|| Error::InvalidInput("increment numbers are exhausted".into()))
}

impl Increment {
    /// Creates an increment under `root` (the `.specweave` folder). Without `problem`, the
    /// kind is inferred from the title (see [`infer_problem`]).
    pub fn create(root: &Path, title: &str, problem: Option<ProblemKind>) -> Result<Increment> {
        let builder = Increment::builder(root, title);
        match problem {
            Some(problem) => builder.problem(problem).create(),
            None => builder.create(),
        }
    }

    /// A builder for creating an increment with a parent or a fixed creation time.
    ///
    /// ```
    /// use specweave_spec::Increment;
    /// let root = tempfile::tempdir()?;
    /// let pipeline = Increment::create(root.path(), "customer data pipeline for churn", None)?;
    /// let model = Increment::builder(root.path(), "churn classifier").parent("1").create()?;
    /// assert_eq!(model.metadata().parent.as_deref(), Some(pipeline.id()));
    /// assert_eq!(model.id(), "0002-churn-classifier");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(root: &Path, title: &str) -> IncrementBuilder {
        IncrementBuilder {
            root: root.to_path_buf(),
            title: title.to_string(),
            problem: None,
            parent: None,
            now: None,
        }
    }

    /// Opens the increment `id` (`0042`, `42` or the folder name) under `root`.
    pub fn open(root: &Path, id: &str) -> Result<Increment> {
        let dir = locate_increment(root, id)?;
        Increment::open_dir(&dir)
    }

    /// Opens an increment folder directly.
    pub fn open_dir(dir: &Path) -> Result<Increment> {
        Ok(Increment {
            dir: dir.to_path_buf(),
            metadata: Metadata::read(dir)?,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The id (folder name).
    pub fn id(&self) -> &str {
        &self.metadata.id
    }

    /// The metadata as last read or written.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Reads spec.md.
    pub fn spec(&self) -> Result<SpecDocument> {
        SpecDocument::read(&self.dir.join(SPEC_FILE))
    }

    /// Reads tasks.md.
    pub fn tasks(&self) -> Result<TaskList> {
        TaskList::read(&self.dir.join(TASKS_FILE))
    }

    /// Reads tests.md.
    pub fn tests(&self) -> Result<TestPlan> {
        TestPlan::read(&self.dir.join(TESTS_FILE))
    }

    /// Moves the lifecycle to `next` (refusing transitions the lifecycle forbids), records it
    /// in metadata.json and mirrors it in spec.md's frontmatter.
    pub fn set_status(&mut self, next: Status, reason: Option<&str>) -> Result<()> {
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        self.set_status_at(next, reason, &now)
    }

    pub(crate) fn set_status_at(
        &mut self,
        next: Status,
        reason: Option<&str>,
        at: &str,
    ) -> Result<()> {
        // Re-read so a concurrent edit of metadata.json is not overwritten with stale data.
        let mut metadata = Metadata::read(&self.dir)?;
        metadata.transition(next, at, reason)?;
        metadata.write(&self.dir)?;
        self.metadata = metadata;
        self.mirror_status()
    }

    /// Records a completion override in metadata.json.
    pub(crate) fn record_override(&mut self, record: crate::CompletionOverride) -> Result<()> {
        let mut metadata = Metadata::read(&self.dir)?;
        metadata.completion_override = Some(record);
        metadata.write(&self.dir)?;
        self.metadata = metadata;
        Ok(())
    }

    /// Writes metadata.json's status into spec.md's frontmatter, changing only that line.
    fn mirror_status(&self) -> Result<()> {
        let path = self.dir.join(SPEC_FILE);
        if !path.exists() {
            // metadata.json stays authoritative; validation reports the missing spec.
            tracing::warn!(path = %path.display(), "spec.md is missing; status not mirrored");
            return Ok(());
        }
        let text = read_text(&path)?;
        match set_frontmatter_status(&text, self.metadata.status) {
            Some(edited) if edited != text => write_atomic(&path, edited.as_bytes()),
            Some(_) => Ok(()),
            None => {
                tracing::warn!(path = %path.display(), "spec.md has no frontmatter; status not mirrored");
                Ok(())
            }
        }
    }

    /// Sets one task's status in tasks.md, rewriting only its status value. Starting or
    /// finishing a task of an increment still in planning makes it active.
    ///
    /// ```
    /// use specweave_spec::{Increment, Status, TaskStatus};
    /// let root = tempfile::tempdir()?;
    /// let increment = Increment::create(root.path(), "detect fraud", None)?;
    /// increment.set_task_status("T-001", TaskStatus::InProgress)?;
    /// assert_eq!(Increment::open(root.path(), "1")?.metadata().status, Status::Active);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_task_status(&self, task_id: &str, status: TaskStatus) -> Result<()> {
        let mut tasks = self.tasks()?;
        tasks.set_status(task_id, status)?;
        tasks.write()?;
        let metadata = Metadata::read(&self.dir)?;
        if metadata.status == Status::Planning
            && matches!(status, TaskStatus::InProgress | TaskStatus::Completed)
        {
            let mut this = self.clone();
            this.set_status(Status::Active, Some(&format!("{task_id} started")))?;
        }
        Ok(())
    }

    /// Replaces the bullets of spec.md's `## Success Criteria` section with `criteria`,
    /// keeping the rest of the document. Each criterion must parse (e.g. `Precision >= 0.99`,
    /// `New model must beat best baseline by 10%+`); nothing is written otherwise.
    ///
    /// ```
    /// use specweave_spec::Increment;
    ///
    /// let root = tempfile::tempdir()?;
    /// let increment = Increment::create(root.path(), "detect fraud", None)?;
    /// increment.set_success_criteria(&["ROC AUC > 0.95", "Precision >= 0.99"])?;
    /// let criteria = increment.spec()?.criteria;
    /// assert_eq!(criteria.len(), 2);
    /// assert!(increment.set_success_criteria(&["looks good"]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_success_criteria(&self, criteria: &[&str]) -> Result<()> {
        let path = self.dir.join(SPEC_FILE);
        let text = read_text(&path)?;
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .iter()
            .position(|l| l.trim() == "## Success Criteria")
            .ok_or_else(|| Error::Parse {
                location: Location {
                    file: path.clone(),
                    line: 1,
                },
                message: "no `## Success Criteria` section to replace".into(),
            })?;
        for (i, criterion) in criteria.iter().enumerate() {
            crate::parse_criterion(criterion, i + 1).map_err(|message| Error::Parse {
                location: Location {
                    file: path.clone(),
                    line: header + 1,
                },
                message: format!("criterion `{criterion}`: {message}"),
            })?;
        }
        let end = lines[header + 1..]
            .iter()
            .position(|l| l.starts_with("## "))
            .map_or(lines.len(), |p| header + 1 + p);
        let mut out: Vec<String> = lines[..=header].iter().map(|l| l.to_string()).collect();
        // Keep the section's prose, drop its old bullets.
        out.extend(
            lines[header + 1..end]
                .iter()
                .filter(|l| !l.trim_start().starts_with("- "))
                .map(|l| l.to_string()),
        );
        while out.last().is_some_and(|l| l.trim().is_empty()) {
            out.pop();
        }
        out.push(String::new());
        out.extend(criteria.iter().map(|c| format!("- {c}")));
        if end < lines.len() {
            out.push(String::new());
            out.extend(lines[end..].iter().map(|l| l.to_string()));
        }
        let mut updated = out.join("\n");
        updated.push('\n');
        write_atomic(&path, updated.as_bytes())
    }
}

/// One increment found by [`list_increments`].
#[derive(Debug, Clone)]
pub struct ListedIncrement {
    /// Folder name.
    pub id: String,
    /// The folder.
    pub dir: PathBuf,
    /// Its metadata, or why it could not be read.
    pub metadata: std::result::Result<Metadata, String>,
}

impl ListedIncrement {
    /// The parent id, when the metadata names one.
    pub fn parent(&self) -> Option<&str> {
        self.metadata
            .as_ref()
            .ok()
            .and_then(|m| m.parent.as_deref())
    }
}

/// Lists the increments under `root`, sorted by id. An increment whose metadata.json cannot
/// be read is listed with the reason instead of hiding the others.
pub fn list_increments(root: &Path) -> Result<Vec<ListedIncrement>> {
    let dir = root.join(INCREMENTS_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Io {
                path: dir,
                source: e,
            });
        }
    };
    let mut listed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io(&dir))?;
        let id = entry.file_name().to_string_lossy().into_owned();
        if id.starts_with('.') || !entry.path().is_dir() {
            continue;
        }
        let path = entry.path();
        let metadata = if path.join(METADATA_FILE).exists() {
            Metadata::read(&path).map_err(|e| e.to_string())
        } else {
            Err(format!("{METADATA_FILE} missing"))
        };
        listed.push(ListedIncrement {
            id,
            dir: path,
            metadata,
        });
    }
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(listed)
}

/// The chain of ancestors of `id`, oldest first, ending with `id` itself. Stops at a parent
/// that is not in `listed` or at a cycle.
///
/// ```
/// use specweave_spec::{Increment, lineage, list_increments};
/// let root = tempfile::tempdir()?;
/// Increment::create(root.path(), "interaction data pipeline for recommendations", None)?;
/// Increment::builder(root.path(), "candidate generation for recommendations").parent("1").create()?;
/// Increment::builder(root.path(), "ranking model").parent("2").create()?;
/// let listed = list_increments(root.path())?;
/// assert_eq!(
///     lineage(&listed, "0003-ranking-model"),
///     ["0001-interaction-data-pipeline-for-recommendations", "0002-candidate-generation-for-recommendations", "0003-ranking-model"]
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lineage(listed: &[ListedIncrement], id: &str) -> Vec<String> {
    let mut chain = vec![id.to_string()];
    let mut current = id.to_string();
    while let Some(parent) = listed
        .iter()
        .find(|l| l.id == current)
        .and_then(ListedIncrement::parent)
    {
        if chain.iter().any(|c| c == parent) {
            break;
        }
        chain.push(parent.to_string());
        current = parent.to_string();
    }
    chain.reverse();
    chain
}

/// The headline metric of an increment of this kind when the spec names none.
pub fn default_headline_metric(kind: ProblemKind) -> &'static str {
    templates::headline_metric(kind)
}
