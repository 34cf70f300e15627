//! The 2D view (GAN Lab's views, for 2D data): real and generated points, D's decision as a
//! heatmap over the whole visible area with its colour bar, G's manifold as a mesh, D's
//! gradient as arrows on the generated points (the way G will move them) and the mode map
//! with large counts; each layer can be switched off.

use eframe::egui;
use egui_plot::{Legend, Plot, Points};

use super::action::Action;
use super::plane_layers::{colour_bar_ui, field_image, gradient_arrows, manifold_mesh, mode_map};
use super::view::RunView;
use crate::engine::family::gan;
use crate::engine::plane_image::FieldScale;
use crate::engine::trainer::protocol::{PlaneBounds, PlaneLayers, Samples, StepKind};

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

/// The 2D view's state in the window: its layers, the drawing, D's field as a texture, and
/// the area the plot shows (what D's field is asked for).
#[derive(Default)]
pub struct PlaneState {
    pub toggles: PlaneToggles,
    pub sketch: Sketch,
    field: Option<FieldTexture>,
    /// The plot's visible area, read after it was drawn.
    pub visible: Option<PlaneBounds>,
}

/// D's field as a texture: what it was made from, where it goes, its colour scale.
struct FieldTexture {
    key: (u64, u64),
    texture: egui::TextureHandle,
    bounds: PlaneBounds,
    scale: FieldScale,
    after: Option<StepKind>,
}

impl PlaneState {
    pub fn new(toggles: PlaneToggles) -> Self {
        Self {
            toggles,
            ..Self::default()
        }
    }

    /// The layers drawn with the shown snapshot: the newest, or while scrubbing the history
    /// the ones received at or before the shown step.
    fn layers(view: &RunView, step: u64) -> Option<&PlaneLayers> {
        match view.pinned {
            None => view.d_field.as_ref(),
            Some(_) => view.field_at(step),
        }
    }

    /// Keeps the field's texture in step with the layers shown.
    fn update_texture(&mut self, ctx: &egui::Context, view: &RunView, step: u64) {
        let Some(layers) = Self::layers(view, step) else {
            self.field = None;
            return;
        };
        let key = (view.field_version, layers.step);
        if self.field.as_ref().is_some_and(|f| f.key == key) {
            return;
        }
        let scale = FieldScale::of(&layers.values);
        let image = field_image(layers.resolution as usize, &layers.values, scale);
        let texture = ctx.load_texture("d_field", image, egui::TextureOptions::LINEAR);
        self.field = Some(FieldTexture {
            key,
            texture,
            bounds: layers.bounds,
            scale,
            after: layers.after,
        });
    }
}

/// The area a run's 2D view starts on (and returns to on a double click): the real data and
/// its modes with a margin, never smaller than ±0.5.
pub fn home_bounds(view: &RunView) -> PlaneBounds {
    let Some(info) = &view.info else {
        return PlaneBounds::square(1.5);
    };
    let mut lo = [f32::INFINITY; 2];
    let mut hi = [f32::NEG_INFINITY; 2];
    let points = info
        .real_preview
        .values
        .chunks_exact(2)
        .map(|p| [p[0], p[1]]);
    for p in points.chain(info.modes.iter().copied()) {
        for i in 0..2 {
            if p[i].is_finite() {
                lo[i] = lo[i].min(p[i]);
                hi[i] = hi[i].max(p[i]);
            }
        }
    }
    if !(lo[0].is_finite() && lo[1].is_finite()) {
        return PlaneBounds::square(1.5);
    }
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1.0);
    let margin = 0.3 * span;
    PlaneBounds {
        min: [lo[0] - margin, lo[1] - margin],
        max: [hi[0] + margin, hi[1] + margin],
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

/// The 2D view of the shown snapshot, with D's colour bar beside it.
pub fn plane_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    state: &mut PlaneState,
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
    toggles_ui(ui, &mut state.toggles, has_modes);
    ui.horizontal(|ui| {
        sketch_controls(ui, &mut state.sketch, actions);
        if let Some(after) = state.field.as_ref().and_then(|f| f.after) {
            let text = match after {
                StepKind::Phase(gan::D) => "last update: D (its heatmap changed; the points stay)",
                StepKind::Phase(_) | StepKind::Round => {
                    "last update: G (the points moved along D's gradient)"
                }
            };
            ui.label(egui::RichText::new(text).strong());
        }
    });
    state.update_texture(ui.ctx(), view, step);
    let t = state.toggles;
    // Arrows and the manifold belong to the newest snapshot: hidden while scrubbing history.
    let layers = view
        .d_field
        .as_ref()
        .filter(|l| l.step == step || view.pinned.is_none());
    let drawing = state.sketch.on;
    let home = home_bounds(view);
    // The colour bar's width and the spacing before it.
    let bar_width = if t.field && state.field.is_some() {
        92.0 + 2.0 * ui.spacing().item_spacing.x
    } else {
        0.0
    };
    let mut visible = None;
    ui.horizontal_top(|ui| {
        let size = egui::vec2(
            (ui.available_width() - bar_width).max(120.0),
            ui.available_height().max(120.0),
        );
        ui.allocate_ui(size, |ui| {
            Plot::new(("points", view.run_version))
                .data_aspect(1.0)
                .legend(Legend::default())
                .default_x_bounds(home.min[0] as f64, home.max[0] as f64)
                .default_y_bounds(home.min[1] as f64, home.max[1] as f64)
                .allow_drag(!drawing)
                .allow_boxed_zoom(!drawing)
                .show(ui, |p| {
                    let b = p.plot_bounds();
                    visible = Some(PlaneBounds {
                        min: [b.min()[0] as f32, b.min()[1] as f32],
                        max: [b.max()[0] as f32, b.max()[1] as f32],
                    });
                    let sketch = &mut state.sketch;
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
                    if let (true, Some(f)) = (t.field, &state.field) {
                        let fb = f.bounds;
                        p.image(egui_plot::PlotImage::new(
                            "D's decision",
                            f.texture.id(),
                            egui_plot::PlotPoint::new(
                                ((fb.min[0] + fb.max[0]) / 2.0) as f64,
                                ((fb.min[1] + fb.max[1]) / 2.0) as f64,
                            ),
                            egui::vec2(fb.max[0] - fb.min[0], fb.max[1] - fb.min[1]),
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
                                .color(egui::Color32::DARK_GRAY)
                                .radius(2.0),
                        );
                    }
                    if t.generated {
                        p.points(
                            Points::new("generated", pairs(samples))
                                .color(egui::Color32::from_rgb(230, 110, 20))
                                .radius(2.5),
                        );
                    }
                    if let (true, Some(l)) = (t.arrows, layers) {
                        gradient_arrows(p, &l.points, &l.arrows, b);
                    }
                });
        });
        if let (true, Some(f)) = (t.field, &state.field) {
            colour_bar_ui(ui, f.scale);
        }
    });
    state.visible = visible;
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
