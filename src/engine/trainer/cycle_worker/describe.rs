//! What the CycleGAN trainer shows: the run's description, the translation strips of its
//! fixed held-out images, and translations of the user's own images.

use super::{Built, CycleWorker, STRIP_COLUMNS};
use crate::engine::backend::Backend;
use crate::engine::cyclegan::DESCRIPTION;
use crate::engine::cyclegan::strips::translation_strips;
use crate::engine::data::ImageSet;
use crate::engine::trainer::protocol::{
    DomainInfo, Event, RunInfo, RunOrigin, RunSetup, Samples, TranslateRequest,
};

impl CycleWorker {
    pub(super) fn translate(&mut self, request: &TranslateRequest) {
        let Some(built) = &self.built else {
            return self.refuse("no run is loaded");
        };
        let d = &built.train;
        let (from, to) = if request.a_to_b {
            (&d.a, &d.b)
        } else {
            (&d.b, &d.a)
        };
        let len = from.image_len();
        if request.pixels.len() != len {
            return self.refuse(&format!(
                "an image of {} needs {len} values ({} channel(s), {}²), got {}",
                d.names[usize::from(!request.a_to_b)],
                from.channels,
                from.height,
                request.pixels.len()
            ));
        }
        let forward = built.run.translate(request.a_to_b, &request.pixels);
        let back = built.run.translate(!request.a_to_b, &forward);
        let samples = |values: Vec<f32>, set: &ImageSet| Samples {
            len: set.image_len(),
            channels: set.channels,
            side: set.height,
            values,
            classes: Vec::new(),
        };
        self.control.link.emit(Event::Translated {
            id: request.id,
            a_to_b: request.a_to_b,
            input: samples(request.pixels.clone(), from),
            forward: samples(forward, to),
            back: samples(back, from),
        });
    }
}

/// The translation strips of the run's fixed held-out images.
pub(super) fn snapshot(built: &Built) -> Event {
    let held = [&built.held.a, &built.held.b];
    Event::Snapshot {
        step: built.run.step,
        samples: translation_strips(&built.run, held, STRIP_COLUMNS),
    }
}

pub(super) fn info(built: &Built, backend: &Backend, origin: RunOrigin) -> RunInfo {
    let d = &built.train;
    let domain = |i: usize, set: &ImageSet| DomainInfo {
        name: d.names[i].clone(),
        channels: set.channels,
        side: set.height,
        images: set.len(),
    };
    let params = |a: usize, b: usize| a + b;
    let run = &built.run;
    RunInfo {
        origin,
        backend: backend.name.clone(),
        fallback_note: backend.note.clone(),
        setup: RunSetup::Cycle(Box::new(built.preset.clone())),
        family: &DESCRIPTION,
        data_notes: Vec::new(),
        sample_len: d.a.image_len(),
        channels: d.a.channels,
        side: d.a.height,
        classes: d.a.class_names.len(),
        class_names: d.a.class_names.clone(),
        g_params: params(
            burn::module::Module::num_params(&run.generators.ab),
            burn::module::Module::num_params(&run.generators.ba),
        ),
        d_params: params(
            burn::module::Module::num_params(&run.critics.a),
            burn::module::Module::num_params(&run.critics.b),
        ),
        real_preview: Samples {
            values: Vec::new(),
            len: d.a.image_len(),
            channels: d.a.channels,
            side: d.a.height,
            classes: Vec::new(),
        },
        modes: Vec::new(),
        mode_std: 0.0,
        domains: vec![domain(0, &d.a), domain(1, &d.b)],
        rows: Vec::new(),
    }
}
