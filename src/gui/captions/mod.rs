//! The window of the text-to-image family: the same trainer protocol, controls, curves and
//! messages as the other windows, with the family's own views: the caption box (type a
//! sentence, see what was read and samples of it; a second sentence shows the way between
//! the two), the showcase captions' samples on fixed latents with their history, caption
//! accuracy over rounds.

mod caption_box;
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
use crate::engine::captions::preset::CaptionPreset;
use crate::engine::trainer::protocol::{Command, Event, RunSetup};
use crate::engine::trainer::thread::Trainer;
pub use caption_box::CaptionBox;

/// What the left panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LeftTab {
    Curves,
    Metrics,
}

/// The text-to-image window.
pub struct CaptionsApp {
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
    /// The showcase's rows as textures, with the snapshot version they show.
    showcase: Vec<(u64, egui::TextureHandle)>,
    pub(in crate::gui) caption: CaptionBox,
    close_guard: CloseGuard,
    /// A preset of another family picked here: the shell opens its window.
    switch_to: Option<PathBuf>,
    pace_ms: u32,
    pub(in crate::gui) recovery: Recovery,
}

impl CaptionsApp {
    /// Starts a text-to-image trainer thread on `preset`, waking the window when it reports.
    #[cfg(test)]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        preset: CaptionPreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::open(&Opening::from(cc), preset, backend, play)
    }

    /// [`CaptionsApp::new`] from what the shell keeps of eframe's context.
    pub fn open(
        opening: &Opening<'_>,
        preset: CaptionPreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let ctx = opening.ctx.clone();
        let waker = repaint_waker(opening);
        let preset_name = preset.name.clone();
        let trainer = Trainer::spawn_captions(preset, backend.clone(), Some(waker))?;
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
            showcase: Vec::new(),
            caption: CaptionBox::default(),
            close_guard: CloseGuard::default(),
            switch_to: None,
            pace_ms: 0,
            recovery: Recovery::at(recovery::captions_path()),
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
                Some(Event::Captioned(answer)) => self.caption.receive(*answer, &self.ctx),
                Some(Event::Ready(info)) => {
                    if let RunSetup::Captions(p) = &info.setup {
                        self.preset_name = p.name.clone();
                    }
                    // The caption stays; its samples are drawn again from the new run.
                    self.caption.refresh();
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

    fn load_preset(&mut self, path: &Path) {
        let own = crate::engine::captions::DESCRIPTION.key;
        if super::hand_over(path, own, &mut self.switch_to, &mut self.view.messages) {
            return;
        }
        match CaptionPreset::load(path) {
            Ok(p) => {
                self.preset_name = p.name.clone();
                self.send(Command::Rebuild(Box::new(RunSetup::Captions(Box::new(p)))));
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
                    "Error: that belongs to another window (a text-to-image run draws from the caption box)".into(),
                ),
            }
        }
    }

    fn left_panel_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.left_tab, LeftTab::Curves, "Training curves");
            ui.selectable_value(&mut self.left_tab, LeftTab::Metrics, "Caption accuracy")
                .on_hover_text("Caption accuracy read by the scene reader, seen and held-out combinations, and diversity, every metrics_every rounds");
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

impl eframe::App for CaptionsApp {
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
                "{} dropped: a text-to-image run makes its scenes from its preset's [data] (load a checkpoint with File > Load checkpoint…)",
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
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            let width = ui.available_width();
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.set_max_width(width);
                recovered = recovery_ui(ui, &self.recovery);
                // The caption box on the left, the showcase on the right, each wrapping its
                // text in its own width.
                let left = (width * 0.45).max(260.0);
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width(left);
                        views::caption_box_ui(ui, &mut self.caption, left);
                    });
                    ui.separator();
                    let right = (ui.available_width() - 8.0).max(200.0);
                    ui.vertical(|ui| {
                        ui.set_width(right);
                        views::showcase_ui(ui, &self.view, &mut self.showcase, right, &mut actions);
                    });
                });
            });
        });
        if let Some(request) = self.caption.wanted(&self.view) {
            self.send(Command::Caption(Box::new(request)));
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
