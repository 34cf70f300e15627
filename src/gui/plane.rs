//! The 2D view (GAN Lab's views, for 2D data): real and generated points, D's decision as a
//! heatmap over the whole visible area with its colour bar, G's manifold as a mesh, D's
//! gradient as arrows on the generated points (the way G will move them) and the mode map
//! with large counts; each layer can be switched off.

use eframe::egui;
use egui_plot::{Arrows, Legend, Line, Plot, PlotBounds, PlotPoints, Points};

use super::action::Action;
use super::view::RunView;
use crate::engine::plane_image::{FieldScale, field_colour};
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
                StepKind::D => "last update: D (its heatmap changed; the points stay)",
                StepKind::G | StepKind::Round => {
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

/// D's colour scale beside the view: purple where D says fake, green where it says real.
fn colour_bar_ui(ui: &mut egui::Ui, scale: FieldScale) {
    let height = ui.available_height().clamp(120.0, 420.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(92.0, height), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let bar = egui::Rect::from_min_size(
        rect.min + egui::vec2(4.0, 22.0),
        egui::vec2(22.0, height - 44.0),
    );
    let mut mesh = egui::Mesh::default();
    let steps = 32;
    for k in 0..=steps {
        let t = k as f32 / steps as f32;
        let y = bar.bottom() - t * bar.height();
        let [r, g, b] = field_colour(t);
        let c = egui::Color32::from_rgb(r, g, b);
        mesh.colored_vertex(egui::pos2(bar.left(), y), c);
        mesh.colored_vertex(egui::pos2(bar.right(), y), c);
        if k > 0 {
            let i = 2 * k as u32;
            mesh.add_triangle(i - 2, i - 1, i);
            mesh.add_triangle(i - 1, i, i + 1);
        }
    }
    painter.add(egui::Shape::mesh(mesh));
    let text = ui.visuals().text_color();
    let font = egui::FontId::proportional(15.0);
    let (top, bottom) = if scale.probability {
        ("1: real".to_string(), "0: fake".to_string())
    } else {
        (format!("{:.3}", scale.hi), format!("{:.3}", scale.lo))
    };
    let x = bar.right() + 6.0;
    painter.text(
        egui::pos2(x, bar.top()),
        egui::Align2::LEFT_CENTER,
        top,
        font.clone(),
        text,
    );
    painter.text(
        egui::pos2(x, bar.bottom()),
        egui::Align2::LEFT_CENTER,
        bottom,
        font.clone(),
        text,
    );
    if scale.probability {
        painter.text(
            egui::pos2(x, bar.center().y),
            egui::Align2::LEFT_CENTER,
            "0.5",
            font.clone(),
            text,
        );
    }
    painter.text(
        rect.center_top(),
        egui::Align2::CENTER_TOP,
        "D says",
        font.clone(),
        text,
    );
    let what = if scale.probability {
        "P(real)"
    } else {
        "score"
    };
    painter.text(
        rect.center_bottom(),
        egui::Align2::CENTER_BOTTOM,
        what,
        font,
        text,
    );
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
fn gradient_arrows(p: &mut egui_plot::PlotUi, points: &[f32], grads: &[f32], visible: PlotBounds) {
    let longest = grads
        .chunks_exact(2)
        .map(|g| g[0].hypot(g[1]))
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max);
    if longest <= 0.0 {
        return;
    }
    let scale = 0.1 * visible.width().max(visible.height()) as f32 / longest;
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
                    egui_plot::PlotPoint::new(cx, cy + r + 0.09 * extent),
                    egui::RichText::new(label).color(colour).strong().size(22.0),
                )
                .allow_hover(false),
            );
        }
    }
}

/// D's field as colours on its scale (see [`field_colour`]), slightly transparent so the
/// grid shows through.
pub fn field_image(resolution: usize, values: &[f32], scale: FieldScale) -> egui::ColorImage {
    let pixels: Vec<egui::Color32> = values
        .iter()
        .map(|&v| {
            let [r, g, b] = field_colour(scale.position(v));
            egui::Color32::from_rgba_unmultiplied(r, g, b, 170)
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
