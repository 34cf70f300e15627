//! The super-resolution family's panels: the comparison of fixed held-out images (with the
//! history slider), the quality metrics over steps with the perception–distortion plane, and
//! the setup (presets, what the run is).

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use crate::engine::superres::compare::ROWS;
use crate::engine::trainer::protocol::{ClassifierStatus, MetricsReport, RunSetup};
use crate::gui::action::Action;
use crate::gui::family_frame::{setup_head_ui, setup_rows_ui};
use crate::gui::panels::history_ui;
use crate::gui::preset_list::PresetList;
use crate::gui::view::RunView;

/// The outputs the metrics compare, as the metric names end and as the window names them.
const OUTPUTS: [(&str, &str); 4] = [
    ("pixel", "pixel network"),
    ("gan", "GAN network"),
    ("bicubic", "bicubic"),
    ("nearest", "nearest"),
];

/// The comparison at the shown step: a row label beside each row.
pub fn comparison_ui(
    ui: &mut egui::Ui,
    width: f32,
    view: &RunView,
    texture: Option<&egui::TextureHandle>,
    actions: &mut Vec<Action>,
) {
    let Some((step, samples)) = view.shown() else {
        ui.label("Building the run…");
        return;
    };
    history_ui(ui, view, actions);
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!("Held-out images at step {step}"));
        for (name, label) in [("pixel", "pixel"), ("gan", "GAN"), ("bicubic", "bicubic")] {
            if let Some(v) = view.metric_at(&format!("psnr_{name}"), *step) {
                ui.label(egui::RichText::new(format!("{label} {v:.2} dB")).size(18.0))
                    .on_hover_text("PSNR against the high-res images, mean over the held-out images (higher: closer pixel by pixel)");
            }
        }
    });
    let Some(tex) = texture else { return };
    let rows = samples.classes.iter().max().map_or(0, |r| *r as usize + 1);
    let names: Vec<&str> = if rows == ROWS.len() {
        ROWS.to_vec()
    } else {
        ROWS.iter()
            .copied()
            .filter(|r| *r != "GAN network")
            .collect()
    };
    let [w, h] = tex.size().map(|v| v as f32);
    let labels_w = 110.0;
    let scale = ((width - labels_w - 10.0) / w).min(360.0 / h).max(0.5);
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            let row_h = h * scale / names.len() as f32;
            for row in &names {
                ui.allocate_ui(egui::vec2(labels_w, row_h), |ui| {
                    ui.set_min_height(row_h);
                    ui.centered_and_justified(|ui| ui.label(*row));
                });
            }
        });
        ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(w * scale, h * scale)))
            .on_hover_text("Fixed held-out images: the low-res input (nearest), bicubic, each network's output and the ground truth, refreshed every sample_every rounds");
    });
}

/// The latest evaluation as a table.
fn table_ui(ui: &mut egui::Ui, report: &MetricsReport) {
    ui.label(format!("Held-out images at step {}:", report.step));
    egui::Grid::new("sr_metrics").striped(true).show(ui, |ui| {
        for head in ["output", "PSNR dB", "SSIM", "FID-lite", "accuracy"] {
            ui.strong(head);
        }
        ui.end_row();
        for (key, label) in OUTPUTS {
            let get = |m: &str| report.get(&format!("{m}_{key}"));
            if get("psnr").is_none() {
                continue;
            }
            ui.label(label);
            let cell = |v: Option<f64>, digits: usize| {
                v.map_or_else(|| "–".to_string(), |v| format!("{v:.digits$}"))
            };
            ui.label(cell(get("psnr"), 2));
            ui.label(cell(get("ssim"), 3));
            ui.label(cell(get("fid_lite"), 2));
            ui.label(cell(get("accuracy").map(|a| 100.0 * a), 1));
            ui.end_row();
        }
        if let Some(a) = report.get("accuracy_hr") {
            ui.label("high-res truth");
            for _ in 0..3 {
                ui.label("");
            }
            ui.label(format!("{:.1}", 100.0 * a));
            ui.end_row();
        }
    });
}

/// The quality metrics over steps: PSNR per output, and the perception–distortion plane.
pub fn metrics_ui(ui: &mut egui::Ui, view: &RunView) {
    match &view.classifier {
        Some(ClassifierStatus::Training { fraction }) => {
            ui.label(format!(
                "Training the dataset's classifier (FID-lite, accuracy): {:.0} %",
                100.0 * fraction
            ));
        }
        Some(ClassifierStatus::Unavailable(why)) => {
            ui.label(format!("PSNR and SSIM only: {why}"));
        }
        _ => {}
    }
    let Some(latest) = view.reports.last() else {
        ui.label("No evaluation yet: every metrics_every rounds, on the held-out images.");
        return;
    };
    table_ui(ui, latest);
    let series = |name: &str| -> Vec<[f64; 2]> {
        view.reports
            .iter()
            .filter_map(|r| r.get(name).map(|v| [r.step as f64, v]))
            .collect()
    };
    let height = (ui.available_height() / 2.0 - 30.0).max(120.0);
    ui.label("PSNR on held-out images (dB)")
        .on_hover_text("Higher: closer to the ground truth pixel by pixel. The pixel network should lead: the GAN network trades PSNR for detail");
    Plot::new("sr_psnr")
        .height(height)
        .legend(Legend::default())
        .show(ui, |pl| {
            for (key, label) in OUTPUTS {
                pl.line(Line::new(
                    label,
                    PlotPoints::new(series(&format!("psnr_{key}"))),
                ));
            }
        });
    let plane = |key: &str| -> Vec<[f64; 2]> {
        view.reports
            .iter()
            .filter_map(|r| {
                Some([
                    r.get(&format!("psnr_{key}"))?,
                    r.get(&format!("fid_lite_{key}"))?,
                ])
            })
            .collect()
    };
    if plane("pixel").is_empty() {
        return;
    }
    ui.label("Perception–distortion plane (each evaluation a point)")
        .on_hover_text("x: PSNR (distortion; right is better), y: FID-lite to the held-out high-res images (perception; lower is better). Blau & Michaeli 2018: no network reaches the bottom right corner; the pixel network sits right, the GAN network lower");
    if let (Some(p), Some(f)) = (latest.get("psnr_bicubic"), latest.get("fid_lite_bicubic")) {
        ui.small(format!(
            "bicubic, off the scale: {p:.2} dB, FID-lite {f:.1}"
        ));
    }
    let colours = [
        (
            "pixel",
            "pixel network",
            egui::Color32::from_rgb(220, 90, 80),
        ),
        ("gan", "GAN network", egui::Color32::from_rgb(80, 140, 230)),
    ];
    Plot::new("sr_perception_distortion")
        .height(height)
        .legend(Legend::default())
        .x_axis_label("PSNR dB")
        .y_axis_label("FID-lite")
        .show(ui, |pl| {
            for (key, label, colour) in colours {
                let points = plane(key);
                let Some(last) = points.last().copied() else {
                    continue;
                };
                // The trail and the newest point share the legend entry and its colour.
                pl.line(Line::new(label, PlotPoints::new(points)).color(colour));
                pl.points(Points::new(label, vec![last]).radius(5.0).color(colour));
            }
        });
}

/// The preset picker (every family), the run's preset and what it holds.
pub fn setup_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    presets: &PresetList,
    actions: &mut Vec<Action>,
) {
    let Some(info) = setup_head_ui(ui, view, presets, actions) else {
        return;
    };
    let RunSetup::Superres(preset) = &info.setup else {
        return;
    };
    let s = &preset.superres;
    let side = info.side;
    let degradation = match (s.blur > 0.0, s.noise > 0.0) {
        (false, false) => "area downscaling".to_string(),
        (true, false) => format!("blur σ {} then area downscaling", s.blur),
        (false, true) => format!("area downscaling, noise σ {}", s.noise),
        (true, true) => format!("blur σ {}, area downscaling, noise σ {}", s.blur, s.noise),
    };
    let rows: Vec<(&str, String)> = vec![
        (
            "images",
            format!(
                "{}×{}×{}: {}",
                info.channels,
                side,
                side,
                info.data_notes.join("; ")
            ),
        ),
        (
            "scale",
            format!(
                "{}× ({} -> {} px), {degradation}",
                s.scale,
                side / s.scale,
                side
            ),
        ),
        (
            "generator",
            format!(
                "{} residual blocks × {} filters, scaling {}, no batch norm ({} weights)",
                s.residual_blocks, s.g_filters, s.residual_scaling, info.g_params
            ),
        ),
        (
            "critic",
            format!(
                "{} filters, no norm ({} weights)",
                s.d_filters, info.d_params
            ),
        ),
        (
            "stages",
            format!(
                "{} pixel rounds (L1), then the GAN network too",
                s.pixel_steps
            ),
        ),
        (
            "GAN losses",
            format!(
                "{} L1 + {} feature (critic's) + {} {}",
                s.pixel_weight,
                s.feature_weight,
                s.adversarial_weight,
                s.objective.name()
            ),
        ),
        (
            "optimizer",
            format!("Adam lr {} β1 {}, batch {}", s.lr, s.beta1, s.batch_size),
        ),
        ("seed", s.seed.to_string()),
    ];
    setup_rows_ui(ui, "sr_setup", (&preset.name, &preset.description), rows);
}
