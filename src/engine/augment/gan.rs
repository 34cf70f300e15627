//! The experiment's synthesizer: the preset's conditional GAN, trained from scratch on the
//! run's subset only, then sampled class by class.

use std::sync::Arc;

use crate::engine::backend::Backend;
use crate::engine::config::TrainConfig;
use crate::engine::data::{Dataset, ImageSet};
use crate::engine::trainer::protocol::StepKind;
use crate::engine::trainer::session::Session;

use super::experiment::{Labelled, Synthesizer};

/// A conditional GAN configuration and how long to train it on each subset.
pub struct GanSynthesizer {
    config: TrainConfig,
    steps: u64,
    backend: Backend,
}

impl GanSynthesizer {
    /// Refuses an unconditional model: its samples carry no class to train a classifier on.
    pub fn new(config: TrainConfig, steps: u64, backend: Backend) -> Result<Self, String> {
        if !config.model.conditional {
            return Err("the augmentation lab needs a conditional generator: set \
                 `conditional = true` under [model] (the mnist-cgan preset is one)"
                .to_string());
        }
        if steps == 0 {
            return Err("the generator needs at least one training step".to_string());
        }
        Ok(Self {
            config,
            steps,
            backend,
        })
    }
}

impl Synthesizer for GanSynthesizer {
    fn synthesize(
        &mut self,
        subset: &ImageSet,
        seed: u64,
        per_class: usize,
        keep_going: &mut dyn FnMut(f32) -> bool,
    ) -> Result<Option<Labelled>, String> {
        let mut config = self.config.clone();
        config.train.seed = seed;
        let data = Arc::new(Dataset::Images(subset.clone()));
        let mut session = Session::with_data(config, self.backend.clone(), data, Vec::new())
            .map_err(|e| e.to_string())?;
        for step in 0..self.steps {
            session
                .step_once(StepKind::Round)
                .map_err(|e| format!("step {step}: {e}"))?;
            if !keep_going(step as f32 / self.steps as f32) {
                return Ok(None);
            }
        }
        let classes = subset.class_names.len();
        let samples = session.sample_n(per_class * classes, seed);
        Ok(Some(Labelled {
            pixels: samples.values,
            labels: samples.classes,
        }))
    }
}
