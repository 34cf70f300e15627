//! The lesson panel: a preset's script shown beside the view, one step at a time with next /
//! previous, each step's buttons (train to a step, change the setup, switch preset, open a
//! view) and the lesson's bookmarks into the run's history.

use eframe::egui;

use super::action::Action;
use super::view::RunView;
use crate::engine::lesson::{Lesson, LessonView, apply_set};

/// The lesson being taught and where in it the class is.
pub struct LessonState {
    pub lesson: Lesson,
    /// The step shown.
    pub index: usize,
}

impl LessonState {
    pub fn new(lesson: Lesson) -> Self {
        Self { lesson, index: 0 }
    }
}

fn view_name(v: LessonView) -> &'static str {
    match v {
        LessonView::Curves => "the training curves",
        LessonView::Collapse => "the Mode collapse tab",
        LessonView::Compare => "Compare runs",
        LessonView::Explorer => "the latent explorer",
    }
}

/// Draws the lesson; `Next` / `Previous` move through it (a step's view opens when shown).
pub fn lesson_ui(
    ui: &mut egui::Ui,
    state: &mut LessonState,
    view: &RunView,
    actions: &mut Vec<Action>,
) {
    let n = state.lesson.steps.len();
    ui.heading(&state.lesson.title);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(state.index > 0, egui::Button::new("< Previous"))
            .clicked()
        {
            state.index -= 1;
            opened(state, actions);
        }
        ui.label(format!("step {} of {n}", state.index + 1));
        if ui
            .add_enabled(state.index + 1 < n, egui::Button::new("Next >"))
            .clicked()
        {
            state.index += 1;
            opened(state, actions);
        }
    });
    ui.separator();
    let Some(step) = state.lesson.steps.get(state.index) else {
        return;
    };
    ui.label(egui::RichText::new(&step.say).size(17.0));
    if !step.watch.is_empty() {
        ui.add_space(6.0);
        ui.label(
            egui::RichText::new(format!("Watch for: {}", step.watch))
                .italics()
                .color(ui.visuals().hyperlink_color),
        );
    }
    ui.add_space(8.0);
    if let Some(to) = step.run_to {
        let done = view.step >= to;
        let label = if done {
            format!("Run to step {to} (reached)")
        } else {
            format!("Run to step {to}")
        };
        if ui
            .add_enabled(!done && view.info.is_some(), egui::Button::new(label))
            .on_hover_text("Trains until the run has done this many rounds, then pauses")
            .clicked()
        {
            actions.push(Action::PlayUntil(to));
        }
    }
    if let Some(ms) = step.pace_ms {
        let label = if ms == 0 {
            "Full speed".to_string()
        } else {
            format!("Slow motion: {ms} ms per update")
        };
        if ui
            .button(label)
            .on_hover_text("Sets the slow-motion slider in the top bar")
            .clicked()
        {
            actions.push(Action::SetPace(ms));
        }
    }
    if let (Some(set), Some(config)) = (&step.set, view.gan_config()) {
        let applied = apply_set(config, set).ok();
        let already = applied.as_ref() == Some(config);
        let text = toml::to_string(set).unwrap_or_default();
        let button = ui
            .add_enabled(
                applied.is_some() && !already,
                egui::Button::new(if already {
                    "Change applied"
                } else {
                    "Apply this change"
                }),
            )
            .on_hover_text(format!("Sets:\n{text}"));
        if button.clicked()
            && let Some(config) = applied
        {
            actions.push(Action::ApplyConfig(Box::new(config)));
        }
    }
    if let Some(load) = &step.load {
        let name = load
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        if ui
            .button(format!("Switch to {name}"))
            .on_hover_text(format!(
                "A new run on {} (the current one is kept in Compare runs)",
                load.display()
            ))
            .clicked()
        {
            actions.push(Action::LessonPreset(load.clone()));
        }
    }
    if let Some(v) = step.show
        && ui.button(format!("Open {}", view_name(v))).clicked()
    {
        actions.push(Action::OpenView(v));
    }
    bookmarks_ui(ui, state, view, actions);
}

/// A step's view opens as the step is shown.
fn opened(state: &LessonState, actions: &mut Vec<Action>) {
    if let Some(v) = state.lesson.steps.get(state.index).and_then(|s| s.show) {
        actions.push(Action::OpenView(v));
    }
}

fn bookmarks_ui(ui: &mut egui::Ui, state: &LessonState, view: &RunView, actions: &mut Vec<Action>) {
    if state.lesson.bookmarks.is_empty() {
        return;
    }
    ui.separator();
    ui.label("Bookmarks")
        .on_hover_text("Jump the sample history to a moment of the run");
    for b in &state.lesson.bookmarks {
        let reached = view.snapshots.last().is_some_and(|(s, _)| *s >= b.step);
        let target = view.snapshot_index_at(b.step).filter(|_| reached);
        let text = format!("step {}: {}", b.step, b.label);
        if ui
            .add_enabled(target.is_some(), egui::Button::new(text))
            .on_disabled_hover_text("The run has not got there yet")
            .clicked()
        {
            actions.push(Action::ShowSnapshot(target));
        }
    }
}
