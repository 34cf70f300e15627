//! Super-resolution presets: `family = "superres"` and a `[superres]` section naming the image
//! source (any image data source: the embedded digits, IDX files, a folder, CIFAR-10), the
//! scale and degradation, the two stages and the losses. Unknown fields are refused; every
//! value is checked with an error that names its field.
//!
//! ```toml
//! format = 1
//! family = "superres"
//! name = "Digits 4×"
//! [superres]
//! data = { kind = "digits", count = 6000 }
//! scale = 4
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::pairs::Degradation;
use super::{SrConfig, SrNets};
use crate::engine::config::{DataConfig, Objective};
use crate::engine::data::{self, Dataset, ImageSet};
use crate::engine::preset::{PresetError, parse_family_head, read_text, resolve_data_paths};
use crate::engine::validate::{ConfigError, count};

/// The `[superres]` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SrSection {
    /// The high-res images.
    pub data: DataConfig,
    /// Images kept out of training, for the metrics (the last ones of the source).
    #[serde(default = "d_held_out")]
    pub held_out: usize,
    /// Upscaling factor: 2 or 4.
    #[serde(default = "d_scale")]
    pub scale: usize,
    /// σ of a Gaussian blur before downscaling, in high-res pixels (0: plain area downscaling).
    #[serde(default)]
    pub blur: f32,
    /// σ of Gaussian noise on the low-res input, in the [-1, 1] range (0: none).
    #[serde(default)]
    pub noise: f32,
    /// Rounds in all, both stages.
    #[serde(default = "d_steps")]
    pub steps: u64,
    /// Rounds of stage 1 (the pixel network on L1 alone) before the GAN stage.
    #[serde(default = "d_pixel_steps")]
    pub pixel_steps: u64,
    #[serde(default = "d_seed")]
    pub seed: u64,
    #[serde(default = "d_batch")]
    pub batch_size: usize,
    #[serde(default = "d_g_filters")]
    pub g_filters: usize,
    #[serde(default = "d_blocks")]
    pub residual_blocks: usize,
    #[serde(default = "d_scaling")]
    pub residual_scaling: f32,
    #[serde(default = "d_d_filters")]
    pub d_filters: usize,
    #[serde(default = "d_lr")]
    pub lr: f64,
    #[serde(default = "d_beta1")]
    pub beta1: f32,
    #[serde(default = "d_beta2")]
    pub beta2: f32,
    /// Weights of the GAN network's L1, feature and adversarial losses.
    #[serde(default = "d_pixel_weight")]
    pub pixel_weight: f32,
    #[serde(default = "d_feature_weight")]
    pub feature_weight: f32,
    #[serde(default = "d_adversarial_weight")]
    pub adversarial_weight: f32,
    #[serde(default = "d_objective")]
    pub objective: Objective,
    /// Decay of the moving average of the GAN network's weights, which is what is shown and
    /// measured as the GAN network (0: the raw weights).
    #[serde(default = "d_ema")]
    pub ema: f32,
    /// Rounds between rows of the curves' CSV and snapshots of the comparison.
    #[serde(default = "d_sample_every")]
    pub sample_every: u64,
    /// Rounds between evaluations on the held-out images (PSNR, SSIM, FID-lite).
    #[serde(default = "d_metrics_every")]
    pub metrics_every: u64,
}

fn defaults() -> SrConfig {
    SrConfig::default()
}
fn d_held_out() -> usize {
    1000
}
fn d_scale() -> usize {
    4
}
fn d_steps() -> u64 {
    2000
}
fn d_pixel_steps() -> u64 {
    defaults().pixel_steps
}
fn d_seed() -> u64 {
    1
}
fn d_batch() -> usize {
    defaults().batch_size
}
fn d_g_filters() -> usize {
    defaults().nets.g_filters
}
fn d_blocks() -> usize {
    defaults().nets.residual_blocks
}
fn d_scaling() -> f32 {
    defaults().nets.residual_scaling
}
fn d_d_filters() -> usize {
    defaults().nets.d_filters
}
fn d_lr() -> f64 {
    defaults().lr
}
fn d_beta1() -> f32 {
    defaults().beta1
}
fn d_beta2() -> f32 {
    defaults().beta2
}
fn d_pixel_weight() -> f32 {
    defaults().pixel_weight
}
fn d_feature_weight() -> f32 {
    defaults().feature_weight
}
fn d_adversarial_weight() -> f32 {
    defaults().adversarial_weight
}
fn d_objective() -> Objective {
    defaults().objective
}
fn d_ema() -> f32 {
    defaults().ema
}
fn d_sample_every() -> u64 {
    50
}
fn d_metrics_every() -> u64 {
    250
}

/// A super-resolution preset file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SrPreset {
    pub format: u32,
    pub family: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub superres: SrSection,
}

fn err(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: format!("superres.{field}"),
        message: message.into(),
    }
}

fn within<T: PartialOrd + std::fmt::Display + Copy>(
    field: &str,
    v: T,
    lo: T,
    hi: T,
) -> Result<(), ConfigError> {
    count(&format!("superres.{field}"), v, lo, hi)
}

/// The side of the images a source gives, where the preset alone says it.
fn known_side(data: &DataConfig) -> Option<usize> {
    match data {
        DataConfig::Digits { .. } => Some(28),
        DataConfig::ImageFolder { size, .. } => Some(*size),
        DataConfig::Cifar10 { .. } => Some(32),
        _ => None,
    }
}

impl SrSection {
    /// Checks every value before anything is built.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if ![2, 4].contains(&self.scale) {
            return Err(err(
                "scale",
                format!(
                    "must be 2 or 4 (the generator upsamples by doubling), got {}",
                    self.scale
                ),
            ));
        }
        if self.data.is_points() {
            return Err(err(
                "data",
                "super-resolution upscales images: 2D point data has no resolution",
            ));
        }
        if let Some(side) = known_side(&self.data)
            && let Err(e) = self.degradation().check(&ImageSet {
                pixels: vec![0; side * side],
                labels: None,
                class_names: Vec::new(),
                channels: 1,
                height: side,
                width: side,
            })
        {
            return Err(err("scale", e.to_string()));
        }
        within("batch_size", self.batch_size, 1, 256)?;
        within("g_filters", self.g_filters, 1, 256)?;
        within("residual_blocks", self.residual_blocks, 0, 32)?;
        within("d_filters", self.d_filters, 1, 128)?;
        within("steps", self.steps, 1, 1_000_000_000)?;
        within("pixel_steps", self.pixel_steps, 0, 1_000_000_000)?;
        within("sample_every", self.sample_every, 1, 1_000_000)?;
        within("metrics_every", self.metrics_every, 1, 1_000_000)?;
        within("held_out", self.held_out, 1, 20_000)?;
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= 1.0) {
            return Err(err("lr", format!("must be within (0, 1], got {}", self.lr)));
        }
        for (field, beta) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(beta.is_finite() && (0.0..1.0).contains(&beta)) {
                return Err(err(field, format!("must be within [0, 1), got {beta}")));
            }
        }
        for (field, w, hi) in [
            ("residual_scaling", self.residual_scaling, 1.0),
            ("blur", self.blur, 8.0),
            ("noise", self.noise, 1.0),
            ("pixel_weight", self.pixel_weight, 1000.0),
            ("feature_weight", self.feature_weight, 1000.0),
            ("adversarial_weight", self.adversarial_weight, 1000.0),
        ] {
            if !(w.is_finite() && (0.0..=hi).contains(&w)) {
                return Err(err(field, format!("must be within [0, {hi}], got {w}")));
            }
        }
        if !(self.ema.is_finite() && (0.0..1.0).contains(&self.ema)) {
            return Err(err(
                "ema",
                format!("must be within [0, 1), got {}", self.ema),
            ));
        }
        match self.objective {
            Objective::WganGp { .. } | Objective::Wgan { .. } => Err(err(
                "objective",
                "the SR critic has no gradient penalty or weight clipping: use non-saturating, \
                 least-squares, hinge or minimax",
            )),
            _ => Ok(()),
        }
    }

    pub fn degradation(&self) -> Degradation {
        Degradation {
            scale: self.scale,
            blur: self.blur,
            noise: self.noise,
        }
    }

    /// The training settings.
    pub fn config(&self) -> SrConfig {
        SrConfig {
            nets: SrNets {
                scale: self.scale,
                g_filters: self.g_filters,
                residual_blocks: self.residual_blocks,
                residual_scaling: self.residual_scaling,
                d_filters: self.d_filters,
            },
            batch_size: self.batch_size,
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            pixel_steps: self.pixel_steps,
            pixel_weight: self.pixel_weight,
            feature_weight: self.feature_weight,
            adversarial_weight: self.adversarial_weight,
            objective: self.objective,
            ema: self.ema,
            seed: self.seed,
        }
    }

    /// Loads the images, checks they can be made into pairs, and splits them into training
    /// images and the last `held_out` for evaluation: [training, held-out].
    pub fn load_images(&self) -> Result<[ImageSet; 2], String> {
        let loaded = data::load(&self.data).map_err(|e| {
            format!("superres.data: {e} (point the preset's data source at your images)")
        })?;
        let set = match loaded.dataset {
            Dataset::Images(set) => set,
            Dataset::Points(_) => return Err("the data source holds points, not images".into()),
        };
        self.degradation().check(&set).map_err(|e| e.to_string())?;
        let held = self.held_out;
        if set.len() <= held {
            return Err(format!(
                "the data source has {} images: too few to hold {held} out for evaluation and train on the rest (lower superres.held_out)",
                set.len()
            ));
        }
        let at = set.len() - held;
        let l = set.image_len();
        let mut train = set.clone();
        let mut test = set;
        train.pixels.truncate(at * l);
        test.pixels.drain(..at * l);
        if let (Some(tl), Some(hl)) = (train.labels.as_mut(), test.labels.as_mut()) {
            tl.truncate(at);
            hl.drain(..at);
        }
        Ok([train, test])
    }
}

impl SrPreset {
    /// Parses and validates preset text (`path` for messages and relative data paths).
    pub fn parse(text: &str, path: &Path) -> Result<Self, PresetError> {
        let mut preset: SrPreset = parse_family_head(
            text,
            path,
            super::DESCRIPTION.key,
            "a super-resolution preset",
        )?;
        if let Some(dir) = path.parent() {
            resolve_data_paths(&mut preset.superres.data, dir);
        }
        preset
            .superres
            .validate()
            .map_err(PresetError::invalid(path))?;
        Ok(preset)
    }

    pub fn load(path: &Path) -> Result<Self, PresetError> {
        Self::parse(&read_text(path)?, path)
    }
}

/// The folder of the shipped super-resolution presets, beside the GAN ones.
pub fn shipped_dir(presets: &Path) -> PathBuf {
    presets.join("superres")
}

impl crate::engine::preset::FamilyHead for SrPreset {
    fn format(&self) -> u32 {
        self.format
    }

    fn family(&self) -> &str {
        &self.family
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SrPreset, PresetError> {
        SrPreset::parse(text, Path::new("p.toml"))
    }

    const HEAD: &str = "format = 1\nfamily = \"superres\"\nname = \"x\"\n[superres]\n";

    #[test]
    fn a_minimal_preset_takes_the_defaults_and_loads_digits() {
        let p = parse(&format!(
            "{HEAD}data = {{ kind = \"digits\", count = 300 }}\nheld_out = 100\n"
        ))
        .expect("parses");
        let c = p.superres.config();
        assert_eq!(
            c,
            SrConfig {
                seed: 1,
                ..SrConfig::default()
            }
        );
        let [train, held] = p.superres.load_images().expect("loads");
        assert_eq!((train.len(), held.len()), (200, 100));
        assert_eq!(held.labels.as_ref().map(Vec::len), Some(100));
    }

    #[test]
    fn bad_values_name_their_field_and_say_why() {
        let invalid = |extra: &str| match parse(&format!(
            "{HEAD}data = {{ kind = \"digits\", count = 300 }}\n{extra}\n"
        )) {
            Err(PresetError::Invalid { cause, .. }) => cause,
            other => panic!("{extra}: {other:?}"),
        };
        let three = invalid("scale = 3");
        assert_eq!(three.field, "superres.scale");
        assert!(three.message.contains("2 or 4"), "{}", three.message);
        assert_eq!(invalid("batch_size = 0").field, "superres.batch_size");
        assert_eq!(invalid("noise = -0.1").field, "superres.noise");
        assert_eq!(
            invalid("objective = { kind = \"wgan-gp\" }").field,
            "superres.objective"
        );
        // A folder of 30 px images cannot be downscaled by 4 into whole pixels.
        let folder = parse(&format!(
            "{HEAD}data = {{ kind = \"image-folder\", path = \"x\", size = 30 }}\n"
        ));
        let Err(PresetError::Invalid { cause, .. }) = folder else {
            panic!("{folder:?}")
        };
        assert!(cause.message.contains("30 px"), "{}", cause.message);
        let points = parse(&format!("{HEAD}data = {{ kind = \"ring\" }}\n"));
        assert!(
            matches!(&points, Err(PresetError::Invalid { cause, .. }) if cause.field == "superres.data"),
            "{points:?}"
        );
        let unknown = parse(&format!(
            "{HEAD}data = {{ kind = \"digits\" }}\nscael = 2\n"
        ));
        assert!(
            matches!(unknown, Err(PresetError::Syntax { message, .. }) if message.contains("scael"))
        );
    }
}
