//! File dialogs (rfd) on a helper thread, so the window keeps drawing while one is open, and
//! the effects of a chosen path: checkpoints go to the trainer, exports are written here
//! (atomically, like every file ganvas writes).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};

use eframe::egui;

use super::view::RunView;
use crate::engine::export;
use crate::engine::preset::Preset;
use crate::engine::trainer::protocol::MetricValue;

/// What a chosen path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileJob {
    SaveCheckpoint,
    LoadCheckpoint,
    ExportSamples,
    ExportMetrics,
    /// The snapshot history as an animated GIF.
    ExportTimelapse,
    /// The 2D view as drawn (heatmap, colour bar, axes, step) as a PNG.
    ExportPlanePng,
    /// The 2D view over the run's history as an animated GIF.
    ExportPlaneGif,
    SavePreset,
    /// Train on an MNIST-format IDX images file (labels found beside it).
    OpenIdx,
    /// Train on a folder of images (subfolders: classes).
    OpenImageFolder,
    /// Train on a folder holding CIFAR-10 binary batches.
    OpenCifar,
    /// Train on a CSV of x,y points.
    OpenCsv,
    /// An image of one's own (PNG, JPEG, …) to translate (CycleGAN) or upscale (super-resolution).
    OpenImage,
    /// The folder for the augmentation lab's results.
    AugmentFolder,
    /// The augmentation lab's runs as CSV.
    ExportAugmentCsv,
    /// The augmentation lab's bar chart as PNG.
    ExportAugmentChart,
}

/// What kind of dialog a job needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pick {
    Save,
    File,
    Folder,
}

impl FileJob {
    fn dialog(self) -> rfd::FileDialog {
        let d = rfd::FileDialog::new();
        match self {
            FileJob::SaveCheckpoint => d
                .set_title("Save checkpoint")
                .add_filter("ganvas checkpoint", &["ganvas"])
                .set_file_name("run.ganvas"),
            FileJob::LoadCheckpoint => d
                .set_title("Load checkpoint")
                .add_filter("ganvas checkpoint", &["ganvas"]),
            FileJob::ExportSamples => d
                .set_title("Export samples")
                .add_filter("PNG image", &["png"])
                .set_file_name("samples.png"),
            FileJob::ExportMetrics => d
                .set_title("Export metrics")
                .add_filter("CSV", &["csv"])
                .set_file_name("metrics.csv"),
            FileJob::ExportTimelapse => d
                .set_title("Export training timelapse")
                .add_filter("GIF animation", &["gif"])
                .set_file_name("timelapse.gif"),
            FileJob::ExportPlanePng => d
                .set_title("Export the 2D view")
                .add_filter("PNG image", &["png"])
                .set_file_name("view.png"),
            FileJob::ExportPlaneGif => d
                .set_title("Export the 2D view's animation")
                .add_filter("GIF animation", &["gif"])
                .set_file_name("view.gif"),
            FileJob::SavePreset => d
                .set_title("Save preset")
                .add_filter("preset", &["toml"])
                .set_file_name("my-preset.toml"),
            FileJob::OpenIdx => d
                .set_title("Open an MNIST-format images file (idx3, optionally .gz)")
                .add_filter("IDX images", &["gz", "idx3-ubyte", "ubyte", "idx"])
                .add_filter("any file", &["*"]),
            FileJob::OpenImageFolder => {
                d.set_title("Open a folder of images (subfolders = classes)")
            }
            FileJob::OpenCifar => d.set_title("Open the folder with CIFAR-10's data_batch_*.bin"),
            FileJob::OpenCsv => d
                .set_title("Open a CSV of x,y points")
                .add_filter("CSV", &["csv", "txt"]),
            FileJob::OpenImage => d
                .set_title("Open an image (to translate or to upscale)")
                .add_filter(
                    "image",
                    &["png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff"],
                )
                .add_filter("any file", &["*"]),
            FileJob::AugmentFolder => d.set_title("Choose a folder for the experiment's results"),
            FileJob::ExportAugmentCsv => d
                .set_title("Export the augmentation lab's runs")
                .add_filter("CSV", &["csv"])
                .set_file_name("augment-results.csv"),
            FileJob::ExportAugmentChart => d
                .set_title("Export the augmentation lab's chart")
                .add_filter("PNG image", &["png"])
                .set_file_name("augment-chart.png"),
        }
    }

    fn pick(self) -> Pick {
        match self {
            FileJob::LoadCheckpoint | FileJob::OpenIdx | FileJob::OpenCsv | FileJob::OpenImage => {
                Pick::File
            }
            FileJob::OpenImageFolder | FileJob::OpenCifar | FileJob::AugmentFolder => Pick::Folder,
            _ => Pick::Save,
        }
    }
}

/// At most one dialog at a time; its answer arrives over a channel. Slow exports run on a
/// helper thread and report back over `notes`.
pub struct Dialogs {
    tx: Sender<(FileJob, Option<PathBuf>)>,
    rx: Receiver<(FileJob, Option<PathBuf>)>,
    open: bool,
    notes_tx: Sender<String>,
    notes_rx: Receiver<String>,
    /// To wake the window when a helper thread finishes (set by the first dialog).
    ctx: Option<egui::Context>,
}

impl Default for Dialogs {
    fn default() -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let (notes_tx, notes_rx) = std::sync::mpsc::channel();
        Self {
            tx,
            rx,
            open: false,
            notes_tx,
            notes_rx,
            ctx: None,
        }
    }
}

impl Dialogs {
    /// Opens the dialog for `job` on a named thread (ignored while another is open).
    pub fn open(&mut self, job: FileJob, ctx: &egui::Context) -> Result<(), String> {
        if self.open {
            return Ok(());
        }
        let tx = self.tx.clone();
        self.ctx = Some(ctx.clone());
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("ganvas-file-dialog".into())
            .spawn(move || {
                let dialog = job.dialog();
                let path = match job.pick() {
                    Pick::File => dialog.pick_file(),
                    Pick::Folder => dialog.pick_folder(),
                    Pick::Save => dialog.save_file(),
                };
                let _ = tx.send((job, path));
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot open a file dialog: {e}"))?;
        self.open = true;
        Ok(())
    }

    /// Where a helper thread sends its message when it finishes.
    pub fn notes_sender(&self) -> Sender<String> {
        self.notes_tx.clone()
    }

    /// Messages from exports that finished on a helper thread.
    pub fn notes(&self) -> Vec<String> {
        self.notes_rx.try_iter().collect()
    }

    /// The answer of the dialog, once the user closed it with a path.
    pub fn answer(&mut self) -> Option<(FileJob, PathBuf)> {
        let (job, path) = self.rx.try_recv().ok()?;
        self.open = false;
        path.map(|p| (job, p))
    }
}

/// Writes an export the window can do itself; returns the message for the user.
pub fn export(
    job: FileJob,
    path: &std::path::Path,
    view: &RunView,
    preset_name: &str,
    dialogs: &Dialogs,
) -> Result<String, String> {
    match job {
        FileJob::ExportSamples => {
            let (step, samples) = view.shown().ok_or("there are no samples yet")?;
            let real = view
                .info
                .as_ref()
                .filter(|i| i.side == 0)
                .map(|i| i.real_preview.values.clone())
                .unwrap_or_default();
            export::write_png(samples, &real, path).map_err(|e| e.to_string())?;
            Ok(format!(
                "Exported the samples of step {step} to {}.",
                path.display()
            ))
        }
        FileJob::ExportMetrics => {
            let mut rows: Vec<MetricValue> =
                Vec::with_capacity(view.history.len() * 6 + view.reports.len() * 16);
            for s in &view.history {
                for (name, value) in s.named() {
                    if value.is_finite() {
                        rows.push(MetricValue {
                            name: name.into(),
                            step: s.step,
                            value: value as f64,
                        });
                    }
                }
            }
            rows.extend(view.metric_values().cloned());
            export::write_metrics_csv(&rows, path).map_err(|e| e.to_string())?;
            Ok(format!(
                "Exported {} values to {}.",
                rows.len(),
                path.display()
            ))
        }
        FileJob::ExportTimelapse => {
            let real = view
                .info
                .as_ref()
                .filter(|i| i.side == 0)
                .map(|i| i.real_preview.values.clone())
                .unwrap_or_default();
            // Encoding takes seconds: off the UI thread, with a copy of the history.
            let snapshots = view.snapshots.clone();
            let (tx, path) = (dialogs.notes_tx.clone(), path.to_path_buf());
            let ctx = dialogs.ctx.clone();
            std::thread::Builder::new()
                .name("ganvas-timelapse".into())
                .spawn(move || {
                    let note = match crate::engine::timelapse::write_timelapse_gif(
                        &snapshots, &real, &path, 80,
                    ) {
                        Ok(n) => format!(
                            "Exported a {n}-frame timelapse of {} snapshots to {}.",
                            snapshots.len(),
                            path.display()
                        ),
                        Err(e) => format!("Error: {e}"),
                    };
                    let _ = tx.send(note);
                    if let Some(ctx) = ctx {
                        ctx.request_repaint();
                    }
                })
                .map_err(|e| format!("cannot start the export: {e}"))?;
            Ok("Writing the timelapse…".into())
        }
        FileJob::SavePreset => {
            let config = view.gan_config().ok_or("no run is loaded")?;
            let name = format!("{preset_name} (edited)");
            Preset::from_config(&name, "Saved from the ganvas window.", config)
                .save(path)
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "Saved the current setup as a preset: {}.",
                path.display()
            ))
        }
        FileJob::ExportPlanePng | FileJob::ExportPlaneGif => {
            Err("the 2D view is exported by view_export".into())
        }
        FileJob::SaveCheckpoint
        | FileJob::LoadCheckpoint
        | FileJob::OpenIdx
        | FileJob::OpenImageFolder
        | FileJob::OpenCifar
        | FileJob::OpenCsv => Err("this goes through the trainer".into()),
        FileJob::OpenImage => Err("an image is translated by the run that takes images".into()),
        FileJob::AugmentFolder | FileJob::ExportAugmentCsv | FileJob::ExportAugmentChart => {
            Err("the augmentation lab writes its own files".into())
        }
    }
}

/// The data source a chosen path names, for the data-opening jobs.
pub fn data_source(
    job: FileJob,
    path: &std::path::Path,
) -> Result<crate::engine::config::DataConfig, String> {
    use crate::engine::config::DataConfig;
    Ok(match job {
        FileJob::OpenIdx => DataConfig::Idx {
            images: path.to_path_buf(),
            labels: idx_labels_beside(path),
            transpose: false,
        },
        FileJob::OpenImageFolder => DataConfig::ImageFolder {
            path: path.to_path_buf(),
            size: 32,
            channels: 3,
        },
        FileJob::OpenCifar => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("data_batch_") && n.ends_with(".bin"))
                })
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(format!(
                    "{} holds no CIFAR-10 batches (data_batch_1.bin … data_batch_5.bin from the binary version)",
                    path.display()
                ));
            }
            DataConfig::Cifar10 { files }
        }
        FileJob::OpenCsv => DataConfig::Csv {
            path: path.to_path_buf(),
        },
        _ => return Err("not a data source".into()),
    })
}

/// The labels file MNIST's naming puts beside an images file (`…-images-idx3-ubyte[.gz]` →
/// `…-labels-idx1-ubyte[.gz]`), if it exists.
pub fn idx_labels_beside(images: &std::path::Path) -> Option<PathBuf> {
    let name = images.file_name()?.to_str()?;
    let guess = name
        .replace("images-idx3", "labels-idx1")
        .replace("images.idx3", "labels.idx1");
    (guess != name)
        .then(|| images.with_file_name(guess))
        .filter(|p| p.exists())
}
