//! The "Augmentation lab" tab: does the conditional GAN's output make a better classifier?
//! The plan (N per class, seeds, steps) is edited here, the experiment runs on its own thread
//! (`engine::augment::worker`) with progress and Stop, and its results are shown as a table,
//! a verdict per N and a bar chart, exportable as CSV and PNG. Results go to a folder per
//! preset and setup (or one the user picks): the same setup resumes where it stopped.

use std::path::PathBuf;
use std::time::Instant;

use eframe::egui;
use egui_plot::{AxisHints, Bar, BarChart, GridMark, Line, Plot, PlotPoints};

use super::action::Action;
use super::files::FileJob;
use crate::engine::augment::chart::SERIES;
use crate::engine::augment::experiment::{RunResult, STAGES};
use crate::engine::augment::lab::Destination;
use crate::engine::augment::plan::AugmentPlan;
use crate::engine::augment::results::{self, RunAt, Summary};
use crate::engine::augment::worker::{LabEvent, LabWorker};
use crate::engine::backend::Backend;
use crate::engine::config::TrainConfig;
use crate::engine::trainer::thread::Waker;

/// Where the experiment is.
#[derive(Clone, Debug, PartialEq)]
pub enum LabState {
    Idle,
    /// Loading the data, checking the plan and the folder.
    Preparing,
    /// Training the judge of GAN-test on the whole pool: this fraction done.
    Judge(f32),
    Running(RunAt),
    Finished {
        stopped: bool,
    },
    Failed(String),
}

/// The tab's state: the plan being edited, the experiment under way, what it found.
pub struct AugmentLab {
    pub plan: AugmentPlan,
    per_class_text: String,
    seeds_text: String,
    /// Where results go; None: a folder per preset and setup in the cache folder.
    pub folder: Option<PathBuf>,
    worker: Option<LabWorker>,
    pub state: LabState,
    /// The runs of the last experiment's folder.
    pub results: Vec<RunResult>,
    /// The folder the last experiment used.
    pub wrote_to: Option<PathBuf>,
    started: Option<Instant>,
}

fn list<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_list<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>, String> {
    text.split([',', ' '])
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| format!("{what}: `{}` is not a whole number", s.trim()))
        })
        .collect()
}

impl AugmentLab {
    /// The lab for a preset's plan (its `[augment]` section, else the defaults), the
    /// generator's rounds made explicit from `config`.
    pub fn new(plan: Option<AugmentPlan>, config: &TrainConfig) -> Self {
        let mut plan = plan.unwrap_or_default();
        plan.gan_steps = Some(plan.gan_steps_for(config));
        Self {
            per_class_text: list(&plan.per_class),
            seeds_text: list(&plan.seeds),
            plan,
            folder: None,
            worker: None,
            state: LabState::Idle,
            results: Vec::new(),
            wrote_to: None,
            started: None,
        }
    }

    /// Whether an experiment is under way.
    pub fn running(&self) -> bool {
        self.worker.is_some()
    }

    /// The plan as edited, checked.
    fn checked_plan(&mut self) -> Result<AugmentPlan, String> {
        self.plan.per_class = parse_list(&self.per_class_text, "N per class")?;
        self.plan.seeds = parse_list(&self.seeds_text, "seeds")?;
        self.plan.validate()?;
        Ok(self.plan.clone())
    }

    /// Starts the experiment with generator `config` (of the preset `name`).
    pub fn start(
        &mut self,
        config: TrainConfig,
        name: &str,
        backend: Backend,
        waker: Waker,
    ) -> Result<(), String> {
        if self.running() {
            return Err("an experiment is already running".into());
        }
        let plan = self.checked_plan()?;
        let destination = match &self.folder {
            Some(folder) => Destination::Folder(folder.clone()),
            None => Destination::Cache(name.to_string()),
        };
        let worker = LabWorker::spawn(config, plan, destination, backend, Some(waker))
            .map_err(|e| format!("cannot start the experiment: {e}"))?;
        self.worker = Some(worker);
        self.state = LabState::Preparing;
        self.results.clear();
        self.started = Some(Instant::now());
        Ok(())
    }

    /// Asks the experiment to stop; finished runs stay in the results file.
    pub fn stop(&self) {
        if let Some(worker) = &self.worker {
            worker.stop();
        }
    }

    /// Reads the experiment's news; returns a message for the window when it ended.
    pub fn drain(&mut self) -> Option<String> {
        let mut ended = None;
        while let Some(event) = self.worker.as_ref().and_then(LabWorker::try_recv) {
            match event {
                LabEvent::Folder(folder) => self.wrote_to = Some(folder),
                LabEvent::Found(done) => self.results = done,
                LabEvent::Judge(f) => self.state = LabState::Judge(f),
                LabEvent::Stage(at) => self.state = LabState::Running(at),
                LabEvent::Saved(result) => self.results.push(result),
                LabEvent::Finished { results, stopped } => {
                    self.results = results;
                    self.state = LabState::Finished { stopped };
                    ended = Some(if stopped {
                        format!(
                            "Augmentation lab stopped: {} finished runs kept; Run goes on from there.",
                            self.results.len()
                        )
                    } else {
                        format!("Augmentation lab finished: {} runs.", self.results.len())
                    });
                }
                LabEvent::Failed(why) => {
                    ended = Some(format!("Error: augmentation lab: {why}"));
                    self.state = LabState::Failed(why);
                }
            }
        }
        let gone = self.worker.as_ref().is_some_and(LabWorker::ended)
            && matches!(self.state, LabState::Finished { .. } | LabState::Failed(_));
        if gone {
            self.worker = None; // joined on drop; the thread has ended
        }
        ended
    }

    /// The whole experiment's fraction done: the generator is most of a run's time.
    fn fraction(at: &RunAt) -> f32 {
        const WEIGHTS: [f32; 5] = [0.6, 0.1, 0.1, 0.1, 0.1];
        let before: f32 = WEIGHTS[..at.stage.min(4)].iter().sum();
        let within = before + WEIGHTS[at.stage.min(4)] * at.fraction;
        (at.run as f32 + within) / at.total.max(1) as f32
    }
}

/// The tab. `config` is the run's configuration (the lab trains its own copies of it).
pub fn augment_lab_ui(
    ui: &mut egui::Ui,
    lab: &mut AugmentLab,
    config: Option<&TrainConfig>,
    actions: &mut Vec<Action>,
) {
    ui.label(
        "Train the conditional GAN on N labelled images per class only, then the same small \
         classifier on real, synthetic, mixed and classically augmented images; each is \
         judged on held-out real images.",
    );
    let usable = config.is_some_and(|c| c.model.conditional && !c.data.is_points());
    if !usable {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "The lab needs a conditional GAN on labelled images (this run is not one).",
        );
        if ui.button("Open the digits cGAN preset").clicked() {
            actions.push(Action::LoadPreset(PathBuf::from(
                "presets/digits-cgan.toml",
            )));
        }
    }
    ui.add_enabled_ui(!lab.running(), |ui| plan_ui(ui, lab, actions));
    ui.horizontal(|ui| {
        if lab.running() {
            if ui.button("Stop").clicked() {
                actions.push(Action::StopAugment);
            }
        } else if ui
            .add_enabled(usable, egui::Button::new("Run experiment"))
            .on_hover_text("Pauses the training above: the lab needs the processor")
            .clicked()
        {
            actions.push(Action::StartAugment);
        }
        let any = !lab.results.is_empty();
        if ui
            .add_enabled(any, egui::Button::new("Export CSV…"))
            .clicked()
        {
            actions.push(Action::File(FileJob::ExportAugmentCsv));
        }
        if ui
            .add_enabled(any, egui::Button::new("Export chart…"))
            .clicked()
        {
            actions.push(Action::File(FileJob::ExportAugmentChart));
        }
    });
    progress_ui(ui, lab);
    let summaries = results::summarise(&lab.results);
    if summaries.is_empty() {
        return;
    }
    ui.separator();
    for s in &summaries {
        ui.label(s.verdict());
    }
    table_ui(ui, &summaries);
    chart_ui(ui, &summaries);
    runs_ui(ui, &lab.results);
}

fn plan_ui(ui: &mut egui::Ui, lab: &mut AugmentLab, actions: &mut Vec<Action>) {
    egui::Grid::new("augment_plan")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("N per class");
            ui.text_edit_singleline(&mut lab.per_class_text)
                .on_hover_text("Labelled images per class, e.g. 10, 50, 100");
            ui.end_row();
            ui.label("Seeds");
            ui.text_edit_singleline(&mut lab.seeds_text)
                .on_hover_text("Each N runs once per seed: mean ± spread over them");
            ui.end_row();
            ui.label("Generator rounds");
            let mut steps = lab.plan.gan_steps.unwrap_or(1);
            ui.add(egui::DragValue::new(&mut steps).range(1..=1_000_000));
            lab.plan.gan_steps = Some(steps);
            ui.end_row();
            ui.label("Classifier steps");
            ui.add(egui::DragValue::new(&mut lab.plan.classifier_steps).range(1..=100_000));
            ui.end_row();
            ui.label("Synthetic per class");
            ui.add(egui::DragValue::new(&mut lab.plan.synthetic_per_class).range(1..=100_000));
            ui.end_row();
            ui.label("Synthetic share");
            ui.add(egui::Slider::new(&mut lab.plan.mix, 0.0..=1.0))
                .on_hover_text("The share of synthetic images in the real + synthetic batches");
            ui.end_row();
        });
    ui.horizontal_wrapped(|ui| {
        let shown = lab.folder.as_ref().or(lab.wrote_to.as_ref());
        match shown {
            Some(folder) => ui.label(format!("Results: {}", folder.display())),
            None => ui.label("Results: a folder per setup in the cache (the same setup resumes)"),
        };
        if ui.button("Choose folder…").clicked() {
            actions.push(Action::File(FileJob::AugmentFolder));
        }
        if lab.folder.is_some() && ui.button("Per-setup folder").clicked() {
            lab.folder = None;
            lab.wrote_to = None;
        }
    });
    if let Err(e) = parse_list::<usize>(&lab.per_class_text, "N per class")
        .and(parse_list::<u64>(&lab.seeds_text, "seeds"))
    {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
}

fn progress_ui(ui: &mut egui::Ui, lab: &AugmentLab) {
    let elapsed = lab.started.map_or(0, |t| t.elapsed().as_secs());
    let clock = format!("{}:{:02}", elapsed / 60, elapsed % 60);
    match &lab.state {
        LabState::Idle => {}
        LabState::Preparing => {
            ui.label("Loading the data and checking the plan…");
        }
        LabState::Judge(f) => {
            ui.add(egui::ProgressBar::new(*f).text(format!(
                "training the judge of GAN-test on the whole pool ({clock})"
            )));
        }
        LabState::Running(at) => {
            let text = format!(
                "run {} of {} (N = {}, seed {}): {} ({clock})",
                at.run + 1,
                at.total,
                at.per_class,
                at.seed,
                STAGES[at.stage.min(STAGES.len() - 1)]
            );
            ui.add(egui::ProgressBar::new(AugmentLab::fraction(at)).text(text));
        }
        LabState::Finished { stopped } => {
            ui.label(if *stopped {
                "Stopped: the finished runs are kept; Run experiment goes on from there."
            } else {
                "Every planned run is finished."
            });
        }
        LabState::Failed(why) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("Failed: {why}"));
        }
    }
}

fn table_ui(ui: &mut egui::Ui, summaries: &[Summary]) {
    egui::Grid::new("augment_table")
        .striped(true)
        .show(ui, |ui| {
            ui.label("held-out accuracy");
            for s in summaries {
                ui.strong(format!("N = {} ({} runs)", s.per_class, s.runs));
            }
            ui.end_row();
            // The swatches are the chart's legend (a legend inside a narrow plot hides bars).
            for (k, (name, [r, g, b])) in SERIES.iter().enumerate() {
                ui.horizontal(|ui| {
                    let size = egui::vec2(10.0, 10.0);
                    let (swatch, _) = ui.allocate_exact_size(size, egui::Sense::hover());
                    let colour = egui::Color32::from_rgb(*r, *g, *b);
                    ui.painter().rect_filled(swatch, 2.0, colour);
                    ui.label(*name);
                });
                for s in summaries {
                    let v = s.spreads()[k];
                    ui.label(format!("{:.3} ± {:.3}", v.mean, v.std));
                }
                ui.end_row();
            }
            ui.label("s per run");
            for s in summaries {
                ui.label(format!("{:.0}", s.secs));
            }
            ui.end_row();
        });
}

fn chart_ui(ui: &mut egui::Ui, summaries: &[Summary]) {
    let groups: Vec<usize> = summaries.iter().map(|s| s.per_class).collect();
    let count = groups.len();
    let width = 0.8 / SERIES.len() as f64;
    Plot::new("augment_chart")
        .height(220.0)
        .include_y(0.0)
        .include_y(1.0)
        .x_grid_spacer(move |_| {
            (0..count)
                .map(|i| GridMark {
                    value: i as f64,
                    step_size: 1.0,
                })
                .collect()
        })
        .custom_x_axes(vec![AxisHints::new_x().formatter(move |mark, _| {
            let i = mark.value.round();
            match groups.get(i as usize) {
                Some(n) if (mark.value - i).abs() < 1e-6 && i >= 0.0 => format!("N = {n}"),
                _ => String::new(),
            }
        })])
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .y_axis_label("accuracy")
        .show(ui, |p| {
            let mut whiskers = Vec::new();
            for (k, (name, [r, g, b])) in SERIES.iter().enumerate() {
                let offset = (k as f64 - (SERIES.len() - 1) as f64 / 2.0) * width;
                let colour = egui::Color32::from_rgb(*r, *g, *b);
                let bars = summaries
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let v = s.spreads()[k];
                        whiskers.push((i as f64 + offset, v.mean, v.std));
                        Bar::new(i as f64 + offset, v.mean)
                            .width(width * 0.9)
                            .fill(colour)
                            .name(format!("{name}, N = {}", s.per_class))
                    })
                    .collect();
                p.bar_chart(BarChart::new(*name, bars).color(colour));
            }
            for (x, mean, std) in whiskers.into_iter().filter(|w| w.2 > 0.0) {
                let points = PlotPoints::from(vec![[x, mean - std], [x, mean + std]]);
                p.line(Line::new("± sd over seeds", points).color(egui::Color32::DARK_GRAY));
            }
        });
}

fn runs_ui(ui: &mut egui::Ui, runs: &[RunResult]) {
    egui::CollapsingHeader::new(format!("Every run ({})", runs.len()))
        .id_salt("augment_runs")
        .show(ui, |ui| {
            egui::Grid::new("augment_run_rows")
                .striped(true)
                .show(ui, |ui| {
                    for h in [
                        "N", "seed", "real", "synth.", "mixed", "classic", "GAN-test", "s",
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for r in runs {
                        ui.label(r.per_class.to_string());
                        ui.label(r.seed.to_string());
                        for v in [r.real, r.synthetic, r.mixed, r.classic, r.gan_test] {
                            ui.label(format!("{v:.3}"));
                        }
                        ui.label(format!("{:.0}", r.total_secs));
                        ui.end_row();
                    }
                });
        });
}

/// Carries out a file job of the lab's; None for other jobs.
pub fn file_chosen(
    job: FileJob,
    path: &std::path::Path,
    lab: &mut AugmentLab,
    preset_name: &str,
) -> Option<Result<String, String>> {
    Some(match job {
        FileJob::AugmentFolder => {
            lab.folder = Some(path.to_path_buf());
            Ok(format!(
                "The augmentation lab's results go to {} (finished runs there of the same setup are kept).",
                path.display()
            ))
        }
        FileJob::ExportAugmentCsv => results::write(path, &lab.results)
            .map(|()| format!("Exported {} runs to {}.", lab.results.len(), path.display()))
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        FileJob::ExportAugmentChart => {
            let title = format!("{preset_name}: held-out accuracy by N per class (mean +/- sd)");
            crate::engine::augment::chart::write_png(
                &results::summarise(&lab.results),
                &title,
                path,
            )
            .map(|()| format!("Exported the chart to {}.", path.display()))
            .map_err(|e| e.to_string())
        }
        _ => return None,
    })
}

#[cfg(test)]
#[path = "augment_lab_tests.rs"]
mod tests;
