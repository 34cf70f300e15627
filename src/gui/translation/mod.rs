//! The window of a translation family (CycleGAN): the same trainer protocol, controls,
//! curves and messages as the GAN window, with the family's own views: translation strips
//! of fixed held-out images with their history, your own image drawn, opened or dropped and
//! translated both ways live, the translation metrics, and the family's presets.

mod edit;
mod own_image;
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
use crate::engine::cyclegan::preset::CyclePreset;
use crate::engine::data::files::{decode_image, image_pixels};
use crate::engine::trainer::protocol::{Command, Event, RunInfo, RunSetup, TranslateRequest};
use crate::engine::trainer::thread::Trainer;
use own_image::{OwnImage, own_image_ui};

/// What sets this window apart in words and sizes.
static LOOK: FamilyLook = FamilyLook {
    key: crate::engine::cyclegan::DESCRIPTION.key,
    elsewhere: "Error: that belongs to the GAN window (a CycleGAN run has no latent space or 2D view)",
    file_jobs: &[
        ("Save checkpoint…", FileJob::SaveCheckpoint),
        ("Load checkpoint…", FileJob::LoadCheckpoint),
        ("Open image to translate…", FileJob::OpenImage),
        ("Export translation strips (PNG)…", FileJob::ExportSamples),
        ("Export metrics (CSV)…", FileJob::ExportMetrics),
        ("Export timelapse (GIF)…", FileJob::ExportTimelapse),
        ("Save setup as preset…", FileJob::SavePreset),
    ],
    pace_hint: "Slow motion: a pause after each round (the critics' update, then the \
                generators') while playing (0: full speed), so that each round's change to \
                the curves and strips can be followed.",
    metrics_tab: [
        "Translation metrics",
        "Label preservation and cycle L1 on held-out images, every metrics_every rounds",
    ],
    setup_width: [0.22, 220.0, 360.0],
    plots_width: [0.28, 260.0, 480.0],
};

/// The CycleGAN window.
pub struct TranslationApp {
    pub(in crate::gui) frame: FamilyWindow,
    strips_texture: Option<(u64, egui::TextureHandle)>,
    own: OwnImage,
    /// The run's settings as edited in the setup panel.
    editor: edit::Editor,
}

impl TranslationApp {
    /// Starts a CycleGAN trainer thread on `preset`, waking the window whenever it reports.
    #[cfg(test)]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        preset: CyclePreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::open(&Opening::from(cc), preset, backend, play)
    }

    /// [`TranslationApp::new`] from what the shell keeps of eframe's context.
    pub fn open(
        opening: &Opening<'_>,
        preset: CyclePreset,
        backend: Backend,
        play: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let name = preset.name.clone();
        let waker = repaint_waker(opening);
        let trainer = Trainer::spawn_cycle(preset, backend.clone(), Some(waker))?;
        let recovery = Recovery::at(recovery::translation_path());
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
            strips_texture: None,
            own: OwnImage::default(),
            editor: edit::Editor::default(),
        })
    }

    fn drain_events(&mut self) {
        let (own, editor) = (&mut self.own, &mut self.editor);
        self.frame.drain_events(|frame, event| match event {
            Event::Translated {
                id,
                input,
                forward,
                back,
                ..
            } => {
                own.receive(id, [input, forward, back]);
                None
            }
            Event::Ready(info) => {
                follow_run(frame, own, editor, &info);
                Some(Event::Ready(info))
            }
            event => Some(event),
        });
    }

    /// An image file for the pad: fitted to the source domain's shape.
    fn open_image(&mut self, path: &Path) {
        let Some(info) = &self.frame.view.info else {
            return;
        };
        let source = &info.domains[usize::from(!self.own.a_to_b)];
        match decode_image(path) {
            Ok(img) => {
                let name = path
                    .file_name()
                    .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
                self.own
                    .set(image_pixels(&img, source.channels, source.side), name);
            }
            Err(e) => self.frame.view.messages.push(format!(
                "Error: {} is not an image ganvas can read: {e}",
                path.display()
            )),
        }
    }

    /// Writes the running run's setup (as edited and applied) as a preset file.
    fn save_preset(&self, path: &Path) -> String {
        let Some(RunSetup::Cycle(preset)) = self.frame.view.info.as_ref().map(|i| &i.setup) else {
            return "Error: no CycleGAN run is loaded yet".into();
        };
        let mut preset = (**preset).clone();
        if !preset.name.ends_with(" (edited)") {
            preset.name.push_str(" (edited)");
        }
        match preset.save(path) {
            Ok(()) => format!("Saved the current setup as a preset: {}.", path.display()),
            Err(e) => format!("Error: {e}"),
        }
    }

    fn file_chosen(&mut self, job: FileJob, path: PathBuf) {
        match job {
            FileJob::LoadCheckpoint => {
                self.editor.clear();
                self.frame.send(Command::LoadCheckpoint(path));
            }
            FileJob::OpenImage => self.open_image(&path),
            FileJob::SavePreset => {
                let message = self.save_preset(&path);
                self.frame.note(message);
            }
            _ => self.frame.file_chosen(job, path),
        }
    }

    fn apply(&mut self, actions: Vec<Action>) {
        let (own, editor) = (&mut self.own, &mut self.editor);
        self.frame.apply(actions, |frame, action| match action {
            Action::Translate { a_to_b, pixels } => {
                let id = own.version;
                frame.send(Command::Translate(TranslateRequest { id, a_to_b, pixels }));
            }
            Action::LoadPreset(path) | Action::LessonPreset(path) => {
                let rebuilt = frame.load_preset(&path, |path| {
                    let p = CyclePreset::load(path).map_err(|e| e.to_string())?;
                    Ok((p.name.clone(), RunSetup::Cycle(Box::new(p))))
                });
                if rebuilt {
                    *own = OwnImage::default();
                    editor.clear();
                }
            }
            // GAN-only requests.
            _ => frame.elsewhere(),
        });
    }
}

/// A run arrived (built, reset, loaded from a checkpoint or a crash copy): the bar names
/// its preset, the editor starts from its settings, and an image on the pad of other
/// domains is dropped.
fn follow_run(
    frame: &mut FamilyWindow,
    own: &mut OwnImage,
    editor: &mut edit::Editor,
    info: &RunInfo,
) {
    let RunSetup::Cycle(preset) = &info.setup else {
        return;
    };
    let before = frame.view.info.as_ref().map(|i| &i.setup);
    if before == Some(&info.setup) {
        return;
    }
    frame.preset_name = preset.name.clone();
    editor.clear();
    let domains = |i: &RunInfo| i.domains.clone();
    if frame.view.info.as_ref().map(domains) != Some(domains(info)) {
        *own = OwnImage::default();
    }
}

impl eframe::App for TranslationApp {
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
        let preset = views::readable(&self.frame.preset_name);
        let mut actions = self.frame.bars_ui(ui, &preset);
        let editor = &mut self.editor;
        let applied = self.frame.side_panels_ui(
            ui,
            &mut actions,
            |ui, view, presets, actions| views::setup_ui(ui, view, presets, editor, actions),
            views::metrics_ui,
        );
        if let Some(preset) = applied {
            self.editor.clear();
            self.own = OwnImage::default();
            self.frame
                .send(Command::Rebuild(Box::new(RunSetup::Cycle(Box::new(
                    preset,
                )))));
        }
        let texture = self
            .frame
            .samples_texture(&mut self.strips_texture, "strips");
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            recovered = recovery_ui(ui, &self.frame.recovery);
            views::strips_ui(ui, &self.frame.view, texture.as_ref(), &mut actions);
            ui.separator();
            if let Some(info) = &self.frame.view.info {
                let strips = self.frame.view.shown().map(|(_, s)| s);
                own_image_ui(ui, &mut self.own, &info.domains, strips, &mut actions);
            }
        });
        if let Some(ask) = self.own.request(self.frame.view.snapshot_version) {
            actions.push(ask);
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
