//! Model bundles: everything needed to predict, in one folder with a checksummed manifest.
//!
//! A bundle is the folder of a registered model version (`models/model-vN/`): `bundle.json`
//! (the [`BundleManifest`]), the model file, and optionally the fitted feature pipeline
//! (`pipeline.json`), the input schema (`schema.yaml`) and the reference profile for drift
//! (`reference.json`). Loading verifies every file against the SHA-256 in the manifest, and
//! the model file against its own header checksum.

use crate::drift::ReferenceProfile;
use crate::error::{Result, ServeError};
use serde::{Deserialize, Serialize};
use specweave_core::records::ModelVersionMetadata;
use specweave_core::{Model, ProblemKind, sha256_hex};
use specweave_data::DataSchema;
use specweave_data::pipeline::FittedPipeline;
use std::path::{Path, PathBuf};

/// The bundle format this crate writes and reads.
pub const BUNDLE_FORMAT_VERSION: u32 = 1;
/// Name of the manifest inside a bundle folder.
pub const MANIFEST_FILE: &str = "bundle.json";
const MODEL_FILE: &str = "model.swm";
const PIPELINE_FILE: &str = "pipeline.json";
const SCHEMA_FILE: &str = "schema.yaml";
const REFERENCE_FILE: &str = "reference.json";

/// One file of a bundle and its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    /// Path relative to the bundle folder.
    pub path: String,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
}

/// How predictions are explained when a request asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainerSettings {
    /// Strongest positive and negative contributions returned per prediction.
    pub top_k: usize,
}

impl Default for ExplainerSettings {
    fn default() -> Self {
        ExplainerSettings { top_k: 5 }
    }
}

/// `bundle.json`: what the bundle holds and the checksum of every file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleManifest {
    /// Bundle format version ([`BUNDLE_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The model file.
    pub model: BundleFile,
    /// The fitted feature pipeline, when raw records need transforming.
    #[serde(default)]
    pub pipeline: Option<BundleFile>,
    /// The input schema records are validated against.
    #[serde(default)]
    pub schema: Option<BundleFile>,
    /// The reference profile of the model inputs, for drift monitoring.
    #[serde(default)]
    pub reference: Option<BundleFile>,
    /// Decision threshold on the positive-class probability of a binary classifier.
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Class names of a classifier, in label order.
    #[serde(default)]
    pub class_names: Vec<String>,
    /// Explainer settings.
    #[serde(default)]
    pub explainer: ExplainerSettings,
}

/// Writes a bundle folder.
///
/// ```
/// use ndarray::Array2;
/// use specweave_core::{Dataset, Target};
/// use specweave_serve::{BundleBuilder, ModelBundle};
///
/// let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * (j + 3)) % 17) as f64);
/// let labels = x.rows().into_iter().map(|r| usize::from(r[0] > 8.0)).collect();
/// let data = Dataset::builder(x)
///     .feature_names(["a", "b"])
///     .target(Target::Classes { labels, class_names: vec!["no".into(), "yes".into()] })
///     .build()?;
/// let learner = specweave_train::learner_from_params("gradient_boosting", &serde_json::json!({"n_estimators": 10}))?;
/// let model = learner.fit(&data)?;
///
/// let dir = tempfile::tempdir()?;
/// BundleBuilder::new(model.as_ref()).threshold(0.3).reference_from(&data).write_to(dir.path())?;
/// let bundle = ModelBundle::load(dir.path())?;
/// assert_eq!(bundle.manifest().threshold, Some(0.3));
/// assert_eq!(bundle.feature_names(), ["a", "b"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct BundleBuilder<'a> {
    model: &'a dyn Model,
    pipeline: Option<FittedPipeline>,
    schema: Option<DataSchema>,
    reference: Option<ReferenceProfile>,
    threshold: Option<f64>,
    explainer: ExplainerSettings,
}

impl<'a> BundleBuilder<'a> {
    /// A bundle of `model` alone (inputs are the model's own features).
    pub fn new(model: &'a dyn Model) -> BundleBuilder<'a> {
        BundleBuilder {
            model,
            pipeline: None,
            schema: None,
            reference: None,
            threshold: None,
            explainer: ExplainerSettings::default(),
        }
    }

    /// The fitted feature pipeline that turns raw records into model inputs.
    pub fn pipeline(mut self, pipeline: FittedPipeline) -> Self {
        self.pipeline = Some(pipeline);
        self
    }

    /// The schema raw records must satisfy.
    pub fn schema(mut self, schema: DataSchema) -> Self {
        self.schema = Some(schema);
        self
    }

    /// The reference profile for drift monitoring.
    pub fn reference(mut self, reference: ReferenceProfile) -> Self {
        self.reference = Some(reference);
        self
    }

    /// The reference profile computed from model-input data (usually the training set).
    pub fn reference_from(self, data: &specweave_core::Dataset) -> Self {
        let profile = ReferenceProfile::from_features(data.feature_names(), data.features());
        self.reference(profile)
    }

    /// Decision threshold on the positive-class probability (binary classifiers).
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = Some(threshold);
        self
    }

    /// Explainer settings.
    pub fn explainer(mut self, settings: ExplainerSettings) -> Self {
        self.explainer = settings;
        self
    }

    /// Writes the bundle into `dir` (created if needed) and returns its manifest.
    ///
    /// Each file is written to a temporary name and renamed, the manifest last, so a failed
    /// write never leaves a bundle that verifies.
    pub fn write_to(self, dir: &Path) -> Result<BundleManifest> {
        let info = self.model.info();
        if let Some(t) = self.threshold {
            if !(t.is_finite() && (0.0..=1.0).contains(&t)) {
                return Err(ServeError::bundle(
                    dir,
                    format!("threshold {t} is not in [0, 1]"),
                ));
            }
            if info.problem != ProblemKind::Classification || info.class_names.len() != 2 {
                return Err(ServeError::bundle(
                    dir,
                    "a decision threshold needs a binary classifier",
                ));
            }
        }
        if let Some(reference) = &self.reference {
            let names: Vec<&str> = reference.features.iter().map(|f| f.name.as_str()).collect();
            if names
                != info
                    .feature_names
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
            {
                return Err(ServeError::bundle(
                    dir,
                    format!(
                        "the reference profile covers {names:?}, the model takes {:?}",
                        info.feature_names
                    ),
                ));
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| ServeError::io(dir, e))?;
        let model = write_file(dir, MODEL_FILE, &self.model.to_bytes()?)?;
        let pipeline = match &self.pipeline {
            Some(p) => Some(write_file(dir, PIPELINE_FILE, p.to_json()?.as_bytes())?),
            None => None,
        };
        let schema = match &self.schema {
            Some(s) => Some(write_file(dir, SCHEMA_FILE, s.to_yaml()?.as_bytes())?),
            None => None,
        };
        let reference = match &self.reference {
            Some(r) => Some(write_file(dir, REFERENCE_FILE, &to_json(dir, r)?)?),
            None => None,
        };
        let manifest = BundleManifest {
            format_version: BUNDLE_FORMAT_VERSION,
            model,
            pipeline,
            schema,
            reference,
            threshold: self.threshold,
            class_names: info.class_names,
            explainer: self.explainer,
        };
        write_file(dir, MANIFEST_FILE, &to_json(dir, &manifest)?)?;
        Ok(manifest)
    }
}

fn to_json<T: Serialize>(dir: &Path, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|source| ServeError::Json {
        path: dir.to_path_buf(),
        source,
    })
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<BundleFile> {
    let path = dir.join(name);
    let temp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&temp, bytes).map_err(|e| ServeError::io(&temp, e))?;
    std::fs::rename(&temp, &path).map_err(|e| ServeError::io(&path, e))?;
    Ok(BundleFile {
        path: name.to_owned(),
        sha256: sha256_hex(bytes),
    })
}

fn read_verified(dir: &Path, file: &BundleFile) -> Result<Vec<u8>> {
    if Path::new(&file.path).components().count() != 1 {
        return Err(ServeError::bundle(
            dir,
            format!(
                "file `{}` must lie directly in the bundle folder",
                file.path
            ),
        ));
    }
    let path = dir.join(&file.path);
    let bytes = std::fs::read(&path).map_err(|e| ServeError::io(&path, e))?;
    let actual = sha256_hex(&bytes);
    if actual != file.sha256 {
        return Err(ServeError::Checksum {
            path,
            expected: file.sha256.clone(),
            actual,
        });
    }
    Ok(bytes)
}

fn utf8(dir: &Path, file: &BundleFile, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes)
        .map_err(|_| ServeError::bundle(dir.join(&file.path), "the file is not UTF-8 text"))
}

/// A loaded, verified bundle.
#[derive(Debug)]
pub struct ModelBundle {
    dir: PathBuf,
    manifest: BundleManifest,
    metadata: Option<ModelVersionMetadata>,
    model: Box<dyn Model>,
    pipeline: Option<FittedPipeline>,
    schema: Option<DataSchema>,
    reference: Option<ReferenceProfile>,
}

impl ModelBundle {
    /// Loads and verifies the bundle in `dir`. When `dir` is a registered version folder
    /// `models/model-vN/`, its `model-vN.metadata.json` beside it is read as well.
    pub fn load(dir: &Path) -> Result<ModelBundle> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = std::fs::read(&manifest_path).map_err(|e| ServeError::io(&manifest_path, e))?;
        let manifest: BundleManifest =
            serde_json::from_slice(&text).map_err(|source| ServeError::Json {
                path: manifest_path.clone(),
                source,
            })?;
        if manifest.format_version != BUNDLE_FORMAT_VERSION {
            return Err(ServeError::bundle(
                &manifest_path,
                format!(
                    "bundle format {} is not supported (this build reads {BUNDLE_FORMAT_VERSION})",
                    manifest.format_version
                ),
            ));
        }
        let model = specweave_train::load_model(&read_verified(dir, &manifest.model)?)?;
        let pipeline = match &manifest.pipeline {
            Some(f) => Some(FittedPipeline::from_json(&utf8(
                dir,
                f,
                read_verified(dir, f)?,
            )?)?),
            None => None,
        };
        let schema = match &manifest.schema {
            Some(f) => Some(DataSchema::from_yaml(&utf8(
                dir,
                f,
                read_verified(dir, f)?,
            )?)?),
            None => None,
        };
        let reference =
            match &manifest.reference {
                Some(f) => Some(serde_json::from_slice(&read_verified(dir, f)?).map_err(
                    |source| ServeError::Json {
                        path: dir.join(&f.path),
                        source,
                    },
                )?),
                None => None,
            };
        let metadata = read_metadata(dir)?;
        let bundle = ModelBundle {
            dir: dir.to_path_buf(),
            manifest,
            metadata,
            model,
            pipeline,
            schema,
            reference,
        };
        bundle.check_consistency()?;
        Ok(bundle)
    }

    /// Loads version `number` of a model registry.
    pub fn from_registry(
        registry: &specweave_tracking::ModelRegistry,
        number: u32,
    ) -> Result<ModelBundle> {
        let version = registry
            .get(number)
            .map_err(|e| ServeError::bundle(registry.models_dir(), e.to_string()))?;
        let mut bundle = ModelBundle::load(&version.dir)?;
        bundle.metadata = Some(version.metadata);
        Ok(bundle)
    }

    fn check_consistency(&self) -> Result<()> {
        let model_inputs = self.model.info().feature_names;
        if let Some(pipeline) = &self.pipeline {
            for name in &model_inputs {
                if !pipeline.output_names().contains(name) {
                    return Err(ServeError::bundle(
                        &self.dir,
                        format!(
                            "the model needs feature `{name}`, which the pipeline does not produce"
                        ),
                    ));
                }
            }
        }
        if let Some(schema) = &self.schema {
            for name in self.raw_input_names() {
                if schema.column(&name).is_none() {
                    return Err(ServeError::bundle(
                        &self.dir,
                        format!("input `{name}` is not in the schema"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The folder the bundle was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest.
    pub fn manifest(&self) -> &BundleManifest {
        &self.manifest
    }

    /// The registry metadata, when the bundle is a registered version.
    pub fn metadata(&self) -> Option<&ModelVersionMetadata> {
        self.metadata.as_ref()
    }

    /// The version label: the registry's (e.g. `0042-v3`), else the folder name.
    pub fn version(&self) -> String {
        match &self.metadata {
            Some(m) => m.version.clone(),
            None => self.dir.file_name().map_or_else(
                || self.dir.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        }
    }

    /// The model.
    pub fn model(&self) -> &dyn Model {
        self.model.as_ref()
    }

    /// The fitted feature pipeline, if any.
    pub fn pipeline(&self) -> Option<&FittedPipeline> {
        self.pipeline.as_ref()
    }

    /// The input schema, if any.
    pub fn schema(&self) -> Option<&DataSchema> {
        self.schema.as_ref()
    }

    /// The reference profile, if any.
    pub fn reference(&self) -> Option<&ReferenceProfile> {
        self.reference.as_ref()
    }

    /// The model's input features, in column order.
    pub fn feature_names(&self) -> Vec<String> {
        self.model.info().feature_names
    }

    /// The fields a raw record must provide: the pipeline's inputs, else the model's.
    pub fn raw_input_names(&self) -> Vec<String> {
        match &self.pipeline {
            Some(p) => p.input_names().to_vec(),
            None => self.feature_names(),
        }
    }
}

fn read_metadata(dir: &Path) -> Result<Option<ModelVersionMetadata>> {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return Ok(None);
    };
    let path = parent.join(format!("{}.metadata.json", name.to_string_lossy()));
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read(&path).map_err(|e| ServeError::io(&path, e))?;
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|source| ServeError::Json { path, source })
}
