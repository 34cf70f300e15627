//! Exports of the 2D view itself for slides: the picture on screen (D's heatmap with its
//! colour bar, points, mode map, axes, the step) as a PNG, and the run's history of it as an
//! animated GIF. Drawn by the engine's renderer from the same data the window shows.

use std::path::Path;

use super::app::GanvasApp;
use super::files::FileJob;
use super::plane::home_bounds;
use super::view::RunView;
use crate::engine::plane_image::{ModeMark, PlaneScene, render};
use crate::engine::timelapse::{MAX_FRAMES, frame_indices, rgb_frame, write_gif};
use crate::engine::trainer::protocol::{PlaneBounds, PlaneLayers, Samples};

/// Picture size of an exported view (4:3, readable on a projector).
pub const WIDTH: usize = 960;
pub const HEIGHT: usize = 720;

/// Everything one picture needs, owned (a GIF is drawn on a helper thread).
struct Frame {
    bounds: PlaneBounds,
    field: Option<PlaneLayers>,
    real: Vec<f32>,
    generated: Vec<f32>,
    modes: Vec<ModeMark>,
    mode_radius: f32,
    title: String,
}

impl Frame {
    fn draw(&self) -> Vec<u8> {
        let scene = PlaneScene {
            bounds: self.bounds,
            field: self
                .field
                .as_ref()
                .map(|l| (l.values.as_slice(), l.resolution as usize, l.bounds)),
            real: &self.real,
            generated: &self.generated,
            modes: &self.modes,
            mode_radius: self.mode_radius,
            title: self.title.clone(),
        };
        render(&scene, WIDTH, HEIGHT)
    }
}

/// The picture of snapshot `(step, samples)` with the layers received at or before it.
fn frame(view: &RunView, name: &str, bounds: PlaneBounds, step: u64, samples: &Samples) -> Frame {
    let info = view.info.as_ref();
    let histogram = view.report_at(step).and_then(|r| r.histogram.as_ref());
    let modes = info
        .map(|i| {
            i.modes
                .iter()
                .enumerate()
                .map(|(k, m)| ModeMark {
                    centre: *m,
                    coverage: histogram
                        .map(|h| (h.covered(k), h.counts.get(k).copied().unwrap_or(0))),
                })
                .collect()
        })
        .unwrap_or_default();
    let extent = info
        .map(|i| {
            i.modes
                .iter()
                .map(|m| m[0].abs().max(m[1].abs()))
                .fold(0.0, f32::max)
        })
        .unwrap_or(0.0);
    let objective = info
        .and_then(|i| i.gan())
        .map_or("", |c| c.objective.name());
    Frame {
        bounds,
        field: view.field_at(step).cloned(),
        real: info
            .map(|i| i.real_preview.values.clone())
            .unwrap_or_default(),
        generated: samples.values.clone(),
        modes,
        mode_radius: (3.0 * info.map_or(0.0, |i| i.mode_std)).max(0.04 * extent),
        title: format!("{name} ({objective}): step {step}"),
    }
}

/// Writes the 2D-view exports; None for the other jobs.
pub fn export(job: FileJob, path: &Path, app: &GanvasApp) -> Option<Result<String, String>> {
    let view = &app.view;
    let bounds = app.plane.visible.unwrap_or_else(|| home_bounds(view));
    match job {
        FileJob::ExportPlanePng => Some(png(view, &app.preset_name, bounds, path)),
        FileJob::ExportPlaneGif => Some(gif(app, bounds, path)),
        _ => None,
    }
}

fn png(view: &RunView, name: &str, bounds: PlaneBounds, path: &Path) -> Result<String, String> {
    let (step, samples) = view.shown().ok_or("there is no 2D view yet")?;
    if samples.len != 2 {
        return Err("the 2D view exists only for 2D data".into());
    }
    let px = frame(view, name, bounds, *step, samples).draw();
    crate::engine::export::write_rgb_png(WIDTH, HEIGHT, &px, path).map_err(|e| e.to_string())?;
    Ok(format!(
        "Exported the 2D view of step {step} to {}.",
        path.display()
    ))
}

fn gif(app: &GanvasApp, bounds: PlaneBounds, path: &Path) -> Result<String, String> {
    let view = &app.view;
    if view.snapshots.first().is_none_or(|(_, s)| s.len != 2) {
        return Err("the 2D view exists only for 2D data".into());
    }
    let frames: Vec<Frame> = frame_indices(view.snapshots.len(), MAX_FRAMES)
        .into_iter()
        .map(|i| {
            let (step, samples) = &view.snapshots[i];
            frame(view, &app.preset_name, bounds, *step, samples)
        })
        .collect();
    let (tx, path) = (app.dialogs.notes_sender(), path.to_path_buf());
    let ctx = app.ctx.clone();
    std::thread::Builder::new()
        .name("ganvas-view-gif".into())
        .spawn(move || {
            let pictures = frames
                .iter()
                .map(|f| rgb_frame(WIDTH, HEIGHT, &f.draw(), 120))
                .collect();
            let note = match write_gif(pictures, &path) {
                Ok(()) => format!(
                    "Exported a {}-frame animation of the 2D view to {}.",
                    frames.len(),
                    path.display()
                ),
                Err(e) => format!("Error: {e}"),
            };
            let _ = tx.send(note);
            ctx.request_repaint();
        })
        .map_err(|e| format!("cannot start the export: {e}"))?;
    Ok("Writing the 2D view's animation…".into())
}
