//! What the app keeps in step with the trainer's news between frames: the sample grid's and
//! the explorer's textures, and the 2D view's requests for D's field over the area on screen.

use std::time::Instant;

use eframe::egui;

use super::app::GanvasApp;
use super::panels;
use super::plane::{field_interval, field_resolution};
use crate::engine::trainer::protocol::{Command, PlaneBounds};

/// Whether two areas differ by more than a few percent of their size (a pan or a zoom).
fn moved(a: PlaneBounds, b: PlaneBounds) -> bool {
    let tolerance = 0.03 * a.span().max(b.span());
    (0..2)
        .any(|i| (a.min[i] - b.min[i]).abs() > tolerance || (a.max[i] - b.max[i]).abs() > tolerance)
}

impl GanvasApp {
    /// Textures for the explorer's answers (images only; points are shown as numbers).
    pub(super) fn explorer_textures(
        &mut self,
        ctx: &egui::Context,
    ) -> [Option<egui::TextureHandle>; 2] {
        let answers = [
            (self.explorer.single.as_ref(), Some(1)),
            (self.explorer.strip.as_ref(), Some(8)),
        ];
        let mut out = [None, None];
        for (i, (samples, columns)) in answers.into_iter().enumerate() {
            let Some(samples) = samples.filter(|s| s.side > 0) else {
                continue;
            };
            let fresh =
                matches!(&self.explorer_textures[i], Some((v, _)) if *v == self.renders_received);
            if !fresh {
                let image = panels::samples_image(samples, columns);
                let tex =
                    ctx.load_texture(format!("explorer{i}"), image, egui::TextureOptions::NEAREST);
                self.explorer_textures[i] = Some((self.renders_received, tex));
            }
            out[i] = self.explorer_textures[i].as_ref().map(|(_, t)| t.clone());
        }
        out
    }

    /// Asks for D's field after each new snapshot of 2D data and whenever the visible area
    /// moved, spaced by what the layers cost the trainer while it trains.
    pub(super) fn request_field(&mut self) {
        let Some(info) = self.view.info.as_ref() else {
            return;
        };
        if !self.plane.toggles.needs_trainer() || info.sample_len != 2 {
            return;
        }
        let Some(visible) = self.plane.visible.filter(PlaneBounds::is_valid) else {
            return;
        };
        let running = self.view.running;
        let due = match (running, self.field_asked_at, &self.view.d_field) {
            (true, Some(at), Some(last)) => at.elapsed() >= field_interval(last.compute_ms),
            _ => true,
        };
        let stale = match self.field_asked {
            Some((version, bounds)) => {
                version != self.view.snapshot_version || moved(bounds, visible)
            }
            None => true,
        };
        if stale && due {
            self.field_asked = Some((self.view.snapshot_version, visible));
            self.field_asked_at = Some(Instant::now());
            self.send(Command::DField {
                resolution: field_resolution(running),
                bounds: visible,
            });
        }
    }

    pub(super) fn samples_texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureHandle> {
        let (step_version, samples) = match self.view.shown() {
            Some((_, s)) if s.side > 0 => (self.view.snapshot_version, s),
            _ => return None,
        };
        if let Some((v, tex)) = &self.samples_texture
            && *v == step_version
        {
            return Some(tex.clone());
        }
        let image = panels::samples_image(samples, None);
        let tex = ctx.load_texture("samples", image, egui::TextureOptions::NEAREST);
        self.samples_texture = Some((step_version, tex.clone()));
        Some(tex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pan_or_zoom_asks_again_and_a_jitter_does_not() {
        let a = PlaneBounds::square(2.0);
        let jitter = PlaneBounds {
            min: [-2.01, -2.0],
            max: [2.0, 2.01],
        };
        assert!(!moved(a, jitter));
        assert!(moved(a, PlaneBounds::square(3.0)), "zoomed out");
        let panned = PlaneBounds {
            min: [-1.0, -2.0],
            max: [3.0, 2.0],
        };
        assert!(moved(a, panned));
    }
}
