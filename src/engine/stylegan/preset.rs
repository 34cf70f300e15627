//! StyleGAN presets: `family = "stylegan"`, the image source under `[data]` (the embedded
//! digits, IDX files, a folder, CIFAR-10: anything of at most the resolution's side, padded
//! to it), the networks and training under `[stylegan]`, and the loop's lengths under
//! `[train]`. Unknown fields are refused; every value is checked with an error naming it.
//!
//! ```toml
//! format = 1
//! family = "stylegan"
//! name = "Digits StyleGAN"
//! [data]
//! kind = "digits"
//! [stylegan]
//! resolution = 32
//! [train]
//! steps = 3000
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::run::{StyleConfig, pad_to};
use crate::engine::config::DataConfig;
use crate::engine::data::{self, Dataset, ImageSet};
use crate::engine::preset::{PresetError, parse_family_head, read_text, resolve_data_paths};
use crate::engine::validate::{ConfigError, count};

/// How long to train and how often to report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StyleLoop {
    /// Rounds (a critic update and a generator update each).
    pub steps: u64,
    /// Rounds between rows of the curves' CSV and sample snapshots.
    pub sample_every: u64,
    /// Rounds between evaluations (FID-lite, PRDC, classes).
    pub metrics_every: u64,
}

impl Default for StyleLoop {
    fn default() -> Self {
        Self {
            steps: 3000,
            sample_every: 50,
            metrics_every: 500,
        }
    }
}

/// A StyleGAN preset file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StylePreset {
    pub format: u32,
    pub family: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub data: DataConfig,
    #[serde(default)]
    pub stylegan: StyleConfig,
    #[serde(default)]
    pub train: StyleLoop,
}

fn err(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// The side of the images a source gives, where the preset alone says it.
fn known_side(data: &DataConfig) -> Option<usize> {
    match data {
        DataConfig::Digits { .. } | DataConfig::Idx { .. } => Some(28),
        DataConfig::ImageFolder { size, .. } => Some(*size),
        DataConfig::Cifar10 { .. } => Some(32),
        _ => None,
    }
}

impl StyleConfig {
    /// Checks every value before anything is built.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let f = |name: &str| format!("stylegan.{name}");
        if ![32, 64].contains(&self.resolution) {
            return Err(err(
                &f("resolution"),
                format!("must be 32 or 64, got {}", self.resolution),
            ));
        }
        count(&f("z_dim"), self.z_dim, 1, 1024)?;
        count(&f("w_dim"), self.w_dim, 1, 1024)?;
        count(&f("mapping_layers"), self.mapping_layers, 1, 8)?;
        count(&f("channel_base"), self.channel_base, 4, 1 << 16)?;
        count(&f("channel_max"), self.channel_max, 1, 512)?;
        count(&f("batch_size"), self.batch_size, 2, 256)?;
        count(&f("r1_every"), self.r1_every, 1, 1000)?;
        count(&f("mbstd_group"), self.mbstd_group, 1, 256)?;
        count(&f("pack"), self.pack, 1, 8)?;
        count(&f("critic_width"), self.critic_width, 1, 8)?;
        count(&f("mbstd_channels"), self.mbstd_channels, 1, 64)?;
        let f4 = (self.channel_base / 4).clamp(1, self.channel_max) * self.critic_width;
        if !f4.is_multiple_of(self.mbstd_channels) {
            return Err(err(
                &f("mbstd_channels"),
                format!(
                    "must divide the critic's {f4} feature maps at 4 px (channel_base / 4, at most channel_max, times critic_width)"
                ),
            ));
        }
        if !self.batch_size.is_multiple_of(self.pack) {
            return Err(err(
                &f("pack"),
                format!(
                    "the batch ({}) must be a multiple of pack ({})",
                    self.batch_size, self.pack
                ),
            ));
        }
        for (name, v, lo, hi) in [
            ("mapping_lr_mul", self.mapping_lr_mul, 1e-4, 1.0),
            ("lr", self.lr, 1e-6, 1.0),
            ("lr_critic", self.critic_lr(), 1e-6, 1.0),
            ("r1_gamma", self.r1_gamma, 0.0, 1000.0),
            ("style_mixing", self.style_mixing, 0.0, 1.0),
            ("mode_seeking", self.mode_seeking, 0.0, 100.0),
        ] {
            if !(v.is_finite() && (lo..=hi).contains(&v)) {
                return Err(err(
                    &f(name),
                    format!("must be within [{lo}, {hi}], got {v}"),
                ));
            }
        }
        for (name, v) in [("ema", self.ema), ("w_avg_decay", self.w_avg_decay)] {
            if !(v.is_finite() && (0.0..1.0).contains(&v)) {
                return Err(err(&f(name), format!("must be within [0, 1), got {v}")));
            }
        }
        Ok(())
    }
}

impl StylePreset {
    /// Checks every value before anything is built.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.data.is_points() {
            return Err(err(
                "data",
                "a StyleGAN draws images: pick an image source (digits, an IDX file, a folder, CIFAR-10)",
            ));
        }
        self.stylegan.validate()?;
        if let Some(side) = known_side(&self.data)
            && side > self.stylegan.resolution
        {
            return Err(err(
                "stylegan.resolution",
                format!(
                    "the images are {side} px: the resolution must be at least that (32 or 64)"
                ),
            ));
        }
        count("train.steps", self.train.steps, 1, 1_000_000_000)?;
        count("train.sample_every", self.train.sample_every, 1, 1_000_000)?;
        count(
            "train.metrics_every",
            self.train.metrics_every,
            1,
            1_000_000,
        )?;
        Ok(())
    }

    /// Parses and validates preset text (`path` for messages and relative data paths).
    pub fn parse(text: &str, path: &Path) -> Result<Self, PresetError> {
        let mut preset: StylePreset =
            parse_family_head(text, path, super::DESCRIPTION.key, "a StyleGAN preset")?;
        if let Some(dir) = path.parent() {
            resolve_data_paths(&mut preset.data, dir);
        }
        preset.validate().map_err(PresetError::invalid(path))?;
        Ok(preset)
    }

    pub fn load(path: &Path) -> Result<Self, PresetError> {
        Self::parse(&read_text(path)?, path)
    }

    /// The training images, padded to the resolution.
    pub fn load_images(&self) -> Result<ImageSet, String> {
        let loaded = data::load(&self.data)
            .map_err(|e| format!("data: {e} (point the preset's data source at your images)"))?;
        let Dataset::Images(set) = loaded.dataset else {
            return Err("the data source holds points, not images".into());
        };
        pad_to(&set, self.stylegan.resolution).map_err(|e| e.to_string())
    }
}

impl crate::engine::preset::FamilyHead for StylePreset {
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

    fn parse(text: &str) -> Result<StylePreset, PresetError> {
        StylePreset::parse(text, Path::new("p.toml"))
    }

    const HEAD: &str = "format = 1\nfamily = \"stylegan\"\nname = \"x\"\n";

    #[test]
    fn a_minimal_preset_takes_the_defaults_and_pads_the_digits() {
        let p = parse(&format!("{HEAD}[data]\nkind = \"digits\"\ncount = 40\n")).expect("parses");
        assert_eq!(p.stylegan, StyleConfig::default());
        assert_eq!(p.train, StyleLoop::default());
        let set = p.load_images().expect("loads");
        assert_eq!((set.len(), set.height, set.width), (40, 32, 32));
    }

    #[test]
    fn bad_values_name_their_field_and_say_why() {
        let invalid = |extra: &str| match parse(&format!(
            "{HEAD}[data]\nkind = \"digits\"\n[stylegan]\n{extra}\n"
        )) {
            Err(PresetError::Invalid { cause, .. }) => cause,
            other => panic!("{extra}: {other:?}"),
        };
        let r = invalid("resolution = 48");
        assert_eq!(r.field, "stylegan.resolution");
        assert!(r.message.contains("32 or 64"), "{}", r.message);
        assert_eq!(invalid("batch_size = 1").field, "stylegan.batch_size");
        assert_eq!(invalid("style_mixing = 1.5").field, "stylegan.style_mixing");
        assert_eq!(invalid("ema = 1.0").field, "stylegan.ema");
        assert_eq!(
            invalid("lr = 0.001\nlr_critic = 0.0").field,
            "stylegan.lr_critic"
        );
        let pack = invalid("batch_size = 6\npack = 4");
        assert_eq!(pack.field, "stylegan.pack");
        assert!(
            pack.message.contains("multiple of pack (4)"),
            "{}",
            pack.message
        );
        assert_eq!(invalid("pack = 0").field, "stylegan.pack");
        let slices = invalid("channel_max = 32\nmbstd_channels = 3");
        assert_eq!(slices.field, "stylegan.mbstd_channels");
        assert!(
            slices.message.contains("32 feature maps"),
            "{}",
            slices.message
        );
        assert_eq!(invalid("critic_width = 0").field, "stylegan.critic_width");
        let big = parse(&format!(
            "{HEAD}[data]\nkind = \"image-folder\"\npath = \"x\"\nsize = 64\n"
        ));
        assert!(
            matches!(&big, Err(PresetError::Invalid { cause, .. }) if cause.message.contains("64 px")),
            "{big:?}"
        );
        let points = parse(&format!("{HEAD}[data]\nkind = \"ring\"\n"));
        assert!(
            matches!(&points, Err(PresetError::Invalid { cause, .. }) if cause.field == "data"),
            "{points:?}"
        );
        let cubic = parse(&format!(
            "{HEAD}[data]\nkind = \"digits\"\n[stylegan]\nupsampling = \"cubic\"\n"
        ));
        assert!(
            matches!(&cubic, Err(PresetError::Syntax { message, .. }) if message.contains("expected `nearest` or `bilinear`")),
            "{cubic:?}"
        );
        let unknown = parse(&format!(
            "{HEAD}[data]\nkind = \"digits\"\n[stylegan]\nresolutoin = 32\n"
        ));
        assert!(
            matches!(unknown, Err(PresetError::Syntax { message, .. }) if message.contains("resolutoin"))
        );
    }
}
