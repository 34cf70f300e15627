//! The studio's panels: the style-mixing grid with its layer picker, truncation, the focus
//! image with per-layer style sliders, noise per layer with the stochastic variation it
//! makes, and the principal directions of w as sliders.

use std::ops::Range;

use eframe::egui;

use super::studio::Studio;
use crate::engine::stylegan::studio::NOISE_DRAWS;

/// The mixing grid's cells are drawn this many times their pixel size at most.
const MAX_ZOOM: f32 = 4.0;

/// A named range of layers, by the output side its styles act at.
fn named_ranges(sides: &[usize]) -> Vec<(&'static str, Range<usize>, &'static str)> {
    let n = sides.len();
    let top = sides.last().copied().unwrap_or(0);
    let first = |at_least: usize| sides.iter().position(|&s| s >= at_least).unwrap_or(n);
    let (middle, fine) = (first(16), first(top));
    vec![
        (
            "Coarse",
            0..middle,
            "Styles at 4-8 px: pose, overall shape, which digit",
        ),
        (
            "Middle",
            middle..fine,
            "Styles at 16 px (and 32 at 64): stroke features",
        ),
        (
            "Fine",
            fine..n,
            "Styles at the finest resolution: texture, thickness, colour",
        ),
        ("All", 0..n, "Every style from B: the mix is B's image"),
    ]
}

fn layers_label(range: &Range<usize>, sides: &[usize]) -> String {
    if range.is_empty() {
        return "none".into();
    }
    let (a, b) = (sides[range.start], sides[range.end - 1]);
    let px = if a == b {
        format!("{a} px")
    } else {
        format!("{a}-{b} px")
    };
    format!("layers {}-{} ({px})", range.start, range.end - 1)
}

/// Two fields choosing a range of layers `[from, to]`.
fn range_ui(ui: &mut egui::Ui, range: &mut Range<usize>, n: usize, what: &str) {
    let last = n.saturating_sub(1);
    let mut from = range.start.min(last);
    let mut to = range.end.saturating_sub(1).max(from);
    ui.horizontal(|ui| {
        let first = ui.label(what);
        ui.add(egui::DragValue::new(&mut from).range(0..=last))
            .labelled_by(first.id);
        let second = ui.label("to");
        ui.add(egui::DragValue::new(&mut to).range(0..=last))
            .labelled_by(second.id);
    });
    if from > to {
        to = from;
    }
    *range = from..to + 1;
}

/// The mixing grid: rows A, columns B, each cell B's styles at the picked layers; a click
/// picks the focus image.
pub fn mixing_ui(ui: &mut egui::Ui, studio: &mut Studio, width: f32) {
    let Some(answer) = &studio.answer else {
        ui.label("Drawing the studio's images…");
        return;
    };
    let sides = answer.w_sides.clone();
    let n = sides.len();
    ui.heading("Style mixing");
    ui.label(format!(
        "Each cell: the first column's image (A) with B's styles (top row) at {}. Click a cell to study it below.",
        layers_label(&studio.mix, &sides)
    ));
    ui.horizontal_wrapped(|ui| {
        ui.label("B's styles at:");
        for (name, range, hint) in named_ranges(&sides) {
            let label = format!("{name} ({})", layers_label(&range, &sides));
            if ui
                .selectable_label(studio.mix == range, label)
                .on_hover_text(hint)
                .clicked()
            {
                studio.mix = range;
            }
        }
    });
    range_ui(ui, &mut studio.mix, n, "or layers");
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::Slider::new(&mut studio.sources, 1..=6).text("sources"));
        if ui
            .button("New sources")
            .on_hover_text("Draw other A and B images")
            .clicked()
        {
            studio.a_seed = studio.a_seed.wrapping_add(2);
            studio.b_seed = studio.b_seed.wrapping_add(2);
        }
        ui.add(egui::Slider::new(&mut studio.psi, 0.0..=1.5).text("truncation ψ"))
            .on_hover_text("Every w pulled towards the running mean of w: ψ = 1 unchanged, ψ = 0 the mean image; lower ψ: more typical, less varied images");
    });
    let Some([grid, _, _]) = &studio.textures else {
        return;
    };
    let [w, h] = grid.size().map(|v| v as f32);
    let zoom = ((width - 20.0) / w).clamp(1.0, MAX_ZOOM);
    let response = ui
        .add(
            egui::Image::new(grid)
                .fit_to_exact_size(egui::vec2(w * zoom, h * zoom))
                .sense(egui::Sense::click()),
        )
        .on_hover_text("Top row: B sources; first column: A sources; click a mix to study it");
    if response.clicked()
        && let Some(pos) = response.interact_pointer_pos()
    {
        let cells = (studio.sources + 1) as f32;
        let local = pos - response.rect.min;
        let col = (local.x / response.rect.width() * cells).floor() as usize;
        let row = (local.y / response.rect.height() * cells).floor() as usize;
        if row >= 1 && col >= 1 {
            studio.focus = (row - 1, col - 1);
        }
    }
}

/// The focus image, its per-layer style sliders and the directions.
pub fn focus_ui(ui: &mut egui::Ui, studio: &mut Studio) {
    let Some(answer) = &studio.answer else {
        return;
    };
    let sides = answer.w_sides.clone();
    let conv_sides = answer.conv_sides.clone();
    let directions = answer.directions.clone();
    ui.heading(format!(
        "Focus: A{} with B{}",
        studio.focus.0 + 1,
        studio.focus.1 + 1
    ));
    let width = ui.available_width();
    ui.horizontal_top(|ui| {
        if let Some([_, focus, _]) = &studio.textures {
            let [w, h] = focus.size().map(|v| v as f32);
            let zoom = (width * 0.22 / w).clamp(2.0, 6.0);
            ui.add(egui::Image::new(focus).fit_to_exact_size(egui::vec2(w * zoom, h * zoom)));
        }
        ui.spacing_mut().slider_width = (width * 0.14).clamp(80.0, 180.0);
        ui.vertical(|ui| {
            ui.set_width((width * 0.34).max(220.0));
            ui.label("Per-layer styles: 0 takes A's w at that layer, 1 B's (in between: a blend)");
            for (k, side) in sides.iter().enumerate() {
                if let Some(t) = studio.blend.get_mut(k) {
                    ui.add(egui::Slider::new(t, 0.0..=1.0).text(format!("layer {k} ({side} px)")));
                }
            }
            ui.horizontal(|ui| {
                if ui.button("All A").clicked() {
                    studio.blend.iter_mut().for_each(|t| *t = 0.0);
                }
                if ui.button("All B").clicked() {
                    studio.blend.iter_mut().for_each(|t| *t = 1.0);
                }
                if ui
                    .button("As the grid")
                    .on_hover_text("B at the grid's layers, A elsewhere")
                    .clicked()
                {
                    for (k, t) in studio.blend.iter_mut().enumerate() {
                        *t = if studio.mix.contains(&k) { 1.0 } else { 0.0 };
                    }
                }
            });
        });
        ui.separator();
        ui.vertical(|ui| directions_ui(ui, studio, &sides, directions.as_ref()));
    });
    ui.separator();
    noise_ui(ui, studio, &conv_sides);
}

fn directions_ui(
    ui: &mut egui::Ui,
    studio: &mut Studio,
    sides: &[usize],
    directions: Option<&crate::engine::stylegan::studio::DirectionsSummary>,
) {
    ui.strong("Directions in w (principal components, GANSpace)");
    ui.horizontal_wrapped(|ui| {
        match &directions {
            Some(d) => ui.add(
                egui::Label::new(format!(
                    "computed at round {} from 2,000 w; the first 3 explain {:.0} % of w's variance",
                    d.step,
                    100.0 * d.explained.iter().take(3).sum::<f32>()
                ))
                .wrap(),
            ),
            None => ui.add(
                egui::Label::new("not computed yet (moving a slider computes them)").wrap(),
            ),
        };
        if ui
            .button("Recompute directions")
            .on_hover_text("The generator changes while it trains: find the directions of w again, from the generator as it is now")
            .clicked()
        {
            studio.recompute = true;
        }
        if ui.button("Reset moves").clicked() {
            studio.edits.iter_mut().for_each(|e| *e = 0.0);
        }
    });
    for (k, amount) in studio.edits.iter_mut().enumerate() {
        let share = directions
            .and_then(|d| d.explained.get(k))
            .map_or_else(String::new, |e| format!(", {:.1} %", 100.0 * e));
        ui.add(egui::Slider::new(amount, -3.0..=3.0).text(format!("PC {}{share} (σ)", k + 1)));
    }
    let n = sides.len();
    range_ui(ui, &mut studio.edit_layers, n, "moves apply at layers");
}

fn noise_ui(ui: &mut egui::Ui, studio: &mut Studio, conv_sides: &[usize]) {
    ui.strong("Noise inputs (stochastic variation)");
    ui.horizontal_wrapped(|ui| {
        for (j, side) in conv_sides.iter().enumerate() {
            if let Some(on) = studio.noise.get_mut(j) {
                ui.checkbox(on, format!("conv {j} ({side} px)"));
            }
        }
    });
    ui.horizontal(|ui| {
        if ui.button("All on").clicked() {
            studio.noise.iter_mut().for_each(|on| *on = true);
        }
        if ui.button("All off").clicked() {
            studio.noise.iter_mut().for_each(|on| *on = false);
        }
        if ui.button("New noise").clicked() {
            studio.noise_seed = studio.noise_seed.wrapping_add(2);
        }
    });
    ui.label(format!(
        "The focus image under {NOISE_DRAWS} noise draws (same styles), then where they differ (white: most):"
    ));
    if let Some([_, _, variation]) = &studio.textures {
        let [w, h] = variation.size().map(|v| v as f32);
        let zoom = ((ui.available_width() - 24.0) / w).clamp(1.0, 3.0);
        ui.add(egui::Image::new(variation).fit_to_exact_size(egui::vec2(w * zoom, h * zoom)))
            .on_hover_text("Noise changes only stochastic detail (stroke edges, texture); the styles decide the rest. Turn layers off to see which ones carry it");
    }
}
