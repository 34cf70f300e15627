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
    SavePreset,
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
            FileJob::SavePreset => d
                .set_title("Save preset")
                .add_filter("preset", &["toml"])
                .set_file_name("my-preset.toml"),
        }
    }

    fn opens(self) -> bool {
        self == FileJob::LoadCheckpoint
    }
}

/// At most one dialog at a time; its answer arrives over a channel.
pub struct Dialogs {
    tx: Sender<(FileJob, Option<PathBuf>)>,
    rx: Receiver<(FileJob, Option<PathBuf>)>,
    open: bool,
}

impl Default for Dialogs {
    fn default() -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        Self {
            tx,
            rx,
            open: false,
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
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("ganvas-file-dialog".into())
            .spawn(move || {
                let dialog = job.dialog();
                let path = if job.opens() {
                    dialog.pick_file()
                } else {
                    dialog.save_file()
                };
                let _ = tx.send((job, path));
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot open a file dialog: {e}"))?;
        self.open = true;
        Ok(())
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
                Vec::with_capacity(view.history.len() * 4 + view.metrics.len());
            for s in &view.history {
                for (name, value) in [
                    ("g_loss", s.g_loss),
                    ("d_loss", s.d_loss),
                    ("d_real", s.d_real),
                    ("d_fake", s.d_fake),
                    ("g_grad_norm", s.g_grad_norm),
                    ("d_grad_norm", s.d_grad_norm),
                ] {
                    if value.is_finite() {
                        rows.push(MetricValue {
                            name: name.into(),
                            step: s.step,
                            value: value as f64,
                        });
                    }
                }
            }
            rows.extend(view.metrics.iter().cloned());
            export::write_metrics_csv(&rows, path).map_err(|e| e.to_string())?;
            Ok(format!(
                "Exported {} values to {}.",
                rows.len(),
                path.display()
            ))
        }
        FileJob::SavePreset => {
            let info = view.info.as_ref().ok_or("no run is loaded")?;
            let name = format!("{preset_name} (edited)");
            Preset::from_config(&name, "Saved from the ganvas window.", &info.config)
                .save(path)
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "Saved the current setup as a preset: {}.",
                path.display()
            ))
        }
        FileJob::SaveCheckpoint | FileJob::LoadCheckpoint => {
            Err("checkpoints go through the trainer".into())
        }
    }
}
