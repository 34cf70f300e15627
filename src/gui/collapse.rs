//! The mode-collapse panel: the alert in words, the histogram of modes or classes the
//! generator produces, every metric's latest value with what it means, and chosen metrics as
//! curves over steps.

use std::collections::BTreeSet;

use eframe::egui;
use egui_plot::{AxisHints, Bar, BarChart, GridMark, HLine, Legend, Line, Plot, PlotPoints};

use super::action::Action;
use super::view::RunView;
use crate::engine::trainer::protocol::{ClassifierStatus, Histogram, HistogramKind};

/// Which metrics are drawn as curves (persisted with the other UI settings).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct CollapseSettings {
    pub plotted: BTreeSet<String>,
}

impl Default for CollapseSettings {
    fn default() -> Self {
        Self {
            plotted: ["modes_covered", "classes_covered"]
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }
}

/// What a metric means, in a sentence (hover text).
pub fn describe(name: &str) -> &'static str {
    match name {
        "modes_covered" => {
            "Modes holding at least 20 of every 2,500 samples as high-quality samples (PacGAN's rule). All modes: no collapse."
        }
        "high_quality_pct" => {
            "Share of samples within 3 standard deviations of their nearest mode (VEEGAN / PacGAN)."
        }
        "kl_modes_to_uniform" => {
            "KL divergence of the high-quality mode histogram to the uniform one: 0 when every mode is equally used, ln(modes) when one mode takes all."
        }
        "classes_covered" => {
            "Classes holding at least 2 % of the samples, as the dataset's classifier labels them."
        }
        "kl_classes_to_uniform" => {
            "KL divergence of the generated class histogram to the uniform one (0 = balanced)."
        }
        "mean_confidence" => {
            "The classifier's mean top probability on generated samples: a proxy for quality (blurry or mixed digits score low)."
        }
        "fid_lite" => {
            "Fréchet distance between real and generated samples in the classifier's 64 features. Lower is better. NOT comparable to Inception FID."
        }
        "precision" => {
            "Share of generated samples inside the real data's manifold (k = 5 neighbour balls): fidelity."
        }
        "recall" => "Share of real samples inside the generated samples' manifold: diversity.",
        "density" => {
            "How many real neighbourhoods a generated sample falls in, on average (1 ≈ like real data; robust precision)."
        }
        "coverage" => {
            "Share of real samples with a generated sample in their neighbourhood (robust recall; drops with collapse)."
        }
        "cgan_accuracy" => {
            "Conditional models: how often a sample generated for class k is classified as k."
        }
        "diversity_ratio" => {
            "Mean pairwise distance of generated samples over the data's (in a fixed random projection): 1 ≈ as varied as the data, near 0 = collapse."
        }
        "duplicate_pct" => "Share of samples with a near-duplicate among the other samples.",
        "memorised_pct" => "Share of samples nearly identical to a training image (memorisation).",
        _ => "",
    }
}

fn classifier_ui(ui: &mut egui::Ui, status: Option<&ClassifierStatus>) {
    match status {
        Some(ClassifierStatus::Training { fraction }) => {
            ui.add(
                egui::ProgressBar::new(*fraction)
                    .show_percentage()
                    .text("training the metrics classifier on the dataset's labels"),
            );
        }
        Some(ClassifierStatus::Ready {
            accuracy,
            held_out,
            held_out_confidence,
            train_secs,
            from_cache,
        }) => {
            let how = if *from_cache {
                "cached".to_string()
            } else {
                format!("trained in {train_secs:.1} s")
            };
            ui.label(format!(
                "Classifier: {:.1} % accuracy, confidence {held_out_confidence:.3} on {held_out} held-out real images ({how})",
                100.0 * accuracy
            ))
            .on_hover_text("A small network trained by ganvas on this dataset's labels. Class metrics are as trustworthy as this accuracy; the confidence is what unseen real images score, the ceiling to read generated samples' confidence against.");
        }
        Some(ClassifierStatus::Unavailable(why)) => {
            ui.label(format!("Class metrics off: {why}"));
        }
        None => {}
    }
}

/// The alert, if any, with a button to jump the sample history to where it began.
/// The collapse alert above the samples, in a slot of fixed height: empty when there is no
/// alert, so nothing below it moves when one appears.
pub fn alert_ui(ui: &mut egui::Ui, view: &RunView, actions: &mut Vec<Action>) {
    let height = 2.0 * ui.spacing().interact_size.y + 8.0;
    let width = ui.available_width();
    ui.allocate_ui(egui::vec2(width, height), |ui| {
        ui.set_min_size(egui::vec2(width, height));
        let Some(alert) = &view.alert else {
            if view.info.is_some() {
                ui.weak(
                    "Collapse alert: none (modes and classes are checked at every evaluation).",
                );
            }
            return;
        };
        egui::Frame::group(ui.style())
            .fill(ui.visuals().error_fg_color.gamma_multiply(0.15))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.add(
                        egui::Label::new(
                            egui::RichText::new(&alert.message).color(ui.visuals().error_fg_color),
                        )
                        .truncate(),
                    )
                    .on_hover_text(alert.message.as_str());
                    if let Some(i) = view.snapshot_index_at(alert.since)
                        && ui
                            .button(format!("Show step {}", alert.since))
                            .on_hover_text("Scrub the sample history to where the collapse began")
                            .clicked()
                    {
                        actions.push(Action::ShowSnapshot(Some(i)));
                    }
                });
            });
    });
}

fn histogram_ui(ui: &mut egui::Ui, h: &Histogram, step: u64) {
    let what = match h.kind {
        HistogramKind::Modes => "High-quality samples per mode",
        HistogramKind::Classes => "Generated samples per class",
    };
    ui.label(format!(
        "{what} at step {step} ({} of {} covered)",
        h.covered_bins().len(),
        h.counts.len()
    ));
    let good = egui::Color32::from_rgb(60, 160, 90);
    let bad = egui::Color32::from_rgb(210, 70, 60);
    let bars: Vec<Bar> = h
        .counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            Bar::new(i as f64, 100.0 * c as f64 / h.total.max(1) as f64)
                .name(&h.labels[i])
                .fill(if h.covered(i) { good } else { bad })
                .width(0.8)
        })
        .collect();
    let n = h.counts.len();
    // One tick per bar, named after it (modes by their number: "mode 3" → "3").
    let names: Vec<String> = h
        .labels
        .iter()
        .map(|l| l.strip_prefix("mode ").unwrap_or(l).to_string())
        .collect();
    Plot::new("histogram")
        .height(140.0)
        .x_grid_spacer(move |_| {
            (0..n)
                .map(|i| GridMark {
                    value: i as f64,
                    step_size: 1.0,
                })
                .collect()
        })
        // egui_plot hides x labels closer than 60 points; bars are narrower than that (a
        // label that does not fit its bar is still left out).
        .custom_x_axes(vec![
            AxisHints::new_x()
                .label_spacing(8.0..=12.0)
                .formatter(move |mark, _| {
                    let i = mark.value.round();
                    if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                        names.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                }),
        ])
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .y_axis_label("% of samples")
        .show(ui, |p| {
            p.bar_chart(BarChart::new("share", bars));
            p.hline(
                HLine::new("covered above", 100.0 * h.covered_share)
                    .stroke(egui::Stroke::new(1.0, egui::Color32::GRAY)),
            );
        });
    if !h.accuracy.is_empty() {
        let acc: Vec<String> = h
            .labels
            .iter()
            .zip(&h.accuracy)
            .map(|(l, a)| format!("{l}: {:.0} %", 100.0 * a))
            .collect();
        ui.label(format!("Looks like its class: {}", acc.join(", ")))
            .on_hover_text(
                "For each class, how often a sample generated for it is classified as it",
            );
    }
}

/// The whole panel.
pub fn collapse_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    settings: &mut CollapseSettings,
    actions: &mut Vec<Action>,
) {
    classifier_ui(ui, view.classifier.as_ref());
    alert_ui(ui, view, actions);
    let shown_step = view.shown().map_or(view.step, |(s, _)| *s);
    let Some(report) = view.report_at(shown_step).or(view.reports.last()) else {
        let every = view.gan_config().map_or(0, |c| c.train.metrics_every);
        ui.label(format!(
            "No evaluation yet: metrics are computed every {every} steps (train.metrics_every)."
        ));
        return;
    };
    if let Some(h) = &report.histogram {
        histogram_ui(ui, h, report.step);
    }
    ui.label(format!("Metrics at step {} (tick to plot)", report.step));
    egui::Grid::new("metric_values")
        .striped(true)
        .show(ui, |ui| {
            for v in &report.values {
                let mut on = settings.plotted.contains(&v.name);
                if ui
                    .checkbox(&mut on, v.name.as_str())
                    .on_hover_text(describe(&v.name))
                    .changed()
                {
                    if on {
                        settings.plotted.insert(v.name.clone());
                    } else {
                        settings.plotted.remove(&v.name);
                    }
                }
                ui.label(format!("{:.3}", v.value));
                ui.end_row();
            }
        });
    // Every metric here is ≥ 0, and many live in [0, 1]: with 0 and 1 always in view, a metric
    // that holds one value (8 of 8 modes from the first evaluation) is a flat line at its
    // height, not a line in the middle of an axis egui_plot widened to ±1000.
    Plot::new("metric_curves")
        .legend(Legend::default())
        .x_axis_label("step")
        .include_y(0.0)
        .include_y(1.0)
        .show(ui, |p| {
            for name in &settings.plotted {
                let pts: Vec<[f64; 2]> = view
                    .metric_values()
                    .filter(|m| &m.name == name)
                    .map(|m| [m.step as f64, m.value])
                    .collect();
                if !pts.is_empty() {
                    p.line(Line::new(name.as_str(), PlotPoints::new(pts)));
                }
            }
        });
}
