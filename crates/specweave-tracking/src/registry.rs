//! The model registry of an increment: `models/model-vN/` with the model files and
//! `models/model-vN.metadata.json` ([`ModelVersionMetadata`]); register from a run,
//! promote, archive, load the latest or the production version.

use crate::error::{Result, TrackingError};
use crate::fsutil::{atomic_write_json, create_dir_all, read_json};
use crate::read::RunSummary;
use crate::run::copy_recursively;
use crate::tracker::Tracker;
use specweave_core::records::{ModelStage, ModelVersionMetadata, TAG_ALGORITHM};
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

/// Folder of an increment that holds the registered models.
pub const MODELS_DIR: &str = "models";
const REGISTRY_LOCK_FILE: &str = ".registry.lock";

/// A registered model version: its metadata and the folder of its files.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelVersion {
    /// `model-vN.metadata.json`.
    pub metadata: ModelVersionMetadata,
    /// `models/model-vN/`.
    pub dir: PathBuf,
}

/// What to register: the run a model came from and its files.
///
/// ```
/// use specweave_tracking::{ModelRegistry, RegisterModel, Tracker};
/// use specweave_core::records::ModelStage;
/// let root = tempfile::tempdir()?;
/// let increment = root.path().join("0042-recommendation-model");
/// std::fs::create_dir_all(&increment)?;
/// let tracker = Tracker::open(&increment)?;
/// let run = tracker.start_experiment("item-knn")?;
/// run.set_algorithm("item_knn")?;
/// run.log_metric("precision@10", 0.31, 0)?;
/// run.finish()?;
/// let model_file = root.path().join("model.json");
/// std::fs::write(&model_file, "{}")?;
///
/// let registry = ModelRegistry::new(&tracker);
/// let v1 = registry.register(RegisterModel::new("exp-001-item-knn", &model_file).framework("specweave-recommend"))?;
/// assert_eq!(v1.metadata.version, "0042-v1");
/// registry.promote(1, ModelStage::Production)?;
/// assert_eq!(registry.production()?.map(|v| v.metadata.number), Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RegisterModel {
    run: String,
    source: PathBuf,
    name: Option<String>,
    algorithm: Option<String>,
    framework: String,
}

impl RegisterModel {
    /// Registers the file or folder `source` as the model trained by run `run`
    /// (folder name, number or name).
    pub fn new(run: impl Into<String>, source: impl Into<PathBuf>) -> RegisterModel {
        RegisterModel {
            run: run.into(),
            source: source.into(),
            name: None,
            algorithm: None,
            framework: "specweave".to_owned(),
        }
    }

    /// Model name (default: the increment slug).
    pub fn name(mut self, name: impl Into<String>) -> RegisterModel {
        self.name = Some(name.into());
        self
    }

    /// Algorithm (default: the run's `specweave.algorithm` tag, else its experiment name).
    pub fn algorithm(mut self, algorithm: impl Into<String>) -> RegisterModel {
        self.algorithm = Some(algorithm.into());
        self
    }

    /// Framework that implements the model (default `specweave`).
    pub fn framework(mut self, framework: impl Into<String>) -> RegisterModel {
        self.framework = framework.into();
        self
    }
}

/// The model registry of one increment.
#[derive(Debug, Clone)]
pub struct ModelRegistry {
    tracker: Tracker,
}

fn metadata_path(models: &Path, number: u32) -> PathBuf {
    models.join(format!("model-v{number}.metadata.json"))
}

fn metadata_number(file_name: &str) -> Option<u32> {
    file_name
        .strip_prefix("model-v")?
        .strip_suffix(".metadata.json")?
        .parse()
        .ok()
}

impl ModelRegistry {
    /// The registry of the tracker's increment.
    pub fn new(tracker: &Tracker) -> ModelRegistry {
        ModelRegistry {
            tracker: tracker.clone(),
        }
    }

    /// The `models/` folder.
    pub fn models_dir(&self) -> PathBuf {
        self.tracker.increment().join(MODELS_DIR)
    }

    fn increment_name(&self) -> String {
        self.tracker
            .increment()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn with_lock<T>(&self, body: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
        let models = self.models_dir();
        create_dir_all(&models)?;
        let lock_path = models.join(REGISTRY_LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(TrackingError::io("open", &lock_path))?;
        lock.lock().map_err(TrackingError::io("lock", &lock_path))?;
        let result = body(&models);
        let _ = lock.unlock();
        result
    }

    /// Every registered version, by number.
    pub fn list(&self) -> Result<Vec<ModelVersion>> {
        let models = self.models_dir();
        let entries = match std::fs::read_dir(&models) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(TrackingError::io("read", &models)(error)),
        };
        let mut versions = Vec::new();
        for entry in entries {
            let entry = entry.map_err(TrackingError::io("read", &models))?;
            if let Some(number) = metadata_number(&entry.file_name().to_string_lossy()) {
                let metadata: ModelVersionMetadata = read_json(&entry.path())?;
                versions.push(ModelVersion {
                    metadata,
                    dir: models.join(format!("model-v{number}")),
                });
            }
        }
        versions.sort_by_key(|v| v.metadata.number);
        Ok(versions)
    }

    /// Version `number`.
    pub fn get(&self, number: u32) -> Result<ModelVersion> {
        let models = self.models_dir();
        let path = metadata_path(&models, number);
        if !path.is_file() {
            return Err(TrackingError::NotFound {
                what: "model version",
                id: format!("model-v{number}"),
                path: models,
            });
        }
        Ok(ModelVersion {
            metadata: read_json(&path)?,
            dir: models.join(format!("model-v{number}")),
        })
    }

    /// The newest version that is not archived.
    pub fn latest(&self) -> Result<Option<ModelVersion>> {
        Ok(self
            .list()?
            .into_iter()
            .rev()
            .find(|v| v.metadata.stage != ModelStage::Archived))
    }

    /// The version in production, if any.
    pub fn production(&self) -> Result<Option<ModelVersion>> {
        Ok(self
            .list()?
            .into_iter()
            .rev()
            .find(|v| v.metadata.stage == ModelStage::Production))
    }

    /// Registers a model from a run: copies its files to `models/model-vN/` and writes the
    /// metadata (params, metrics, training time and data fingerprint come from the run).
    /// The new version starts in `dev`; its parent is the previous latest version.
    pub fn register(&self, request: RegisterModel) -> Result<ModelVersion> {
        let run: RunSummary = self.tracker.get_run(&request.run)?;
        if !request.source.exists() {
            return Err(TrackingError::NotFound {
                what: "model file",
                id: request.source.display().to_string(),
                path: request
                    .source
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
            });
        }
        let increment = self.increment_name();
        let (increment_number, slug) = match increment.split_once('-') {
            Some((number, slug)) if number.bytes().all(|b| b.is_ascii_digit()) => {
                (number.to_owned(), slug.to_owned())
            }
            _ => (increment.clone(), increment.clone()),
        };
        let previous = self.latest()?;
        self.with_lock(|models| {
            let number = self.list()?.last().map_or(1, |v| v.metadata.number + 1);
            let dir = models.join(format!("model-v{number}"));
            let files = if request.source.is_dir() {
                dir.clone()
            } else {
                create_dir_all(&dir)?;
                dir.join(request.source.file_name().unwrap_or_default())
            };
            let size_bytes = copy_recursively(&request.source, &files)?;
            let metadata = ModelVersionMetadata {
                name: request.name.clone().unwrap_or(slug),
                version: format!("{increment_number}-v{number}"),
                number,
                increment: increment.clone(),
                experiment: run.record.id.clone(),
                algorithm: request
                    .algorithm
                    .clone()
                    .or_else(|| run.tag(TAG_ALGORITHM).map(str::to_owned))
                    .unwrap_or_else(|| run.record.name.clone()),
                framework: request.framework.clone(),
                params: run.params.clone(),
                metrics: run.metrics.clone(),
                training_time_s: run.duration_s(),
                data_fingerprint: run.record.data_fingerprint.clone(),
                size_bytes,
                created_at: chrono::Utc::now().to_rfc3339(),
                stage: ModelStage::Dev,
                parent: previous.as_ref().map(|v| v.metadata.version.clone()),
            };
            atomic_write_json(&metadata_path(models, number), &metadata)?;
            Ok(ModelVersion { metadata, dir })
        })
    }

    /// Moves version `number` to `stage`. Promoting to production archives the version that
    /// was in production.
    pub fn promote(&self, number: u32, stage: ModelStage) -> Result<ModelVersion> {
        self.with_lock(|models| {
            let mut target = self.get(number)?;
            if stage == ModelStage::Production {
                for mut other in self.list()? {
                    if other.metadata.number != number
                        && other.metadata.stage == ModelStage::Production
                    {
                        other.metadata.stage = ModelStage::Archived;
                        atomic_write_json(
                            &metadata_path(models, other.metadata.number),
                            &other.metadata,
                        )?;
                    }
                }
            }
            target.metadata.stage = stage;
            atomic_write_json(&metadata_path(models, number), &target.metadata)?;
            Ok(target)
        })
    }

    /// Archives version `number`.
    pub fn archive(&self, number: u32) -> Result<ModelVersion> {
        self.promote(number, ModelStage::Archived)
    }
}
