//! When no run could be built (a preset's data files are missing, say): the error, the paths
//! that were tried, and the fixes as buttons: open the file through a dialog, or train on the
//! embedded data instead. The setup panel stays usable on the configuration that failed.

use std::path::{Path, PathBuf};

use eframe::egui;

use super::action::Action;
use super::files::FileJob;
use super::view::RunView;
use crate::engine::adapt::switch_data;
use crate::engine::config::DataConfig;

/// The files a data source reads.
fn data_paths(data: &DataConfig) -> Vec<&Path> {
    match data {
        DataConfig::Idx { images, labels, .. } => {
            let mut v = vec![images.as_path()];
            v.extend(labels.as_deref());
            v
        }
        DataConfig::ImageFolder { path, .. } | DataConfig::Csv { path } => vec![path.as_path()],
        DataConfig::Cifar10 { files } => files.iter().map(PathBuf::as_path).collect(),
        _ => Vec::new(),
    }
}

/// Where a data path was looked for: beside the preset, then from the working directory.
pub fn paths_tried(path: &Path, preset: Option<&Path>) -> Vec<PathBuf> {
    if path.is_absolute() {
        return vec![path.to_path_buf()];
    }
    let mut tried = Vec::new();
    if let Some(dir) = preset.and_then(Path::parent) {
        tried.push(dir.join(path));
    }
    if let Ok(cwd) = std::env::current_dir() {
        tried.push(cwd.join(path));
    }
    tried
}

/// The fix a user can pick for data of this kind.
fn open_job(data: &DataConfig) -> Option<(FileJob, &'static str)> {
    Some(match data {
        DataConfig::Idx { .. } => (FileJob::OpenIdx, "Open MNIST-format file…"),
        DataConfig::ImageFolder { .. } => (FileJob::OpenImageFolder, "Open image folder…"),
        DataConfig::Cifar10 { .. } => (FileJob::OpenCifar, "Open CIFAR-10 folder…"),
        DataConfig::Csv { .. } => (FileJob::OpenCsv, "Open CSV of points…"),
        _ => return None,
    })
}

/// Draws nothing unless the last configuration failed to build.
pub fn build_failed_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    preset: Option<&Path>,
    actions: &mut Vec<Action>,
) {
    let Some((config, error)) = &view.build_failed else {
        return;
    };
    egui::Frame::group(ui.style())
        .fill(ui.visuals().error_fg_color.gamma_multiply(0.12))
        .show(ui, |ui| {
            ui.label(egui::RichText::new("This run could not be built").heading());
            ui.label(error.as_str());
            let missing: Vec<&Path> = data_paths(&config.data)
                .into_iter()
                .filter(|p| !p.exists())
                .collect();
            for p in missing {
                ui.label(format!("{} was looked for at:", p.display()));
                for tried in paths_tried(p, preset) {
                    ui.monospace(format!("  {}", tried.display()));
                }
            }
            ui.add_space(6.0);
            ui.horizontal_wrapped(|ui| {
                if let Some((job, label)) = open_job(&config.data)
                    && ui
                        .button(label)
                        .on_hover_text(
                            "Pick the file or folder yourself; the rest of the setup stays",
                        )
                        .clicked()
                {
                    actions.push(Action::File(job));
                }
                let (fallback, label) = if config.data.is_points() {
                    (
                        DataConfig::Ring {
                            modes: 8,
                            radius: 1.0,
                            std: 0.01,
                        },
                        "Use the ring of 8 instead",
                    )
                } else {
                    (
                        DataConfig::Digits { count: 10_000 },
                        "Use the embedded digits instead",
                    )
                };
                if ui
                    .button(label)
                    .on_hover_text("Train the same setup on data that ships with ganvas")
                    .clicked()
                {
                    actions.push(Action::ApplyConfig(Box::new(switch_data(config, fallback))));
                }
            });
            ui.small(
                "The setup panel on the right edits this configuration; any change tries again.",
            );
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_path_is_tried_beside_the_preset_then_here() {
        let tried = paths_tried(
            Path::new("../data/x.gz"),
            Some(Path::new("/p/presets/a.toml")),
        );
        assert_eq!(tried[0], Path::new("/p/presets/../data/x.gz"));
        assert_eq!(tried.len(), 2);
        assert!(tried[1].is_absolute());
        assert_eq!(
            paths_tried(Path::new("/abs/x"), None),
            vec![PathBuf::from("/abs/x")]
        );
    }
}
