//! What an augmentation experiment runs: the N values and seeds, how long the generator and
//! the classifiers train. A preset's optional `[augment]` section holds one (so a preset
//! for the lab opens with its own plan); the CLI's flags and the window's fields edit it.
//! The parts that change the figures (everything but N and the seeds) are its [`Setup`],
//! written beside the results so that a resumed experiment never mixes two setups.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::classic::Jitter;
use super::experiment::Recipe;
use crate::engine::checkpoint::write_atomically;
use crate::engine::config::{ModelConfig, Objective, Optimizers, TrainConfig, Tricks};

/// An experiment's plan (a preset's `[augment]` section).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AugmentPlan {
    /// Labelled images per class the generator and classifiers may train on.
    pub per_class: Vec<usize>,
    /// Each N is run once per seed (mean ± spread over them).
    pub seeds: Vec<u64>,
    /// Rounds the generator trains on each subset (absent: the preset's `train.steps`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gan_steps: Option<u64>,
    /// Adam steps (batch 128) of each classifier.
    pub classifier_steps: usize,
    /// Synthetic images drawn per class.
    pub synthetic_per_class: usize,
    /// The share of synthetic images in the real + synthetic classifier's batches.
    pub mix: f32,
}

impl Default for AugmentPlan {
    fn default() -> Self {
        let recipe = Recipe::default();
        Self {
            per_class: vec![10, 50, 100],
            seeds: vec![1, 2, 3],
            gan_steps: None,
            classifier_steps: recipe.classifier_steps,
            synthetic_per_class: recipe.synthetic_per_class,
            mix: recipe.mix,
        }
    }
}

impl AugmentPlan {
    /// Why the plan cannot run, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.per_class.is_empty() || self.per_class.contains(&0) {
            return Err("per_class needs at least one N, each at least 1".into());
        }
        if self.seeds.is_empty() {
            return Err("seeds needs at least one seed".into());
        }
        if self.gan_steps == Some(0) {
            return Err("gan_steps must be at least 1".into());
        }
        if self.classifier_steps == 0 || self.synthetic_per_class == 0 {
            return Err("classifier_steps and synthetic_per_class must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.mix) {
            return Err(format!(
                "mix is the share of synthetic images in a batch: between 0 and 1, not {}",
                self.mix
            ));
        }
        Ok(())
    }

    /// How the classifiers are trained.
    pub fn recipe(&self) -> Recipe {
        Recipe {
            classifier_steps: self.classifier_steps,
            synthetic_per_class: self.synthetic_per_class,
            mix: self.mix,
            jitter: Jitter::default(),
        }
    }

    /// The generator's rounds per subset for a preset that trains `config`.
    pub fn gan_steps_for(&self, config: &TrainConfig) -> u64 {
        self.gan_steps.unwrap_or(config.train.steps as u64)
    }

    /// Every (N, seed) run, N by N.
    pub fn runs(&self) -> Vec<(usize, u64)> {
        self.per_class
            .iter()
            .flat_map(|&n| self.seeds.iter().map(move |&s| (n, s)))
            .collect()
    }

    /// What the figures depend on, for the data `images` × `classes` and generator `config`.
    pub fn setup(&self, config: &TrainConfig, images: usize, classes: usize) -> Setup {
        Setup {
            images,
            classes,
            gan_steps: self.gan_steps_for(config),
            classifier_steps: self.classifier_steps,
            synthetic_per_class: self.synthetic_per_class,
            mix: self.mix,
            batch_size: config.train.batch_size,
            model: config.model.clone(),
            objective: config.objective,
            optimizer: config.optimizer.clone(),
            tricks: config.tricks.clone(),
        }
    }
}

/// Everything but N and the seeds that an experiment's figures depend on. The data is named
/// by its size (its path may be written differently from run to run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    pub images: usize,
    pub classes: usize,
    pub gan_steps: u64,
    pub classifier_steps: usize,
    pub synthetic_per_class: usize,
    pub mix: f32,
    pub batch_size: usize,
    pub model: ModelConfig,
    pub objective: Objective,
    pub optimizer: Optimizers,
    pub tricks: Tricks,
}

/// The setup file's name beside `results.csv`.
pub const SETUP_FILE: &str = "setup.toml";

impl Setup {
    fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// A short stable name for this setup (FNV-1a of its TOML), for a folder per setup.
    pub fn fingerprint(&self) -> String {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in self.to_toml().bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{:08x}", hash >> 32)
    }

    /// Claims `folder` for this setup: writes the setup file when there is none, and refuses a
    /// folder whose results were made with another setup (saying what differs).
    pub fn claim(&self, folder: &Path) -> Result<(), String> {
        let path = folder.join(SETUP_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let theirs: Setup = toml::from_str(&text)
                    .map_err(|e| format!("{}: not an experiment setup ({e})", path.display()))?;
                let differences = self.differences(&theirs);
                if differences.is_empty() {
                    return Ok(());
                }
                Err(format!(
                    "{} holds results of another setup ({}); choose another folder to keep both, \
                     or remove that one to start over",
                    folder.display(),
                    differences.join(", ")
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_atomically(&path, self.to_toml().as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// `name there → here` for each field that differs from `theirs`.
    fn differences(&self, theirs: &Setup) -> Vec<String> {
        let (ours, theirs) = (self.table(), theirs.table());
        ours.iter()
            .filter(|(key, value)| theirs.get(*key) != Some(value))
            .map(|(key, value)| match (theirs.get(key), value) {
                (_, toml::Value::Table(_)) => format!("the generator's {key}"),
                (Some(old), new) => format!("{key} {old} there, {new} here"),
                (None, _) => format!("{key} missing there"),
            })
            .collect()
    }

    fn table(&self) -> toml::Table {
        toml::Table::try_from(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::preset::default_preset;

    fn setup(gan_steps: u64) -> Setup {
        let plan = AugmentPlan {
            gan_steps: Some(gan_steps),
            ..AugmentPlan::default()
        };
        plan.setup(&default_preset().config(), 1000, 10)
    }

    #[test]
    fn a_plan_names_what_is_wrong() {
        let bad = |plan: AugmentPlan| plan.validate().expect_err("refused");
        let base = AugmentPlan::default();
        assert!(base.validate().is_ok());
        assert!(
            bad(AugmentPlan {
                per_class: vec![10, 0],
                ..base.clone()
            })
            .contains("per_class")
        );
        assert!(
            bad(AugmentPlan {
                seeds: vec![],
                ..base.clone()
            })
            .contains("seeds")
        );
        assert!(
            bad(AugmentPlan {
                mix: 1.5,
                ..base.clone()
            })
            .contains("between 0 and 1")
        );
        assert_eq!(base.runs().len(), 9);
        assert_eq!(base.runs()[3], (50, 1), "N by N, seeds within");
    }

    #[test]
    fn a_folder_is_claimed_once_and_refused_to_another_setup() {
        let dir = std::env::temp_dir().join(format!("ganvas-setup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        setup(500).claim(&dir).expect("a new folder is claimed");
        setup(500).claim(&dir).expect("the same setup resumes");
        let err = setup(800)
            .claim(&dir)
            .expect_err("another setup is refused");
        assert!(err.contains("gan_steps 500 there, 800 here"), "{err}");
        assert_ne!(setup(500).fingerprint(), setup(800).fingerprint());
        assert_eq!(setup(500).fingerprint(), setup(500).fingerprint());
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
