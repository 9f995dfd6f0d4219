//! specweave-docs: see this crate's Cargo description; the implementation lands with its issue.
#![warn(missing_docs)]
