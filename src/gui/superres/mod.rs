//! The window of the super-resolution family: the same trainer protocol, controls, curves and
//! messages as the other windows, with the family's own views: the comparison of fixed
//! held-out images (low-res, bicubic, pixel network, GAN network, high-res) with its history;
//! the hallucination slider (ESRGAN's interpolation of the two networks' weights) with a swipe
//! divider between its output and bicubic; the user's own image upscaled live; the metrics
//! and the perception–distortion plane.

mod images;
mod views;

use std::path::{Path, PathBuf};

use eframe::egui;

use super::action::Action;
use super::family_frame::repaint_waker;
use super::family_window::{FamilyLook, FamilyWindow};
use super::files::FileJob;
use super::recovery::{self, Recovery, recovery_ui};
use super::shell::Opening;
use crate::engine::backend::Backend;
use crate::engine::data::files::decode_image;
use crate::engine::superres::preset::SrPreset;
use crate::engine::superres::tiles::Picture;
use crate::engine::trainer::protocol::{Command, Event, RunSetup, UpscaleRequest};
use crate::engine::trainer::thread::Trainer;
use images::Hallucination;

/// The longest side of an own image the window upscales (larger ones are shrunk to it
/// first, so that an upscale takes a moment, not the trainer's minutes; `ganvas upscale`
/// takes any size).
pub const OWN_IMAGE_MOST: usize = 96;

/// What sets this window apart in words and sizes.
static LOOK: FamilyLook = FamilyLook {
    key: crate::engine::superres::DESCRIPTION.key,
    elsewhere: "Error: that belongs to another window (a super-resolution run has no latent space, 2D view or translation)",
    file_jobs: &[
        ("Save checkpoint…", FileJob::SaveCheckpoint),
        ("Load checkpoint…", FileJob::LoadCheckpoint),
        ("Open image to upscale…", FileJob::OpenImage),
        ("Export comparison (PNG)…", FileJob::ExportSamples),
        ("Export metrics (CSV)…", FileJob::ExportMetrics),
        ("Export timelapse (GIF)…", FileJob::ExportTimelapse),
    ],
    pace_hint: "Slow motion: a pause after each round while playing (0: full speed)",
    metrics_tab: [
        "Quality metrics",
        "PSNR, SSIM, FID-lite and accuracy on held-out images, every metrics_every rounds, and the perception–distortion plane",
    ],
    setup_width: [0.2, 220.0, 340.0],
    plots_width: [0.26, 260.0, 460.0],
};

/// The super-resolution window.
pub struct SuperresApp {
    pub(in crate::gui) frame: FamilyWindow,
    comparison_texture: Option<(u64, egui::TextureHandle)>,
    /// The hallucination slider, the swipe, the own image and their upscales.
    pub(in crate::gui) live: Hallucination,
}

impl SuperresApp {
    /// Starts a super-resolution trainer thread on `preset`, waking the window when it reports.
    #[cfg(test)]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        preset: SrPreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::open(&Opening::from(cc), preset, backend, play)
    }

    /// [`SuperresApp::new`] from what the shell keeps of eframe's context.
    pub fn open(
        opening: &Opening<'_>,
        preset: SrPreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let name = preset.name.clone();
        let waker = repaint_waker(opening);
        let trainer = Trainer::spawn_superres(preset, backend.clone(), Some(waker))?;
        let recovery = Recovery::at(recovery::superres_path());
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
            comparison_texture: None,
            live: Hallucination::default(),
        })
    }

    fn drain_events(&mut self) {
        let live = &mut self.live;
        self.frame.drain_events(|frame, event| match event {
            Event::Upscaled(answer) => {
                live.receive(*answer, &frame.ctx);
                None
            }
            Event::Ready(info) => {
                if let RunSetup::Superres(p) = &info.setup {
                    frame.preset_name = p.name.clone();
                }
                if info.fresh() {
                    live.new_run();
                }
                Some(Event::Ready(info))
            }
            event => Some(event),
        });
    }

    /// An image file of one's own, as the run's channels (shrunk when large).
    fn open_image(&mut self, path: &Path) {
        let Some(info) = &self.frame.view.info else {
            return;
        };
        match decode_image(path) {
            Ok(img) => {
                let (picture, shrunk) = Picture::fitted(&img, info.channels, OWN_IMAGE_MOST);
                if picture.width < 2 || picture.height < 2 {
                    self.frame.view.messages.push(format!(
                        "Error: {} is {}×{} px: an input needs at least 2×2 pixels",
                        path.display(),
                        picture.width,
                        picture.height
                    ));
                    return;
                }
                if shrunk {
                    self.frame.view.messages.push(format!(
                        "{} is {}×{} px: shrunk to {}×{} for the window (ganvas upscale takes any size).",
                        path.display(),
                        img.width(),
                        img.height(),
                        picture.width,
                        picture.height
                    ));
                }
                let name = path
                    .file_name()
                    .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
                self.live.set_own(picture, name);
            }
            Err(e) => self.frame.view.messages.push(format!(
                "Error: {} is not an image ganvas can read: {e}",
                path.display()
            )),
        }
    }

    fn file_chosen(&mut self, job: FileJob, path: PathBuf) {
        match job {
            FileJob::OpenImage => self.open_image(&path),
            _ => self.frame.file_chosen(job, path),
        }
    }

    fn apply(&mut self, actions: Vec<Action>) {
        self.frame.apply(actions, |frame, action| match action {
            Action::LoadPreset(path) | Action::LessonPreset(path) => {
                frame.load_preset(&path, |path| {
                    let p = SrPreset::load(path).map_err(|e| e.to_string())?;
                    Ok((p.name.clone(), RunSetup::Superres(Box::new(p))))
                });
            }
            _ => frame.elsewhere(),
        });
    }

    /// Asks the trainer for what the hallucination view needs and does not have.
    fn request_upscale(&mut self) {
        if let Some((id, mix, own)) = self.live.wanted(&self.frame.view) {
            self.frame
                .send(Command::Upscale(UpscaleRequest { id, mix, own }));
        }
    }

    /// The latest answer, for tests.
    #[cfg(test)]
    pub(in crate::gui) fn last_upscaled(
        &self,
    ) -> Option<&crate::engine::trainer::protocol::Upscaled> {
        self.live.answer.as_ref()
    }
}

impl eframe::App for SuperresApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events();
        let (chosen, dropped) = self.frame.frame_effects(ctx);
        if let Some((job, path)) = chosen {
            self.file_chosen(job, path);
        }
        if let Some(path) = dropped {
            self.open_image(&path);
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
            .samples_texture(&mut self.comparison_texture, "sr-comparison");
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            let width = ui.available_width();
            egui::ScrollArea::vertical().show(ui, |ui| {
                // Wrapped rows wrap at the panel's edge, not at the scroll area's growing one.
                ui.set_max_width(width);
                recovered = recovery_ui(ui, &self.frame.recovery);
                views::comparison_ui(ui, width, &self.frame.view, texture.as_ref(), &mut actions);
                ui.separator();
                images::hallucination_ui(ui, width, &mut self.live, &self.frame.view, &mut actions);
            });
        });
        self.request_upscale();
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
