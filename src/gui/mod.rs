//! The desktop app (eframe/egui). It drives the engine only through the trainer's
//! command/event protocol: no burn type is used here, and the UI thread never waits on training.

mod action;
mod app;
mod app_actions;
mod app_textures;
mod augment_lab;
mod close_guard;
mod collapse;
mod compare;
mod controls;
mod data_setup;
mod decimate;
mod explorer;
mod family_frame;
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

use std::path::Path;

use crate::engine::backend::{self, BackendChoice};
use crate::engine::cyclegan::preset::CyclePreset;
use crate::engine::preset::Preset;
use crate::engine::stylegan::preset::StylePreset;
use crate::engine::superres::preset::SrPreset;

/// Which window a preset opens: each family brings its own views.
enum Window {
    Gan(Box<Preset>),
    Translation(Box<CyclePreset>),
    Superres(Box<SrPreset>),
    Style(Box<StylePreset>),
}

/// The family of the preset file at `path` ("gan", "cyclegan", "superres", "stylegan"; a preset that
/// names none is a GAN's).
fn family_of_file(path: &Path) -> anyhow::Result<String> {
    let text = crate::engine::preset::read_text(path)?;
    Ok(crate::engine::preset::family_of(&text).unwrap_or_else(|| "gan".into()))
}

/// Whether the preset file at `path` is of the CycleGAN family.
fn is_cyclegan(path: &Path) -> anyhow::Result<bool> {
    Ok(family_of_file(path)? == crate::engine::cyclegan::DESCRIPTION.key)
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

/// Opens the window with `preset` (the embedded default when None), training at once if `play`.
/// Opens the window; `perf_log` prints frame-time percentiles and steps/s every 5 s.
pub fn run(
    preset: Option<&Path>,
    play: bool,
    choice: BackendChoice,
    perf_log: bool,
) -> anyhow::Result<()> {
    let window = match preset {
        Some(p) if is_cyclegan(p)? => Window::Translation(Box::new(CyclePreset::load(p)?)),
        Some(p) if family_of_file(p)? == crate::engine::superres::DESCRIPTION.key => {
            Window::Superres(Box::new(SrPreset::load(p)?))
        }
        Some(p) if family_of_file(p)? == crate::engine::stylegan::DESCRIPTION.key => {
            Window::Style(Box::new(StylePreset::load(p)?))
        }
        Some(p) => Window::Gan(Box::new(Preset::load(p)?)),
        None => Window::Gan(Box::new(crate::engine::preset::default_preset())),
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
            let family =
                match window {
                    Window::Gan(preset) => shell::Family::Gan(Box::new(app::GanvasApp::new(
                        cc,
                        *preset,
                        backend.clone(),
                        play,
                        perf_log,
                    )?)),
                    Window::Translation(preset) => shell::Family::Translation(Box::new(
                        translation::TranslationApp::new(cc, *preset, backend.clone(), play)?,
                    )),
                    Window::Superres(preset) => shell::Family::Superres(Box::new(
                        superres::SuperresApp::new(cc, *preset, backend.clone(), play)?,
                    )),
                    Window::Style(preset) => shell::Family::Style(Box::new(
                        stylegan::StyleApp::new(cc, *preset, backend.clone(), play)?,
                    )),
                };
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
