//! Text-to-image presets: `family = "captions"`, where the digits come from under `[data]`
//! (the embedded digits, or a labelled MNIST-format pair), the scenes, encoder and networks
//! under `[captions]`, the loop's lengths under `[train]`. Unknown fields are refused; every
//! value is checked with an error naming it.
//!
//! ```toml
//! format = 1
//! family = "captions"
//! name = "Captioned digits"
//! [data]
//! kind = "digits"
//! [captions]
//! encoder = "gru"
//! [train]
//! steps = 3000
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::grammar::Split;
use super::layout::GeneratorKind;
use super::render::DigitSource;
use super::run::CaptionConfig;
use super::scenes::SceneSet;
use crate::engine::config::DataConfig;
use crate::engine::data::idx::load_idx;
use crate::engine::preset::{PresetError, parse_family_head, read_text, resolve_data_paths};
use crate::engine::validate::{ConfigError, count};

/// How long to train and how often to report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptionLoop {
    /// Rounds (a critic update and a generator update each).
    pub steps: u64,
    /// Rounds between rows of the curves' CSV and sample snapshots.
    pub sample_every: u64,
    /// Rounds between evaluations (caption accuracy on seen and held-out combinations).
    pub metrics_every: u64,
}

impl Default for CaptionLoop {
    fn default() -> Self {
        Self {
            steps: 3000,
            sample_every: 50,
            metrics_every: 500,
        }
    }
}

/// A text-to-image preset file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptionPreset {
    pub format: u32,
    pub family: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub data: DataConfig,
    #[serde(default)]
    pub captions: CaptionConfig,
    #[serde(default)]
    pub train: CaptionLoop,
}

fn err(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.to_string(),
        message: message.into(),
    }
}

impl CaptionConfig {
    /// Checks every value before anything is built.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let f = |name: &str| format!("captions.{name}");
        count(&f("scenes"), self.scenes, 100, 1_000_000)?;
        count(&f("held_out_scenes"), self.held_out_scenes, 10, 100_000)?;
        count(&f("embed"), self.embed, 1, 512)?;
        count(&f("condition"), self.condition, 1, 512)?;
        count(&f("z_dim"), self.z_dim, 1, 1024)?;
        count(&f("base_channels"), self.base_channels, 1, 256)?;
        count(&f("batch_size"), self.batch_size, 2, 512)?;
        for (name, v, lo, hi) in [
            ("pairs", self.pairs, 0.0, 1.0),
            ("near_misses", self.near_misses, 0.0, 1.0),
            ("lr", f64::from(self.lr), 1e-6, 1.0),
            ("lr_critic", f64::from(self.critic_lr()), 1e-6, 1.0),
            ("kl_weight", f64::from(self.kl_weight), 0.0, 100.0),
            ("mode_seeking", f64::from(self.mode_seeking), 0.0, 100.0),
            ("places", f64::from(self.places), 0.0, 100.0),
        ] {
            if !(v.is_finite() && (lo..=hi).contains(&v)) {
                return Err(err(
                    &f(name),
                    format!("must be within [{lo}, {hi}], got {v}"),
                ));
            }
        }
        // Options that would change nothing are refused rather than silently ignored.
        if self.slots_compete && self.generator != GeneratorKind::Layered {
            return Err(err(
                &f("slots_compete"),
                "the slots belong to the layered generator: set generator = \"layered\" too",
            ));
        }
        if self.relation_places && self.places == 0.0 {
            return Err(err(
                &f("relation_places"),
                "asks relations through the critic's place head, which places = 0 turns off: set places > 0",
            ));
        }
        if !(self.ema.is_finite() && (0.0..1.0).contains(&self.ema)) {
            return Err(err(
                &f("ema"),
                format!("must be within [0, 1), got {}", self.ema),
            ));
        }
        Ok(())
    }
}

impl CaptionPreset {
    /// Checks every value before anything is built.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.data {
            DataConfig::Digits { .. } => {}
            DataConfig::Idx {
                labels: Some(_), ..
            } => {}
            DataConfig::Idx { labels: None, .. } => {
                return Err(err(
                    "data.labels",
                    "the scenes need to know which digit each image is: give the labels file",
                ));
            }
            _ => {
                return Err(err(
                    "data",
                    "captioned scenes are made of digits: kind = \"digits\" (embedded) or \"idx\" (an MNIST-format pair with labels)",
                ));
            }
        }
        self.captions.validate()?;
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
        let mut preset: CaptionPreset =
            parse_family_head(text, path, super::DESCRIPTION.key, "a text-to-image preset")?;
        if let Some(dir) = path.parent() {
            resolve_data_paths(&mut preset.data, dir);
        }
        preset.validate().map_err(PresetError::invalid(path))?;
        Ok(preset)
    }

    pub fn load(path: &Path) -> Result<Self, PresetError> {
        Self::parse(&read_text(path)?, path)
    }

    /// Where the scenes' digits come from.
    pub fn digit_source(&self) -> Result<DigitSource, String> {
        match &self.data {
            DataConfig::Idx {
                images,
                labels: Some(labels),
                transpose,
            } => {
                let mut set = load_idx(images, Some(labels)).map_err(|e| {
                    format!("data: {e} (point the preset's data source at MNIST-format files)")
                })?;
                if *transpose {
                    crate::engine::data::images::transpose_all(&mut set);
                }
                DigitSource::images(set).map_err(|e| format!("data: {e}"))
            }
            _ => Ok(DigitSource::Drawn),
        }
    }

    /// The training and held-out scenes (made anew from the preset: the same preset always
    /// gives the same scenes).
    pub fn scenes(&self) -> Result<(SceneSet, SceneSet), String> {
        let source = self.digit_source()?;
        let c = &self.captions;
        let mix = c.mix();
        let seed = c.seed.wrapping_mul(0x9E37_79B9);
        Ok((
            SceneSet::generate(c.scenes, Split::Train, mix, &source, seed),
            SceneSet::generate(c.held_out_scenes, Split::HeldOut, mix, &source, seed ^ 1),
        ))
    }
}

impl crate::engine::preset::FamilyHead for CaptionPreset {
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

    fn parse(text: &str) -> Result<CaptionPreset, PresetError> {
        CaptionPreset::parse(text, Path::new("p.toml"))
    }

    const HEAD: &str = "format = 1\nfamily = \"captions\"\nname = \"x\"\n";

    fn invalid(extra: &str) -> ConfigError {
        match parse(&format!(
            "{HEAD}[data]\nkind = \"digits\"\n[captions]\n{extra}\n"
        )) {
            Err(PresetError::Invalid { cause, .. }) => cause,
            other => panic!("{extra}: {other:?}"),
        }
    }

    #[test]
    fn a_minimal_preset_takes_the_defaults_and_makes_its_scenes() {
        let p = parse(&format!(
            "{HEAD}[data]\nkind = \"digits\"\n[captions]\nscenes = 120\nheld_out_scenes = 12\n"
        ))
        .expect("parses");
        assert_eq!(p.captions.encoder, super::super::encoder::EncoderKind::Gru);
        let (train, held) = p.scenes().expect("scenes");
        assert_eq!((train.len(), held.len()), (120, 12));
        assert!(held.specs.iter().all(|s| s.held_out()));
        let (again, _) = p.scenes().expect("scenes");
        assert_eq!(
            again.pixels, train.pixels,
            "the same preset, the same scenes"
        );
    }

    #[test]
    fn bad_values_name_their_field_and_say_why() {
        assert_eq!(invalid("scenes = 5").field, "captions.scenes");
        assert_eq!(invalid("pairs = 1.5").field, "captions.pairs");
        assert_eq!(invalid("ema = 1.0").field, "captions.ema");
        assert_eq!(invalid("batch_size = 1").field, "captions.batch_size");
        let e = invalid("slots_compete = true");
        assert_eq!(e.field, "captions.slots_compete");
        assert!(e.message.contains("layered"), "{}", e.message);
        let e = invalid("relation_places = true");
        assert_eq!(e.field, "captions.relation_places");
        assert!(e.message.contains("places > 0"), "{}", e.message);
        let fine = parse(&format!(
            "{HEAD}[data]\nkind = \"digits\"\n[captions]\ngenerator = \"layered\"\nslots_compete = true\nplaces = 1.0\nrelation_places = true\n"
        ));
        assert!(fine.is_ok(), "{fine:?}");
        assert_eq!(
            invalid("mode_seeking = -1.0").field,
            "captions.mode_seeking"
        );
        let e = parse(&format!(
            "{HEAD}[data]\nkind = \"digits\"\n[captions]\nencoder = \"lstm\"\n"
        ))
        .expect_err("unknown encoder");
        assert!(e.to_string().contains("lstm"), "{e}");
        let e = parse(&format!("{HEAD}[data]\nkind = \"ring\"\n")).expect_err("points");
        assert!(e.to_string().contains("made of digits"), "{e}");
        let e = parse(&format!(
            "{HEAD}[data]\nkind = \"idx\"\nimages = \"x.gz\"\n"
        ))
        .expect_err("no labels");
        assert!(e.to_string().contains("data.labels"), "{e}");
        let e = parse("format = 1\nfamily = \"stylegan\"\n[data]\nkind = \"digits\"\n")
            .expect_err("another family");
        assert!(e.to_string().contains("stylegan"), "{e}");
    }
}
