//! # specweave-spec
//!
//! Increments: the folder layout under `.specweave/increments/`, and (as this crate grows)
//! the spec, plan and task documents, success criteria and the validate/done gates.
//!
//! ```
//! let root = tempfile::tempdir()?;
//! std::fs::create_dir_all(root.path().join("increments/0042-recommendation-model"))?;
//! let found = specweave_spec::locate_increment(root.path(), "0042")?;
//! assert!(found.ends_with("0042-recommendation-model"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod locate;

pub use locate::{LocateError, locate_increment};
