//! What every image family's window (translation, super-resolution, StyleGAN, text-to-image)
//! holds and does alike: the trainer, the run's view, the preset list, the curves, the file
//! dialogs, the close guard, the crash copy and the slow-motion pace, and what they do each
//! frame. A family's window keeps one [`FamilyWindow`] beside its own views and hands it what
//! only the family knows: its [`FamilyLook`] (menu entries, texts, panel widths) and, as
//! closures, the events, actions and files only its views answer.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eframe::egui;

use super::action::{Action, keyboard_actions};
use super::close_guard::{CloseGuard, close_dialog_ui};
use super::controls::Bar;
use super::family_frame::{
    Bars, bars_ui, frame_effects, presets_and_view, run_command, window_action,
};
use super::files::{self, Dialogs, FileJob};
use super::panels::{self, PlotCache, PlotSettings};
use super::preset_list::PresetList;
use super::recovery::{Answer, Recovery};
use super::view::RunView;
use crate::engine::backend::Backend;
use crate::engine::trainer::protocol::{Command, Event, RunSetup};
use crate::engine::trainer::thread::Trainer;

/// What a family's window looks like where the windows differ only in words and sizes.
pub struct FamilyLook {
    /// The family's key in preset files: a preset of another family opens its own window.
    pub key: &'static str,
    /// The message for a request that belongs to another family's window.
    pub elsewhere: &'static str,
    /// The File menu's entries.
    pub file_jobs: &'static [(&'static str, FileJob)],
    /// What the slow-motion slider says when hovered.
    pub pace_hint: &'static str,
    /// The left panel's second tab: its label and what it shows (hovered).
    pub metrics_tab: [&'static str; 2],
    /// The setup panel's default width: share of the window, least, most (points).
    pub setup_width: [f32; 3],
    /// The curves panel's default width, likewise.
    pub plots_width: [f32; 3],
}

/// What the left panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeftTab {
    Curves,
    Metrics,
}

/// The state every family's window has (see the module's comment).
pub struct FamilyWindow {
    trainer: Trainer,
    backend: Backend,
    pub(in crate::gui) view: RunView,
    /// The preset loaded last (its name, in the bar).
    pub(in crate::gui) preset_name: String,
    /// Every family's presets.
    pub(in crate::gui) presets: PresetList,
    plot_settings: PlotSettings,
    plot_cache: PlotCache,
    left_tab: LeftTab,
    dialogs: Dialogs,
    pub(in crate::gui) ctx: egui::Context,
    /// Asks before the window closes on a long unsaved run.
    pub(in crate::gui) close_guard: CloseGuard,
    /// A preset of another family picked here: the shell opens its window.
    switch_to: Option<PathBuf>,
    /// The slow-motion pause after each round, in ms (0: full speed).
    pace_ms: u32,
    /// The crash copy of the run, written while training and offered after a crash.
    pub(in crate::gui) recovery: Recovery,
    look: &'static FamilyLook,
}

impl FamilyWindow {
    /// The frame of a window whose trainer has just been started, playing at once if `play`.
    pub fn new(
        ctx: egui::Context,
        trainer: Trainer,
        backend: Backend,
        (preset_name, play): (String, bool),
        recovery: Recovery,
        look: &'static FamilyLook,
    ) -> Self {
        if play {
            let _ = trainer.send(Command::Play);
        }
        let (presets, view) = presets_and_view();
        Self {
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
            close_guard: CloseGuard::default(),
            switch_to: None,
            pace_ms: 0,
            recovery,
            look,
        }
    }

    /// The preset of another family the user picked here, once: the shell opens its window.
    pub fn take_switch(&mut self) -> Option<PathBuf> {
        self.switch_to.take()
    }

    /// Shows `message` among the window's messages.
    pub fn note(&mut self, message: String) {
        self.view.messages.push(message);
    }

    pub fn send(&mut self, command: Command) {
        if let Err(e) = self.trainer.send(command) {
            self.view.messages.push(format!("Error: {e}"));
        }
    }

    /// The trainer's events of the next 8 ms: each goes first to `own` (the family's views),
    /// and what it gives back to the run's view.
    pub fn drain_events(&mut self, mut own: impl FnMut(&mut Self, Event) -> Option<Event>) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(8) {
            let Some(event) = self.trainer.try_recv() else {
                break;
            };
            if let Some(event) = own(self, event) {
                self.view.apply(event);
            }
        }
        if let Some(why) = self.trainer.stopped_unexpectedly() {
            self.view.trainer_gone(&why);
        }
    }

    /// Loads the preset at `path` with `parse` and rebuilds the run on it; a preset of
    /// another family is handed to its window instead. Whether a rebuild was asked for.
    pub fn load_preset(
        &mut self,
        path: &Path,
        parse: impl FnOnce(&Path) -> Result<(String, RunSetup), String>,
    ) -> bool {
        if super::hand_over(
            path,
            self.look.key,
            &mut self.switch_to,
            &mut self.view.messages,
        ) {
            return false;
        }
        match parse(path) {
            Ok((name, setup)) => {
                self.preset_name = name;
                self.send(Command::Rebuild(Box::new(setup)));
                true
            }
            Err(e) => {
                self.view.messages.push(format!("Error: {e}"));
                false
            }
        }
    }

    /// A file the user chose for a checkpoint or an export.
    pub fn file_chosen(&mut self, job: FileJob, path: PathBuf) {
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

    /// Carries out the frame's actions: run controls become commands, window actions are
    /// done here, and the rest goes to `own`.
    pub fn apply(&mut self, actions: Vec<Action>, mut own: impl FnMut(&mut Self, Action)) {
        for action in actions {
            let action = match run_command(action) {
                Ok(command) => {
                    self.send(command);
                    continue;
                }
                Err(action) => action,
            };
            if let Some(action) =
                window_action(action, &mut self.view, &mut self.dialogs, &self.ctx)
            {
                own(self, action);
            }
        }
    }

    /// Says that `action`'s request belongs to another family's window.
    pub fn elsewhere(&mut self) {
        self.view.messages.push(self.look.elsewhere.into());
    }

    /// The per-frame effects (close guard, crash copy, dialogs); what is left for the
    /// family: a file chosen in a dialog and a file dropped on the window.
    pub fn frame_effects(
        &mut self,
        ctx: &egui::Context,
    ) -> (Option<(FileJob, PathBuf)>, Option<PathBuf>) {
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
        (effects.chosen, effects.dropped)
    }

    /// The keyboard's actions and the top and bottom bars (File menu, run controls, pace,
    /// status, messages), with the preset's name shown as `preset`.
    pub fn bars_ui(&mut self, ui: &mut egui::Ui, preset: &str) -> Vec<Action> {
        let mut actions = keyboard_actions(ui.ctx(), &self.view);
        let bars = Bars {
            file_jobs: self.look.file_jobs,
            pace_hint: self.look.pace_hint,
            status: Bar {
                pace_ms: self.pace_ms,
                preset,
                preset_changed: false,
                backend: &self.backend.name,
                backend_note: self.backend.note.as_deref(),
            },
        };
        let mut pace = self.pace_ms;
        bars_ui(ui, &self.view, &bars, &mut pace, &mut actions);
        self.pace_ms = pace;
        actions
    }

    /// The setup panel on the right (drawn by `setup`, whose answer comes back) and the
    /// curves panel on the left, whose second tab `metrics` draws.
    pub fn side_panels_ui<R>(
        &mut self,
        ui: &mut egui::Ui,
        actions: &mut Vec<Action>,
        setup: impl FnOnce(&mut egui::Ui, &RunView, &PresetList, &mut Vec<Action>) -> R,
        metrics: impl FnOnce(&mut egui::Ui, &RunView),
    ) -> R {
        let width = ui.ctx().content_rect().width();
        let size = |[share, least, most]: [f32; 3]| (width * share).clamp(least, most);
        let answer = egui::Panel::right("setup")
            .default_size(size(self.look.setup_width))
            .resizable(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .show(ui, |ui| setup(ui, &self.view, &self.presets, actions))
                    .inner
            })
            .inner;
        egui::Panel::left("plots")
            .default_size(size(self.look.plots_width))
            .resizable(true)
            .show(ui, |ui| {
                let [label, hover] = self.look.metrics_tab;
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.left_tab, LeftTab::Curves, "Training curves");
                    ui.selectable_value(&mut self.left_tab, LeftTab::Metrics, label)
                        .on_hover_text(hover);
                });
                match self.left_tab {
                    LeftTab::Curves => panels::plots_ui(
                        ui,
                        &self.view,
                        &mut self.plot_settings,
                        &mut self.plot_cache,
                    ),
                    LeftTab::Metrics => metrics(ui, &self.view),
                }
            });
        answer
    }

    /// The shown snapshot's samples as a texture named `name`, made again only when the
    /// snapshot changed (`cache` keeps it with the version it shows).
    pub fn samples_texture(
        &self,
        cache: &mut Option<(u64, egui::TextureHandle)>,
        name: &str,
    ) -> Option<egui::TextureHandle> {
        let (_, samples) = self.view.shown()?;
        if let Some((v, tex)) = cache
            && *v == self.view.snapshot_version
        {
            return Some(tex.clone());
        }
        let image = panels::samples_image(samples, None);
        let tex = self
            .ctx
            .load_texture(name, image, egui::TextureOptions::NEAREST);
        *cache = Some((self.view.snapshot_version, tex.clone()));
        Some(tex)
    }

    /// The end of a frame: the crash-copy banner's answer (a restore loads the copy) and
    /// the close dialog, whose choice joins `actions`.
    pub fn end_frame_ui(
        &mut self,
        ctx: &egui::Context,
        recovered: Option<Answer>,
        actions: &mut Vec<Action>,
    ) {
        if let Some(answer) = recovered {
            if let Answer::Restore(path) = &answer {
                self.send(Command::LoadCheckpoint(path.clone()));
            }
            self.recovery.answer(&answer);
        }
        close_dialog_ui(ctx, &mut self.close_guard, actions);
    }

    /// The window closes: the crash copy goes.
    pub fn exit(&mut self) {
        self.recovery.exit();
    }
}
