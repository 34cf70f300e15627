//! The training curves and the samples view. Each panel reads the [`RunView`] and pushes
//! [`Action`]s; none performs an effect while the layout is being drawn (the app applies the
//! actions at the end of the frame).

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::action::Action;
use super::decimate::{Curve, Shaping};
use super::view::RunView;
use crate::engine::export::grid_pixels;
use crate::engine::trainer::protocol::Samples;

/// How the curves are drawn (the data are kept whole).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PlotSettings {
    /// Plot sign(y)·log10(1 + |y|): keeps WGAN's large and negative values readable.
    pub log_scale: bool,
    /// Exponential smoothing of each curve, 0 (raw) to 0.99.
    pub smoothing: f32,
}

impl Default for PlotSettings {
    fn default() -> Self {
        Self {
            log_scale: false,
            smoothing: 0.0,
        }
    }
}

/// The family's curves, shaped and bucketed for drawing ([`Curve`]): each new step is added
/// in O(1); a cleared history, another family or new settings rebuild them once.
#[derive(Default)]
pub struct PlotCache {
    /// (history version, family, shaping) the curves were built with.
    key: Option<(u64, &'static str, u32, bool)>,
    /// History entries already in the curves.
    consumed: usize,
    curves: Vec<Curve>,
}

impl PlotCache {
    pub fn update(&mut self, view: &RunView, settings: PlotSettings) {
        let family = view.family();
        let key = (
            view.history_version,
            family.key,
            settings.smoothing.to_bits(),
            settings.log_scale,
        );
        if self.key != Some(key) || self.consumed > view.history.len() {
            let shaping = Shaping {
                smoothing: settings.smoothing as f64,
                log_scale: settings.log_scale,
            };
            self.curves = vec![Curve::new(shaping); family.curves.len()];
            self.consumed = 0;
            self.key = Some(key);
        }
        for s in &view.history[self.consumed..] {
            let x = s.step as f64;
            for (curve, v) in self.curves.iter_mut().zip(&s.values) {
                curve.push(x, *v as f64);
            }
        }
        self.consumed = view.history.len();
    }

    /// Points to draw for curve `i` of the family's description.
    pub fn points(&self, i: usize) -> Vec<[f64; 2]> {
        self.curves.get(i).map(Curve::points).unwrap_or_default()
    }
}

/// The family's plots over steps (for a GAN: losses, D's outputs, gradient norms), each with
/// the curves its description puts there.
pub fn plots_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    settings: &mut PlotSettings,
    cache: &mut PlotCache,
) {
    ui.horizontal(|ui| {
        ui.checkbox(&mut settings.log_scale, "log scale")
            .on_hover_text(
                "sign(y)·log10(1 + |y|): large spikes and negative critic values stay readable",
            );
        ui.add(egui::Slider::new(&mut settings.smoothing, 0.0..=0.99).text("smoothing"))
            .on_hover_text("Exponential moving average of each curve (the data are kept raw)");
    });
    cache.update(view, *settings);
    let family = view.family();
    let plots = family.plots.len().max(1) as f32;
    let height = (ui.available_height() / plots - 24.0).max(100.0);
    for (p, plot) in family.plots.iter().enumerate() {
        ui.label(plot.title).on_hover_text(plot.hint);
        Plot::new(plot.id)
            .height(height)
            .legend(Legend::default())
            .show(ui, |pl| {
                for (i, curve) in family.curves_in(p) {
                    pl.line(Line::new(curve.label, PlotPoints::new(cache.points(i))));
                }
            });
    }
}

/// A slider over the snapshot history: scrub back to see when the samples changed (a collapse
/// shows as the grid or the points losing variety). Always one row high (disabled until there
/// is history), so the view below does not jump.
pub(super) fn history_ui(ui: &mut egui::Ui, view: &RunView, actions: &mut Vec<Action>) {
    let n = view.snapshots.len();
    ui.horizontal(|ui| {
        let newest = n.saturating_sub(1);
        let mut index = view.pinned.unwrap_or(newest);
        let step_at = |i: usize| view.snapshots.get(i).map_or(0, |(s, _)| *s);
        let label = format!("history: step {}", step_at(index));
        ui.spacing_mut().slider_width = (ui.available_width() - 280.0).max(120.0);
        let slider = egui::Slider::new(&mut index, 0..=newest.max(1))
            .show_value(false)
            .text(label);
        if ui
            .add_enabled(n >= 2, slider)
            .on_hover_text("Scrub through earlier snapshots of the same fixed noise")
            .changed()
        {
            actions.push(Action::ShowSnapshot((index < newest).then_some(index)));
        }
        if ui
            .add_enabled(view.pinned.is_some(), egui::Button::new("Follow newest"))
            .clicked()
        {
            actions.push(Action::ShowSnapshot(None));
        }
    });
}

/// The heading over the samples: the step, where the samples come from, and the mode count
/// in large type (readable from the back of a classroom).
fn heading_ui(ui: &mut egui::Ui, view: &RunView, step: u64) {
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!("Samples at step {step}"));
        if let Some(decay) = view.gan_config().and_then(|c| c.tricks.ema) {
            let now = crate::engine::nn::params::ema_decay_at(decay, step);
            ui.label(format!("from the EMA of G ({decay})")).on_hover_text(format!(
                "These samples come from a moving average of G's weights over about the last {:.0} steps \
                 (the span grows with the run up to {:.0}): smoother than G's own, usually better late in training.",
                1.0 / (1.0 - now as f64).max(1e-9),
                1.0 / (1.0 - decay as f64).max(1e-9)
            ));
        }
        let modes = view.info.as_ref().map_or(0, |i| i.modes.len());
        if modes > 0 {
            let covered = view.metric_at("modes_covered", step);
            let text = covered.map_or_else(
                || format!("modes: – / {modes}"),
                |v| format!("modes: {v:.0} / {modes}"),
            );
            let colour = match covered {
                Some(v) if v as usize >= modes => egui::Color32::from_rgb(40, 150, 80),
                Some(_) => egui::Color32::from_rgb(210, 60, 50),
                None => ui.visuals().weak_text_color(),
            };
            ui.label(egui::RichText::new(text).size(26.0).strong().color(colour))
                .on_hover_text("Modes of the data G covers (PacGAN's rule: 20 of 2,500 samples within 3σ), at the last evaluation");
            if let Some(v) = view.metric_at("high_quality_pct", step) {
                ui.label(egui::RichText::new(format!("{v:.0} % high quality")).size(20.0))
                    .on_hover_text("Share of samples within 3σ of a mode");
            }
        }
    });
}

/// The fixed-noise samples: an image grid, or points over the real distribution.
pub fn samples_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    texture: Option<&egui::TextureHandle>,
    plane: &mut super::plane::PlaneState,
    actions: &mut Vec<Action>,
) {
    let Some((step, _)) = view.shown() else {
        if view.build_failed.is_none() {
            ui.label("Building the run…");
        }
        return;
    };
    history_ui(ui, view, actions);
    heading_ui(ui, view, *step);
    if let Some(tex) = texture {
        let size = ui.available_size().min_elem();
        ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(size, size)));
        return;
    }
    super::plane::plane_ui(ui, view, plane, actions);
}

/// Samples as a grid image, `columns` wide (a square grid when None).
pub fn samples_image(samples: &Samples, columns: Option<usize>) -> egui::ColorImage {
    let columns = columns.unwrap_or_else(|| crate::engine::export::grid_columns(samples));
    let (w, h, px) = grid_pixels(samples, columns);
    if samples.channels == 1 {
        egui::ColorImage::from_gray([w, h], &px)
    } else {
        egui::ColorImage::from_rgb([w, h], &px)
    }
}
