//! The panels. Each reads the [`RunView`] and pushes [`Action`]s; none performs an effect
//! while the layout is being drawn (the app applies the actions at the end of the frame).

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::decimate::{Curve, Shaping};
use super::view::RunView;
use crate::engine::export::grid_pixels;
use crate::engine::trainer::protocol::Samples;

/// What the user asked for during this frame.
#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Apply this edited configuration between steps.
    ApplyConfig(Box<crate::engine::config::TrainConfig>),
    /// Load a preset file and restart the run on it.
    LoadPreset(std::path::PathBuf),
    Play,
    Pause,
    StepD,
    StepG,
    StepRound,
    ResetSameSeed,
    ResetNewSeed(u64),
    RestoreLastGood,
    DismissMessages,
    /// Show snapshot `n` of the history (None: follow the newest).
    ShowSnapshot(Option<usize>),
    /// Open or close the latent explorer.
    ToggleExplorer,
    /// Switch between the light and the dark theme.
    ToggleTheme,
    /// Slow motion: milliseconds between rounds while playing.
    SetPace(u32),
    /// Open a file dialog for this job.
    File(super::files::FileJob),
    /// Ask the trainer to render the explorer's latent vectors.
    RenderLatents,
    /// Keep a copy of the current run for comparison.
    KeepRun,
    /// Restart the run on these drawn 2D points.
    TrainOnDrawing(Vec<[f32; 2]>),
}

/// Space: play/pause; S: one round; R: reset with the same seed.
pub fn keyboard_actions(ctx: &egui::Context, view: &RunView) -> Vec<Action> {
    let mut actions = Vec::new();
    if ctx.egui_wants_keyboard_input() {
        return actions;
    }
    ctx.input(|i| {
        if i.key_pressed(egui::Key::Space) {
            actions.push(if view.running {
                Action::Pause
            } else {
                Action::Play
            });
        }
        if i.key_pressed(egui::Key::S) {
            actions.push(Action::StepRound);
        }
        if i.key_pressed(egui::Key::R) {
            actions.push(Action::ResetSameSeed);
        }
    });
    actions
}

/// Play/pause, single steps, resets, and what is running where.
pub fn controls_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    pace_ms: u32,
    preset: &str,
    backend: &str,
    backend_note: Option<&str>,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        ui.menu_button("File", |ui| {
            use super::files::FileJob;
            for (label, job) in [
                ("Save checkpoint…", FileJob::SaveCheckpoint),
                ("Load checkpoint…", FileJob::LoadCheckpoint),
                ("Export samples (PNG)…", FileJob::ExportSamples),
                ("Export metrics (CSV)…", FileJob::ExportMetrics),
                ("Export timelapse (GIF)…", FileJob::ExportTimelapse),
                ("Save setup as preset…", FileJob::SavePreset),
            ] {
                if ui.button(label).clicked() {
                    actions.push(Action::File(job));
                }
            }
        });
        let theme = if ui.visuals().dark_mode {
            "Light theme"
        } else {
            "Dark theme"
        };
        if ui.button(theme).clicked() {
            actions.push(Action::ToggleTheme);
        }
        let play = if view.running { "Pause" } else { "Play" };
        if ui
            .button(play)
            .on_hover_text("Train continuously (Space)")
            .clicked()
        {
            actions.push(if view.running {
                Action::Pause
            } else {
                Action::Play
            });
        }
        if ui
            .button("D step")
            .on_hover_text("One discriminator update: only D's weights move")
            .clicked()
        {
            actions.push(Action::StepD);
        }
        if ui
            .button("G step")
            .on_hover_text("One generator update: only G's weights move")
            .clicked()
        {
            actions.push(Action::StepG);
        }
        if ui
            .button("Step")
            .on_hover_text("One full round: d_steps D updates, then g_steps G updates (S)")
            .clicked()
        {
            actions.push(Action::StepRound);
        }
        if ui
            .button("Reset")
            .on_hover_text("Start again from step 0 with the same seed (R)")
            .clicked()
        {
            actions.push(Action::ResetSameSeed);
        }
        if ui
            .button("New seed")
            .on_hover_text("Start again from step 0 with another seed")
            .clicked()
        {
            let seed = (view.step ^ 0x9E37_79B9).wrapping_mul(6_364_136_223_846_793_005) >> 16;
            actions.push(Action::ResetNewSeed(seed));
        }
        let mut pace = pace_ms;
        let slow = egui::Slider::new(&mut pace, 0..=2000)
            .text("ms/round")
            .logarithmic(true);
        if ui
            .add(slow)
            .on_hover_text(
                "Slow motion: a pause between training rounds while playing (0: full speed)",
            )
            .changed()
        {
            actions.push(Action::SetPace(pace));
        }
        if ui
            .button("Latent explorer")
            .on_hover_text("Move through G's latent space: sliders, classes, interpolation")
            .clicked()
        {
            actions.push(Action::ToggleExplorer);
        }
        if view.diverged && ui.button("Restore last good").clicked() {
            actions.push(Action::RestoreLastGood);
        }
        ui.separator();
        ui.label(format!("step {}", view.step));
        if let Some(last) = view.history.last() {
            ui.label(format!("{:.1} ms/update", last.millis));
        }
        ui.separator();
        ui.label(preset);
        ui.separator();
        let backend_label = ui.label(backend);
        if let Some(note) = backend_note {
            backend_label.on_hover_text(note);
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "(CPU fallback: hover the backend)",
            );
        }
    });
}

/// The user-facing messages, newest last, with a dismiss button.
pub fn messages_ui(ui: &mut egui::Ui, view: &RunView, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        if ui
            .button("Dismiss")
            .on_hover_text("Clear these messages")
            .clicked()
        {
            actions.push(Action::DismissMessages);
        }
        ui.vertical(|ui| {
            for m in view.messages.iter().rev().take(3) {
                let color = if m.starts_with("Error") || m.starts_with("Training diverged") {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().text_color()
                };
                ui.colored_label(color, m);
            }
        });
    });
}

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

/// The six curves, shaped and bucketed for drawing ([`Curve`]): each new step is added in
/// O(1); a cleared history or new settings rebuild them once.
#[derive(Default)]
pub struct PlotCache {
    /// (history version, shaping) the curves were built with.
    key: Option<(u64, u32, bool)>,
    /// History entries already in the curves.
    consumed: usize,
    curves: Vec<Curve>,
}

impl PlotCache {
    pub fn update(&mut self, view: &RunView, settings: PlotSettings) {
        let key = (
            view.history_version,
            settings.smoothing.to_bits(),
            settings.log_scale,
        );
        if self.key != Some(key) || self.consumed > view.history.len() {
            let shaping = Shaping {
                smoothing: settings.smoothing as f64,
                log_scale: settings.log_scale,
            };
            self.curves = vec![Curve::new(shaping); 6];
            self.consumed = 0;
            self.key = Some(key);
        }
        for s in &view.history[self.consumed..] {
            let x = s.step as f64;
            for (curve, v) in self.curves.iter_mut().zip(s.curves()) {
                curve.push(x, v as f64);
            }
        }
        self.consumed = view.history.len();
    }

    /// Points to draw for curve `i` (G loss, D loss, D(real), D(fake), G and D gradient norms).
    pub fn points(&self, i: usize) -> Vec<[f64; 2]> {
        self.curves.get(i).map(Curve::points).unwrap_or_default()
    }
}

/// Loss curves, D's outputs and gradient norms over steps.
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
    let series = |i: usize| PlotPoints::new(cache.points(i));
    let height = (ui.available_height() / 3.0 - 24.0).max(100.0);
    ui.label("Losses").on_hover_text("Click a legend entry to hide its curve; drag to pan, scroll to zoom, double-click to reset");
    Plot::new("losses")
        .height(height)
        .legend(Legend::default())
        .show(ui, |p| {
            p.line(Line::new("G loss", series(0)));
            p.line(Line::new("D loss", series(1)));
        });
    ui.label("D's output on real and generated samples");
    Plot::new("d_outputs")
        .height(height)
        .legend(Legend::default())
        .show(ui, |p| {
            p.line(Line::new("mean D(real)", series(2)));
            p.line(Line::new("mean D(fake)", series(3)));
        });
    ui.label("Gradient norms").on_hover_text("L2 norm of all of G's (D's) weight gradients in an update: vanishing or exploding gradients show here");
    Plot::new("grad_norms")
        .height(height)
        .legend(Legend::default())
        .show(ui, |p| {
            p.line(Line::new("G gradient norm", series(4)));
            p.line(Line::new("D gradient norm", series(5)));
        });
}

/// A slider over the snapshot history: scrub back to see when the samples changed (a collapse
/// shows as the grid or the points losing variety).
fn history_ui(ui: &mut egui::Ui, view: &RunView, actions: &mut Vec<Action>) {
    let n = view.snapshots.len();
    if n < 2 {
        return;
    }
    ui.horizontal(|ui| {
        let newest = n - 1;
        let mut index = view.pinned.unwrap_or(newest);
        let step_at = |i: usize| view.snapshots.get(i).map_or(0, |(s, _)| *s);
        let label = format!("history: step {}", step_at(index));
        ui.spacing_mut().slider_width = (ui.available_width() - 260.0).max(120.0);
        let slider = egui::Slider::new(&mut index, 0..=newest)
            .show_value(false)
            .text(label);
        if ui
            .add(slider)
            .on_hover_text("Scrub through earlier snapshots of the same fixed noise")
            .changed()
        {
            actions.push(Action::ShowSnapshot((index < newest).then_some(index)));
        }
        if view.pinned.is_some() && ui.button("Follow newest").clicked() {
            actions.push(Action::ShowSnapshot(None));
        }
    });
}

/// The fixed-noise samples: an image grid, or points over the real distribution.
pub fn samples_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    texture: Option<&egui::TextureHandle>,
    field: Option<(&egui::TextureHandle, f32)>,
    layers: &mut super::plane::PlaneToggles,
    sketch: &mut super::plane::Sketch,
    actions: &mut Vec<Action>,
) {
    let Some((step, _)) = view.shown() else {
        ui.label("Building the run…");
        return;
    };
    history_ui(ui, view, actions);
    ui.horizontal(|ui| {
        ui.heading(format!("Samples at step {step}"));
        if let Some(decay) = view.info.as_ref().and_then(|i| i.config.tricks.ema) {
            let now = crate::engine::nn::params::ema_decay_at(decay, *step);
            ui.label(format!("from the EMA of G ({decay})")).on_hover_text(format!(
                "These samples come from a moving average of G's weights over about the last {:.0} steps \
                 (the span grows with the run up to {:.0}): smoother than G's own, usually better late in training.",
                1.0 / (1.0 - now as f64).max(1e-9),
                1.0 / (1.0 - decay as f64).max(1e-9)
            ));
        }
        for (name, label) in [
            ("modes_covered", "modes"),
            ("high_quality_pct", "% high quality"),
        ] {
            if let Some(v) = view.metric_at(name, *step) {
                ui.label(format!("{label}: {v:.0}"));
            }
        }
    });
    if let Some(tex) = texture {
        let size = ui.available_size().min_elem();
        ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(size, size)));
        return;
    }
    super::plane::plane_ui(ui, view, field, layers, sketch, actions);
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
