//! The environment recorded with every run without being asked: compiler, crate versions
//! from `Cargo.lock`, OS, CPU, host, user and the git commit with its dirty flag; and the
//! fingerprints of training data and schema.

use sha2::{Digest, Sha256};
use specweave_core::{Dataset, Target};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// Crates whose versions are worth recording when they appear in `Cargo.lock`, besides
/// every `specweave*` crate.
const NOTABLE_CRATES: &[&str] = &[
    "ndarray",
    "linfa",
    "smartcore",
    "burn",
    "arrow",
    "parquet",
    "rayon",
    "serde",
    "serde_json",
    "rand",
];

/// Host name of this machine (empty when it cannot be read).
pub fn host_name() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .map(|s| s.trim().to_owned())
            .ok()
            .filter(|s| !s.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .unwrap_or_default()
    })
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned())
}

/// Parts that do not change while the process lives.
fn static_environment() -> &'static BTreeMap<String, String> {
    static ENV: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = BTreeMap::new();
        env.insert("rustc".into(), env!("SPECWEAVE_RUSTC_VERSION").into());
        env.insert("os".into(), std::env::consts::OS.into());
        env.insert("arch".into(), std::env::consts::ARCH.into());
        env.insert("cpu".into(), cpu_model());
        env.insert(
            "cpu_count".into(),
            std::thread::available_parallelism()
                .map(|n| n.get().to_string())
                .unwrap_or_else(|_| "1".into()),
        );
        env.insert("host".into(), host_name().into());
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_default();
        env.insert("user".into(), user);
        env.insert(
            "specweave_tracking".into(),
            env!("CARGO_PKG_VERSION").into(),
        );
        env
    })
}

/// Finds `Cargo.lock` in `start` or a folder above it.
fn find_cargo_lock(start: &Path) -> Option<std::path::PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join("Cargo.lock"))
        .find(|candidate| candidate.is_file())
}

/// Versions of the notable crates in a `Cargo.lock` text, as `crate.<name>` entries.
pub(crate) fn crate_versions(lock: &str) -> BTreeMap<String, String> {
    let mut versions = BTreeMap::new();
    let mut name: Option<&str> = None;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(value) = line.strip_prefix("name = ") {
            name = Some(value.trim_matches('"'));
        } else if let (Some(value), Some(current)) = (line.strip_prefix("version = "), name) {
            if current.starts_with("specweave") || NOTABLE_CRATES.contains(&current) {
                versions.insert(
                    format!("crate.{current}"),
                    value.trim_matches('"').to_owned(),
                );
            }
            name = None;
        }
    }
    versions
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Everything recorded about the environment of a run started on `increment`.
pub fn capture_environment(increment: &Path) -> BTreeMap<String, String> {
    let mut env = static_environment().clone();
    let cwd = std::env::current_dir().unwrap_or_else(|_| increment.to_path_buf());
    let lock = find_cargo_lock(&cwd).or_else(|| find_cargo_lock(increment));
    if let Some(lock) = lock
        && let Ok(text) = std::fs::read_to_string(&lock)
    {
        env.insert("cargo_lock".into(), lock.display().to_string());
        env.extend(crate_versions(&text));
    }
    if let Some(commit) = git(increment, &["rev-parse", "HEAD"]) {
        env.insert("git_commit".into(), commit);
        let dirty = git(
            increment,
            &["status", "--porcelain", "--untracked-files=no"],
        )
        .is_some_and(|status| !status.is_empty());
        env.insert("git_dirty".into(), dirty.to_string());
    }
    env
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a dataset's schema: feature names and kinds, target kind, name and classes.
pub fn schema_fingerprint(data: &Dataset) -> String {
    let mut hasher = Sha256::new();
    for (name, kind) in data.feature_names().iter().zip(data.feature_kinds()) {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(serde_json::to_string(kind).unwrap_or_default().as_bytes());
        hasher.update([0]);
    }
    match data.target() {
        Target::Classes { class_names, .. } => {
            hasher.update(b"classes");
            for name in class_names {
                hasher.update(name.as_bytes());
                hasher.update([0]);
            }
        }
        Target::Continuous(_) => hasher.update(b"continuous"),
        Target::None => hasher.update(b"none"),
    }
    hasher.update(data.target_name().unwrap_or("").as_bytes());
    hex(hasher.finalize())
}

/// SHA-256 of a dataset's content: schema, every feature value, target, weights, groups
/// and timestamps, in row order.
pub fn data_fingerprint(data: &Dataset) -> String {
    let mut hasher = Sha256::new();
    hasher.update(schema_fingerprint(data).as_bytes());
    hasher.update((data.n_rows() as u64).to_le_bytes());
    for value in data.features().iter() {
        hasher.update(value.to_bits().to_le_bytes());
    }
    if let Some(target) = data.target().as_f64() {
        for value in target.iter() {
            hasher.update(value.to_bits().to_le_bytes());
        }
    }
    if let Some(weights) = data.weights() {
        for value in weights.iter() {
            hasher.update(value.to_bits().to_le_bytes());
        }
    }
    if let Some(groups) = data.groups() {
        for group in groups {
            hasher.update(group.as_bytes());
            hasher.update([0]);
        }
    }
    if let Some(timestamps) = data.timestamps() {
        for t in timestamps {
            hasher.update(t.to_le_bytes());
        }
    }
    hex(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_versions_come_from_the_lock_file() {
        let lock = "[[package]]\nname = \"ndarray\"\nversion = \"0.17.1\"\n\n[[package]]\nname = \"other\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"specweave-core\"\nversion = \"0.1.0\"\n";
        let versions = crate_versions(lock);
        assert_eq!(
            versions.get("crate.ndarray").map(String::as_str),
            Some("0.17.1")
        );
        assert_eq!(
            versions.get("crate.specweave-core").map(String::as_str),
            Some("0.1.0")
        );
        assert!(!versions.contains_key("crate.other"));
    }

    #[test]
    fn environment_names_os_host_and_compiler() {
        let env = capture_environment(Path::new("."));
        assert!(env["rustc"].starts_with("rustc "), "{:?}", env.get("rustc"));
        assert_eq!(env["os"], std::env::consts::OS);
        assert!(env.contains_key("host") && env.contains_key("cpu"));
    }
}
