//! # specweave-data
//!
//! The data stage of specweave, on Arrow and Parquet: load CSV and Parquet files into a
//! [`specweave_core::Dataset`], profile them batch by batch in bounded memory, infer and
//! check `schema.yaml`, draw stratified samples, split rows for validation, and generate
//! seeded synthetic data for examples and tests.
//!
//! ```
//! use specweave_core::Splitter;
//! use specweave_data::split::StratifiedKFold;
//! use specweave_data::synth::ClassificationSpec;
//! use specweave_data::{LoadOptions, ProfileOptions, Table, load_dataset, profile_file, write_parquet};
//!
//! // A fraud-like dataset with 2% positives, written to Parquet and read back.
//! let data = ClassificationSpec::new(2_000).positive_rate(0.02).seed(7).generate()?;
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("fraud.parquet");
//! let labels = data.target().as_f64().expect("classes").to_vec();
//! let table = Table::builder()
//!     .f64("informative_0", data.features().column(0).to_vec())
//!     .f64("is_fraud", labels)
//!     .build()?;
//! write_parquet(&path, &table)?;
//!
//! let profile = profile_file(&path, &ProfileOptions::new().target("is_fraud"))?;
//! assert_eq!(profile.target.and_then(|t| t.imbalance_ratio), Some(49.0));
//!
//! let loaded = load_dataset(&path, &LoadOptions::new().target("is_fraud"))?;
//! let folds = StratifiedKFold::new(5).shuffled(1).split(&loaded)?;
//! assert_eq!(folds.len(), 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod convert;
mod error;
mod interactions;
mod load;
pub mod pipeline;
mod profile;
mod sample;
mod schema;
mod sketch;
pub mod split;
pub mod synth;
mod table;

pub use error::{DataError, Result};
pub use interactions::{
    InteractionOptions, load_inter, load_interactions, load_movielens, load_series,
};
pub use load::{LoadOptions, TargetKind, load_dataset};
pub use profile::{
    ColumnProfile, CorrelatedPair, LeakageSuspect, NumericSummary, Profile, ProfileOptions,
    QUANTILE_LEVELS, QuantileValue, TargetProfile, ValueCount, profile_file,
};
pub use sample::{SampleOptions, SampleSummary, write_sample};
pub use schema::{
    ColumnRole, ColumnSchema, ColumnType, DataSchema, Rule, RuleViolations, SchemaOptions,
    ValidationReport, ViolationExample, infer_schema, validate_file,
};
pub use table::{
    BatchStream, FileFormat, ReadOptions, Table, TableBuilder, open_batches, read_table,
    write_batches, write_parquet,
};
