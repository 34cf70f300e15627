//! The pieces the image families' windows share, as functions over the state they touch: the
//! run controls' actions as trainer commands, the window-level actions (file dialogs,
//! history, messages, theme), the per-frame effects (the close guard, the crash copy, a
//! chosen file, a dropped file), the bars, the setup panel's head and rows, and what opening
//! one needs (the trainer's waker, the preset list). [`super::family_window::FamilyWindow`]
//! puts them together for each window.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use eframe::egui;

use super::action::Action;
use super::close_guard::CloseGuard;
use super::controls::{Bar, messages_ui, run_buttons_ui, status_ui};
use super::files::{Dialogs, FileJob};
use super::preset_list::PresetList;
use super::recovery::Recovery;
use super::shell::Opening;
use super::view::RunView;
use crate::engine::trainer::protocol::Command;
use crate::engine::trainer::thread::Waker;

/// The trainer command of a run control every family's window has, or the action back.
pub fn run_command(action: Action) -> Result<Command, Action> {
    Ok(match action {
        Action::Play => Command::Play,
        Action::PlayUntil(step) => Command::PlayUntil(step),
        Action::Pause => Command::Pause,
        Action::Step(phase) => Command::Step { phase },
        Action::StepRound => Command::StepRound,
        Action::ResetSameSeed => Command::Reset { seed: None },
        Action::ResetNewSeed(seed) => Command::Reset { seed: Some(seed) },
        Action::SetPace(millis) => Command::SetPace { millis },
        Action::RestoreLastGood => Command::RestoreLastGood,
        other => return Err(other),
    })
}

/// Carries out an action that concerns the window itself (a file dialog, the history
/// slider, the messages, the theme); any other comes back.
pub fn window_action(
    action: Action,
    view: &mut RunView,
    dialogs: &mut Dialogs,
    ctx: &egui::Context,
) -> Option<Action> {
    match action {
        Action::File(job) => {
            if let Err(e) = dialogs.open(job, ctx) {
                view.messages.push(format!("Error: {e}"));
            }
        }
        Action::ShowSnapshot(index) => view.pin(index),
        Action::DismissMessages => view.dismiss_messages(),
        Action::Note(m) => view.messages.push(m),
        Action::ToggleTheme => crate::gui::action::toggle_theme(ctx),
        other => return Some(other),
    }
    None
}

/// What a frame's shared effects leave for the window: a crash copy to ask the trainer
/// for, the file the user chose in a dialog, a file dropped on the window.
pub struct FrameEffects {
    pub copy: Option<Command>,
    pub chosen: Option<(FileJob, PathBuf)>,
    pub dropped: Option<PathBuf>,
}

/// The effects every family's window applies once per frame, before drawing.
pub fn frame_effects(
    ctx: &egui::Context,
    view: &mut RunView,
    close_guard: &mut CloseGuard,
    recovery: &mut Recovery,
    dialogs: &mut Dialogs,
) -> FrameEffects {
    close_guard.tick(view);
    close_guard.intercept(ctx);
    let copy = recovery.tick(view);
    let chosen = dialogs.answer();
    view.messages.extend(dialogs.notes());
    let dropped = ctx.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
    FrameEffects {
        copy,
        chosen,
        dropped,
    }
}

/// The waker a family's window gives its trainer: a redraw soon after the trainer reports,
/// at most 4 times a second on a software renderer (its ~100 ms frames would take the CPU
/// from training).
pub fn repaint_waker(opening: &Opening<'_>) -> Waker {
    let every = Duration::from_millis(if opening.software_renderer {
        super::app::SOFTWARE_REPAINT_MS
    } else {
        super::app::GPU_REPAINT_MS
    });
    let ctx = opening.ctx.clone();
    Arc::new(move || ctx.request_repaint_after(every))
}

/// Every family's presets under `presets/`, and a fresh view whose window messages name
/// the ones that do not load.
pub fn presets_and_view() -> (PresetList, RunView) {
    let (presets, errors) = PresetList::scan(Path::new("presets"));
    let mut view = RunView::default();
    view.window_messages.extend(errors);
    (presets, view)
}

/// What an image family's window puts in its bars: its File menu's entries (the theme toggle
/// follows them), what its slow-motion slider says, and the status line's facts.
pub struct Bars<'a> {
    pub file_jobs: &'a [(&'a str, FileJob)],
    pub pace_hint: &'a str,
    pub status: Bar<'a>,
}

/// The top bar (File menu, run buttons, the slow-motion slider, the status) and the bottom
/// one (messages) every image family's window has; a moved slider pushes `SetPace`.
pub fn bars_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    bars: &Bars<'_>,
    pace_ms: &mut u32,
    actions: &mut Vec<Action>,
) {
    egui::Panel::top("controls").show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.menu_button("File", |ui| {
                for (label, job) in bars.file_jobs {
                    if ui.button(*label).clicked() {
                        actions.push(Action::File(*job));
                    }
                }
                if ui.button("Light / dark theme").clicked() {
                    actions.push(Action::ToggleTheme);
                }
            });
            ui.separator();
            run_buttons_ui(ui, view, actions);
            let slow = egui::Slider::new(pace_ms, 0..=2000)
                .text("ms/update")
                .logarithmic(true);
            if ui.add(slow).on_hover_text(bars.pace_hint).changed() {
                actions.push(Action::SetPace(*pace_ms));
            }
            ui.separator();
            status_ui(ui, view, &bars.status);
        });
    });
    egui::Panel::bottom("messages").show(ui, |ui| messages_ui(ui, view, actions));
}

/// The top of an image family's setup panel: its heading and the preset picker; the run's
/// description when one is built.
pub fn setup_head_ui<'v>(
    ui: &mut egui::Ui,
    view: &'v RunView,
    presets: &PresetList,
    actions: &mut Vec<Action>,
) -> Option<&'v crate::engine::trainer::protocol::RunInfo> {
    ui.heading("Setup");
    presets.picker_ui(ui, actions);
    ui.separator();
    view.info.as_ref()
}

/// The preset's name and description, then what the run holds as a two-column table (values
/// wrapped, so that a long one does not widen the panel).
pub fn setup_rows_ui(
    ui: &mut egui::Ui,
    id: &str,
    (name, description): (&str, &str),
    rows: Vec<(&str, String)>,
) {
    use super::preset_list::readable;
    ui.strong(readable(name));
    ui.label(readable(&description.trim().replace('\n', " ")));
    ui.separator();
    egui::Grid::new(id)
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (k, v) in rows {
                ui.label(k);
                ui.add(egui::Label::new(v).wrap());
                ui.end_row();
            }
        });
}
