//! Finding an increment folder from the id a user types (`0042`, `42`, or the full name).

use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why an increment could not be found.
#[derive(Debug, Error)]
pub enum LocateError {
    /// The increments folder could not be read.
    #[error("cannot read increments under {path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// No increment matches; the nearest names are listed.
    #[error("no increment matches `{id}` under {root}; nearest: {nearest}")]
    NotFound {
        /// What was asked for.
        id: String,
        /// Where it was looked for.
        root: PathBuf,
        /// Comma-separated nearest increment names (or "none exist").
        nearest: String,
    },
}

/// Resolves `id` to the folder of an increment under `root/increments/`.
///
/// `root` is the `.specweave` folder. `id` may be the 4-digit number (`0042`), the number
/// without leading zeros (`42`) or the folder name (`0042-recommendation-model`).
pub fn locate_increment(root: &Path, id: &str) -> Result<PathBuf, LocateError> {
    let dir = root.join("increments");
    let entries = std::fs::read_dir(&dir).map_err(|source| LocateError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| LocateError::Io {
            path: dir.clone(),
            source,
        })?;
        if entry.path().is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    let wanted_number = id.trim().parse::<u32>().ok();
    let hit = names.iter().find(|name| {
        name.as_str() == id
            || wanted_number.is_some_and(|n| {
                name.split('-')
                    .next()
                    .and_then(|prefix| prefix.parse::<u32>().ok())
                    == Some(n)
            })
    });
    match hit {
        Some(name) => Ok(dir.join(name)),
        None => {
            let mut scored: Vec<(usize, &String)> =
                names.iter().map(|n| (edit_distance(id, n), n)).collect();
            scored.sort();
            let nearest: Vec<&str> = scored.iter().take(3).map(|(_, n)| n.as_str()).collect();
            Err(LocateError::NotFound {
                id: id.to_string(),
                root: root.to_path_buf(),
                nearest: if nearest.is_empty() {
                    "none exist".into()
                } else {
                    nearest.join(", ")
                },
            })
        }
    }
}

/// Levenshtein distance, for suggesting the nearest names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_number_and_names_the_nearest_otherwise() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        for name in ["0001-churn-model", "0042-recommendation-model"] {
            std::fs::create_dir_all(root.path().join("increments").join(name))?;
        }
        assert!(locate_increment(root.path(), "42")?.ends_with("0042-recommendation-model"));
        assert!(locate_increment(root.path(), "0001-churn-model")?.ends_with("0001-churn-model"));
        let err = locate_increment(root.path(), "0043")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no increment matches `0043`")
                && err.contains("0042-recommendation-model"),
            "{err}"
        );
        Ok(())
    }
}
