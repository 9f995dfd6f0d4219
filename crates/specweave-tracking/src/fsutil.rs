//! File helpers with the durability rules of the store: JSON files are replaced atomically
//! (write a temporary file, sync it, rename it over the old one) and JSON-lines files are
//! appended to, with a torn last line skipped on read.

use crate::error::{Result, TrackingError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces `path` with `bytes` so that readers see either the old or the new content.
pub(crate) fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{file_name}.tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = File::create(&temp).map_err(TrackingError::io("create", &temp))?;
        file.write_all(bytes)
            .map_err(TrackingError::io("write", &temp))?;
        file.sync_all().map_err(TrackingError::io("sync", &temp))?;
        fs::rename(&temp, path).map_err(TrackingError::io("rename", path))
    })();
    if written.is_err() {
        // Best effort: a leftover temporary file is harmless but untidy.
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Serializes `value` as pretty JSON and replaces `path` atomically.
pub(crate) fn atomic_write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(TrackingError::json(path, None))?;
    bytes.push(b'\n');
    atomic_write(path, &bytes)
}

/// Reads and parses a JSON file.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = fs::read(path).map_err(TrackingError::io("read", path))?;
    serde_json::from_slice(&bytes).map_err(TrackingError::json(path, None))
}

/// Reads a JSON file, or `T::default()` when it does not exist.
pub(crate) fn read_json_or_default<T: DeserializeOwned + Default>(path: &Path) -> Result<T> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(TrackingError::json(path, None)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(error) => Err(TrackingError::io("read", path)(error)),
    }
}

/// Appends `bytes` (whole lines) to `path`, creating it, and optionally syncs to disk.
pub(crate) fn append(path: &Path, bytes: &[u8], sync: bool) -> Result<()> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(TrackingError::io("open", path))?;
    file.write_all(bytes)
        .map_err(TrackingError::io("append to", path))?;
    if sync {
        file.sync_data().map_err(TrackingError::io("sync", path))?;
    }
    Ok(())
}

/// The complete lines of a JSON-lines file, parsed. A last line without its newline (a
/// write torn by a crash) is skipped with a warning; a bad line anywhere else is an error.
/// Returns the records and the number of complete lines.
pub(crate) fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(TrackingError::io("read", path)(error)),
    };
    let complete_len = bytes
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |last| last + 1);
    if complete_len < bytes.len() {
        tracing::warn!(
            path = %path.display(),
            bytes = bytes.len() - complete_len,
            "skipping a torn last line (the writer was interrupted mid-write)"
        );
    }
    let mut records = Vec::new();
    for (index, line) in bytes[..complete_len].split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record =
            serde_json::from_slice(line).map_err(TrackingError::json(path, Some(index + 1)))?;
        records.push(record);
    }
    Ok(records)
}

/// Creates a folder and its parents.
pub(crate) fn create_dir_all(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(TrackingError::io("create folder", path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use specweave_core::records::MetricPoint;

    #[test]
    fn torn_last_line_is_skipped_but_middle_garbage_is_an_error() -> Result<()> {
        let dir = tempfile::tempdir().map_err(TrackingError::io("create", "tempdir"))?;
        let path = dir.path().join("m.jsonl");
        append(
            &path,
            b"{\"key\":\"a\",\"value\":1.0,\"step\":0,\"timestamp_ms\":1}\n{\"key\":\"a\",\"val",
            true,
        )?;
        let points: Vec<MetricPoint> = read_jsonl(&path)?;
        assert_eq!(points.len(), 1);
        fs::write(
            &path,
            b"{}\n{\"key\":\"a\",\"value\":1.0,\"step\":0,\"timestamp_ms\":1}\n",
        )
        .map_err(TrackingError::io("write", &path))?;
        let error = read_jsonl::<MetricPoint>(&path).expect_err("first line is not a point");
        assert!(error.to_string().contains("line 1"), "{error}");
        Ok(())
    }

    #[test]
    fn atomic_write_replaces_content() -> Result<()> {
        let dir = tempfile::tempdir().map_err(TrackingError::io("create", "tempdir"))?;
        let path = dir.path().join("x.json");
        atomic_write_json(&path, &vec![1, 2])?;
        atomic_write_json(&path, &vec![3])?;
        assert_eq!(read_json::<Vec<i32>>(&path)?, vec![3]);
        let leftovers = fs::read_dir(dir.path())
            .map_err(TrackingError::io("read", dir.path()))?
            .count();
        assert_eq!(leftovers, 1);
        Ok(())
    }
}
