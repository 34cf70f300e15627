//! Closing the window with a long unsaved run asks first: minutes of training are easy to lose
//! to a stray click on the window's close button. Short runs (a quick demonstration in class)
//! close at once.

use std::time::Duration;

use eframe::egui;

use super::action::Action;
use super::files::FileJob;
use super::training_clock::TrainingClock;
use super::view::RunView;

/// Training time since the last save above which closing asks.
pub const UNSAVED_LIMIT: Duration = Duration::from_secs(60);

pub struct CloseGuard {
    /// Unsaved training time above which closing asks ([`UNSAVED_LIMIT`]).
    pub limit: Duration,
    /// Time spent training since the run on screen was last saved (or started).
    unsaved: TrainingClock,
    seen_version: u64,
    /// The question is on screen.
    pub asking: bool,
    /// The user chose to quit without saving: let the next close through.
    allowed: bool,
}

impl Default for CloseGuard {
    fn default() -> Self {
        Self {
            limit: UNSAVED_LIMIT,
            unsaved: TrainingClock::default(),
            seen_version: 0,
            asking: false,
            allowed: false,
        }
    }
}

impl CloseGuard {
    /// Once per frame: counts the time the run trained since it was last saved.
    pub fn tick(&mut self, view: &RunView) {
        if view.saved_version != self.seen_version {
            self.seen_version = view.saved_version;
            self.unsaved.reset();
        }
        self.unsaved.tick(view.running);
    }

    /// Holds a close request of the window when the run has more than `limit` of unsaved
    /// training, and asks instead.
    pub fn intercept(&mut self, ctx: &egui::Context) {
        let requested = ctx.input(|i| i.viewport().close_requested());
        if requested && !self.allowed && self.unsaved.elapsed() >= self.limit {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.asking = true;
        }
    }
}

/// The question: save the run, quit without saving, or stay.
pub fn close_dialog_ui(ctx: &egui::Context, guard: &mut CloseGuard, actions: &mut Vec<Action>) {
    if !guard.asking {
        return;
    }
    let minutes = guard.unsaved.elapsed().as_secs_f64() / 60.0;
    let response = egui::Modal::new(egui::Id::unique("unsaved run")).show(ctx, |ui| {
        ui.heading("Quit ganvas?");
        ui.label(format!(
            "This run has trained for {minutes:.0} min since it was last saved. A checkpoint keeps the networks, their optimizers, the curves and the metrics, and can be loaded later to go on training."
        ));
        ui.horizontal(|ui| {
            if ui.button("Save checkpoint…").clicked() {
                actions.push(Action::File(FileJob::SaveCheckpoint));
                guard.asking = false;
            }
            if ui.button("Quit without saving").clicked() {
                guard.allowed = true;
                guard.asking = false;
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
            if ui.button("Cancel").clicked() {
                guard.asking = false;
            }
        });
    });
    if response.should_close() {
        guard.asking = false; // Escape or a click outside: stay
    }
}
