//! The window of the text-to-image family: the same trainer protocol, controls, curves and
//! messages as the other windows, with the family's own views: the caption box (type a
//! sentence, see what was read and samples of it; a second sentence shows the way between
//! the two), the showcase captions' samples on fixed latents with their history, caption
//! accuracy over rounds.

mod caption_box;
mod views;

use eframe::egui;

use super::action::Action;
use super::family_frame::repaint_waker;
use super::family_window::{FamilyLook, FamilyWindow};
use super::files::FileJob;
use super::recovery::{self, Recovery, recovery_ui};
use super::shell::Opening;
use crate::engine::backend::Backend;
use crate::engine::captions::preset::CaptionPreset;
use crate::engine::trainer::protocol::{Command, Event, RunSetup};
use crate::engine::trainer::thread::Trainer;
pub use caption_box::CaptionBox;

/// What sets this window apart in words and sizes.
static LOOK: FamilyLook = FamilyLook {
    key: crate::engine::captions::DESCRIPTION.key,
    elsewhere: "Error: that belongs to another window (a text-to-image run draws from the caption box)",
    file_jobs: &[
        ("Save checkpoint…", FileJob::SaveCheckpoint),
        ("Load checkpoint…", FileJob::LoadCheckpoint),
        ("Export samples (PNG)…", FileJob::ExportSamples),
        ("Export metrics (CSV)…", FileJob::ExportMetrics),
        ("Export timelapse (GIF)…", FileJob::ExportTimelapse),
    ],
    pace_hint: "Slow motion: a pause after each round while playing (0: full speed)",
    metrics_tab: [
        "Caption accuracy",
        "Caption accuracy read by the scene reader, seen and held-out combinations, and diversity, every metrics_every rounds",
    ],
    setup_width: [0.16, 200.0, 300.0],
    plots_width: [0.2, 240.0, 380.0],
};

/// The text-to-image window.
pub struct CaptionsApp {
    pub(in crate::gui) frame: FamilyWindow,
    /// The showcase's rows as textures, with the snapshot version they show.
    showcase: Vec<(u64, egui::TextureHandle)>,
    pub(in crate::gui) caption: CaptionBox,
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
        let name = preset.name.clone();
        let waker = repaint_waker(opening);
        let trainer = Trainer::spawn_captions(preset, backend.clone(), Some(waker))?;
        let recovery = Recovery::at(recovery::captions_path());
        let frame = FamilyWindow::new(
            opening.ctx.clone(),
            trainer,
            backend,
            (name, play),
            recovery,
            &LOOK,
        );
        Ok(Self {
            frame,
            showcase: Vec::new(),
            caption: CaptionBox::default(),
        })
    }

    fn drain_events(&mut self) {
        let caption = &mut self.caption;
        self.frame.drain_events(|frame, event| match event {
            Event::Captioned(answer) => {
                caption.receive(*answer, &frame.ctx);
                None
            }
            Event::Ready(info) => {
                if let RunSetup::Captions(p) = &info.setup {
                    frame.preset_name = p.name.clone();
                }
                // The caption stays; its samples are drawn again from the new run.
                caption.refresh();
                Some(Event::Ready(info))
            }
            event => Some(event),
        });
    }

    fn apply(&mut self, actions: Vec<Action>) {
        self.frame.apply(actions, |frame, action| match action {
            Action::LoadPreset(path) | Action::LessonPreset(path) => {
                frame.load_preset(&path, |path| {
                    let p = CaptionPreset::load(path).map_err(|e| e.to_string())?;
                    Ok((p.name.clone(), RunSetup::Captions(Box::new(p))))
                });
            }
            _ => frame.elsewhere(),
        });
    }
}

impl eframe::App for CaptionsApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events();
        let (chosen, dropped) = self.frame.frame_effects(ctx);
        if let Some((job, path)) = chosen {
            self.frame.file_chosen(job, path);
        }
        if let Some(path) = dropped {
            self.frame.note(format!(
                "{} dropped: a text-to-image run makes its scenes from its preset's [data] (load a checkpoint with File > Load checkpoint…)",
                path.display()
            ));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let preset = crate::gui::preset_list::readable(&self.frame.preset_name);
        let mut actions = self.frame.bars_ui(ui, &preset);
        self.frame
            .side_panels_ui(ui, &mut actions, views::setup_ui, views::metrics_ui);
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            let width = ui.available_width();
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.set_max_width(width);
                recovered = recovery_ui(ui, &self.frame.recovery);
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
                        views::showcase_ui(
                            ui,
                            &self.frame.view,
                            &mut self.showcase,
                            right,
                            &mut actions,
                        );
                    });
                });
            });
        });
        if let Some(request) = self.caption.wanted(&self.frame.view) {
            self.frame.send(Command::Caption(Box::new(request)));
        }
        self.frame.end_frame_ui(&ctx, recovered, &mut actions);
        self.apply(actions);
    }

    fn on_exit(&mut self) {
        self.frame.exit();
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
