//! Saving and loading a text-to-image run from the trainer thread.

use std::path::PathBuf;

use super::CaptionWorker;
use crate::engine::captions::checkpoint::{self as caption_checkpoint, CaptionCheckpoint};
use crate::engine::trainer::protocol::RunOrigin;

impl CaptionWorker {
    pub(super) fn save(&mut self, path: PathBuf, answer: bool) {
        let Some(built) = &self.built else {
            return self.refuse("no run is loaded");
        };
        let saved = caption_checkpoint::save(&built.run, &built.preset, &path);
        let step = built.run.step;
        self.control.report_save(saved, path, step, answer);
    }

    /// Continues from a text-to-image checkpoint: its own preset, its scenes (taken from the
    /// current run when the preset makes the same ones, else made again), its networks,
    /// optimizers and history.
    pub(super) fn load(&mut self, path: PathBuf) {
        let ckpt = match CaptionCheckpoint::read(&path) {
            Ok(c) => c,
            Err(e) => return self.refuse(&format!("{e:#}")),
        };
        let scenes = self
            .built
            .as_ref()
            .filter(|b| b.preset.data == ckpt.preset.data && same_scenes(b, &ckpt))
            .map(|b| (b.run.train.clone(), b.run.held_out.clone()));
        let loaded = Self::built(&ckpt.preset, scenes, &self.backend).and_then(|mut built| {
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

/// Whether the checkpoint's preset draws the same scenes as the run's (every setting the
/// scenes depend on is equal).
fn same_scenes(built: &super::Built, ckpt: &CaptionCheckpoint) -> bool {
    let (a, b) = (&built.preset.captions, &ckpt.preset.captions);
    a.scenes == b.scenes
        && a.held_out_scenes == b.held_out_scenes
        && a.mix() == b.mix()
        && a.seed == b.seed
}
