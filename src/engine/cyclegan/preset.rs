//! CycleGAN presets: `family = "cyclegan"` and a `[cyclegan]` section naming the two domains
//! and the training settings. Unknown fields are refused; every value is checked with an
//! error that names its field.
//!
//! ```toml
//! format = 1
//! family = "cyclegan"
//! name = "Digits: thin ↔ thick strokes"
//! [cyclegan]
//! domains = { kind = "embedded-pair", pair = "thin-thick" }
//! steps = 1500
//! ```
//!
//! or two image sources, e.g. MNIST ↔ the embedded digits:
//! `domains = { kind = "sources", a = { kind = "idx", images = "…" }, b = { kind = "digits" } }`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CycleConfig, LinearDecay, NetSpec};
use crate::engine::config::{DataConfig, Objective};
use crate::engine::data::domains::{DomainPair, EmbeddedPair, embedded_pair};
use crate::engine::data::{self, Dataset, ImageSet};
use crate::engine::preset::{PresetError, parse_family_head, read_text, resolve_data_paths};
use crate::engine::validate::{ConfigError, count};

/// Which embedded pair, as a preset spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairName {
    ThinThick,
    UprightSlanted,
}

/// Where the two domains come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DomainsConfig {
    /// The procedural digits in two styles (no files).
    EmbeddedPair {
        pair: PairName,
        #[serde(default = "d_per_domain")]
        per_domain: usize,
    },
    /// Two image sources (IDX files, folders, CIFAR-10, the embedded digits).
    Sources {
        a: DataConfig,
        b: DataConfig,
        #[serde(default)]
        names: Option<[String; 2]>,
    },
}

fn d_per_domain() -> usize {
    2000
}

/// The `[cyclegan]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CycleSection {
    pub domains: DomainsConfig,
    /// Images of each domain kept out of training, for the metrics.
    #[serde(default = "d_held_out")]
    pub held_out: usize,
    #[serde(default = "d_steps")]
    pub steps: u64,
    #[serde(default = "d_seed")]
    pub seed: u64,
    #[serde(default = "d_batch")]
    pub batch_size: usize,
    #[serde(default = "d_filters")]
    pub g_filters: usize,
    /// The generators' stride-2 downsamplings (1 to 3; the reference's 2).
    #[serde(default = "d_downsamplings")]
    pub downsamplings: usize,
    #[serde(default = "d_blocks")]
    pub residual_blocks: usize,
    #[serde(default = "d_filters")]
    pub d_filters: usize,
    #[serde(default = "d_lr")]
    pub lr: f64,
    #[serde(default = "d_beta1")]
    pub beta1: f32,
    #[serde(default = "d_beta2")]
    pub beta2: f32,
    /// Round from which the learning rate decays linearly to 0 over `decay_steps`.
    #[serde(default)]
    pub decay_start: Option<u64>,
    #[serde(default)]
    pub decay_steps: Option<u64>,
    #[serde(default = "d_lambda")]
    pub lambda_cycle: f32,
    #[serde(default = "d_identity")]
    pub identity: f32,
    #[serde(default = "d_replay")]
    pub replay: usize,
    /// Weight of the semantic-consistency loss (0, the default: plain CycleGAN).
    #[serde(default)]
    pub semantic: f32,
    /// The adversarial loss on the critics' patch scores (least squares, as in the paper).
    #[serde(default = "d_objective")]
    pub objective: Objective,
    /// Rounds between rows of the curves' CSV and translation snapshots.
    #[serde(default = "d_sample_every")]
    pub sample_every: u64,
    /// Rounds between evaluations (cycle L1, label preservation).
    #[serde(default = "d_metrics_every")]
    pub metrics_every: u64,
}

fn d_objective() -> Objective {
    Objective::LeastSquares
}
fn d_held_out() -> usize {
    500
}
fn d_steps() -> u64 {
    1500
}
fn d_seed() -> u64 {
    1
}
fn d_batch() -> usize {
    8
}
fn d_filters() -> usize {
    16
}
fn d_downsamplings() -> usize {
    2
}
fn d_blocks() -> usize {
    3
}
fn d_lr() -> f64 {
    2e-4
}
fn d_beta1() -> f32 {
    0.5
}
fn d_beta2() -> f32 {
    0.999
}
fn d_lambda() -> f32 {
    10.0
}
fn d_identity() -> f32 {
    0.5
}
fn d_replay() -> usize {
    50
}
fn d_sample_every() -> u64 {
    50
}
fn d_metrics_every() -> u64 {
    250
}

/// A CycleGAN preset file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CyclePreset {
    pub format: u32,
    pub family: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub cyclegan: CycleSection,
}

/// The objectives a PatchGAN critic can be trained with, and why the others cannot.
fn check_objective(objective: Objective) -> Result<(), ConfigError> {
    let why = match objective {
        Objective::LeastSquares
        | Objective::NonSaturating
        | Objective::Minimax
        | Objective::Hinge => return Ok(()),
        Objective::WganGp { .. } => {
            "wgan-gp penalises the gradient of the critic's score with respect to its input, which \
             needs a second backward pass that burn does not have; ganvas builds that input gradient \
             by hand only for the GAN family's critics, and the PatchGAN critic (convolutions, \
             instance norm) has no such path"
        }
        Objective::Wgan { .. } => {
            "wgan keeps its critic Lipschitz by clipping the critic's weights after every update, \
             which the PatchGAN critic does not do (its unbounded scores would run away)"
        }
    };
    Err(err(
        "objective",
        format!("{why}: use least-squares (CycleGAN's own), hinge, non-saturating or minimax"),
    ))
}

fn err(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: format!("cyclegan.{field}"),
        message: message.into(),
    }
}

/// A whole-number field of the `[cyclegan]` section within `lo..=hi`.
fn within<T: PartialOrd + std::fmt::Display + Copy>(
    field: &str,
    v: T,
    lo: T,
    hi: T,
) -> Result<(), ConfigError> {
    count(&format!("cyclegan.{field}"), v, lo, hi)
}

impl CycleSection {
    /// Checks every value before anything is built.
    pub fn validate(&self) -> Result<(), ConfigError> {
        within("batch_size", self.batch_size, 1, 256)?;
        within("g_filters", self.g_filters, 1, 128)?;
        within("d_filters", self.d_filters, 1, 128)?;
        within("residual_blocks", self.residual_blocks, 0, 12)?;
        within("downsamplings", self.downsamplings, 1, 3)?;
        within("steps", self.steps, 1, 1_000_000_000)?;
        within("sample_every", self.sample_every, 1, 1_000_000)?;
        within("metrics_every", self.metrics_every, 1, 1_000_000)?;
        within("held_out", self.held_out, 0, 10_000)?;
        within("replay", self.replay, 0, 10_000)?;
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= 1.0) {
            return Err(err("lr", format!("must be within (0, 1], got {}", self.lr)));
        }
        for (field, beta) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(beta.is_finite() && (0.0..1.0).contains(&beta)) {
                return Err(err(field, format!("must be within [0, 1), got {beta}")));
            }
        }
        for (field, w) in [
            ("lambda_cycle", self.lambda_cycle),
            ("identity", self.identity),
            ("semantic", self.semantic),
        ] {
            if !(w.is_finite() && (0.0..=1000.0).contains(&w)) {
                return Err(err(field, format!("must be within [0, 1000], got {w}")));
            }
        }
        check_objective(self.objective)?;
        match (self.decay_start, self.decay_steps) {
            (Some(_), Some(0)) => return Err(err("decay_steps", "must be at least 1")),
            (Some(_), None) | (None, Some(_)) => {
                return Err(err(
                    "decay_start",
                    "decay_start and decay_steps go together (set both or neither)",
                ));
            }
            _ => {}
        }
        if let DomainsConfig::EmbeddedPair { per_domain, .. } = self.domains {
            within("domains.per_domain", per_domain, 10, 60_000)?;
            if self.held_out >= per_domain {
                return Err(err(
                    "held_out",
                    format!("must be fewer than the {per_domain} images per domain"),
                ));
            }
        }
        if let DomainsConfig::Sources { a, b, .. } = &self.domains
            && a == b
        {
            return Err(err(
                "domains.b",
                "is the same source as domains.a: the two domains must be different images (e.g. MNIST and the embedded digits, or two folders)",
            ));
        }
        if let DomainsConfig::Sources { a, b, .. } = &self.domains {
            for (side, source) in [("a", a), ("b", b)] {
                if source.is_points() {
                    return Err(err(
                        &format!("domains.{side}"),
                        "CycleGAN translates images: 2D point data cannot be a domain",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The training settings.
    pub fn config(&self) -> CycleConfig {
        CycleConfig {
            nets: NetSpec {
                g_filters: self.g_filters,
                downsamplings: self.downsamplings,
                residual_blocks: self.residual_blocks,
                d_filters: self.d_filters,
            },
            batch_size: self.batch_size,
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            decay: self
                .decay_start
                .zip(self.decay_steps)
                .map(|(start, steps)| LinearDecay { start, steps }),
            lambda_cycle: self.lambda_cycle,
            identity: self.identity,
            replay: self.replay,
            semantic: self.semantic,
            objective: self.objective,
            seed: self.seed,
        }
    }

    /// Loads both domains and splits each into training images and `held_out` evaluation
    /// images (the last ones): [training pair, held-out pair].
    pub fn load_domains(&self) -> Result<[DomainPair; 2], String> {
        let whole = match &self.domains {
            DomainsConfig::EmbeddedPair { pair, per_domain } => {
                let pair = match pair {
                    PairName::ThinThick => EmbeddedPair::ThinThick,
                    PairName::UprightSlanted => EmbeddedPair::UprightSlanted,
                };
                embedded_pair(pair, *per_domain)
            }
            DomainsConfig::Sources { a, b, names } => {
                let load = |side: &str, source: &DataConfig| match data::load(source) {
                    Ok(loaded) => match loaded.dataset {
                        Dataset::Images(set) => Ok(set),
                        Dataset::Points(_) => {
                            Err(format!("domain {side} holds points, not images"))
                        }
                    },
                    Err(e) => Err(format!("domain {side}: {e}")),
                };
                let names = names
                    .clone()
                    .unwrap_or_else(|| ["A".to_string(), "B".to_string()]);
                DomainPair::new(names, load("A", a)?, load("B", b)?).map_err(|e| e.to_string())?
            }
        };
        let held = self.held_out;
        let split = |set: &ImageSet, name: &str| -> Result<(ImageSet, ImageSet), String> {
            if set.len() <= held {
                return Err(format!(
                    "domain {name} has {} images: too few to hold {held} out for evaluation and train on the rest",
                    set.len()
                ));
            }
            let at = set.len() - held;
            let l = set.image_len();
            let mut train = set.clone();
            let mut test = set.clone();
            train.pixels.truncate(at * l);
            test.pixels.drain(..at * l);
            if let (Some(tl), Some(hl)) = (train.labels.as_mut(), test.labels.as_mut()) {
                tl.truncate(at);
                hl.drain(..at);
            }
            Ok((train, test))
        };
        let (ta, ha) = split(&whole.a, &whole.names[0])?;
        let (tb, hb) = split(&whole.b, &whole.names[1])?;
        if let DomainsConfig::Sources { .. } = &self.domains {
            refuse_shared_images(&whole)?;
        }
        let pair = |a, b| DomainPair {
            names: whole.names.clone(),
            a,
            b,
        };
        Ok([pair(ta, tb), pair(ha, hb)])
    }
}

/// CycleGAN's domains are unpaired sets of different images: two sources that hold the same
/// images (one file named twice, the embedded digits twice) would pair every image with
/// itself. Refused when at least 1 % of the smaller domain's images appear in the other.
fn refuse_shared_images(pair: &DomainPair) -> Result<(), String> {
    let (a, b) = (&pair.a, &pair.b);
    if a.image_len() != b.image_len() || a.is_empty() || b.is_empty() {
        return Ok(());
    }
    let seen: std::collections::HashSet<&[u8]> = (0..a.len()).map(|i| a.image(i)).collect();
    let shared = (0..b.len()).filter(|&i| seen.contains(b.image(i))).count();
    let smaller = a.len().min(b.len());
    if shared * 100 >= smaller {
        return Err(format!(
            "{shared} of the {smaller} images of the smaller domain are also in the other ({} and {} hold the same images): CycleGAN needs two different, unpaired sets of images; use two different sources, or an embedded pair (kind = \"embedded-pair\")",
            pair.names[0], pair.names[1]
        ));
    }
    Ok(())
}

impl CyclePreset {
    /// Parses and validates preset text (`path` for messages and relative data paths).
    pub fn parse(text: &str, path: &Path) -> Result<Self, PresetError> {
        let mut preset: CyclePreset =
            parse_family_head(text, path, "cyclegan", "a CycleGAN preset")?;
        if let (Some(dir), DomainsConfig::Sources { a, b, .. }) =
            (path.parent(), &mut preset.cyclegan.domains)
        {
            resolve_data_paths(a, dir);
            resolve_data_paths(b, dir);
        }
        preset
            .cyclegan
            .validate()
            .map_err(PresetError::invalid(path))?;
        Ok(preset)
    }

    pub fn load(path: &Path) -> Result<Self, PresetError> {
        Self::parse(&read_text(path)?, path)
    }

    /// The preset as TOML text, its data paths made absolute.
    pub fn to_toml(&self) -> String {
        let mut preset = self.clone();
        if let DomainsConfig::Sources { a, b, .. } = &mut preset.cyclegan.domains {
            crate::engine::preset::absolute_data_paths(a);
            crate::engine::preset::absolute_data_paths(b);
        }
        toml::to_string(&preset).unwrap_or_default()
    }

    /// Writes the preset atomically (a failed write leaves any file there as it was).
    pub fn save(&self, path: &Path) -> Result<(), PresetError> {
        crate::engine::checkpoint::write_atomically(path, self.to_toml().as_bytes()).map_err(
            |cause| PresetError::Io {
                path: path.to_path_buf(),
                cause,
            },
        )
    }
}

/// The folder of the shipped CycleGAN presets, beside the GAN ones.
pub fn shipped_dir(presets: &Path) -> PathBuf {
    presets.join("cyclegan")
}

impl crate::engine::preset::FamilyHead for CyclePreset {
    fn format(&self) -> u32 {
        self.format
    }

    fn family(&self) -> &str {
        &self.family
    }
}

#[cfg(test)]
#[path = "preset_tests.rs"]
mod tests;
