//! Compare runs: keep the current run (its curves, metrics and last sample grid), change the
//! variant or a trick, train again, and overlay the curves of every kept run and the current
//! one, with their sample grids side by side.

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use super::panels::{Action, samples_image};
use super::view::RunView;
use crate::engine::config::TrainConfig;
use crate::engine::trainer::protocol::{MetricValue, Samples, StepStats};

/// Points kept per curve of a kept run (older steps are thinned evenly).
const KEPT_POINTS: usize = 4000;

/// A finished or paused run kept for comparison.
pub struct KeptRun {
    pub label: String,
    pub shown: bool,
    /// (step, G loss, D loss, D(real), D(fake)), thinned.
    curves: Vec<[f64; 5]>,
    metrics: Vec<MetricValue>,
    samples: Option<(u64, Samples)>,
    texture: Option<egui::TextureHandle>,
}

/// The kept runs and which curve is compared.
pub struct Compare {
    pub runs: Vec<KeptRun>,
    pub curve: String,
    /// The current run's thinned curves and the history (version, length) they were made
    /// from: rebuilt when the history grows, not on every frame.
    current: ((u64, usize), Vec<[f64; 5]>),
}

impl Default for Compare {
    fn default() -> Self {
        Self {
            runs: Vec::new(),
            curve: "G loss".into(),
            current: ((u64::MAX, 0), Vec::new()),
        }
    }
}

/// A short name for a run: objective, the tricks that are on, seed, steps.
pub fn run_label(config: &TrainConfig, step: u64) -> String {
    let t = &config.tricks;
    let mut parts = vec![config.objective.name().to_string()];
    if config.model.conditional {
        parts.push("conditional".into());
    }
    if t.pack > 1 {
        parts.push(format!("pack {}", t.pack));
    }
    if t.spectral_norm {
        parts.push("SN".into());
    }
    if t.minibatch_stddev {
        parts.push("mbstd".into());
    }
    if t.ema.is_some() {
        parts.push("EMA".into());
    }
    parts.push(format!("seed {}", config.train.seed));
    parts.push(format!("{step} steps"));
    parts.join(" · ")
}

/// Every `k`-th stat so that at most `max` remain (the last one always kept).
fn thin(history: &[StepStats], max: usize) -> Vec<[f64; 5]> {
    let k = history.len().div_ceil(max.max(1)).max(1);
    let mut out: Vec<[f64; 5]> = history
        .iter()
        .enumerate()
        .filter(|(i, _)| i % k == 0 || *i + 1 == history.len())
        .map(|(_, s)| {
            [
                s.step as f64,
                s.g_loss as f64,
                s.d_loss as f64,
                s.d_real as f64,
                s.d_fake as f64,
            ]
        })
        .collect();
    out.retain(|p| p.iter().all(|v| v.is_finite()));
    out
}

impl Compare {
    /// Keeps a copy of the current run.
    pub fn keep(&mut self, view: &RunView) {
        let Some(info) = &view.info else { return };
        self.runs.push(KeptRun {
            label: format!(
                "#{} {}",
                self.runs.len() + 1,
                run_label(&info.config, view.step)
            ),
            shown: true,
            curves: thin(&view.history, KEPT_POINTS),
            metrics: view.metrics.clone(),
            samples: view.snapshots.last().cloned(),
            texture: None,
        });
    }
}

/// The curves that can be compared: the four training curves and every metric seen.
fn choices(view: &RunView, compare: &Compare) -> Vec<String> {
    let mut names: Vec<String> = ["G loss", "D loss", "mean D(real)", "mean D(fake)"]
        .into_iter()
        .map(String::from)
        .collect();
    let metrics = view
        .metrics
        .iter()
        .chain(compare.runs.iter().flat_map(|r| r.metrics.iter()));
    for m in metrics {
        if !names.contains(&m.name) {
            names.push(m.name.clone());
        }
    }
    names
}

fn series(curve: &str, curves: &[[f64; 5]], metrics: &[MetricValue]) -> Vec<[f64; 2]> {
    let column = match curve {
        "G loss" => 1,
        "D loss" => 2,
        "mean D(real)" => 3,
        "mean D(fake)" => 4,
        _ => {
            return metrics
                .iter()
                .filter(|m| m.name == curve)
                .map(|m| [m.step as f64, m.value])
                .collect();
        }
    };
    curves.iter().map(|c| [c[0], c[column]]).collect()
}

/// The panel.
pub fn compare_ui(
    ui: &mut egui::Ui,
    view: &RunView,
    compare: &mut Compare,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        if ui
            .button("Keep this run")
            .on_hover_text("Keep the current run's curves, metrics and samples; then change the variant or a trick (the run restarts) and compare")
            .clicked()
        {
            actions.push(Action::KeepRun);
        }
        if !compare.runs.is_empty() && ui.button("Forget all").clicked() {
            compare.runs.clear();
        }
    });
    if compare.runs.is_empty() {
        ui.label("No kept runs yet. Train, press \"Keep this run\", change the setup (e.g. the objective to WGAN-GP), train again: both runs' curves appear here together.");
        return;
    }
    let mut remove = None;
    for (i, run) in compare.runs.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ui.checkbox(&mut run.shown, run.label.as_str());
            if ui
                .small_button("✖")
                .on_hover_text("Forget this run")
                .clicked()
            {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        compare.runs.remove(i);
    }
    egui::ComboBox::from_label("curve")
        .selected_text(compare.curve.as_str())
        .show_ui(ui, |ui| {
            for name in choices(view, compare) {
                let label = name.clone();
                ui.selectable_value(&mut compare.curve, name, label);
            }
        });
    let key = (view.history_version, view.history.len());
    if compare.current.0 != key {
        compare.current = (key, thin(&view.history, KEPT_POINTS));
    }
    let current = &compare.current.1;
    Plot::new("compare_curves")
        .height((ui.available_height() * 0.5).max(160.0))
        .legend(Legend::default())
        .x_axis_label("step")
        .show(ui, |p| {
            for run in compare.runs.iter().filter(|r| r.shown) {
                let pts = series(&compare.curve, &run.curves, &run.metrics);
                p.line(Line::new(run.label.as_str(), PlotPoints::new(pts)));
            }
            let pts = series(&compare.curve, current, &view.metrics);
            p.line(Line::new("current run", PlotPoints::new(pts)).width(2.0));
        });
    grids_ui(ui, compare);
}

/// The kept runs' last samples side by side (the current run is in the middle of the window).
fn grids_ui(ui: &mut egui::Ui, compare: &mut Compare) {
    let shown = compare.runs.iter().filter(|r| r.shown).count();
    let size = (ui.available_width() / shown.min(4) as f32 - 8.0).clamp(64.0, 240.0);
    ui.horizontal_wrapped(|ui| {
        for run in compare.runs.iter_mut().filter(|r| r.shown) {
            let Some((step, samples)) = &run.samples else {
                continue;
            };
            if samples.channels == 0 {
                let pts: Vec<[f64; 2]> = samples
                    .values
                    .chunks_exact(2)
                    .map(|p| [p[0] as f64, p[1] as f64])
                    .collect();
                ui.vertical(|ui| {
                    Plot::new(format!("kept points {}", run.label))
                        .width(size)
                        .height(size)
                        .data_aspect(1.0)
                        .allow_drag(false)
                        .allow_zoom(false)
                        .allow_scroll(false)
                        .show(ui, |p| p.points(Points::new("generated", pts).radius(1.5)));
                    ui.small(format!("{} (step {step})", run.label));
                });
                continue;
            }
            let tex = run.texture.get_or_insert_with(|| {
                ui.ctx().load_texture(
                    format!("kept {}", run.label),
                    samples_image(samples, None),
                    egui::TextureOptions::NEAREST,
                )
            });
            ui.vertical(|ui| {
                ui.add(egui::Image::new(&*tex).fit_to_exact_size(egui::vec2(size, size)));
                ui.small(format!("{} (step {step})", run.label));
            });
        }
    });
}
