//! File helpers: reads with the path in the error, and writes that never leave a half-written
//! file behind (write a temporary file beside the target, then rename over it).

use std::io::Write;
use std::path::Path;

use crate::{Error, Result};

/// Reads a UTF-8 file, naming it in the error.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(Error::io(path))
}

/// Replaces `path` with `contents` atomically: readers see the old or the new file, never a mix.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::InvalidInput(format!("{} has no parent folder", path.display())))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp).map_err(Error::io(&temp))?;
        file.write_all(contents).map_err(Error::io(&temp))?;
        file.sync_all().map_err(Error::io(&temp))?;
        std::fs::rename(&temp, path).map_err(Error::io(path))
    })();
    if result.is_err() {
        // Best effort: the target is untouched, only the temporary file may remain.
        let _ = std::fs::remove_file(&temp);
    }
    result
}
