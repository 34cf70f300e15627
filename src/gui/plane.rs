//! The 2D view (GAN Lab's views, for 2D data): real and generated points, D's decision as a
//! heatmap, G's manifold as a mesh, D's gradient as arrows on the generated points (the way G
//! will move them) and the mode map; each layer can be switched off.

use eframe::egui;
use egui_plot::{Arrows, Legend, Line, Plot, PlotPoints, Points};

use super::panels::Action;
use super::view::RunView;
use crate::engine::trainer::protocol::Samples;

/// "Draw your own": points painted with the mouse, to train on.
#[derive(Clone, Debug, Default)]
pub struct Sketch {
    pub on: bool,
    pub points: Vec<[f32; 2]>,
}

impl Sketch {
    /// Adds a point where the pointer is, unless it is too close to the last one (so a slow
    /// stroke does not pile points up); a light jitter makes a stroke a band, not a line.
    pub fn add(&mut self, x: f32, y: f32, spacing: f32) {
        let far = self
            .points
            .last()
            .is_none_or(|l| (l[0] - x).hypot(l[1] - y) >= spacing);
        if far {
            let n = self.points.len() as f32;
            let jitter = 0.3 * spacing;
            self.points.push([
                x + jitter * (n * 12.9898).sin(),
                y + jitter * (n * 78.233).cos(),
            ]);
        }
    }
}

fn sketch_controls(ui: &mut egui::Ui, sketch: &mut Sketch, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        ui.checkbox(&mut sketch.on, "draw your own").on_hover_text(
            "Paint a distribution with the mouse (drag on the plot), then train G on it",
        );
        if sketch.on {
            if ui.button("Clear").clicked() {
                sketch.points.clear();
            }
            let n = sketch.points.len();
            if ui
                .add_enabled(
                    n >= 20,
                    egui::Button::new(format!("Train on the drawing ({n} points)")),
                )
                .on_hover_text("Restart the run on your points (at least 20)")
                .clicked()
            {
                actions.push(Action::TrainOnDrawing(sketch.points.clone()));
                sketch.on = false;
            }
        }
    });
}

/// Which layers of the 2D view are drawn (persisted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PlaneToggles {
    pub real: bool,
    pub generated: bool,
    pub field: bool,
    pub manifold: bool,
    pub arrows: bool,
    pub modes: bool,
}

impl Default for PlaneToggles {
    fn default() -> Self {
        Self {
            real: true,
            generated: true,
            field: true,
            manifold: false,
            arrows: false,
            modes: true,
        }
    }
}

impl PlaneToggles {
    /// Whether any layer needs the trainer's `DField` answer.
    pub fn needs_trainer(&self) -> bool {
        self.field || self.manifold || self.arrows
    }
}

fn toggles_ui(ui: &mut egui::Ui, t: &mut PlaneToggles, has_modes: bool) {
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut t.real, "real");
        ui.checkbox(&mut t.generated, "generated");
        ui.checkbox(&mut t.field, "D heatmap")
            .on_hover_text("D's output over the plane: green where D says real, purple where it says fake. G's points are pushed up this landscape.");
        ui.checkbox(&mut t.arrows, "gradient arrows")
            .on_hover_text("D's gradient at each generated point: the direction G's update will move it.");
        ui.checkbox(&mut t.manifold, "G's manifold")
            .on_hover_text("A grid of latent vectors (first two coordinates, ±2.5σ) mapped through G: how G stretches and folds its input plane onto the data.");
        if has_modes {
            ui.checkbox(&mut t.modes, "mode map")
                .on_hover_text("Each mode's 3σ disc: green when G covers it, red when not, with its count of high-quality samples.");
        }
    });
}

/// The 2D view of the shown snapshot.
pub fn plane_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    field: Option<(&egui::TextureHandle, f32)>,
    t: &mut PlaneToggles,
    sketch: &mut Sketch,
    actions: &mut Vec<Action>,
) {
    let Some((step, samples)) = view.shown() else {
        return;
    };
    let step = *step;
    let pairs = |s: &Samples| -> Vec<[f64; 2]> {
        s.values
            .chunks_exact(2)
            .map(|p| [p[0] as f64, p[1] as f64])
            .collect()
    };
    let real = view
        .info
        .as_ref()
        .map(|i| pairs(&i.real_preview))
        .unwrap_or_default();
    let has_modes = view.info.as_ref().is_some_and(|i| !i.modes.is_empty());
    toggles_ui(ui, t, has_modes);
    sketch_controls(ui, sketch, actions);
    // Arrows and the manifold belong to the newest snapshot: hidden while scrubbing history.
    let layers = view
        .d_field
        .as_ref()
        .filter(|l| l.step == step || view.pinned.is_none());
    let drawing = sketch.on;
    Plot::new("points")
        .data_aspect(1.0)
        .legend(Legend::default())
        .allow_drag(!drawing)
        .allow_boxed_zoom(!drawing)
        .show(ui, |p| {
            if drawing {
                let spacing = 0.01 * p.plot_bounds().width() as f32;
                if p.response().is_pointer_button_down_on()
                    && let Some(at) = p.pointer_coordinate()
                {
                    sketch.add(at.x as f32, at.y as f32, spacing);
                }
            }
            if drawing || !sketch.points.is_empty() && t.real {
                let pts: Vec<[f64; 2]> = sketch
                    .points
                    .iter()
                    .map(|q| [q[0] as f64, q[1] as f64])
                    .collect();
                p.points(
                    Points::new("your drawing", pts)
                        .color(egui::Color32::from_rgb(40, 90, 220))
                        .radius(2.5),
                );
            }
            if let (true, Some((tex, extent))) = (t.field, field) {
                let size = egui::vec2(2.0 * extent, 2.0 * extent);
                p.image(egui_plot::PlotImage::new(
                    "D's decision",
                    tex.id(),
                    egui_plot::PlotPoint::new(0.0, 0.0),
                    size,
                ));
            }
            if t.modes {
                mode_map(p, view, step);
            }
            if let (true, Some(l)) = (t.manifold, layers) {
                manifold_mesh(p, &l.manifold, l.manifold_side);
            }
            if t.real {
                p.points(
                    Points::new("real", real)
                        .color(egui::Color32::GRAY)
                        .radius(2.0),
                );
            }
            if t.generated {
                p.points(
                    Points::new("generated", pairs(samples))
                        .color(egui::Color32::from_rgb(230, 110, 20))
                        .radius(2.0),
                );
            }
            if let (true, Some(l)) = (t.arrows, layers) {
                gradient_arrows(p, &l.points, &l.arrows, l.extent);
            }
        });
}

/// G's manifold as a mesh: a line along every row and every column of the latent grid.
fn manifold_mesh(p: &mut egui_plot::PlotUi, values: &[f32], side: usize) {
    if side < 2 || values.len() < side * side * 2 {
        return;
    }
    let at = |row: usize, col: usize| {
        let i = (row * side + col) * 2;
        [values[i] as f64, values[i + 1] as f64]
    };
    let colour = egui::Color32::from_rgb(40, 110, 200).gamma_multiply(0.7);
    for k in 0..side {
        let row: Vec<[f64; 2]> = (0..side).map(|c| at(k, c)).collect();
        let col: Vec<[f64; 2]> = (0..side).map(|r| at(r, k)).collect();
        for line in [row, col] {
            p.line(
                Line::new("G's manifold", PlotPoints::new(line))
                    .color(colour)
                    .width(1.0)
                    .allow_hover(false),
            );
        }
    }
}

/// Arrows along D's gradient at each generated point, the longest one a tenth of the view.
fn gradient_arrows(p: &mut egui_plot::PlotUi, points: &[f32], grads: &[f32], extent: f32) {
    let longest = grads
        .chunks_exact(2)
        .map(|g| g[0].hypot(g[1]))
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max);
    if longest <= 0.0 {
        return;
    }
    let scale = 0.2 * extent / longest;
    let (mut from, mut to) = (Vec::new(), Vec::new());
    for (pt, g) in points.chunks_exact(2).zip(grads.chunks_exact(2)).step_by(2) {
        from.push([pt[0] as f64, pt[1] as f64]);
        to.push([(pt[0] + scale * g[0]) as f64, (pt[1] + scale * g[1]) as f64]);
    }
    p.arrows(
        Arrows::new(
            "gradient on G's samples",
            PlotPoints::new(from),
            PlotPoints::new(to),
        )
        .color(egui::Color32::from_rgb(200, 60, 40))
        .allow_hover(false),
    );
}

/// The mode map: a 3σ circle around each mode of a 2D mixture, green when the generator
/// covers it at the evaluation nearest before `step`, red when not, labelled with its count.
fn mode_map(p: &mut egui_plot::PlotUi, view: &RunView, step: u64) {
    let Some(info) = &view.info else { return };
    if info.modes.is_empty() {
        return;
    }
    let histogram = view.report_at(step).and_then(|r| r.histogram.as_ref());
    // At least a visible disc: the ring's 3σ is 0.03 of its radius 1.
    let extent = info
        .modes
        .iter()
        .map(|m| m[0].abs().max(m[1].abs()) as f64)
        .fold(0.0, f64::max);
    let r = (3.0 * info.mode_std as f64).max(0.04 * extent);
    for (i, m) in info.modes.iter().enumerate() {
        let (cx, cy) = (m[0] as f64, m[1] as f64);
        let circle: Vec<[f64; 2]> = (0..32)
            .map(|k| {
                let a = k as f64 / 32.0 * std::f64::consts::TAU;
                [cx + r * a.cos(), cy + r * a.sin()]
            })
            .collect();
        let (colour, label) = match histogram {
            Some(h) if h.covered(i) => (
                egui::Color32::from_rgb(60, 160, 90),
                h.counts[i].to_string(),
            ),
            Some(h) => (
                egui::Color32::from_rgb(210, 70, 60),
                h.counts.get(i).copied().unwrap_or(0).to_string(),
            ),
            None => (egui::Color32::GRAY, String::new()),
        };
        p.polygon(
            egui_plot::Polygon::new("mode map", PlotPoints::new(circle))
                .stroke(egui::Stroke::new(1.5, colour))
                .fill_color(colour.gamma_multiply(0.12))
                .allow_hover(false),
        );
        if !label.is_empty() {
            p.text(
                egui_plot::Text::new(
                    "mode map",
                    egui_plot::PlotPoint::new(cx, cy + r + 0.06 * extent),
                    egui::RichText::new(label).color(colour).strong(),
                )
                .allow_hover(false),
            );
        }
    }
}

/// D's field as colours: purple (fake) to green (real). Probabilities map directly; raw
/// scores (WGAN, hinge, LSGAN) are stretched between their minimum and maximum.
pub fn field_image(resolution: usize, values: &[f32]) -> egui::ColorImage {
    let (lo, hi) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let probability = lo >= 0.0 && hi <= 1.0;
    let (lo, hi) = if probability {
        (0.0, 1.0)
    } else {
        (lo, hi.max(lo + 1e-6))
    };
    let fake = [120.0, 60.0, 160.0];
    let real = [60.0, 170.0, 90.0];
    let pixels: Vec<egui::Color32> = values
        .iter()
        .map(|&v| {
            let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
            let c = |i: usize| (fake[i] + t * (real[i] - fake[i])) as u8;
            egui::Color32::from_rgba_unmultiplied(c(0), c(1), c(2), 110)
        })
        .collect();
    egui::ColorImage::new([resolution, resolution], pixels)
}

/// Share of the trainer's time the 2D view's layers may take while training runs.
const FIELD_BUDGET: f32 = 0.03;

/// The least time between two requests for D's field while training runs: the layers take
/// the trainer `compute_ms` each (43 ms for the ring's D at 96 px, 170 ms for the packed grid
/// D, measured on 2 CPU cores), so they are asked for at most every `compute_ms / budget`,
/// and never more than four times a second.
pub fn field_interval(compute_ms: f32) -> std::time::Duration {
    let ms = (compute_ms.max(0.0) / FIELD_BUDGET).max(250.0);
    std::time::Duration::from_secs_f32(ms / 1000.0)
}

/// Heatmap resolution: coarser while training (2.25× fewer D evaluations; the texture is
/// smoothed anyway), finer on a still frame.
pub fn field_resolution(running: bool) -> u32 {
    if running { 64 } else { 96 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_is_asked_for_within_its_time_budget() {
        assert_eq!(
            field_interval(1.0).as_millis(),
            250,
            "cheap layers: four a second"
        );
        assert_eq!(field_interval(30.0).as_millis(), 1000);
        assert_eq!(field_interval(f32::NAN).as_millis(), 250);
        assert!(field_resolution(true) < field_resolution(false));
    }
}
