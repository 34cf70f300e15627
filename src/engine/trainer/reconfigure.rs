//! Applying a changed configuration between steps: live fields take effect at once; fields
//! that change a model's shape rebuild only what they must, and the notes say so.

use std::sync::Arc;

use burn::module::Module;

use super::session::{Session, SessionError};
use crate::engine::config::{OptimizerConfig, TrainConfig};
use crate::engine::data;
use crate::engine::nn::build_models;
use crate::engine::rng::Rng;
use crate::engine::state::make_optimizer;

fn optimizer_changed(old: &OptimizerConfig, new: &OptimizerConfig) -> bool {
    old.with_lr(1.0) != new.with_lr(1.0)
}

/// What about `new` changes what is learned, so that carrying on would mix two experiments in
/// one curve: the data, the architecture, the objective or the seed.
pub fn restart_reason(old: &TrainConfig, new: &TrainConfig) -> Option<&'static str> {
    if new.data != old.data {
        Some("the data")
    } else if new.model != old.model {
        Some("the architecture")
    } else if new.objective != old.objective {
        Some("the objective")
    } else if new.train.seed != old.train.seed {
        Some("the seed")
    } else {
        None
    }
}

impl Session {
    /// A new run at step 0 on `new` (the data are reused when they are the same, and so are
    /// the metrics' references to them).
    pub fn restart_on(&mut self, new: TrainConfig) -> Result<(), SessionError> {
        new.validate()?;
        let (data, notes) = if new.data == self.config.data {
            (self.data.clone(), self.data_notes.clone())
        } else {
            let loaded = data::load(&new.data)?;
            (Arc::new(loaded.dataset), loaded.notes)
        };
        let refs = Arc::ptr_eq(&data, &self.data).then(|| self.metric_refs.clone());
        *self = Session::with_data(new, self.backend.clone(), data, notes)?;
        if let Some(refs) = refs {
            self.metric_refs = refs;
        }
        Ok(())
    }

    /// Applies `new` between steps and describes what happened.
    pub fn apply_config(&mut self, new: TrainConfig) -> Result<Vec<String>, SessionError> {
        new.validate()?;
        let old = self.config.clone();
        if new == old {
            return Ok(vec!["nothing changed".to_string()]);
        }
        if let Some(what) = restart_reason(&old, &new) {
            self.restart_on(new)?;
            return Ok(vec![format!(
                "{what} changed: the run restarted at step 0 with seed {} (Compare runs keeps the previous one)",
                self.config.train.seed
            )]);
        }
        let mut notes = Vec::new();
        let shape_changed = new.tricks.pack != old.tricks.pack
            || new.tricks.minibatch_stddev != old.tricks.minibatch_stddev;
        if shape_changed {
            let mut rng = self.state.rng.fork();
            let (_, d) = build_models(&new, self.shape, &mut rng, &self.ad)?;
            self.state.d = d;
            self.state.opt_d = make_optimizer(&new.optimizer.d);
            notes.push(
                "packing or minibatch-stddev changes D's input: D was re-initialised (G kept)"
                    .to_string(),
            );
        } else if optimizer_changed(&old.optimizer.d, &new.optimizer.d) {
            self.state.opt_d = make_optimizer(&new.optimizer.d);
            notes.push("D's optimizer changed: its state (moments) was reset".to_string());
        }
        if optimizer_changed(&old.optimizer.g, &new.optimizer.g) {
            self.state.opt_g = make_optimizer(&new.optimizer.g);
            notes.push("G's optimizer changed: its state (moments) was reset".to_string());
        }
        match (old.tricks.ema, new.tricks.ema) {
            (None, Some(_)) => {
                self.state.ema = Some(self.state.g.valid());
                notes.push("EMA of G started from G's current weights".to_string());
            }
            (Some(_), None) => {
                self.state.ema = None;
                notes.push("EMA of G off: samples come from G itself".to_string());
            }
            _ => {}
        }
        if new.train.snapshot_samples != old.train.snapshot_samples {
            let n = new.train.snapshot_samples;
            let mut rng = Rng::seeded(new.train.seed ^ 0x5A5A);
            self.fixed_z = self.latent.draw(&mut rng, n, None);
            self.fixed_classes = if new.model.conditional {
                super::session::grid_classes(n, self.shape.classes)
            } else {
                Vec::new()
            };
            notes.push("new fixed noise for the sample grid".to_string());
        }
        let sections = [
            ("objective", new.objective != old.objective),
            ("training loop", new.train != old.train),
            ("optimizers", new.optimizer != old.optimizer),
            ("tricks", new.tricks != old.tricks),
        ];
        let changed: Vec<&str> = sections
            .iter()
            .filter(|(_, c)| *c)
            .map(|(n, _)| *n)
            .collect();
        notes.insert(
            0,
            format!(
                "applied from step {}: {}",
                self.state.step,
                changed.join(", ")
            ),
        );
        self.config = new;
        Ok(notes)
    }
}
