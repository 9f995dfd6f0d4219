//! # specweave-serve
//!
//! Deployment for specweave: a model bundle (model file, fitted feature pipeline, input
//! schema, decision threshold, class names, explainer settings and a reference profile, each
//! checksummed), an inference pipeline from raw JSON records to labels, probabilities or
//! values with optional per-prediction contributions, and an HTTP service on axum with
//! metrics, drift monitoring, atomic hot swap and A/B routing.
//!
//! ```
//! use ndarray::Array2;
//! use specweave_core::{Dataset, Target};
//! use specweave_serve::{BundleBuilder, ModelBundle, Service};
//!
//! let x = Array2::from_shape_fn((300, 2), |(i, j)| ((i * (j + 5)) % 31) as f64);
//! let labels = x.rows().into_iter().map(|r| usize::from(r[0] + r[1] > 30.0)).collect();
//! let data = Dataset::builder(x)
//!     .feature_names(["amount", "age"])
//!     .target(Target::Classes { labels, class_names: vec!["ok".into(), "fraud".into()] })
//!     .build()?;
//! let model = specweave_train::learner_from_params("gradient_boosting", &serde_json::json!({"n_estimators": 20}))?
//!     .fit(&data)?;
//! let dir = tempfile::tempdir()?;
//! BundleBuilder::new(model.as_ref()).threshold(0.4).reference_from(&data).write_to(dir.path())?;
//!
//! let server = Service::new(ModelBundle::load(dir.path())?).spawn("127.0.0.1:0".parse()?)?;
//! let url = format!("http://{}/predict", server.addr());
//! let answer: serde_json::Value = ureq::post(&url)
//!     .send_json(serde_json::json!({"record": {"amount": 25.0, "age": 12.0}}))?
//!     .body_mut()
//!     .read_json()?;
//! assert!(answer["predictions"][0]["label"].is_string());
//! server.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod arrow_input;
mod bundle;
mod drift;
mod error;
mod inference;
mod metrics;
mod server;

pub use arrow_input::records_from_batch;
pub use bundle::{
    BUNDLE_FORMAT_VERSION, BundleBuilder, BundleFile, BundleManifest, ExplainerSettings,
    MANIFEST_FILE, ModelBundle,
};
pub use drift::{DRIFT_BINS, FeatureReference, ReferenceProfile};
pub use error::{Result, ServeError};
pub use inference::{Prediction, Predictor, Record};
pub use server::{
    DEFAULT_BODY_LIMIT, DEFAULT_MAX_BATCH, RunningServer, Service, USER_HEADER, VERSION_HEADER,
};
