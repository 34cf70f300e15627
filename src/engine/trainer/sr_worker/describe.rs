//! What the super-resolution trainer shows: the run's description, the comparison of its
//! fixed held-out images, and upscales at the weight mix the window asks for.

use burn::module::Module;

use super::{Built, SrWorker};
use crate::engine::backend::Backend;
use crate::engine::superres::DESCRIPTION;
use crate::engine::superres::compare::comparison;
use crate::engine::superres::resize::bicubic_upscale;
use crate::engine::superres::tiles::{Picture, upscale_picture};
use crate::engine::trainer::protocol::{
    Event, RunInfo, RunOrigin, RunSetup, Samples, UpscaleRequest, Upscaled,
};

impl SrWorker {
    /// Answers `request`: the comparison's held-out images and the user's own image (when
    /// sent) upscaled with the weight mix asked for.
    pub(super) fn upscale(&mut self, request: &UpscaleRequest) {
        let Some(built) = &self.built else {
            return self.refuse("no run is loaded");
        };
        let run = &built.run;
        let net = run.mixed(request.mix);
        let p = &built.compared;
        let held = match run.upscale_with(&net, &p.lr, p.lr_shape()) {
            Ok(out) => out.iter().map(|v| v.clamp(-1.0, 1.0)).collect(),
            Err(e) => return self.refuse(&e.to_string()),
        };
        let scale = run.config.nets.scale;
        let channels = run.images.channels;
        let own = match &request.own {
            None => None,
            Some(picture) => {
                match upscale_picture(&net, scale, channels, picture, &self.backend.device) {
                    Ok(up) => {
                        let shape = crate::engine::superres::resize::Planes {
                            n: 1,
                            c: picture.channels,
                            h: picture.height,
                            w: picture.width,
                        };
                        let bicubic = Picture {
                            values: bicubic_upscale(&picture.values, shape, scale),
                            ..up.clone()
                        };
                        Some([bicubic, up])
                    }
                    Err(e) => return self.refuse(&e.to_string()),
                }
            }
        };
        let mix = if run.gan_started() { request.mix } else { 0.0 };
        let answer = Upscaled {
            id: request.id,
            mix,
            step: run.step,
            held: Samples {
                values: held,
                len: p.shape.image_len(),
                channels: p.shape.c,
                side: p.shape.h,
                classes: Vec::new(),
            },
            own,
        };
        self.control.link.emit(Event::Upscaled(Box::new(answer)));
    }
}

/// The comparison of the run's fixed held-out images (rows: low-res, bicubic, pixel network,
/// GAN network once it exists, high-res).
pub(super) fn snapshot(built: &Built) -> Event {
    Event::Snapshot {
        step: built.run.step,
        samples: comparison(&built.run, &built.compared, super::COMPARED),
    }
}

pub(super) fn info(built: &Built, backend: &Backend, origin: RunOrigin) -> RunInfo {
    let set = &built.train;
    let run = &built.run;
    let preview = built
        .held
        .gather(&(0..built.held.len().min(64)).collect::<Vec<_>>());
    RunInfo {
        origin,
        backend: backend.name.clone(),
        fallback_note: backend.note.clone(),
        setup: RunSetup::Superres(Box::new(built.preset.clone())),
        family: &DESCRIPTION,
        data_notes: vec![format!(
            "{} training images, {} held out",
            set.len(),
            built.held.len()
        )],
        sample_len: set.image_len(),
        channels: set.channels,
        side: set.height,
        classes: set.num_classes(),
        class_names: set.class_names.clone(),
        g_params: run.pixel.num_params(),
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
