//! The window of the super-resolution family: the same trainer protocol, controls, curves and
//! messages as the other windows, with the family's own views: the comparison of fixed
//! held-out images (low-res, bicubic, pixel network, GAN network, high-res) with its history;
//! the hallucination slider (ESRGAN's interpolation of the two networks' weights) with a swipe
//! divider between its output and bicubic; the user's own image upscaled live; the metrics
//! and the perception–distortion plane.

mod images;
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
use crate::engine::data::files::decode_image;
use crate::engine::superres::preset::SrPreset;
use crate::engine::superres::tiles::Picture;
use crate::engine::trainer::protocol::{Command, Event, RunSetup, UpscaleRequest};
use crate::engine::trainer::thread::Trainer;
use images::Hallucination;

/// The longest side of an own image the window upscales (larger ones are shrunk to it
/// first, so that an upscale takes a moment, not the trainer's minutes; `ganvas upscale`
/// takes any size).
pub const OWN_IMAGE_MOST: usize = 96;

/// What the left panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LeftTab {
    Curves,
    Metrics,
}

/// The super-resolution window.
pub struct SuperresApp {
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
    comparison_texture: Option<(u64, egui::TextureHandle)>,
    /// The hallucination slider, the swipe, the own image and their upscales.
    pub(in crate::gui) live: Hallucination,
    close_guard: CloseGuard,
    /// A preset of another family picked here: the shell opens its window.
    switch_to: Option<PathBuf>,
    pace_ms: u32,
    pub(in crate::gui) recovery: Recovery,
}

impl SuperresApp {
    /// Starts a super-resolution trainer thread on `preset`, waking the window when it reports.
    #[cfg(test)]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        preset: SrPreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::open(&Opening::from(cc), preset, backend, play)
    }

    /// [`SuperresApp::new`] from what the shell keeps of eframe's context.
    pub fn open(
        opening: &Opening<'_>,
        preset: SrPreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let ctx = opening.ctx.clone();
        let waker = repaint_waker(opening);
        let preset_name = preset.name.clone();
        let trainer = Trainer::spawn_superres(preset, backend.clone(), Some(waker))?;
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
            comparison_texture: None,
            live: Hallucination::default(),
            close_guard: CloseGuard::default(),
            switch_to: None,
            pace_ms: 0,
            recovery: Recovery::at(recovery::superres_path()),
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
                Some(Event::Upscaled(answer)) => self.live.receive(*answer, &self.ctx),
                Some(Event::Ready(info)) => {
                    if let RunSetup::Superres(p) = &info.setup {
                        self.preset_name = p.name.clone();
                    }
                    if info.fresh() {
                        self.live.new_run();
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

    fn comparison_texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureHandle> {
        let (_, samples) = self.view.shown()?;
        if let Some((v, tex)) = &self.comparison_texture
            && *v == self.view.snapshot_version
        {
            return Some(tex.clone());
        }
        let image = panels::samples_image(samples, None);
        let tex = ctx.load_texture("sr-comparison", image, egui::TextureOptions::NEAREST);
        self.comparison_texture = Some((self.view.snapshot_version, tex.clone()));
        Some(tex)
    }

    /// An image file of one's own, as the run's channels (shrunk when large).
    fn open_image(&mut self, path: &Path) {
        let Some(info) = &self.view.info else { return };
        match decode_image(path) {
            Ok(img) => {
                let (picture, shrunk) = Picture::fitted(&img, info.channels, OWN_IMAGE_MOST);
                if picture.width < 2 || picture.height < 2 {
                    self.view.messages.push(format!(
                        "Error: {} is {}×{} px: an input needs at least 2×2 pixels",
                        path.display(),
                        picture.width,
                        picture.height
                    ));
                    return;
                }
                if shrunk {
                    self.view.messages.push(format!(
                        "{} is {}×{} px: shrunk to {}×{} for the window (ganvas upscale takes any size).",
                        path.display(),
                        img.width(),
                        img.height(),
                        picture.width,
                        picture.height
                    ));
                }
                let name = path
                    .file_name()
                    .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
                self.live.set_own(picture, name);
            }
            Err(e) => self.view.messages.push(format!(
                "Error: {} is not an image ganvas can read: {e}",
                path.display()
            )),
        }
    }

    fn load_preset(&mut self, path: &Path) {
        if super::hand_over(
            path,
            "superres",
            &mut self.switch_to,
            &mut self.view.messages,
        ) {
            return;
        }
        match SrPreset::load(path) {
            Ok(p) => {
                self.preset_name = p.name.clone();
                self.send(Command::Rebuild(Box::new(RunSetup::Superres(Box::new(p)))));
            }
            Err(e) => self.view.messages.push(format!("Error: {e}")),
        }
    }

    fn file_chosen(&mut self, job: FileJob, path: PathBuf) {
        match job {
            FileJob::SaveCheckpoint => self.send(Command::SaveCheckpoint(path)),
            FileJob::LoadCheckpoint => self.send(Command::LoadCheckpoint(path)),
            FileJob::OpenImage => self.open_image(&path),
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
                    "Error: that belongs to another window (a super-resolution run has no latent space, 2D view or translation)".into(),
                ),
            }
        }
    }

    fn left_panel_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.left_tab, LeftTab::Curves, "Training curves");
            ui.selectable_value(&mut self.left_tab, LeftTab::Metrics, "Quality metrics")
                .on_hover_text("PSNR, SSIM, FID-lite and accuracy on held-out images, every metrics_every rounds, and the perception–distortion plane");
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

    /// Asks the trainer for what the hallucination view needs and does not have.
    fn request_upscale(&mut self) {
        if let Some((id, mix, own)) = self.live.wanted(&self.view) {
            self.send(Command::Upscale(UpscaleRequest { id, mix, own }));
        }
    }

    /// The latest answer, for tests.
    #[cfg(test)]
    pub(in crate::gui) fn last_upscaled(
        &self,
    ) -> Option<&crate::engine::trainer::protocol::Upscaled> {
        self.live.answer.as_ref()
    }
}

impl eframe::App for SuperresApp {
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
            self.open_image(&path);
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
                ("Open image to upscale…", FileJob::OpenImage),
                ("Export comparison (PNG)…", FileJob::ExportSamples),
                ("Export metrics (CSV)…", FileJob::ExportMetrics),
                ("Export timelapse (GIF)…", FileJob::ExportTimelapse),
            ],
            pace_hint: "Slow motion: a pause after each round while playing (0: full speed)",
            status: bar,
        };
        bars_ui(ui, &self.view, &bars, &mut self.pace_ms, &mut actions);
        let width = ctx.content_rect().width();
        egui::Panel::right("setup")
            .default_size((width * 0.2).clamp(220.0, 340.0))
            .resizable(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    views::setup_ui(ui, &self.view, &self.presets, &mut actions);
                });
            });
        egui::Panel::left("plots")
            .default_size((width * 0.26).clamp(260.0, 460.0))
            .resizable(true)
            .show(ui, |ui| self.left_panel_ui(ui));
        let texture = self.comparison_texture(&ctx);
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            let width = ui.available_width();
            egui::ScrollArea::vertical().show(ui, |ui| {
                // Wrapped rows wrap at the panel's edge, not at the scroll area's growing one.
                ui.set_max_width(width);
                recovered = recovery_ui(ui, &self.recovery);
                views::comparison_ui(ui, width, &self.view, texture.as_ref(), &mut actions);
                ui.separator();
                images::hallucination_ui(ui, width, &mut self.live, &self.view, &mut actions);
            });
        });
        self.request_upscale();
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
