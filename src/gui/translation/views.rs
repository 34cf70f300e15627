//! The translation family's panels: the strips of fixed held-out images (with the history
//! slider), the translation metrics over steps, and the setup (presets, what the run is).

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::engine::cyclegan::evaluate::collapse_alert;
use crate::engine::cyclegan::preset::{CyclePreset, DomainsConfig};
use crate::engine::cyclegan::strips::ROWS;
use crate::engine::trainer::protocol::{ClassifierStatus, RunSetup};
use crate::gui::action::Action;
use crate::gui::panels::history_ui;
use crate::gui::preset_list::PresetList;
use crate::gui::view::RunView;

pub use crate::gui::preset_list::readable;

/// The strips at the shown step: a row label beside each of the six rows.
pub fn strips_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    texture: Option<&egui::TextureHandle>,
    actions: &mut Vec<Action>,
) {
    let Some((step, _)) = view.shown() else {
        ui.label("Building the run…");
        return;
    };
    history_ui(ui, view, actions);
    let names = view.info.as_ref().and_then(|i| {
        Some([
            i.domains.first()?.name.clone(),
            i.domains.get(1)?.name.clone(),
        ])
    });
    let alert = view
        .reports
        .last()
        .zip(names)
        .and_then(|(r, names)| collapse_alert(r, &names));
    if let Some(alert) = alert {
        ui.colored_label(
            ui.visuals().error_fg_color,
            egui::RichText::new(alert).strong(),
        );
    }
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!("Translations at step {step}"));
        for (key, label) in [
            ("label_preservation_ab", "A->B keeps the digit"),
            ("label_preservation_ba", "B->A keeps the digit"),
        ] {
            if let Some(v) = view.metric_at(key, *step) {
                ui.label(egui::RichText::new(format!("{label}: {:.0} %", 100.0 * v)).size(20.0))
                    .on_hover_text("Label preservation on the held-out images: the target domain's classifier gives the translation the source image's label");
            }
        }
    });
    let Some(tex) = texture else { return };
    let avail = ui.available_size();
    let [w, h] = tex.size().map(|v| v as f32);
    let labels_w = 110.0;
    let scale = ((avail.x - labels_w) / w).min(avail.y * 0.6 / h).max(0.5);
    ui.horizontal(|ui| {
        ui.vertical(|ui| {
            let row_h = h * scale / ROWS.len() as f32;
            for row in ROWS {
                ui.allocate_ui(egui::vec2(labels_w, row_h), |ui| {
                    ui.set_min_height(row_h);
                    ui.centered_and_justified(|ui| ui.label(row));
                });
            }
        });
        ui.add(egui::Image::new(tex).fit_to_exact_size(egui::vec2(w * scale, h * scale)))
            .on_hover_text("Fixed held-out images of each domain, their translation and the way back, refreshed every sample_every rounds");
    });
}

/// The evaluation metrics over steps: cycle L1 per domain, label preservation per direction
/// beside its untranslated baseline, and the judges' state.
pub fn metrics_ui(ui: &mut egui::Ui, view: &RunView) {
    match &view.classifier {
        Some(ClassifierStatus::Training { fraction }) => {
            ui.label(format!(
                "Training the two domains' classifiers (label preservation): {:.0} %",
                100.0 * fraction
            ));
        }
        Some(ClassifierStatus::Ready { accuracy, .. }) => {
            ui.label(format!(
                "Judged by each domain's classifier (the weaker is {:.1} % accurate on held-out images).",
                100.0 * accuracy
            ));
        }
        Some(ClassifierStatus::Unavailable(why)) => {
            ui.label(format!("No label preservation: {why}"));
        }
        None => {}
    }
    if view.reports.is_empty() {
        ui.label("No evaluation yet: every metrics_every rounds, on the held-out images.");
        return;
    }
    let series = |name: &str| -> Vec<[f64; 2]> {
        view.reports
            .iter()
            .filter_map(|r| r.get(name).map(|v| [r.step as f64, v]))
            .collect()
    };
    let latest = view.reports.last();
    let fid = |dir: &str| latest.and_then(|r| r.get(&format!("fid_lite_{dir}")));
    if let (Some(ab), Some(ba)) = (fid("ab"), fid("ba")) {
        ui.label(format!("FID-lite to the target domain: A -> B {ab:.2}, B -> A {ba:.2} (lower is closer)"))
            .on_hover_text("Fréchet distance between the target domain's classifier features of the translations and of its held-out images");
    }
    let height = (ui.available_height() / 3.0 - 30.0).max(100.0);
    ui.label("Label preservation (%)").on_hover_text(
        "Share of held-out images whose translation the target domain's classifier gives the source's label; dashed: the same classifier on the untranslated images (what a translation must beat)",
    );
    Plot::new("label_preservation")
        .height(height)
        .legend(Legend::default())
        .include_y(0.0)
        .include_y(100.0)
        .show(ui, |pl| {
            for (key, label) in [("ab", "A -> B"), ("ba", "B -> A")] {
                let pct = |p: Vec<[f64; 2]>| {
                    p.into_iter()
                        .map(|[x, y]| [x, 100.0 * y])
                        .collect::<Vec<_>>()
                };
                pl.line(Line::new(
                    label,
                    PlotPoints::new(pct(series(&format!("label_preservation_{key}")))),
                ));
                let baseline = pct(series(&format!("untranslated_agreement_{key}")));
                if !baseline.is_empty() {
                    pl.line(
                        Line::new(format!("{label} untranslated"), PlotPoints::new(baseline))
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
            }
        });
    ui.label("Variety of translations (1 = the target domain's)").on_hover_text(
        "Mean distance between translations over the same for the target domain's held-out images: below 0.5 every input gives much the same output (mode collapse)",
    );
    Plot::new("translation_diversity")
        .height(height)
        .legend(Legend::default())
        .include_y(0.0)
        .include_y(1.0)
        .show(ui, |pl| {
            for (key, label) in [
                ("diversity_ratio_ab", "A -> B"),
                ("diversity_ratio_ba", "B -> A"),
            ] {
                pl.line(Line::new(label, PlotPoints::new(series(key))));
            }
        });
    ui.label("Cycle L1 on held-out images").on_hover_text(
        "Mean |G_BA(G_AB(a)) − a| (and for B): falls as each generator learns to undo the other",
    );
    Plot::new("cycle_l1")
        .height(height)
        .legend(Legend::default())
        .include_y(0.0)
        .show(ui, |pl| {
            for (key, label) in [("cycle_l1_a", "A -> B -> A"), ("cycle_l1_b", "B -> A -> B")] {
                pl.line(Line::new(label, PlotPoints::new(series(key))));
            }
        });
}

/// The preset picker (both families), the run's preset and what it holds.
pub fn setup_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    presets: &PresetList,
    editor: &mut super::edit::Editor,
    actions: &mut Vec<Action>,
) -> Option<CyclePreset> {
    ui.heading("Setup");
    presets.picker_ui(ui, actions);
    ui.separator();
    let info = view.info.as_ref()?;
    let RunSetup::Cycle(preset) = &info.setup else {
        return None;
    };
    ui.strong(readable(&preset.name));
    ui.label(readable(&preset.description.trim().replace('\n', " ")));
    ui.separator();
    let applied = super::edit::edit_ui(ui, preset, editor);
    ui.separator();
    summary_ui(ui, preset, info);
    applied
}

fn summary_ui(
    ui: &mut egui::Ui,
    preset: &CyclePreset,
    info: &crate::engine::trainer::protocol::RunInfo,
) {
    let s = &preset.cyclegan;
    let source = match &s.domains {
        DomainsConfig::EmbeddedPair { per_domain, .. } => {
            format!("embedded digits, {per_domain} drawn per domain")
        }
        DomainsConfig::Sources { .. } => "two image sources".to_string(),
    };
    let rows: Vec<(String, String)> = vec![
        ("domains".into(), source),
        (
            "A".into(),
            info.domains.first().map_or_else(String::new, |d| {
                format!(
                    "{}: {} images, {}×{}×{}",
                    d.name, d.images, d.channels, d.side, d.side
                )
            }),
        ),
        (
            "B".into(),
            info.domains.get(1).map_or_else(String::new, |d| {
                format!(
                    "{}: {} images, {}×{}×{}",
                    d.name, d.images, d.channels, d.side, d.side
                )
            }),
        ),
        ("held out".into(), format!("{} per domain", s.held_out)),
        (
            "generators".into(),
            format!(
                "ResNet, {} filters, {} downsamplings, {} residual blocks ({} weights)",
                s.g_filters, s.downsamplings, s.residual_blocks, info.g_params
            ),
        ),
        (
            "critics".into(),
            format!(
                "PatchGAN, {} filters ({} weights)",
                s.d_filters, info.d_params
            ),
        ),
        (
            "losses".into(),
            format!(
                "{}, cycle λ {}, identity {} λ{}",
                s.objective.name(),
                s.lambda_cycle,
                s.identity,
                if s.semantic > 0.0 {
                    format!(", semantic {} (CyCADA, not plain CycleGAN)", s.semantic)
                } else {
                    String::new()
                }
            ),
        ),
        (
            "optimizer".into(),
            format!("Adam lr {} β1 {}, batch {}", s.lr, s.beta1, s.batch_size),
        ),
        ("replay buffer".into(), format!("{} past fakes", s.replay)),
        ("seed".into(), s.seed.to_string()),
        (
            "shown every".into(),
            format!(
                "{} rounds, evaluated every {}",
                s.sample_every, s.metrics_every
            ),
        ),
    ];
    egui::Grid::new("cycle_setup")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for (k, v) in rows {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            }
        });
}
