//! The window of the StyleGAN family: the same trainer protocol, controls, curves and
//! messages as the other windows, with the family's own views: the EMA generator's samples on
//! fixed latents with their history; the studio (the style-mixing grid with a layer picker,
//! truncation ψ, the focus image with per-layer style sliders, the principal directions of w
//! as sliders, noise per layer with the stochastic variation it makes); the quality metrics.

mod studio;
mod studio_ui;
mod views;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eframe::egui;

use super::action::{Action, keyboard_actions};
use super::close_guard::{CloseGuard, close_dialog_ui};
use super::controls::Bar;
use super::family_frame::{
    Bars, bars_ui, frame_effects, presets_and_view, repaint_waker, run_command, window_action,
};
use super::files::{self, Dialogs, FileJob};
use super::panels::{self, PlotCache, PlotSettings};
use super::preset_list::PresetList;
use super::recovery::{self, Answer, Recovery, recovery_ui};
use super::shell::Opening;
use super::view::RunView;
use crate::engine::backend::Backend;
use crate::engine::stylegan::preset::StylePreset;
use crate::engine::trainer::protocol::{Command, Event, RunSetup};
use crate::engine::trainer::thread::Trainer;
pub use studio::Studio;

/// What the left panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LeftTab {
    Curves,
    Metrics,
}

/// The StyleGAN window.
pub struct StyleApp {
    trainer: Trainer,
    backend: Backend,
    pub(in crate::gui) view: RunView,
    preset_name: String,
    presets: PresetList,
    plot_settings: PlotSettings,
    plot_cache: PlotCache,
    left_tab: LeftTab,
    dialogs: Dialogs,
    ctx: egui::Context,
    samples_texture: Option<(u64, egui::TextureHandle)>,
    pub(in crate::gui) studio: Studio,
    close_guard: CloseGuard,
    /// A preset of another family picked here: the shell opens its window.
    switch_to: Option<PathBuf>,
    pace_ms: u32,
    pub(in crate::gui) recovery: Recovery,
}

impl StyleApp {
    /// Starts a StyleGAN trainer thread on `preset`, waking the window when it reports.
    #[cfg(test)]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        preset: StylePreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::open(&Opening::from(cc), preset, backend, play)
    }

    /// [`StyleApp::new`] from what the shell keeps of eframe's context.
    pub fn open(
        opening: &Opening<'_>,
        preset: StylePreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let ctx = opening.ctx.clone();
        let waker = repaint_waker(opening);
        let preset_name = preset.name.clone();
        let trainer = Trainer::spawn_style(preset, backend.clone(), Some(waker))?;
        if play {
            let _ = trainer.send(Command::Play);
        }
        let (presets, view) = presets_and_view();
        Ok(Self {
            trainer,
            backend,
            view,
            preset_name,
            presets,
            plot_settings: PlotSettings::default(),
            plot_cache: PlotCache::default(),
            left_tab: LeftTab::Curves,
            dialogs: Dialogs::default(),
            ctx,
            samples_texture: None,
            studio: Studio::default(),
            close_guard: CloseGuard::default(),
            switch_to: None,
            pace_ms: 0,
            recovery: Recovery::at(recovery::stylegan_path()),
        })
    }

    /// The preset of another family the user picked here, once: the shell opens its window.
    pub fn take_switch(&mut self) -> Option<PathBuf> {
        self.switch_to.take()
    }

    /// Shows `message` among the window's messages.
    pub fn note(&mut self, message: String) {
        self.view.messages.push(message);
    }

    fn drain_events(&mut self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(8) {
            match self.trainer.try_recv() {
                Some(Event::Styled(answer)) => self.studio.receive(*answer, &self.ctx),
                Some(Event::Ready(info)) => {
                    if let RunSetup::Style(p) = &info.setup {
                        self.preset_name = p.name.clone();
                    }
                    if info.fresh() {
                        // The studio's settings stay (resized when the layers differ); its
                        // images are drawn again from the new run.
                        self.studio.refresh();
                    }
                    self.view.apply(Event::Ready(info));
                }
                Some(event) => self.view.apply(event),
                None => break,
            }
        }
        if let Some(why) = self.trainer.stopped_unexpectedly() {
            self.view.trainer_gone(&why);
        }
    }

    pub(in crate::gui) fn send(&mut self, command: Command) {
        if let Err(e) = self.trainer.send(command) {
            self.view.messages.push(format!("Error: {e}"));
        }
    }

    fn samples_texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureHandle> {
        let (_, samples) = self.view.shown()?;
        if let Some((v, tex)) = &self.samples_texture
            && *v == self.view.snapshot_version
        {
            return Some(tex.clone());
        }
        let image = panels::samples_image(samples, None);
        let tex = ctx.load_texture("style-samples", image, egui::TextureOptions::NEAREST);
        self.samples_texture = Some((self.view.snapshot_version, tex.clone()));
        Some(tex)
    }

    fn load_preset(&mut self, path: &Path) {
        let own = crate::engine::stylegan::DESCRIPTION.key;
        if super::hand_over(path, own, &mut self.switch_to, &mut self.view.messages) {
            return;
        }
        match StylePreset::load(path) {
            Ok(p) => {
                self.preset_name = p.name.clone();
                self.send(Command::Rebuild(Box::new(RunSetup::Style(Box::new(p)))));
            }
            Err(e) => self.view.messages.push(format!("Error: {e}")),
        }
    }

    fn file_chosen(&mut self, job: FileJob, path: PathBuf) {
        match job {
            FileJob::SaveCheckpoint => self.send(Command::SaveCheckpoint(path)),
            FileJob::LoadCheckpoint => self.send(Command::LoadCheckpoint(path)),
            _ => {
                let message =
                    files::export(job, &path, &self.view, &self.preset_name, &self.dialogs);
                self.view
                    .messages
                    .push(message.unwrap_or_else(|e| format!("Error: {e}")));
            }
        }
    }

    fn apply(&mut self, actions: Vec<Action>) {
        for action in actions {
            let action = match run_command(action) {
                Ok(command) => {
                    self.send(command);
                    continue;
                }
                Err(action) => action,
            };
            let Some(action) = window_action(action, &mut self.view, &mut self.dialogs, &self.ctx)
            else {
                continue;
            };
            match action {
                Action::LoadPreset(path) | Action::LessonPreset(path) => self.load_preset(&path),
                _ => self.view.messages.push(
                    "Error: that belongs to another window (a StyleGAN run's latent space is explored in its studio)".into(),
                ),
            }
        }
    }

    fn left_panel_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.left_tab, LeftTab::Curves, "Training curves");
            ui.selectable_value(&mut self.left_tab, LeftTab::Metrics, "Quality metrics")
                .on_hover_text("FID-lite, PRDC, classes, the mixing check and the path length, every metrics_every rounds");
        });
        match self.left_tab {
            LeftTab::Curves => {
                panels::plots_ui(
                    ui,
                    &self.view,
                    &mut self.plot_settings,
                    &mut self.plot_cache,
                );
            }
            LeftTab::Metrics => views::metrics_ui(ui, &self.view),
        }
    }
}

impl eframe::App for StyleApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events();
        let effects = frame_effects(
            ctx,
            &mut self.view,
            &mut self.close_guard,
            &mut self.recovery,
            &mut self.dialogs,
        );
        if let Some(copy) = effects.copy {
            self.send(copy);
        }
        if let Some((job, path)) = effects.chosen {
            self.file_chosen(job, path);
        }
        if let Some(path) = effects.dropped {
            self.view.messages.push(format!(
                "{} dropped: a StyleGAN run takes its images from its preset's [data] (load a checkpoint with File > Load checkpoint…)",
                path.display()
            ));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let mut actions = keyboard_actions(&ctx, &self.view);
        let preset = crate::gui::preset_list::readable(&self.preset_name);
        let bar = Bar {
            pace_ms: self.pace_ms,
            preset: &preset,
            preset_changed: false,
            backend: &self.backend.name,
            backend_note: self.backend.note.as_deref(),
        };
        let bars = Bars {
            file_jobs: &[
                ("Save checkpoint…", FileJob::SaveCheckpoint),
                ("Load checkpoint…", FileJob::LoadCheckpoint),
                ("Export samples (PNG)…", FileJob::ExportSamples),
                ("Export metrics (CSV)…", FileJob::ExportMetrics),
                ("Export timelapse (GIF)…", FileJob::ExportTimelapse),
            ],
            pace_hint: "Slow motion: a pause after each round while playing (0: full speed)",
            status: bar,
        };
        bars_ui(ui, &self.view, &bars, &mut self.pace_ms, &mut actions);
        let width = ctx.content_rect().width();
        egui::Panel::right("setup")
            .default_size((width * 0.16).clamp(200.0, 300.0))
            .resizable(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    views::setup_ui(ui, &self.view, &self.presets, &mut actions);
                });
            });
        egui::Panel::left("plots")
            .default_size((width * 0.2).clamp(240.0, 380.0))
            .resizable(true)
            .show(ui, |ui| self.left_panel_ui(ui));
        let texture = self.samples_texture(&ctx);
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            let width = ui.available_width();
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.set_max_width(width);
                recovered = recovery_ui(ui, &self.recovery);
                // Samples on the left, the mixing grid on the right, each wrapping its text
                // in its own width.
                let left = (width * 0.42).max(200.0);
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width(left);
                        views::samples_ui(ui, left, &self.view, texture.as_ref(), &mut actions);
                    });
                    ui.separator();
                    let right = (ui.available_width() - 8.0).max(200.0);
                    ui.vertical(|ui| {
                        ui.set_width(right);
                        studio_ui::mixing_ui(ui, &mut self.studio, right);
                    });
                });
                ui.separator();
                studio_ui::focus_ui(ui, &mut self.studio);
            });
        });
        if let Some(request) = self.studio.wanted(&self.view) {
            self.send(Command::Style(Box::new(request)));
        }
        if let Some(answer) = recovered {
            if let Answer::Restore(path) = &answer {
                self.send(Command::LoadCheckpoint(path.clone()));
            }
            self.recovery.answer(&answer);
        }
        close_dialog_ui(&ctx, &mut self.close_guard, &mut actions);
        self.apply(actions);
    }

    fn on_exit(&mut self) {
        self.recovery.exit();
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
