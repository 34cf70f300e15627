//! The 2D view's layers drawn into its plot: G's manifold as a mesh, D's gradient as arrows,
//! the mode map with its counts, D's field as a texture image, and the colour bar beside it.

use eframe::egui;
use egui_plot::{Arrows, Line, PlotBounds, PlotPoints};

use super::view::RunView;
use crate::engine::plane_image::{FieldScale, field_colour};

/// D's colour scale beside the view: purple where D says fake, green where it says real.
pub(super) fn colour_bar_ui(ui: &mut egui::Ui, scale: FieldScale) {
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
pub(super) fn manifold_mesh(p: &mut egui_plot::PlotUi, values: &[f32], side: usize) {
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
pub(super) fn gradient_arrows(
    p: &mut egui_plot::PlotUi,
    points: &[f32],
    grads: &[f32],
    visible: PlotBounds,
) {
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
pub(super) fn mode_map(p: &mut egui_plot::PlotUi, view: &RunView, step: u64) {
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
