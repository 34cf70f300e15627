//! The top bar (file and view menus, play / step / reset, slow motion, what runs where) and
//! the messages bar. Both keep a fixed layout: buttons never appear or vanish under the
//! pointer (they are disabled instead), and numbers sit in fixed-width slots.

use eframe::egui;

use super::action::Action;
use super::files::FileJob;
use super::layout::Layout;
use super::view::RunView;

/// What the top bar shows besides the run.
pub struct Bar<'a> {
    pub pace_ms: u32,
    /// The preset the run came from, and whether the setup was changed since.
    pub preset: &'a str,
    pub preset_changed: bool,
    pub backend: &'a str,
    pub backend_note: Option<&'a str>,
}

fn file_menu(ui: &mut egui::Ui, view: &RunView, actions: &mut Vec<Action>) {
    let points = view.info.as_ref().is_some_and(|i| i.sample_len == 2);
    ui.menu_button("File", |ui| {
        for (label, job, enabled) in [
            ("Save checkpoint…", FileJob::SaveCheckpoint, true),
            ("Load checkpoint…", FileJob::LoadCheckpoint, true),
            ("Export samples (PNG)…", FileJob::ExportSamples, true),
            ("Export 2D view (PNG)…", FileJob::ExportPlanePng, points),
            (
                "Export 2D view animation (GIF)…",
                FileJob::ExportPlaneGif,
                points,
            ),
            ("Export metrics (CSV)…", FileJob::ExportMetrics, true),
            ("Export timelapse (GIF)…", FileJob::ExportTimelapse, true),
            ("Save setup as preset…", FileJob::SavePreset, true),
        ] {
            if ui.add_enabled(enabled, egui::Button::new(label)).clicked() {
                actions.push(Action::File(job));
            }
        }
    });
}

fn view_menu(ui: &mut egui::Ui, layout: &mut Layout, actions: &mut Vec<Action>) {
    ui.menu_button("View", |ui| {
        ui.checkbox(&mut layout.show_left, "Curves panel (left)");
        ui.checkbox(&mut layout.show_right, "Setup / lesson panel (right)");
        let theme = if ui.visuals().dark_mode {
            "Light theme"
        } else {
            "Dark theme"
        };
        if ui.button(theme).clicked() {
            actions.push(Action::ToggleTheme);
        }
        ui.small("F12: frame times");
    });
}

/// Play/pause, single steps, resets, slow motion, and what is running where.
pub fn controls_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    bar: &Bar,
    layout: &mut Layout,
    actions: &mut Vec<Action>,
) {
    ui.horizontal_wrapped(|ui| {
        file_menu(ui, view, actions);
        view_menu(ui, layout, actions);
        ui.separator();
        run_buttons_ui(ui, view, actions);
        if ui
            .add_enabled(view.diverged, egui::Button::new("Restore last good"))
            .on_hover_text("After a divergence: go back to the state before the step that broke")
            .clicked()
        {
            actions.push(Action::RestoreLastGood);
        }
        let mut pace = bar.pace_ms;
        let slow = egui::Slider::new(&mut pace, 0..=2000)
            .text("ms/update")
            .logarithmic(true);
        if ui
            .add(slow)
            .on_hover_text(
                "Slow motion: a pause after each D update and each G update while playing \
                 (0: full speed). The 2D view shows every update: D's heatmap changes, then the \
                 points move.",
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
        ui.separator();
        status_ui(ui, view, bar);
    });
}

/// Play/pause, the family's phase buttons, one round, and the two resets: the same for
/// every family's window.
pub fn run_buttons_ui(ui: &mut egui::Ui, view: &RunView, actions: &mut Vec<Action>) {
    let play = if view.running { "Pause" } else { "Play" };
    if ui
        .add_sized([56.0, 20.0], egui::Button::new(play))
        .on_hover_text("Train continuously (Space)")
        .clicked()
    {
        actions.push(if view.running {
            Action::Pause
        } else {
            Action::Play
        });
    }
    // The family's phases: "D step" and "G step" for a GAN.
    for (i, phase) in view.family().phases.iter().enumerate() {
        if ui.button(phase.button).on_hover_text(phase.hint).clicked() {
            actions.push(Action::Step(i));
        }
    }
    for (label, tip, action) in [
        (
            "Step",
            "One full round: every phase as the configuration says, e.g. d_steps D updates, then g_steps G updates (S)",
            Action::StepRound,
        ),
        (
            "Reset",
            "Start again from step 0 with the same seed (Ctrl+R)",
            Action::ResetSameSeed,
        ),
    ] {
        if ui.button(label).on_hover_text(tip).clicked() {
            actions.push(action);
        }
    }
    if ui
        .button("New seed")
        .on_hover_text("Start again from step 0 with another seed")
        .clicked()
    {
        let seed = (view.step ^ 0x9E37_79B9).wrapping_mul(6_364_136_223_846_793_005) >> 16;
        actions.push(Action::ResetNewSeed(seed));
    }
}

pub(super) fn status_ui(ui: &mut egui::Ui, view: &RunView, bar: &Bar) {
    ui.add_sized(
        [96.0, 20.0],
        egui::Label::new(egui::RichText::new(format!("step {}", view.step)).strong()),
    );
    let speed = view
        .history
        .last()
        .map_or_else(String::new, |s| format!("{:.1} ms/update", s.millis));
    ui.add_sized([100.0, 20.0], egui::Label::new(speed));
    let preset = if bar.preset_changed {
        format!("{} (changed)", bar.preset)
    } else {
        bar.preset.to_string()
    };
    ui.label(preset).on_hover_text(if bar.preset_changed {
        "The setup was changed since this preset was loaded; File > Save setup as preset keeps it."
    } else {
        "The preset this run was loaded from."
    });
    let backend_label = ui.label(bar.backend);
    if let Some(note) = bar.backend_note {
        backend_label.on_hover_text(note);
        ui.colored_label(ui.visuals().warn_fg_color, "(CPU fallback)")
            .on_hover_text(note);
    }
}

/// Lines the messages bar shows (a fixed height: the view does not jump when one arrives).
pub const MESSAGE_LINES: usize = 3;

/// The user-facing messages, newest first, with a dismiss button.
pub fn messages_ui(ui: &mut egui::Ui, view: &RunView, actions: &mut Vec<Action>) {
    let line = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    ui.horizontal(|ui| {
        let any = !view.messages.is_empty() || !view.window_messages.is_empty();
        if ui
            .add_enabled(any, egui::Button::new("Dismiss"))
            .on_hover_text("Clear these messages")
            .clicked()
        {
            actions.push(Action::DismissMessages);
        }
        ui.vertical(|ui| {
            ui.set_min_height(line * MESSAGE_LINES as f32);
            let all = view
                .messages
                .iter()
                .rev()
                .chain(view.window_messages.iter().rev());
            for m in all.take(MESSAGE_LINES) {
                let color = if m.starts_with("Error")
                    || m.starts_with("Training diverged")
                    || m.starts_with("Training stopped")
                {
                    ui.visuals().error_fg_color
                } else {
                    ui.visuals().text_color()
                };
                ui.add(egui::Label::new(egui::RichText::new(m).color(color)).truncate())
                    .on_hover_text(m.as_str());
            }
        });
    });
}
