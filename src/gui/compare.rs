//! Compare runs: keep the current run (its curves, metrics and last sample grid), change the
//! variant or a trick, train again, and overlay the curves of every kept run and the current
//! one, with their sample grids side by side.

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use super::action::Action;
use super::panels::samples_image;
use super::view::RunView;
use crate::engine::config::TrainConfig;
use crate::engine::family::FamilyDescription;
use crate::engine::trainer::protocol::{MetricValue, Samples, StepStats};

/// Points kept per curve of a kept run (older steps are thinned evenly).
const KEPT_POINTS: usize = 4000;

/// A finished or paused run kept for comparison.
pub struct KeptRun {
    pub label: String,
    pub shown: bool,
    /// The compared curves' legends, in the order of `curves`' columns after the step.
    labels: Vec<&'static str>,
    /// (step, then each compared curve), thinned.
    curves: Vec<Row>,
    metrics: Vec<MetricValue>,
    samples: Option<(u64, Samples)>,
    texture: Option<egui::TextureHandle>,
}

/// The kept runs and which curve is compared.
pub struct Compare {
    pub runs: Vec<KeptRun>,
    pub curve: String,
    /// The current run's thinned curves, grown step by step (rebuilt when the history is
    /// cleared).
    current: Thinned,
}

/// A step and the values of the family's compared curves at it.
type Row = Vec<f64>;

/// Every `stride`-th stat of a growing history, as [`row`]s:
/// when more than twice [`KEPT_POINTS`] are kept, every other goes and the stride doubles, so
/// each new step costs O(1) amortised.
#[derive(Default)]
struct Thinned {
    version: Option<u64>,
    consumed: usize,
    stride: usize,
    rows: Vec<Row>,
}

impl Thinned {
    fn update(&mut self, view: &RunView) {
        if self.version != Some(view.history_version) || self.consumed > view.history.len() {
            *self = Thinned {
                version: Some(view.history_version),
                stride: 1,
                ..Thinned::default()
            };
        }
        for (i, s) in view.history.iter().enumerate().skip(self.consumed) {
            if i % self.stride == 0 {
                self.rows.push(row(s));
            }
            if self.rows.len() > 2 * KEPT_POINTS {
                let mut keep = false;
                self.rows.retain(|_| {
                    keep = !keep;
                    keep
                });
                self.stride *= 2;
            }
        }
        self.consumed = view.history.len();
    }

    /// The kept rows and the newest step (always drawn).
    fn rows(&self, view: &RunView) -> Vec<Row> {
        let mut out = self.rows.clone();
        if let Some(last) = view.history.last().map(row)
            && out.last() != Some(&last)
        {
            out.push(last);
        }
        out
    }
}

/// The legends of the curves runs of this family are compared on.
fn compared_labels(family: &FamilyDescription) -> Vec<&'static str> {
    family
        .curves
        .iter()
        .filter(|c| c.headline)
        .map(|c| c.label)
        .collect()
}

fn row(s: &StepStats) -> Row {
    let compared = s
        .family
        .curves
        .iter()
        .zip(&s.values)
        .filter(|(c, _)| c.headline);
    std::iter::once(s.step as f64)
        .chain(compared.map(|(_, v)| *v as f64))
        .collect()
}

impl Default for Compare {
    fn default() -> Self {
        Self {
            runs: Vec::new(),
            curve: "G loss".into(),
            current: Thinned::default(),
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
fn thin(history: &[StepStats], max: usize) -> Vec<Row> {
    let k = history.len().div_ceil(max.max(1)).max(1);
    history
        .iter()
        .enumerate()
        .filter(|(i, _)| i % k == 0 || *i + 1 == history.len())
        .map(|(_, s)| row(s))
        .collect()
}

impl Compare {
    /// Keeps a copy of the current run.
    pub fn keep(&mut self, view: &RunView) {
        let Some(config) = view.gan_config() else {
            return;
        };
        self.runs.push(KeptRun {
            label: format!("#{} {}", self.runs.len() + 1, run_label(config, view.step)),
            shown: true,
            labels: compared_labels(view.family()),
            curves: thin(&view.history, KEPT_POINTS),
            metrics: view.metric_values().cloned().collect(),
            samples: view.snapshots.last().cloned(),
            texture: None,
        });
    }
}

/// The curves that can be compared: the current and kept runs' compared training curves
/// (for a GAN: G and D loss, D(real), D(fake)) and every metric seen.
fn choices(view: &RunView, compare: &Compare) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let training = compared_labels(view.family())
        .into_iter()
        .chain(compare.runs.iter().flat_map(|r| r.labels.iter().copied()));
    let metrics = view
        .metric_values()
        .chain(compare.runs.iter().flat_map(|r| r.metrics.iter()))
        .map(|m| m.name.as_str());
    for name in training.chain(metrics) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// The finite points of `curve`: a training curve's column of `rows`, else the metric of
/// that name.
fn series<'a>(
    curve: &str,
    labels: &[&str],
    rows: &[Row],
    metrics: impl IntoIterator<Item = &'a MetricValue>,
) -> Vec<[f64; 2]> {
    let points: Vec<[f64; 2]> = match labels.iter().position(|l| *l == curve) {
        Some(i) => rows
            .iter()
            .filter_map(|r| Some([r[0], *r.get(i + 1)?]))
            .collect(),
        None => metrics
            .into_iter()
            .filter(|m| m.name == curve)
            .map(|m| [m.step as f64, m.value])
            .collect(),
    };
    points
        .into_iter()
        .filter(|p| p.iter().all(|v| v.is_finite()))
        .collect()
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
                .small_button("Forget")
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
    compare.current.update(view);
    let current = compare.current.rows(view);
    Plot::new("compare_curves")
        .height((ui.available_height() * 0.5).max(160.0))
        .legend(Legend::default())
        .x_axis_label("step")
        .show(ui, |p| {
            for run in compare.runs.iter().filter(|r| r.shown) {
                let pts = series(&compare.curve, &run.labels, &run.curves, &run.metrics);
                p.line(Line::new(run.label.as_str(), PlotPoints::new(pts)));
            }
            let labels = compared_labels(view.family());
            let pts = series(&compare.curve, &labels, &current, view.metric_values());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(step: u64) -> StepStats {
        StepStats::gan_round(step, [step as f32, 1.0, 0.5, 0.5, 1.0, 1.0])
    }

    #[test]
    fn the_current_run_is_thinned_as_it_grows() {
        let mut view = RunView::default();
        let mut thinned = Thinned::default();
        // Frames see the history grow by uneven amounts.
        for chunk in [1usize, 7, 1000, 33_333, 66_659] {
            let from = view.history.len() as u64;
            view.history.extend((from..from + chunk as u64).map(stat));
            thinned.update(&view);
            let rows = thinned.rows(&view);
            assert!(rows.len() <= 2 * KEPT_POINTS + 2, "{} rows", rows.len());
            assert!(rows.windows(2).all(|w| w[0][0] < w[1][0]));
            assert_eq!(rows.first().map(|r| r[0]), Some(0.0));
            assert_eq!(
                rows.last().map(|r| r[0]),
                Some((view.history.len() - 1) as f64)
            );
        }
        assert_eq!(view.history.len(), 101_000);
        assert!(thinned.rows(&view).len() > KEPT_POINTS / 2);
        // A cleared history (new run) starts the thinning over.
        view.history.clear();
        view.history_version += 1;
        view.history.extend((0..3).map(stat));
        thinned.update(&view);
        assert_eq!(thinned.rows(&view).len(), 3);
    }

    #[test]
    fn a_curve_is_read_from_its_column_and_nan_points_are_left_out() {
        let mut stats: Vec<StepStats> = (0..4).map(stat).collect();
        stats[2].values[1] = f32::NAN;
        let rows = thin(&stats, 100);
        let labels = compared_labels(&crate::engine::family::gan::DESCRIPTION);
        assert_eq!(labels, ["G loss", "D loss", "mean D(real)", "mean D(fake)"]);
        let g = series("G loss", &labels, &rows, []);
        assert_eq!(g, vec![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]);
        let d = series("D loss", &labels, &rows, []);
        assert_eq!(d.iter().map(|p| p[0]).collect::<Vec<_>>(), [0.0, 1.0, 3.0]);
        let fid = MetricValue {
            name: "fid_lite".into(),
            step: 3,
            value: 12.5,
        };
        assert_eq!(
            series("fid_lite", &labels, &rows, [&fid]),
            vec![[3.0, 12.5]]
        );
    }
}
