//! Which family's window a preset file or a checkpoint opens, and opening it: the launch
//! (`ganvas gui --preset | --checkpoint`) and a switch between families take the same path.

use std::path::{Path, PathBuf};

use super::app::GanvasApp;
use super::captions::CaptionsApp;
use super::shell::{Family, Opening};
use super::stylegan::StyleApp;
use super::superres::SuperresApp;
use super::translation::TranslationApp;
use crate::engine::backend::Backend;
use crate::engine::captions::checkpoint::CaptionCheckpoint;
use crate::engine::captions::preset::CaptionPreset;
use crate::engine::checkpoint::{self, Checkpoint};
use crate::engine::cyclegan::checkpoint::CycleCheckpoint;
use crate::engine::cyclegan::preset::CyclePreset;
use crate::engine::preset::Preset;
use crate::engine::stylegan::checkpoint::StyleCheckpoint;
use crate::engine::stylegan::preset::StylePreset;
use crate::engine::superres::checkpoint::SrCheckpoint;
use crate::engine::superres::preset::SrPreset;
use crate::engine::trainer::protocol::Command;
use crate::engine::{captions, cyclegan, stylegan, superres};

/// Which window a preset opens: each family brings its own views.
pub enum Window {
    Gan(Box<Preset>),
    Translation(Box<CyclePreset>),
    Superres(Box<SrPreset>),
    Style(Box<StylePreset>),
    Captions(Box<CaptionPreset>),
}

impl Window {
    /// The window for the preset file at `path`, of the family the file names.
    pub fn of_preset(path: &Path) -> anyhow::Result<Self> {
        let family = super::family_of_file(path)?;
        Ok(if family == cyclegan::DESCRIPTION.key {
            Window::Translation(Box::new(CyclePreset::load(path)?))
        } else if family == superres::DESCRIPTION.key {
            Window::Superres(Box::new(SrPreset::load(path)?))
        } else if family == stylegan::DESCRIPTION.key {
            Window::Style(Box::new(StylePreset::load(path)?))
        } else if family == captions::DESCRIPTION.key {
            Window::Captions(Box::new(CaptionPreset::load(path)?))
        } else {
            Window::Gan(Box::new(Preset::load(path)?))
        })
    }

    /// The window for the checkpoint at `path` (a file, or a run directory's latest), on the
    /// preset it was trained from; the caller then loads the checkpoint into its run. The
    /// whole file is read and checked here, so a broken one is refused before a window opens.
    pub fn of_checkpoint(path: &Path) -> anyhow::Result<(Self, PathBuf)> {
        let path = checkpoint::resolve(path);
        let family = checkpoint::peek(&path)?.0.key;
        let window = if family == cyclegan::DESCRIPTION.key {
            Window::Translation(Box::new(CycleCheckpoint::read(&path)?.preset))
        } else if family == superres::DESCRIPTION.key {
            Window::Superres(Box::new(SrCheckpoint::read(&path)?.preset))
        } else if family == stylegan::DESCRIPTION.key {
            Window::Style(Box::new(StyleCheckpoint::read(&path)?.preset))
        } else if family == captions::DESCRIPTION.key {
            Window::Captions(Box::new(CaptionCheckpoint::read(&path)?.preset))
        } else {
            let ckpt = Checkpoint::read(&path)?;
            let name = format!("checkpoint {}", path.display());
            Window::Gan(Box::new(Preset::from_config(&name, "", &ckpt.config)))
        };
        Ok((window, path))
    }

    /// Opens the window: its trainer thread builds the run, and plays at once if `play`.
    pub fn open(
        self,
        opening: &Opening<'_>,
        backend: &Backend,
        play: bool,
        perf_log: bool,
    ) -> anyhow::Result<Family> {
        let backend = backend.clone();
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| anyhow::anyhow!("{e}");
        Ok(match self {
            Window::Gan(p) => Family::Gan(Box::new(
                GanvasApp::open(opening, *p, backend, play, perf_log).map_err(failed)?,
            )),
            Window::Translation(p) => Family::Translation(Box::new(
                TranslationApp::open(opening, *p, backend, play).map_err(failed)?,
            )),
            Window::Superres(p) => Family::Superres(Box::new(
                SuperresApp::open(opening, *p, backend, play).map_err(failed)?,
            )),
            Window::Style(p) => Family::Style(Box::new(
                StyleApp::open(opening, *p, backend, play).map_err(failed)?,
            )),
            Window::Captions(p) => Family::Captions(Box::new(
                CaptionsApp::open(opening, *p, backend, play).map_err(failed)?,
            )),
        })
    }
}

/// Opens `window` (see [`Window::open`]); with a `checkpoint`, loads it into the run first and
/// plays after, if `play` (loading pauses the run it replaces).
pub fn launch(
    window: Window,
    checkpoint: Option<PathBuf>,
    opening: &Opening<'_>,
    backend: &Backend,
    play: bool,
    perf_log: bool,
) -> anyhow::Result<Family> {
    let Some(path) = checkpoint else {
        return window.open(opening, backend, play, perf_log);
    };
    let mut family = window.open(opening, backend, false, perf_log)?;
    family.send(Command::LoadCheckpoint(path));
    if play {
        family.send(Command::Play);
    }
    Ok(family)
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
