//! What the text-to-image trainer shows: the run's description and snapshots of the
//! showcase captions' samples.

use burn::module::Module;

use super::Built;
use crate::engine::backend::Backend;
use crate::engine::captions::DESCRIPTION;
use crate::engine::captions::ask::showcase_rows;
use crate::engine::captions::render::SIDE;
use crate::engine::captions::run::CaptionRun;
use crate::engine::trainer::protocol::{Event, RunInfo, RunOrigin, RunSetup, Samples};

/// Samples per showcase caption (a row each), on the same latents every time.
pub(super) const PER_CAPTION: usize = 8;
/// Real scenes shown beside the samples.
const PREVIEW: usize = 32;

/// The EMA generator's samples of the showcase captions.
pub(super) fn snapshot(run: &CaptionRun) -> Event {
    Event::Snapshot {
        step: run.step,
        samples: run.showcase_grid(PER_CAPTION),
    }
}

pub(super) fn info(built: &Built, backend: &Backend, origin: RunOrigin) -> RunInfo {
    let run = &built.run;
    let c = &run.config;
    let shown: Vec<usize> = (0..run.train.len().min(PREVIEW)).collect();
    let (preview, _) = run.train.batch(&shown);
    let pairs = run
        .train
        .specs
        .iter()
        .filter(|s| s.digits().len() == 2)
        .count();
    RunInfo {
        origin,
        backend: backend.name.clone(),
        fallback_note: backend.note.clone(),
        setup: RunSetup::Captions(Box::new(built.preset.clone())),
        family: &DESCRIPTION,
        data_notes: vec![format!(
            "{} training scenes at {SIDE} px ({pairs} with two digits), {} of held-out combinations; {:?} encoder, batch {}",
            run.train.len(),
            run.held_out.len(),
            c.encoder,
            c.batch_size
        )],
        sample_len: SIDE * SIDE,
        channels: 1,
        side: SIDE,
        classes: 0,
        class_names: Vec::new(),
        g_params: run.generator.num_params(),
        d_params: run.critic.num_params(),
        real_preview: Samples {
            values: preview,
            len: SIDE * SIDE,
            channels: 1,
            side: SIDE,
            classes: Vec::new(),
        },
        modes: Vec::new(),
        mode_std: 0.0,
        domains: Vec::new(),
        rows: showcase_rows(&run.showcase()),
    }
}
