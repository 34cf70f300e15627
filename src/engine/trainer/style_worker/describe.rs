//! What the StyleGAN trainer shows: the run's description and snapshots of its samples.

use burn::module::Module;

use super::Built;
use crate::engine::backend::Backend;
use crate::engine::stylegan::DESCRIPTION;
use crate::engine::stylegan::run::StyleRun;
use crate::engine::trainer::protocol::{Event, RunInfo, RunOrigin, RunSetup, Samples};

/// Samples in a snapshot (a 6 × 6 grid), and their fixed latent seed: the same z every time,
/// so that the history shows the same images change.
pub(super) const SNAPSHOT_SAMPLES: usize = 36;
const SNAPSHOT_SEED: u64 = 7;

/// The EMA generator's samples on the fixed latents (ψ = 1, noise on).
pub(super) fn snapshot(run: &StyleRun) -> Event {
    Event::Snapshot {
        step: run.step,
        samples: run.sample_grid(SNAPSHOT_SAMPLES, SNAPSHOT_SEED, 1.0),
    }
}

pub(super) fn info(built: &Built, backend: &Backend, origin: RunOrigin) -> RunInfo {
    let set = &built.images;
    let run = &built.run;
    let preview = set.gather(&(0..set.len().min(64)).collect::<Vec<_>>());
    let c = &run.config;
    RunInfo {
        origin,
        backend: backend.name.clone(),
        fallback_note: backend.note.clone(),
        setup: RunSetup::Style(Box::new(built.preset.clone())),
        family: &DESCRIPTION,
        data_notes: vec![format!(
            "{} images at {} px ({} channel(s)); {} styles, batch {}, R1 γ {} every {}",
            set.len(),
            c.resolution,
            set.channels,
            run.shape.num_ws(),
            c.batch_size,
            c.r1_gamma,
            c.r1_every
        )],
        sample_len: set.image_len(),
        channels: set.channels,
        side: set.height,
        classes: set.num_classes(),
        class_names: set.class_names.clone(),
        g_params: run.generator.num_params(),
        d_params: run.critic.num_params(),
        real_preview: Samples {
            values: preview.pixels,
            len: set.image_len(),
            channels: set.channels,
            side: set.height,
            classes: Vec::new(),
        },
        modes: Vec::new(),
        mode_std: 0.0,
        domains: Vec::new(),
        rows: Vec::new(),
    }
}
