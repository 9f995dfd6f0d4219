//! Living docs under `.specweave/docs/internal/`: `architecture/ml-models.md` with one
//! section per model updated in place, ADRs numbered without collisions, and runbooks.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("0001-use-parquet.md"), "# ADR")?;
//! assert_eq!(specweave_docs::next_adr_number(dir.path())?, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{DocsError, Result};
use std::path::Path;

/// `ml-models.md`, relative to `docs/internal/`.
pub const ML_MODELS_FILE: &str = "architecture/ml-models.md";
/// ADR folder, relative to `docs/internal/`.
pub const ADR_DIR: &str = "architecture/adr";
/// Runbook folder, relative to `docs/internal/`.
pub const RUNBOOKS_DIR: &str = "operations/runbooks";

const ML_MODELS_HEADER: &str =
    "# ML models\n\nOne section per model, kept up to date by `specweave sync-docs`.\n";

/// The number an ADR written now gets: one above the highest `NNNN-*.md` in `dir` (1 when
/// there are none or the folder does not exist).
pub fn next_adr_number(dir: &Path) -> Result<u32> {
    Ok(adr_numbers(dir)?
        .into_iter()
        .map(|(n, _)| n)
        .max()
        .unwrap_or(0)
        + 1)
}

/// `(number, file name)` of every ADR in `dir`.
fn adr_numbers(dir: &Path) -> Result<Vec<(u32, String)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(DocsError::io(dir)(e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(DocsError::io(dir))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        if name.ends_with(".md")
            && let Ok(n) = digits.parse()
        {
            found.push((n, name));
        }
    }
    Ok(found)
}

/// File name for the ADR with `slug`: the existing one when an ADR with that slug was
/// written before (so regenerating updates it), otherwise the next free number.
pub(crate) fn adr_file_name(dir: &Path, slug: &str) -> Result<String> {
    let existing = adr_numbers(dir)?;
    let suffix = format!("-{slug}.md");
    if let Some((_, name)) = existing
        .iter()
        .find(|(n, name)| *name == format!("{n:04}{suffix}"))
    {
        return Ok(name.clone());
    }
    Ok(format!("{:04}{suffix}", next_adr_number(dir)?))
}

fn markers(key: &str) -> (String, String) {
    (
        format!("<!-- specweave:model {key} -->"),
        format!("<!-- /specweave:model {key} -->"),
    )
}

/// `ml-models.md` with the section for `key` replaced by `section` (or appended when new);
/// every other section is kept byte for byte.
pub(crate) fn upsert_model_section(existing: Option<&str>, key: &str, section: &str) -> String {
    let (start, end) = markers(key);
    let block = format!("{start}\n{}\n{end}\n", section.trim_end());
    let current = existing.unwrap_or(ML_MODELS_HEADER);
    if let (Some(a), Some(b)) = (current.find(&start), current.find(&end))
        && a < b
    {
        let after = &current[b + end.len()..];
        let after = after.strip_prefix('\n').unwrap_or(after);
        return format!("{}{block}{after}", &current[..a]);
    }
    let mut out = current.to_string();
    if !out.ends_with("\n\n") {
        out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
    }
    out.push_str(&block);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_replaced_in_place_and_others_kept() {
        let one = upsert_model_section(None, "0001-a", "## A v1\n");
        let two = upsert_model_section(Some(&one), "0002-b", "## B v1\n");
        let updated = upsert_model_section(Some(&two), "0001-a", "## A v2\n");
        assert!(updated.contains("## A v2") && !updated.contains("## A v1"));
        assert!(updated.find("## A v2") < updated.find("## B v1"));
        assert_eq!(
            upsert_model_section(Some(&updated), "0001-a", "## A v2\n"),
            updated
        );
    }

    #[test]
    fn adr_names_reuse_the_slug_or_take_the_next_number() -> Result<()> {
        let dir = tempfile::tempdir().map_err(DocsError::io(Path::new("tmp")))?;
        let write = |name: &str| {
            std::fs::write(dir.path().join(name), "x").map_err(DocsError::io(dir.path()))
        };
        write("0001-use-parquet.md")?;
        write("0007-item-knn-choice.md")?;
        assert_eq!(
            adr_file_name(dir.path(), "item-knn-choice")?,
            "0007-item-knn-choice.md"
        );
        assert_eq!(
            adr_file_name(dir.path(), "churn-model")?,
            "0008-churn-model.md"
        );
        Ok(())
    }
}
