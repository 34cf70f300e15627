//! The desktop app (eframe/egui). It drives the engine only through the trainer's
//! command/event protocol: no burn type is used here, and the UI thread never waits on training.

mod action;
mod app;
mod app_actions;
mod app_textures;
mod augment_lab;
mod captions;
mod close_guard;
mod collapse;
mod compare;
mod controls;
mod data_setup;
mod decimate;
mod explorer;
mod family_frame;
mod family_window;
mod files;
#[cfg(test)]
mod harness;
mod layout;
mod lesson;
mod missing_data;
mod panels;
mod perf;
mod plane;
mod plane_layers;
pub mod plot_bench;
mod preset_list;
mod recovery;
mod setup;
mod shell;
mod stylegan;
mod superres;
mod training_clock;
mod translation;
mod view;
mod view_export;
mod window;

use std::path::Path;

use crate::engine::backend::{self, BackendChoice};
use window::Window;

/// The family of the preset file at `path` ("gan", "cyclegan", "superres", "stylegan"; a preset that
/// names none is a GAN's).
fn family_of_file(path: &Path) -> anyhow::Result<String> {
    let text = crate::engine::preset::read_text(path)?;
    Ok(crate::engine::preset::family_of(&text).unwrap_or_else(|| "gan".into()))
}

/// Whether the window of family `own` ("gan", "cyclegan", "superres") must hand the preset at
/// `path` over: it is of another family (then `switch_to` names it, for the shell), or it
/// cannot be read (then `messages` says why).
fn hand_over(
    path: &Path,
    own: &str,
    switch_to: &mut Option<std::path::PathBuf>,
    messages: &mut Vec<String>,
) -> bool {
    match family_of_file(path) {
        Ok(family) if family == own => false,
        Ok(_) => {
            *switch_to = Some(path.to_path_buf());
            true
        }
        Err(e) => {
            messages.push(format!("Error: {e}"));
            true
        }
    }
}

/// Opens the window with `preset` (the embedded default when None) or the run a checkpoint
/// holds (its family's window on the preset it was trained from, the checkpoint loaded),
/// training at once if `play`; `perf_log` prints frame-time percentiles and steps/s every 5 s.
pub fn run(
    preset: Option<&Path>,
    checkpoint: Option<&Path>,
    play: bool,
    choice: BackendChoice,
    perf_log: bool,
) -> anyhow::Result<()> {
    let (window, checkpoint) = match (preset, checkpoint) {
        (_, Some(c)) => {
            let (window, path) = Window::of_checkpoint(c)?;
            (window, Some(path))
        }
        (Some(p), None) => (Window::of_preset(p)?, None),
        (None, None) => (
            Window::Gan(Box::new(crate::engine::preset::default_preset())),
            None,
        ),
    };
    let backend = backend::select(choice)?;
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("ganvas")
            .with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    eframe::run_native(
        "ganvas",
        options,
        Box::new(move |cc| -> Result<Box<dyn eframe::App>, _> {
            let software = app::software_renderer(cc);
            let opening = shell::Opening::from(cc);
            let family = window::launch(window, checkpoint, &opening, &backend, play, perf_log)?;
            Ok(Box::new(shell::Shell::new(
                family, backend, software, perf_log,
            )))
        }),
    )
    .map_err(|e| {
        let headless =
            std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none();
        let hint = if headless {
            " (no display: run it on a desktop, under `xvfb-run`, or use `ganvas train` headless)"
        } else {
            " (scripts/install-gui-deps.sh installs the X11 and Vulkan libraries it needs)"
        };
        anyhow::anyhow!("cannot open the window: {e}{hint}")
    })
}
