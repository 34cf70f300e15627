//! Saving and loading a StyleGAN run from the trainer thread.

use std::path::PathBuf;

use super::{Built, StyleWorker};
use crate::engine::stylegan::checkpoint::{self as style_checkpoint, StyleCheckpoint};
use crate::engine::trainer::protocol::RunOrigin;

impl StyleWorker {
    pub(super) fn save(&mut self, path: PathBuf, answer: bool) {
        let Some(built) = &self.built else {
            return self.refuse("no run is loaded");
        };
        let saved = style_checkpoint::save(&built.run, &built.preset, &path);
        let step = built.run.step;
        self.control.report_save(saved, path, step, answer);
    }

    /// Continues from a StyleGAN checkpoint: its own preset, its images (loaded again when
    /// they differ from the run's), its networks, optimizers, mean of w and history.
    pub(super) fn load(&mut self, path: PathBuf) {
        let ckpt = match StyleCheckpoint::read(&path) {
            Ok(c) => c,
            Err(e) => return self.refuse(&format!("{e:#}")),
        };
        let images = self
            .built
            .as_ref()
            .filter(|b: &&Built| {
                b.preset.data == ckpt.preset.data
                    && b.preset.stylegan.resolution == ckpt.preset.stylegan.resolution
            })
            .map(|b| b.images.clone());
        let loaded = Self::built(&ckpt.preset, images, &self.backend).and_then(|mut built| {
            ckpt.restore_into(&mut built.run)
                .map_err(|e| format!("{e:#}"))?;
            Ok(built)
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
