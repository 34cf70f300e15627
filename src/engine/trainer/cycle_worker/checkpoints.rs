//! Saving and loading a CycleGAN run from the trainer thread.

use std::path::PathBuf;
use std::sync::Arc;

use super::{Built, CycleWorker};
use crate::engine::cyclegan::checkpoint::{self as cycle_checkpoint, CycleCheckpoint};
use crate::engine::cyclegan::run::CycleRun;
use crate::engine::trainer::protocol::RunOrigin;

impl CycleWorker {
    pub(super) fn save(&mut self, path: PathBuf, answer: bool) {
        let Some(built) = &self.built else {
            return self.refuse("no run is loaded");
        };
        let saved = cycle_checkpoint::save(&built.run, &built.preset, &path);
        let step = built.run.step;
        self.control.report_save(saved, path, step, answer);
    }

    /// Continues from a CycleGAN checkpoint: its own preset, its domains (loaded again when
    /// they differ from the run's), its weights, optimizers, replay buffers and history.
    pub(super) fn load(&mut self, path: PathBuf) {
        let ckpt = match CycleCheckpoint::read(&path) {
            Ok(c) => c,
            Err(e) => return self.refuse(&format!("{e:#}")),
        };
        let domains = self
            .built
            .as_ref()
            .filter(|b| b.preset.cyclegan.domains == ckpt.preset.cyclegan.domains)
            .filter(|b| b.preset.cyclegan.held_out == ckpt.preset.cyclegan.held_out)
            .map(|b| (b.train.clone(), b.held.clone()));
        let loaded = domains
            .map(Ok)
            .unwrap_or_else(|| {
                ckpt.preset
                    .cyclegan
                    .load_domains()
                    .map(|[t, h]| (Arc::new(t), Arc::new(h)))
            })
            .and_then(|(train, held)| {
                let mut run = CycleRun::new(
                    ckpt.preset.cyclegan.config(),
                    train.clone(),
                    &self.backend.device,
                )
                .map_err(|e| e.to_string())?;
                ckpt.restore_into(&mut run).map_err(|e| format!("{e:#}"))?;
                Ok(Built {
                    run,
                    preset: ckpt.preset.clone(),
                    train,
                    held,
                })
            });
        match loaded {
            Ok(built) => {
                self.control.set_running(false);
                let history = (built.run.log.stats.clone(), built.run.log.reports.clone());
                let step = built.run.step;
                self.install(built, RunOrigin::Loaded);
                self.control.report_loaded(history, path, step);
            }
            Err(e) => self.refuse(&format!("{} cannot be loaded: {e}", path.display())),
        }
    }
}
