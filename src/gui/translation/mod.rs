//! The window of a translation family (CycleGAN): the same trainer protocol, controls,
//! curves and messages as the GAN window, with the family's own views: translation strips
//! of fixed held-out images with their history, your own image drawn, opened or dropped and
//! translated both ways live, the translation metrics, and the family's presets.

mod edit;
mod own_image;
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
use crate::engine::cyclegan::preset::CyclePreset;
use crate::engine::data::files::{decode_image, image_pixels};
use crate::engine::trainer::protocol::{Command, Event, RunInfo, RunSetup, TranslateRequest};
use crate::engine::trainer::thread::Trainer;
use own_image::{OwnImage, own_image_ui};

/// What the left panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LeftTab {
    Curves,
    Metrics,
}

/// The CycleGAN window.
pub struct TranslationApp {
    trainer: Trainer,
    backend: Backend,
    pub(in crate::gui) view: RunView,
    /// The preset loaded last (its name, in the bar).
    preset_name: String,
    /// Both families' presets.
    presets: PresetList,
    plot_settings: PlotSettings,
    plot_cache: PlotCache,
    left_tab: LeftTab,
    dialogs: Dialogs,
    ctx: egui::Context,
    strips_texture: Option<(u64, egui::TextureHandle)>,
    own: OwnImage,
    /// Asks before the window closes on a long unsaved run.
    close_guard: CloseGuard,
    /// The run's settings as edited in the setup panel.
    editor: edit::Editor,
    /// A GAN preset picked here: the shell opens the GAN window on it.
    switch_to: Option<PathBuf>,
    /// The slow-motion pause after each update, in ms (0: full speed).
    pace_ms: u32,
    /// The crash copy of the run, written while training and offered after a crash.
    pub(in crate::gui) recovery: Recovery,
}

impl TranslationApp {
    /// Starts a CycleGAN trainer thread on `preset`, waking the window whenever it reports.
    #[cfg(test)]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        preset: CyclePreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::open(&Opening::from(cc), preset, backend, play)
    }

    /// [`TranslationApp::new`] from what the shell keeps of eframe's context.
    pub fn open(
        opening: &Opening<'_>,
        preset: CyclePreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let ctx = opening.ctx.clone();
        // A software renderer spends ~100 ms of CPU a frame, taken from training: redraw
        // at most 4×/s there (as the GAN window does while training).
        let waker = repaint_waker(opening);
        let preset_name = preset.name.clone();
        let trainer = Trainer::spawn_cycle(preset, backend.clone(), Some(waker))?;
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
            strips_texture: None,
            own: OwnImage::default(),
            close_guard: CloseGuard::default(),
            editor: edit::Editor::default(),
            switch_to: None,
            pace_ms: 0,
            recovery: Recovery::at(recovery::translation_path()),
        })
    }

    /// The GAN preset the user picked here, once: the shell opens the GAN window on it.
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
                Some(Event::Translated {
                    id,
                    input,
                    forward,
                    back,
                    ..
                }) => self.own.receive(id, [input, forward, back]),
                Some(Event::Ready(info)) => {
                    self.follow_run(&info);
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

    /// A run arrived (built, reset, loaded from a checkpoint or a crash copy): the bar names
    /// its preset, the editor starts from its settings, and an image on the pad of other
    /// domains is dropped.
    fn follow_run(&mut self, info: &RunInfo) {
        let RunSetup::Cycle(preset) = &info.setup else {
            return;
        };
        let before = self.view.info.as_ref().map(|i| &i.setup);
        if before == Some(&info.setup) {
            return;
        }
        self.preset_name = preset.name.clone();
        self.editor.clear();
        let domains = |i: &RunInfo| i.domains.clone();
        if self.view.info.as_ref().map(domains) != Some(domains(info)) {
            self.own = OwnImage::default();
        }
    }

    pub(in crate::gui) fn send(&mut self, command: Command) {
        if let Err(e) = self.trainer.send(command) {
            self.view.messages.push(format!("Error: {e}"));
        }
    }

    fn strips_texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureHandle> {
        let (_, samples) = self.view.shown()?;
        if let Some((v, tex)) = &self.strips_texture
            && *v == self.view.snapshot_version
        {
            return Some(tex.clone());
        }
        let image = panels::samples_image(samples, None);
        let tex = ctx.load_texture("strips", image, egui::TextureOptions::NEAREST);
        self.strips_texture = Some((self.view.snapshot_version, tex.clone()));
        Some(tex)
    }

    /// An image file for the pad: fitted to the source domain's shape.
    fn open_image(&mut self, path: &Path) {
        let Some(info) = &self.view.info else { return };
        let source = &info.domains[usize::from(!self.own.a_to_b)];
        match decode_image(path) {
            Ok(img) => {
                let name = path
                    .file_name()
                    .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
                self.own
                    .set(image_pixels(&img, source.channels, source.side), name);
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
            "cyclegan",
            &mut self.switch_to,
            &mut self.view.messages,
        ) {
            return;
        }
        match CyclePreset::load(path) {
            Ok(p) => {
                self.preset_name = p.name.clone();
                self.own = OwnImage::default();
                self.editor.clear();
                self.send(Command::Rebuild(Box::new(RunSetup::Cycle(Box::new(p)))));
            }
            Err(e) => self.view.messages.push(format!("Error: {e}")),
        }
    }

    /// Writes the running run's setup (as edited and applied) as a preset file.
    fn save_preset(&self, path: &Path) -> String {
        let Some(RunSetup::Cycle(preset)) = self.view.info.as_ref().map(|i| &i.setup) else {
            return "Error: no CycleGAN run is loaded yet".into();
        };
        let mut preset = (**preset).clone();
        if !preset.name.ends_with(" (edited)") {
            preset.name.push_str(" (edited)");
        }
        match preset.save(path) {
            Ok(()) => format!("Saved the current setup as a preset: {}.", path.display()),
            Err(e) => format!("Error: {e}"),
        }
    }

    fn file_chosen(&mut self, job: FileJob, path: PathBuf) {
        match job {
            FileJob::SaveCheckpoint => self.send(Command::SaveCheckpoint(path)),
            FileJob::LoadCheckpoint => {
                self.editor.clear();
                self.send(Command::LoadCheckpoint(path));
            }
            FileJob::OpenImage => self.open_image(&path),
            FileJob::SavePreset => {
                let message = self.save_preset(&path);
                self.view.messages.push(message);
            }
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
                Action::Translate { a_to_b, pixels } => {
                    let id = self.own.version;
                    self.send(Command::Translate(TranslateRequest { id, a_to_b, pixels }));
                }
                Action::LoadPreset(path) | Action::LessonPreset(path) => self.load_preset(&path),
                // GAN-only requests.
                _ => self.view.messages.push(
                    "Error: that belongs to the GAN window (a CycleGAN run has no latent space or 2D view)".into(),
                ),
            }
        }
    }

    fn left_panel_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.left_tab, LeftTab::Curves, "Training curves");
            ui.selectable_value(&mut self.left_tab, LeftTab::Metrics, "Translation metrics")
                .on_hover_text("Label preservation and cycle L1 on held-out images, every metrics_every rounds");
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

impl eframe::App for TranslationApp {
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
        let preset = views::readable(&self.preset_name);
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
                ("Open image to translate…", FileJob::OpenImage),
                ("Export translation strips (PNG)…", FileJob::ExportSamples),
                ("Export metrics (CSV)…", FileJob::ExportMetrics),
                ("Export timelapse (GIF)…", FileJob::ExportTimelapse),
                ("Save setup as preset…", FileJob::SavePreset),
            ],
            pace_hint: "Slow motion: a pause after each round (the critics' update, then \
                         the generators') while playing (0: full speed), so that each round's \
                         change to the curves and strips can be followed.",
            status: bar,
        };
        bars_ui(ui, &self.view, &bars, &mut self.pace_ms, &mut actions);
        let width = ctx.content_rect().width();
        egui::Panel::right("setup")
            .default_size((width * 0.22).clamp(220.0, 360.0))
            .resizable(true)
            .show(ui, |ui| {
                let applied = egui::ScrollArea::vertical().show(ui, |ui| {
                    let (view, presets) = (&self.view, &self.presets);
                    views::setup_ui(ui, view, presets, &mut self.editor, &mut actions)
                });
                if let Some(preset) = applied.inner {
                    self.editor.clear();
                    self.own = OwnImage::default();
                    self.send(Command::Rebuild(Box::new(RunSetup::Cycle(Box::new(
                        preset,
                    )))));
                }
            });
        egui::Panel::left("plots")
            .default_size((width * 0.28).clamp(260.0, 480.0))
            .resizable(true)
            .show(ui, |ui| self.left_panel_ui(ui));
        let texture = self.strips_texture(&ctx);
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            recovered = recovery_ui(ui, &self.recovery);
            views::strips_ui(ui, &self.view, texture.as_ref(), &mut actions);
            ui.separator();
            if let Some(info) = &self.view.info {
                let strips = self.view.shown().map(|(_, s)| s);
                own_image_ui(ui, &mut self.own, &info.domains, strips, &mut actions);
            }
        });
        if let Some(ask) = self.own.request(self.view.snapshot_version) {
            actions.push(ask);
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
