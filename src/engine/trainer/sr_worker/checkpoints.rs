//! Saving and loading a super-resolution run from the trainer thread.

use std::path::PathBuf;

use super::{Built, SrWorker};
use crate::engine::superres::checkpoint::{self as sr_checkpoint, SrCheckpoint};
use crate::engine::trainer::protocol::RunOrigin;

impl SrWorker {
    pub(super) fn save(&mut self, path: PathBuf, answer: bool) {
        let Some(built) = &self.built else {
            return self.refuse("no run is loaded");
        };
        let saved = sr_checkpoint::save(&built.run, &built.preset, &path);
        let step = built.run.step;
        self.control.report_save(saved, path, step, answer);
    }

    /// Continues from a super-resolution checkpoint: its own preset, its images (loaded again
    /// when they differ from the run's), its networks, optimizers and history.
    pub(super) fn load(&mut self, path: PathBuf) {
        let ckpt = match SrCheckpoint::read(&path) {
            Ok(c) => c,
            Err(e) => return self.refuse(&format!("{e:#}")),
        };
        let same = |b: &&Built| {
            let (now, saved) = (&b.preset.superres, &ckpt.preset.superres);
            now.data == saved.data && now.held_out == saved.held_out
        };
        let images = self
            .built
            .as_ref()
            .filter(same)
            .map(|b| (b.train.clone(), b.held.clone()));
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
