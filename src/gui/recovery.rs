//! A crash copy of the window's run: every few minutes of training the trainer writes the run
//! to one recovery checkpoint; a normal exit deletes it, so finding it at start means the last
//! session ended without closing (a crash, a killed process, a power cut), and the window
//! offers to bring that run back.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use eframe::egui;

use super::training_clock::TrainingClock;
use super::view::RunView;
use crate::engine::trainer::protocol::Command;

/// Training time between two crash copies.
pub const EVERY: Duration = Duration::from_secs(300);

/// Where the GAN window's crash copy lives: beside the cached classifiers.
pub fn default_path() -> Option<PathBuf> {
    crate::engine::metrics::classifier::cache_dir().map(|d| d.join("recovery.ganvas"))
}

/// Where the translation window's crash copy lives (its own file: each window offers the
/// copy it can load).
pub fn translation_path() -> Option<PathBuf> {
    crate::engine::metrics::classifier::cache_dir().map(|d| d.join("recovery-translation.ganvas"))
}

/// Where the super-resolution window's crash copy lives.
pub fn superres_path() -> Option<PathBuf> {
    crate::engine::metrics::classifier::cache_dir().map(|d| d.join("recovery-superres.ganvas"))
}

/// Where the text-to-image window's crash copy lives.
pub fn captions_path() -> Option<PathBuf> {
    crate::engine::metrics::classifier::cache_dir().map(|d| d.join("recovery-captions.ganvas"))
}

/// Where the StyleGAN window's crash copy lives.
pub fn stylegan_path() -> Option<PathBuf> {
    crate::engine::metrics::classifier::cache_dir().map(|d| d.join("recovery-stylegan.ganvas"))
}

/// A line for the GAN window when the translation window left a crash copy, which only that
/// window can load.
pub fn translation_copy_note() -> Option<String> {
    let path = translation_path()?;
    std::fs::metadata(&path).ok()?;
    Some(format!(
        "The last session ended in the translation window without closing it; a copy of its CycleGAN run is kept ({}). Pick a Translation preset in the preset list to be offered it.",
        path.display()
    ))
}

pub struct Recovery {
    path: Option<PathBuf>,
    /// Training time between copies ([`EVERY`]).
    pub every: Duration,
    /// A copy left by a session that did not end normally, and when it was written.
    pub offered: Option<SystemTime>,
    since_copy: TrainingClock,
}

/// What the user answered to the offer.
pub enum Answer {
    Restore(PathBuf),
    Discard,
}

impl Recovery {
    /// The crash copy at `path`; one already there is offered.
    pub fn at(path: Option<PathBuf>) -> Self {
        let offered = path
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| m.modified().unwrap_or(SystemTime::now()));
        Self {
            path,
            every: EVERY,
            offered,
            since_copy: TrainingClock::default(),
        }
    }

    /// Once per frame: the command that writes a new copy, when one is due. None while an
    /// old copy is still offered (writing would replace the run it could bring back).
    pub fn tick(&mut self, view: &RunView) -> Option<Command> {
        self.since_copy.tick(view.running);
        let path = self.path.as_ref()?;
        if self.offered.is_some() || self.since_copy.elapsed() < self.every {
            return None;
        }
        self.since_copy.reset();
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        Some(Command::SaveRecovery(path.clone()))
    }

    /// Carries out the user's answer to the offer.
    pub fn answer(&mut self, answer: &Answer) {
        self.offered = None;
        if let (Answer::Discard, Some(path)) = (answer, &self.path) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// A normal exit: nothing to recover next time.
    pub fn exit(&self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The offer, above the samples, until answered.
pub fn recovery_ui(ui: &mut egui::Ui, recovery: &Recovery) -> Option<Answer> {
    let written = recovery.offered?;
    let path = recovery.path.clone()?;
    let minutes = SystemTime::now()
        .duration_since(written)
        .map_or(0, |d| d.as_secs() / 60);
    let ago = match minutes {
        0 => "less than a minute ago".to_string(),
        1 => "a minute ago".to_string(),
        m => format!("{m} min ago"),
    };
    let mut answer = None;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "The last session ended without closing the window (a crash?). A copy of its run from {ago} is kept."
            ));
            if ui
                .button("Restore it")
                .on_hover_text("Load the copy: the networks, their optimizers, the curves and metrics, at the step it was copied")
                .clicked()
            {
                answer = Some(Answer::Restore(path.clone()));
            }
            if ui.button("Discard").clicked() {
                answer = Some(Answer::Discard);
            }
        });
    });
    answer
}
