//! Checkpoints: a file format over a [`ModelState`] (G, D, both optimizers' states, the EMA of
//! G, the step and the random state), the run's config and its log, in one file. It knows
//! nothing of sessions: the trainer saves and restores through it. Model and optimizer states
//! are burn records (burnpack: plain tensors, nothing executes on load); the header is TOML.
//! Files are written to a temporary name and renamed, so a crash never leaves a half-written
//! checkpoint under the real name.
//!
//! Layout: `GANVASCK`, u32 format version, then length-prefixed (u64 LE) sections: the TOML
//! header, then each named record in the order the header lists. Format 2 names the model
//! family in the header (format 1, GAN only, has none) and lays its log out by the family's
//! named curves; format 1 files still load.

mod container;
mod family_file;

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::engine::config::{DataConfig, TrainConfig};
use crate::engine::family::{FamilyDescription, gan};
use crate::engine::nn::{Generator, SampleShape, build_models};
use crate::engine::rng::Rng;
use crate::engine::state::{ModelState, make_optimizer};
use crate::engine::trainer::run_log::{LogFormat, RunLog};
pub(crate) use container::{
    encode_container, header_family, load_log, load_optimizer, load_record, log_bytes,
    optimizer_bytes, read_container, record_bytes, unknown_family,
};
pub use container::{peek, resolve, write_atomically};
pub(crate) use family_file::{
    read_family_file, rng_from_words, rng_words, section, write_family_file,
};

const MAGIC: &[u8; 8] = b"GANVASCK";
const VERSION: u32 = 2;
/// The file name a run directory's latest checkpoint has.
pub const LATEST: &str = "checkpoint.ganvas";

/// Why a checkpoint could not be written or used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot access {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path} is not a ganvas checkpoint ({reason})")]
    NotACheckpoint { path: PathBuf, reason: String },
    #[error("{path}: checkpoint format {found} is newer than this ganvas reads ({VERSION})")]
    Version { path: PathBuf, found: u32 },
    #[error("{path} was made for another architecture: it holds {found}, this run is {expected}")]
    Architecture {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{path}: the {section} record does not fit: {message}")]
    Record {
        path: PathBuf,
        section: String,
        message: String,
    },
    #[error("{path} holds a {found} run, and this needs a {needed} one{hint}")]
    WrongFamily {
        path: PathBuf,
        found: &'static str,
        needed: &'static str,
        /// What to do with it instead (", e.g. …"), or empty.
        hint: &'static str,
    },
    #[error(
        "not saved to {path}: the run holds non-finite weights ({what}) after training diverged; \
         restore the last good state or reset first (a file already there is kept)"
    )]
    NonFinite { path: PathBuf, what: String },
}

#[derive(Serialize, Deserialize)]
struct Header {
    /// The model family's key; absent in format 1, whose checkpoints are all GANs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    family: Option<String>,
    step: u64,
    /// xoshiro state as hex (TOML integers are signed 64-bit).
    rng: [String; 4],
    len: usize,
    channels: usize,
    side: usize,
    classes: usize,
    sections: Vec<String>,
    config: TrainConfig,
}

/// A one-line description of what decides the shapes of G and D.
pub fn architecture(config: &TrainConfig, shape: SampleShape) -> String {
    let m = &config.model;
    format!(
        "{:?} latent {} depth {} width {}/{} maxout {} base {} cond {} bn {}/{} pack {} mbstd {} on {} values ({}ch {}px, {} classes)",
        m.family,
        m.latent_dim,
        m.depth,
        m.width,
        m.d_width.unwrap_or(m.width),
        m.d_maxout_pieces,
        m.base_channels,
        m.conditional,
        m.g_batch_norm,
        m.d_batch_norm,
        config.tricks.pack,
        config.tricks.minibatch_stddev,
        shape.len,
        shape.channels,
        shape.side,
        shape.classes
    )
}

/// What a checkpoint holds, borrowed from a run.
#[derive(Clone, Copy)]
pub struct Contents<'a> {
    pub state: &'a ModelState,
    pub log: &'a RunLog,
    pub config: &'a TrainConfig,
    pub shape: SampleShape,
}

/// Writes `contents` to `path` atomically.
pub fn save(contents: Contents<'_>, path: &Path) -> Result<(), CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        cause: source,
    };
    let state = contents.state;
    // A diverged run's NaN weights must never replace a good checkpoint.
    let bad = crate::engine::nn::params::first_non_finite(&state.g)
        .map(|p| format!("G {p}"))
        .or_else(|| crate::engine::nn::params::first_non_finite(&state.d).map(|p| format!("D {p}")))
        .or_else(|| {
            state.ema.as_ref().and_then(|e| {
                crate::engine::nn::params::first_non_finite(e).map(|p| format!("EMA of G {p}"))
            })
        });
    if let Some(what) = bad {
        return Err(CheckpointError::NonFinite {
            path: path.to_path_buf(),
            what,
        });
    }
    let mut sections: Vec<(String, Vec<u8>)> = vec![
        ("g".into(), record_bytes(state.g.valid(), path, "g")?),
        ("d".into(), record_bytes(state.d.valid(), path, "d")?),
    ];
    sections.push((
        "opt_g".into(),
        optimizer_bytes(&state.opt_g, path, "opt_g")?,
    ));
    sections.push((
        "opt_d".into(),
        optimizer_bytes(&state.opt_d, path, "opt_d")?,
    ));
    if let Some(ema) = &state.ema {
        sections.push(("ema".into(), record_bytes(ema.clone(), path, "ema")?));
    }
    sections.push(("log".into(), log_bytes(contents.log, path)?));
    let shape = contents.shape;
    let header = Header {
        family: Some(gan::DESCRIPTION.key.to_string()),
        step: state.step,
        rng: rng_words(&state.rng),
        len: shape.len,
        channels: shape.channels,
        side: shape.side,
        classes: shape.classes,
        sections: sections.iter().map(|(n, _)| n.clone()).collect(),
        config: TrainConfig {
            data: absolute_data(&contents.config.data),
            ..contents.config.clone()
        },
    };
    let header = toml::to_string(&header).map_err(|e| CheckpointError::Record {
        path: path.to_path_buf(),
        section: "header".into(),
        message: e.to_string(),
    })?;
    write_atomically(path, &encode_container(&header, &sections)).map_err(io)
}

/// `data` with its files named by absolute paths, so that `eval`, `sample` and `--resume`
/// find them from any working directory (a path that does not resolve stays as it is).
fn absolute_data(data: &DataConfig) -> DataConfig {
    let absolute = |p: &mut PathBuf| {
        if let Ok(full) = std::fs::canonicalize(&*p) {
            *p = full;
        }
    };
    let mut out = data.clone();
    match &mut out {
        DataConfig::Csv { path } | DataConfig::ImageFolder { path, .. } => absolute(path),
        DataConfig::Idx { images, labels, .. } => {
            absolute(images);
            if let Some(l) = labels {
                absolute(l);
            }
        }
        DataConfig::Cifar10 { files } => files.iter_mut().for_each(absolute),
        _ => {}
    }
    out
}

/// Whether two data sources read the same files (paths compared once resolved).
pub fn same_data_files(a: &DataConfig, b: &DataConfig) -> bool {
    absolute_data(a) == absolute_data(b)
}

/// Whether the sample shape a header states is one ganvas makes: 2D points, or square images
/// of 28, 32 or 64 px with 1 or 3 channels, and at most 1,000 classes.
fn check_shape(config: &TrainConfig, shape: SampleShape) -> Result<(), String> {
    let points = shape.len == 2 && shape.channels == 0 && shape.side == 0;
    let image = [28, 32, 64].contains(&shape.side)
        && [1, 3].contains(&shape.channels)
        && shape.len == shape.channels * shape.side * shape.side;
    if !(points || image) || shape.classes > 1000 {
        return Err(format!(
            "its sample shape is not one ganvas makes: {shape:?}"
        ));
    }
    if config.model.conditional && shape.classes == 0 {
        return Err("a conditional model without classes".into());
    }
    if points != config.data.is_points() {
        return Err("its data and its sample shape disagree".into());
    }
    Ok(())
}

/// A parsed checkpoint file.
pub struct Checkpoint {
    pub path: PathBuf,
    /// The file's format version (1 or 2).
    pub format: u32,
    pub family: &'static FamilyDescription,
    pub config: TrainConfig,
    pub step: u64,
    pub shape: SampleShape,
    rng: Rng,
    sections: Vec<(String, Vec<u8>)>,
}

impl Checkpoint {
    /// Reads and checks a checkpoint (or a run directory's latest one).
    pub fn read(path: &Path) -> Result<Self, CheckpointError> {
        let container = read_container(path)?;
        let (path, version, header) = (container.path, container.version, container.header);
        let parts = container.parts.into_iter();
        let bad = |reason: &str| CheckpointError::NotACheckpoint {
            path: path.clone(),
            reason: reason.to_string(),
        };
        if let Some(family) = header_family(&header)
            && family.key != gan::DESCRIPTION.key
        {
            return Err(CheckpointError::WrongFamily {
                path,
                found: family.name,
                needed: gan::DESCRIPTION.name,
                hint: if family.key == crate::engine::superres::DESCRIPTION.key {
                    " (a super-resolution run is used with `ganvas upscale`, `eval`, `train --resume` and in the super-resolution window)"
                } else if family.key == crate::engine::stylegan::DESCRIPTION.key {
                    " (a StyleGAN run is used with `ganvas train --resume`)"
                } else if family.key == crate::engine::captions::DESCRIPTION.key {
                    " (a text-to-image run is used with `ganvas sample --caption`, `eval` and `train --resume`)"
                } else {
                    " (a CycleGAN run is used with `ganvas translate`, `eval`, `sample`, `train --resume` and in the CycleGAN window)"
                },
            });
        }
        let header: Header =
            toml::from_str(&header).map_err(|e| bad(&format!("bad header: {e}")))?;
        let sections: Vec<(String, Vec<u8>)> = header.sections.iter().cloned().zip(parts).collect();
        if sections.len() != header.sections.len() {
            return Err(bad("sections are missing (truncated file?)"));
        }
        let family = match header.family.as_deref() {
            None => &gan::DESCRIPTION,
            Some(key) => FamilyDescription::named(key).ok_or_else(|| bad(&unknown_family(key)))?,
        };
        let rng = rng_from_words(&header.rng).ok_or_else(|| bad("bad random state"))?;
        // Everything that sizes the networks is checked before any of them is built.
        header
            .config
            .validate()
            .map_err(|e| bad(&format!("its configuration is invalid: {e}")))?;
        let shape = SampleShape {
            len: header.len,
            channels: header.channels,
            side: header.side,
            classes: header.classes,
        };
        check_shape(&header.config, shape).map_err(|m| bad(&m))?;
        crate::engine::memory::check(&header.config, shape).map_err(|m| bad(&m))?;
        Ok(Self {
            path,
            format: version,
            family,
            config: header.config,
            step: header.step,
            shape,
            rng,
            sections,
        })
    }

    fn log_format(&self) -> LogFormat {
        if self.format < 2 {
            LogFormat::GanSix
        } else {
            LogFormat::Named
        }
    }

    fn section(&self, name: &str) -> Option<&[u8]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    fn load_module<M: Module>(&self, module: M, name: &str) -> Result<M, CheckpointError> {
        load_record(module, self.section(name), &self.path, name)
    }

    /// The saved state and log, loaded into networks shaped like `current`'s, which must have
    /// the same architecture (`config` and `shape` describe `current`). The caller takes the
    /// checkpoint's config (objective, tricks, optimizers) along with them.
    pub fn restored(
        &self,
        current: &ModelState,
        config: &TrainConfig,
        shape: SampleShape,
    ) -> Result<(ModelState, RunLog), CheckpointError> {
        let expected = architecture(config, shape);
        let found = architecture(&self.config, self.shape);
        if expected != found {
            return Err(CheckpointError::Architecture {
                path: self.path.clone(),
                expected,
                found,
            });
        }
        let g = self.load_module(current.g.clone(), "g")?;
        let d = self.load_module(current.d.clone(), "d")?;
        let opt = |o: &burn::optim::ModuleOptimizer, name: &str| {
            load_optimizer(o, self.section(name), &self.path, name)
        };
        let opt_g = opt(&make_optimizer(&self.config.optimizer.g), "opt_g")?;
        let opt_d = opt(&make_optimizer(&self.config.optimizer.d), "opt_d")?;
        let ema = match self.section("ema") {
            Some(_) => Some(self.load_module(g.valid(), "ema")?),
            None => None,
        };
        let log = load_log(
            self.section("log"),
            self.family,
            self.log_format(),
            &self.path,
        )?;
        let state = ModelState {
            g,
            d,
            opt_g,
            opt_d,
            ema,
            rng: self.rng.clone(),
            step: self.step,
        };
        Ok((state, log))
    }

    /// The sampling generator (the EMA when saved, else G) without loading any data.
    pub fn generator(&self, device: &Device) -> Result<Generator, CheckpointError> {
        let mut rng = Rng::seeded(0);
        let (g, _) = build_models(&self.config, self.shape, &mut rng, device).map_err(|e| {
            CheckpointError::Record {
                path: self.path.clone(),
                section: "config".into(),
                message: e.to_string(),
            }
        })?;
        let name = if self.section("ema").is_some() {
            "ema"
        } else {
            "g"
        };
        self.load_module(g, name)
    }
}
