//! The one eframe app the window runs: it holds the window of the preset's family (the GAN
//! window, the translation, super-resolution or StyleGAN window) and, when a preset of another
//! family is picked in one, closes that run and opens the other window on it, in the same
//! native window.

use std::path::Path;

use eframe::egui;

use super::app::GanvasApp;
use super::captions::CaptionsApp;
use super::stylegan::StyleApp;
use super::superres::SuperresApp;
use super::translation::TranslationApp;
use crate::engine::backend::Backend;
use crate::engine::trainer::protocol::Command;

/// What a family's window needs from eframe to open: the creation context at launch, the
/// running frame at a switch.
pub struct Opening<'a> {
    pub ctx: egui::Context,
    /// Whether a software renderer draws the window (it then redraws less often).
    pub software_renderer: bool,
    /// Where the window's settings persist between launches.
    pub storage: Option<&'a dyn eframe::Storage>,
}

impl<'a> From<&'a eframe::CreationContext<'a>> for Opening<'a> {
    fn from(cc: &'a eframe::CreationContext<'a>) -> Self {
        Self {
            ctx: cc.egui_ctx.clone(),
            software_renderer: super::app::software_renderer(cc),
            storage: cc.storage,
        }
    }
}

/// The window of one family.
pub enum Family {
    Gan(Box<GanvasApp>),
    Translation(Box<TranslationApp>),
    Superres(Box<SuperresApp>),
    Style(Box<StyleApp>),
    Captions(Box<CaptionsApp>),
}

impl Family {
    fn app(&mut self) -> &mut dyn eframe::App {
        match self {
            Family::Gan(app) => app.as_mut(),
            Family::Translation(app) => app.as_mut(),
            Family::Superres(app) => app.as_mut(),
            Family::Style(app) => app.as_mut(),
            Family::Captions(app) => app.as_mut(),
        }
    }

    fn take_switch(&mut self) -> Option<std::path::PathBuf> {
        match self {
            Family::Gan(app) => app.take_switch(),
            Family::Translation(app) => app.frame.take_switch(),
            Family::Superres(app) => app.frame.take_switch(),
            Family::Style(app) => app.frame.take_switch(),
            Family::Captions(app) => app.frame.take_switch(),
        }
    }

    /// Hands `command` to the window's trainer (as its own controls would).
    pub fn send(&mut self, command: Command) {
        match self {
            Family::Gan(app) => app.send(command),
            Family::Translation(app) => app.frame.send(command),
            Family::Superres(app) => app.frame.send(command),
            Family::Style(app) => app.frame.send(command),
            Family::Captions(app) => app.frame.send(command),
        }
    }

    fn note(&mut self, message: String) {
        match self {
            Family::Gan(app) => app.note(message),
            Family::Translation(app) => app.frame.note(message),
            Family::Superres(app) => app.frame.note(message),
            Family::Style(app) => app.frame.note(message),
            Family::Captions(app) => app.frame.note(message),
        }
    }
}

/// The app: the current family's window, and what opening another one takes.
pub struct Shell {
    pub family: Family,
    backend: Backend,
    software_renderer: bool,
    perf_log: bool,
}

impl Shell {
    pub fn new(family: Family, backend: Backend, software_renderer: bool, perf_log: bool) -> Self {
        Self {
            family,
            backend,
            software_renderer,
            perf_log,
        }
    }

    /// Replaces the current window with the one for the preset at `path` (its run, unsaved,
    /// ends as loading a preset within a window ends it). The leaving window first saves its
    /// settings and closes as at exit (its crash copy is removed). On an error the current
    /// window stays and says why.
    fn switch(&mut self, path: &Path, ctx: &egui::Context, frame: &mut eframe::Frame) {
        let opening = Opening {
            ctx: ctx.clone(),
            software_renderer: self.software_renderer,
            storage: frame.storage(),
        };
        match open(path, &opening, &self.backend, self.perf_log) {
            Ok(family) => {
                if let Some(storage) = frame.storage_mut() {
                    self.family.app().save(storage);
                }
                self.family.app().on_exit();
                self.family = family;
                // The picker's list that chose the preset must not stay open in the new
                // window (both windows' pickers have the same id).
                egui::Popup::close_all(ctx);
            }
            Err(e) => self.family.note(format!("Error: {e}")),
        }
    }
}

/// The window for the preset at `path`, paused at step 0.
pub fn open(
    path: &Path,
    opening: &Opening<'_>,
    backend: &Backend,
    perf_log: bool,
) -> anyhow::Result<Family> {
    super::window::Window::of_preset(path)?.open(opening, backend, false, perf_log)
}

impl eframe::App for Shell {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.family.app().logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.family.app().ui(ui, frame);
        if let Some(path) = self.family.take_switch() {
            let ctx = ui.ctx().clone();
            self.switch(&path, &ctx, frame);
            ctx.request_repaint();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.family.app().save(storage);
    }

    fn on_exit(&mut self) {
        self.family.app().on_exit();
    }
}

#[cfg(test)]
mod tests {
    use eframe::egui::accesskit::Role;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;
    use crate::engine::backend::{BackendChoice, select};
    use crate::engine::trainer::protocol::RunSetup;
    use crate::gui::harness::until;

    fn shell(preset: &str) -> Harness<'static, Shell> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(preset);
        let backend = select(BackendChoice::Cpu).expect("cpu");
        let mut h = Harness::builder()
            .with_size([1400.0, 900.0])
            .build_eframe(move |cc| {
                let family = open(&path, &Opening::from(&*cc), &backend, false).expect("window");
                Shell::new(family, backend, false, false)
            });
        assert!(
            until(&mut h, 60, |s| built(s).is_some()),
            "the run is built"
        );
        h
    }

    /// The family of the run the current window shows, once its trainer reported it.
    fn built(s: &Shell) -> Option<&'static str> {
        let info = match &s.family {
            Family::Gan(app) => app.view.info.as_ref(),
            Family::Translation(app) => app.frame.view.info.as_ref(),
            Family::Superres(app) => app.frame.view.info.as_ref(),
            Family::Style(app) => app.frame.view.info.as_ref(),
            Family::Captions(app) => app.frame.view.info.as_ref(),
        }?;
        Some(match (&s.family, &info.setup) {
            (Family::Gan(_), RunSetup::Gan(_)) => "gan",
            (Family::Translation(_), RunSetup::Cycle(_)) => "cyclegan",
            (Family::Superres(_), RunSetup::Superres(_)) => "superres",
            (Family::Style(_), RunSetup::Style(_)) => "stylegan",
            (Family::Captions(_), RunSetup::Captions(_)) => "captions",
            _ => "mismatch",
        })
    }

    /// Opens the setup panel's preset picker and picks the entry named `name`.
    fn pick(h: &mut Harness<'static, Shell>, name: &str) {
        h.get_by_role_and_label(Role::ComboBox, "preset").click();
        h.run_steps(2);
        h.get_by_label(name).click_accesskit();
        h.run_steps(2);
    }

    #[test]
    fn picking_a_preset_of_another_family_switches_the_window_and_back() {
        let mut h = shell("presets/ring8-vanilla.toml");
        assert_eq!(built(h.state()), Some("gan"));
        pick(
            &mut h,
            "Translation: Digits: thin <-> thick strokes (CycleGAN)",
        );
        assert!(
            until(&mut h, 120, |s| built(s) == Some("cyclegan")),
            "the translation window opens and builds its run"
        );
        // Its Play trains the CycleGAN run (a round takes well under a second here).
        h.get_by_label("Play").click();
        assert!(until(&mut h, 120, |s| match &s.family {
            Family::Translation(app) => app.frame.view.step >= 1,
            _ => false,
        }));
        pick(
            &mut h,
            "Super-resolution: Digits 4× super-resolution (7 -> 28 px)",
        );
        assert!(
            until(&mut h, 120, |s| built(s) == Some("superres")),
            "the super-resolution window opens and builds its run"
        );
        pick(&mut h, "StyleGAN: Digits StyleGAN (32 px)");
        assert!(
            until(&mut h, 120, |s| built(s) == Some("stylegan")),
            "the StyleGAN window opens and builds its run"
        );
        pick(&mut h, "Text-to-image: Captioned digits (text-to-image)");
        assert!(
            until(&mut h, 120, |s| built(s) == Some("captions")),
            "the text-to-image window opens and builds its run"
        );
        pick(&mut h, "Ring of 8, vanilla GAN");
        assert!(
            until(&mut h, 60, |s| built(s) == Some("gan")),
            "and a GAN preset brings the GAN window back"
        );
        match &h.state().family {
            Family::Gan(app) => assert_eq!(app.view.step, 0, "a new run, paused"),
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_broken_preset_of_the_other_family_leaves_the_window_and_says_why() {
        let dir = std::env::temp_dir().join(format!("ganvas-shell-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let broken = dir.join("broken-cyclegan.toml");
        std::fs::write(
            &broken,
            "family = \"cyclegan\"\nname = \"x\"\n[cyclegan]\nbatch_size = 0\n",
        )
        .expect("write");
        let mut h = shell("presets/ring8-vanilla.toml");
        match &mut h.state_mut().family {
            Family::Gan(app) => app.switch_to = Some(broken.clone()),
            _ => unreachable!(),
        }
        h.run_steps(2);
        let Family::Gan(app) = &h.state().family else {
            panic!("the GAN window stays");
        };
        assert!(
            app.view.messages.iter().any(|m| m.starts_with("Error:")),
            "{:?}",
            app.view.messages
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
