//! The presets every window offers: the GAN presets and lessons of `presets/` and the
//! CycleGAN, super-resolution and StyleGAN presets of their folders, in one picker. Picking a
//! preset of another family switches the window (see `shell`).

use std::path::{Path, PathBuf};

use eframe::egui;

use super::action::Action;
use crate::engine::cyclegan::preset::{CyclePreset, shipped_dir};
use crate::engine::preset::{Preset, list, list_with_lessons};

/// What a CycleGAN preset's name starts with in the picker (it opens the translation window).
pub const TRANSLATION_PREFIX: &str = "Translation: ";
/// What a super-resolution preset's name starts with in the picker (it opens its window).
pub const SUPERRES_PREFIX: &str = "Super-resolution: ";
/// What a StyleGAN preset's name starts with in the picker (it opens its window).
pub const STYLEGAN_PREFIX: &str = "StyleGAN: ";
/// What a text-to-image preset's name starts with in the picker (it opens its window).
pub const CAPTIONS_PREFIX: &str = "Text-to-image: ";

/// Presets found under `presets/` (name shown, path).
#[derive(Default)]
pub struct PresetList {
    pub entries: Vec<(String, PathBuf)>,
}

impl PresetList {
    /// Every preset file under `dir` that parses; the others are listed in `errors`.
    pub fn scan(dir: &Path) -> (Self, Vec<String>) {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for path in list_with_lessons(dir) {
            match Preset::load(&path) {
                Ok(p) => {
                    let name = match &p.lesson {
                        Some(l) => format!("Lesson: {}", l.title),
                        None => p.name,
                    };
                    entries.push((name, path));
                }
                Err(e) => errors.push(format!("Error: {e}")),
            }
        }
        for path in list(&shipped_dir(dir)) {
            match CyclePreset::load(&path) {
                Ok(p) => entries.push((format!("{TRANSLATION_PREFIX}{}", readable(&p.name)), path)),
                Err(e) => errors.push(format!("Error: {e}")),
            }
        }
        let superres = crate::engine::superres::preset::shipped_dir(dir);
        for path in list(&superres) {
            match crate::engine::superres::preset::SrPreset::load(&path) {
                Ok(p) => entries.push((format!("{SUPERRES_PREFIX}{}", readable(&p.name)), path)),
                Err(e) => errors.push(format!("Error: {e}")),
            }
        }
        for path in list(&dir.join("stylegan")) {
            match crate::engine::stylegan::preset::StylePreset::load(&path) {
                Ok(p) => entries.push((format!("{STYLEGAN_PREFIX}{}", readable(&p.name)), path)),
                Err(e) => errors.push(format!("Error: {e}")),
            }
        }
        for path in list(&dir.join("captions")) {
            match crate::engine::captions::preset::CaptionPreset::load(&path) {
                Ok(p) => entries.push((format!("{CAPTIONS_PREFIX}{}", readable(&p.name)), path)),
                Err(e) => errors.push(format!("Error: {e}")),
            }
        }
        (Self { entries }, errors)
    }

    /// A combo box of every preset; picking one pushes `LoadPreset`.
    pub fn picker_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        egui::ComboBox::from_label("preset")
            .selected_text("open a preset…")
            .show_ui(ui, |ui| {
                for (name, path) in &self.entries {
                    if ui
                        .selectable_label(false, name)
                        .on_hover_text(path.display().to_string())
                        .clicked()
                    {
                        actions.push(Action::LoadPreset(path.clone()));
                    }
                }
            })
            .response
            .on_hover_text("Load a preset or lesson from presets/: data, networks, objective and tricks at once (a new run at step 0). A CycleGAN preset opens the translation window, a StyleGAN, super-resolution or text-to-image preset its own window, a GAN preset the GAN window.");
    }
}

/// `text` with the arrows egui's default fonts lack written in ASCII.
pub fn readable(text: &str) -> String {
    text.replace('↔', "<->")
        .replace('→', "->")
        .replace('←', "<-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_presets_of_both_families_are_listed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("presets");
        let (list, errors) = PresetList::scan(&dir);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<&str> = list.entries.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"Digits DCGAN"), "{names:?}");
        assert!(
            names.iter().any(|n| n.starts_with("Lesson: ")),
            "lessons too"
        );
        let cyclegan: Vec<&&str> = names
            .iter()
            .filter(|n| n.starts_with(TRANSLATION_PREFIX))
            .collect();
        let files = std::fs::read_dir(dir.join("cyclegan"))
            .expect("presets/cyclegan")
            .count();
        assert_eq!(cyclegan.len(), files, "every CycleGAN preset: {names:?}");
        assert!(cyclegan.iter().all(|n| n.is_ascii()), "{cyclegan:?}");
        let stylegan = names
            .iter()
            .filter(|n| n.starts_with(STYLEGAN_PREFIX))
            .count();
        let files = std::fs::read_dir(dir.join("stylegan"))
            .expect("presets/stylegan")
            .count();
        assert_eq!(stylegan, files, "every StyleGAN preset: {names:?}");
        let captions = names
            .iter()
            .filter(|n| n.starts_with(CAPTIONS_PREFIX))
            .count();
        let files = std::fs::read_dir(dir.join("captions"))
            .expect("presets/captions")
            .count();
        assert_eq!(captions, files, "every text-to-image preset: {names:?}");
    }
}
