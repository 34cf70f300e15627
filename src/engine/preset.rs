//! Presets: TOML files holding a format version, a name, a description and a [`TrainConfig`].
//! Unknown fields are rejected; values are validated with errors that name the field.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::augment::plan::AugmentPlan;
use super::config::{
    DataConfig, ModelConfig, Objective, Optimizers, TrainConfig, TrainLoop, Tricks,
};
use super::lesson::Lesson;
use super::validate::ConfigError;

/// The preset format this version reads and writes.
pub const FORMAT: u32 = 1;

/// A preset file as written on disk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub format: u32,
    /// The model family: absent or "gan" here (other families have presets of their own, see
    /// [`family_of`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub data: DataConfig,
    #[serde(default)]
    pub model: ModelConfig,
    #[serde(default)]
    pub objective: Objective,
    #[serde(default)]
    pub train: TrainLoop,
    #[serde(default)]
    pub optimizer: Optimizers,
    #[serde(default)]
    pub tricks: Tricks,
    /// A lesson's script, shown beside the view (presets/lessons/).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<Lesson>,
    /// The augmentation lab's plan for this (conditional) preset: N per class, seeds, steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augment: Option<AugmentPlan>,
    /// The file it was read from (not part of the file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// Why a preset could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    #[error("cannot read preset {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("preset {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("preset {path}: format {found} is not supported (this ganvas reads format {FORMAT})")]
    Format { path: PathBuf, found: u32 },
    #[error("preset {path}: {cause}")]
    Invalid { path: PathBuf, cause: ConfigError },
    #[error("preset {path}: {message}")]
    Lesson { path: PathBuf, message: String },
    #[error("preset {path}: [augment] {message}")]
    Augment { path: PathBuf, message: String },
    #[error(
        "preset {path} trains the {found} family, not a GAN: it opens in its own window (`ganvas gui --preset {path}`) or trains headless (`ganvas train --preset {path}`)"
    )]
    Family { path: PathBuf, found: String },
}

impl PresetError {
    /// Wraps a failed check of the preset read from `path` (for `map_err`).
    pub fn invalid(path: &Path) -> impl FnOnce(ConfigError) -> PresetError + '_ {
        move |cause| PresetError::Invalid {
            path: path.to_path_buf(),
            cause,
        }
    }
}

/// The family a preset's text names at its top level ("gan" when it names none), or None
/// when the text is not TOML (the full parse then says why).
pub fn family_of(text: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(text).ok()?;
    match table.get("family") {
        None => Some("gan".to_string()),
        Some(v) => Some(v.as_str().unwrap_or("(not a name)").to_string()),
    }
}

impl Preset {
    /// The training configuration.
    pub fn config(&self) -> TrainConfig {
        TrainConfig {
            data: self.data.clone(),
            model: self.model.clone(),
            objective: self.objective,
            train: self.train.clone(),
            optimizer: self.optimizer.clone(),
            tricks: self.tricks.clone(),
        }
    }

    /// A preset around `config`.
    pub fn from_config(name: &str, description: &str, config: &TrainConfig) -> Self {
        Self {
            format: FORMAT,
            family: None,
            name: name.to_string(),
            description: description.to_string(),
            data: config.data.clone(),
            model: config.model.clone(),
            objective: config.objective,
            train: config.train.clone(),
            optimizer: config.optimizer.clone(),
            tricks: config.tricks.clone(),
            lesson: None,
            augment: None,
            path: None,
        }
    }

    /// Parses and validates preset text; `path` is used in messages and to resolve relative
    /// data paths (tried beside the preset first, then from the working directory).
    pub fn parse(text: &str, path: &Path) -> Result<Self, PresetError> {
        Self::parse_checking_lesson(text, path, true)
    }

    /// Reads a preset that another preset's lesson switches to: its own lesson, if any, is
    /// dropped (a lesson stays the one it was loaded from, and lessons cannot loop).
    pub fn load_without_lesson(path: &Path) -> Result<Self, PresetError> {
        Self::parse_checking_lesson(&read_text(path)?, path, false)
    }

    fn parse_checking_lesson(
        text: &str,
        path: &Path,
        with_lesson: bool,
    ) -> Result<Self, PresetError> {
        if let Some(found) = family_of(text).filter(|f| f != "gan") {
            return Err(PresetError::Family {
                path: path.to_path_buf(),
                found,
            });
        }
        let mut preset: Preset = toml::from_str(text).map_err(|e| PresetError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        if preset.format != FORMAT {
            return Err(PresetError::Format {
                path: path.to_path_buf(),
                found: preset.format,
            });
        }
        if let Some(dir) = path.parent() {
            resolve_data_paths(&mut preset.data, dir);
        }
        preset
            .config()
            .validate()
            .map_err(PresetError::invalid(path))?;
        if let Some(plan) = &preset.augment {
            plan.validate().map_err(|message| PresetError::Augment {
                path: path.to_path_buf(),
                message,
            })?;
        }
        if !with_lesson {
            preset.lesson = None;
        }
        preset.path = Some(path.to_path_buf());
        let config = preset.config();
        if let Some(lesson) = &mut preset.lesson {
            lesson
                .check(&config, path)
                .map_err(|message| PresetError::Lesson {
                    path: path.to_path_buf(),
                    message,
                })?;
        }
        Ok(preset)
    }

    /// Reads, parses and validates a preset file.
    pub fn load(path: &Path) -> Result<Self, PresetError> {
        Self::parse(&read_text(path)?, path)
    }

    /// The preset as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Writes the preset atomically.
    pub fn save(&self, path: &Path) -> Result<(), PresetError> {
        super::checkpoint::write_atomically(path, self.to_toml().as_bytes()).map_err(|source| {
            PresetError::Io {
                path: path.to_path_buf(),
                cause: source,
            }
        })
    }
}

/// What a family's preset file starts with: its format and its family.
pub(crate) trait FamilyHead: serde::de::DeserializeOwned {
    fn format(&self) -> u32;
    fn family(&self) -> &str;
}

/// Parses a family's preset text as `P`, checking the format and that it names `family`
/// (`what`: the family in a message, "a CycleGAN preset").
pub(crate) fn parse_family_head<P: FamilyHead>(
    text: &str,
    path: &Path,
    family: &str,
    what: &str,
) -> Result<P, PresetError> {
    let syntax = |message: String| PresetError::Syntax {
        path: path.to_path_buf(),
        message,
    };
    let preset: P =
        toml::from_str(text).map_err(|e| syntax(e.to_string().trim_end().to_string()))?;
    if preset.format() != FORMAT {
        return Err(PresetError::Format {
            path: path.to_path_buf(),
            found: preset.format(),
        });
    }
    if preset.family() != family {
        return Err(syntax(format!(
            "family = \"{}\" is not {what}",
            preset.family()
        )));
    }
    Ok(preset)
}

/// The largest preset file read (a drawing of a million points is ~40 MB of TOML).
const MAX_PRESET_BYTES: u64 = 64 << 20;

/// A preset file's text, refusing folders and files too large to be a preset.
pub(crate) fn read_text(path: &Path) -> Result<String, PresetError> {
    let io = |source| PresetError::Io {
        path: path.to_path_buf(),
        cause: source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() || meta.len() > MAX_PRESET_BYTES {
        return Err(PresetError::Syntax {
            path: path.to_path_buf(),
            message: if meta.is_dir() {
                "is a folder, not a preset file".to_string()
            } else {
                format!(
                    "{} bytes is too large for a preset (at most {} MiB)",
                    meta.len(),
                    MAX_PRESET_BYTES >> 20
                )
            },
        });
    }
    std::fs::read_to_string(path).map_err(io)
}

fn resolve(path: &mut PathBuf, dir: &Path) {
    if path.is_relative() {
        let beside = dir.join(&*path);
        if beside.exists() {
            *path = beside;
        }
    }
}

/// Calls `f` on every file path the data source names.
fn for_each_data_path(data: &mut DataConfig, mut f: impl FnMut(&mut PathBuf)) {
    match data {
        DataConfig::Csv { path } | DataConfig::ImageFolder { path, .. } => f(path),
        DataConfig::Idx { images, labels, .. } => {
            f(images);
            if let Some(l) = labels {
                f(l);
            }
        }
        DataConfig::Cifar10 { files } => files.iter_mut().for_each(f),
        _ => {}
    }
}

pub(crate) fn resolve_data_paths(data: &mut DataConfig, dir: &Path) {
    for_each_data_path(data, |p| resolve(p, dir));
}

/// Makes the data source's relative paths absolute (from the working directory), so that a
/// preset saved into another folder still finds its files.
pub(crate) fn absolute_data_paths(data: &mut DataConfig) {
    for_each_data_path(data, |p| {
        if let Ok(abs) = std::path::absolute(&*p) {
            *p = abs;
        }
    });
}

/// The preset the app and the README command start with: a DCGAN on the embedded digits.
pub const DEFAULT_PRESET: &str = include_str!("../../presets/digits-dcgan.toml");

/// The default preset, parsed (it ships with the binary, so it needs no file).
pub fn default_preset() -> Preset {
    // The embedded text is covered by a test; a failure here is a build defect.
    Preset::parse(DEFAULT_PRESET, Path::new("presets/digits-dcgan.toml"))
        .unwrap_or_else(|e| panic!("the embedded default preset is invalid: {e}"))
}

/// Every `.toml` file in `dir` and in its `lessons/` folder, sorted by name (lessons last).
pub fn list_with_lessons(dir: &Path) -> Vec<PathBuf> {
    let mut files = list(dir);
    files.extend(list(&dir.join("lessons")));
    files
}

/// Every `.toml` file in `dir`, sorted by name.
pub fn list(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
