//! What the panels ask for while they draw. Panels only push actions; the app carries them
//! out once at the end of the frame (no effect happens in the middle of a layout).

use eframe::egui;

use super::view::RunView;
use crate::engine::config::TrainConfig;
use crate::engine::lesson::LessonView;

/// What the user asked for during this frame.
#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Apply this edited configuration between steps (a change to what is learned restarts
    /// the run on the same seed).
    ApplyConfig(Box<TrainConfig>),
    /// Show a message about the current run.
    Note(String),
    /// Load a preset file and start a new run on it (its lesson, if any, is shown).
    LoadPreset(std::path::PathBuf),
    /// Switch to a preset as a lesson step asks: a new run, the lesson stays.
    LessonPreset(std::path::PathBuf),
    Play,
    /// Train until the run has done this many rounds, then pause.
    PlayUntil(u64),
    Pause,
    /// One update of the family's phase with this index (a GAN's D or G step).
    Step(usize),
    StepRound,
    ResetSameSeed,
    ResetNewSeed(u64),
    RestoreLastGood,
    DismissMessages,
    /// Show snapshot `n` of the history (None: follow the newest).
    ShowSnapshot(Option<usize>),
    /// Open or close the latent explorer.
    ToggleExplorer,
    /// Bring a view to the front (a lesson step asks for it).
    OpenView(LessonView),
    /// Switch between the light and the dark theme.
    ToggleTheme,
    /// Slow motion: milliseconds between updates while playing.
    SetPace(u32),
    /// Open a file dialog for this job.
    File(super::files::FileJob),
    /// Ask the trainer to render the explorer's latent vectors.
    RenderLatents,
    /// Keep a copy of the current run for comparison.
    KeepRun,
    /// Restart the run on these drawn 2D points.
    TrainOnDrawing(Vec<[f32; 2]>),
    /// Start the augmentation lab's experiment with the run's configuration.
    StartAugment,
    /// Stop it (finished runs are kept).
    StopAugment,
    /// Translate this image (the source domain's shape) there and back.
    Translate {
        a_to_b: bool,
        pixels: Vec<f32>,
    },
}

/// Switches between the light and the dark theme.
pub fn toggle_theme(ctx: &egui::Context) {
    let dark = ctx.theme() == egui::Theme::Dark;
    ctx.set_theme(if dark {
        egui::ThemePreference::Light
    } else {
        egui::ThemePreference::Dark
    });
}

/// Space: play/pause; S: one round; Ctrl+R (⌘R): reset with the same seed. Reset takes a
/// modifier: a word typed while no text field has the focus must not throw a run away.
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
        if i.key_pressed(egui::Key::R) && i.modifiers.command {
            actions.push(Action::ResetSameSeed);
        }
    });
    actions
}
