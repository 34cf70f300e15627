//! The window of the StyleGAN family: the same trainer protocol, controls, curves and
//! messages as the other windows, with the family's own views: the EMA generator's samples on
//! fixed latents with their history; the studio (the style-mixing grid with a layer picker,
//! truncation ψ, the focus image with per-layer style sliders, the principal directions of w
//! as sliders, noise per layer with the stochastic variation it makes); the quality metrics.

mod studio;
mod studio_ui;
mod views;

use eframe::egui;

use super::action::Action;
use super::family_frame::repaint_waker;
use super::family_window::{FamilyLook, FamilyWindow};
use super::files::FileJob;
use super::recovery::{self, Recovery, recovery_ui};
use super::shell::Opening;
use crate::engine::backend::Backend;
use crate::engine::stylegan::preset::StylePreset;
use crate::engine::trainer::protocol::{Command, Event, RunSetup};
use crate::engine::trainer::thread::Trainer;
pub use studio::Studio;

/// What sets this window apart in words and sizes.
static LOOK: FamilyLook = FamilyLook {
    key: crate::engine::stylegan::DESCRIPTION.key,
    elsewhere: "Error: that belongs to another window (a StyleGAN run's latent space is explored in its studio)",
    file_jobs: &[
        ("Save checkpoint…", FileJob::SaveCheckpoint),
        ("Load checkpoint…", FileJob::LoadCheckpoint),
        ("Export samples (PNG)…", FileJob::ExportSamples),
        ("Export metrics (CSV)…", FileJob::ExportMetrics),
        ("Export timelapse (GIF)…", FileJob::ExportTimelapse),
    ],
    pace_hint: "Slow motion: a pause after each round while playing (0: full speed)",
    metrics_tab: [
        "Quality metrics",
        "FID-lite, PRDC, classes, the mixing check and the path length, every metrics_every rounds",
    ],
    setup_width: [0.16, 200.0, 300.0],
    plots_width: [0.2, 240.0, 380.0],
};

/// The StyleGAN window.
pub struct StyleApp {
    pub(in crate::gui) frame: FamilyWindow,
    samples_texture: Option<(u64, egui::TextureHandle)>,
    pub(in crate::gui) studio: Studio,
}

impl StyleApp {
    /// Starts a StyleGAN trainer thread on `preset`, waking the window when it reports.
    #[cfg(test)]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        preset: StylePreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::open(&Opening::from(cc), preset, backend, play)
    }

    /// [`StyleApp::new`] from what the shell keeps of eframe's context.
    pub fn open(
        opening: &Opening<'_>,
        preset: StylePreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let name = preset.name.clone();
        let trainer = Trainer::spawn_style(preset, backend.clone(), Some(repaint_waker(opening)))?;
        let recovery = Recovery::at(recovery::stylegan_path());
        Ok(Self {
            frame: FamilyWindow::new(
                opening.ctx.clone(),
                trainer,
                backend,
                (name, play),
                recovery,
                &LOOK,
            ),
            samples_texture: None,
            studio: Studio::default(),
        })
    }

    fn drain_events(&mut self) {
        let studio = &mut self.studio;
        self.frame.drain_events(|frame, event| match event {
            Event::Styled(answer) => {
                studio.receive(*answer, &frame.ctx);
                None
            }
            Event::Ready(info) => {
                if let RunSetup::Style(p) = &info.setup {
                    frame.preset_name = p.name.clone();
                }
                if info.fresh() {
                    // The studio's settings stay (resized when the layers differ); its
                    // images are drawn again from the new run.
                    studio.refresh();
                }
                Some(Event::Ready(info))
            }
            event => Some(event),
        });
    }

    fn apply(&mut self, actions: Vec<Action>) {
        self.frame.apply(actions, |frame, action| match action {
            Action::LoadPreset(path) | Action::LessonPreset(path) => {
                frame.load_preset(&path, |path| {
                    let p = StylePreset::load(path).map_err(|e| e.to_string())?;
                    Ok((p.name.clone(), RunSetup::Style(Box::new(p))))
                });
            }
            _ => frame.elsewhere(),
        });
    }
}

impl eframe::App for StyleApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events();
        let (chosen, dropped) = self.frame.frame_effects(ctx);
        if let Some((job, path)) = chosen {
            self.frame.file_chosen(job, path);
        }
        if let Some(path) = dropped {
            self.frame.note(format!(
                "{} dropped: a StyleGAN run takes its images from its preset's [data] (load a checkpoint with File > Load checkpoint…)",
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
        let texture = self
            .frame
            .samples_texture(&mut self.samples_texture, "style-samples");
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            let width = ui.available_width();
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.set_max_width(width);
                recovered = recovery_ui(ui, &self.frame.recovery);
                // Samples on the left, the mixing grid on the right, each wrapping its text
                // in its own width.
                let left = (width * 0.42).max(200.0);
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width(left);
                        views::samples_ui(
                            ui,
                            left,
                            &self.frame.view,
                            texture.as_ref(),
                            &mut actions,
                        );
                    });
                    ui.separator();
                    let right = (ui.available_width() - 8.0).max(200.0);
                    ui.vertical(|ui| {
                        ui.set_width(right);
                        studio_ui::mixing_ui(ui, &mut self.studio, right);
                    });
                });
                ui.separator();
                studio_ui::focus_ui(ui, &mut self.studio);
            });
        });
        if let Some(request) = self.studio.wanted(&self.frame.view) {
            self.frame.send(Command::Style(Box::new(request)));
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
