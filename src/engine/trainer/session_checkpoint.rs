//! A session to and from a checkpoint file: the file format ([`crate::engine::checkpoint`])
//! stores a model state, a log and a config; this decides what of the session they replace.

use std::path::Path;

use super::session::Session;
use crate::engine::checkpoint::{self, Checkpoint, CheckpointError, Contents};
use crate::engine::config::TrainConfig;

impl Session {
    /// Writes the run's state, config and log to `path` atomically.
    pub fn save_checkpoint(&self, path: &Path) -> Result<(), CheckpointError> {
        let contents = Contents {
            state: &self.state,
            log: &self.log,
            config: &self.config,
            shape: self.shape,
        };
        checkpoint::save(contents, path)
    }

    /// Continues from `ckpt`, which must have this run's architecture: its weights,
    /// optimizers, EMA, step, random state, curves and config (objective, tricks, optimizers;
    /// not the data source) replace the session's.
    pub fn restore(&mut self, ckpt: &Checkpoint) -> Result<(), CheckpointError> {
        let (state, log) = ckpt.restored(&self.state, &self.config, self.shape)?;
        self.state = state;
        self.log = log;
        // Same architecture, so the data the session loaded stand for the checkpoint's (they
        // may live at another path on this machine): keep the session's data source.
        self.config = TrainConfig {
            data: self.config.data.clone(),
            ..ckpt.config.clone()
        };
        self.diverged = None;
        self.last_good = None;
        Ok(())
    }
}
