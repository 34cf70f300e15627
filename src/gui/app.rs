//! The eframe application: owns the trainer handle and the [`RunView`]; each frame drains
//! events, draws the panels, then applies the actions the panels asked for.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use eframe::egui;

use super::close_guard::{CloseGuard, close_dialog_ui};
use super::collapse::{CollapseSettings, alert_ui, collapse_ui};
use super::compare::{Compare, compare_ui};
use super::explorer::{Explorer, explorer_ui};
use super::files::{self, Dialogs, FileJob};
use super::panels::{self, Action, PlotCache, PlotSettings};
use super::perf::Perf;
use super::plane::{PlaneToggles, Sketch, field_interval, field_resolution};
use super::recovery::{self, Answer, Recovery, recovery_ui};
use super::setup::{PresetList, setup_ui};
use super::view::RunView;
use crate::engine::backend::Backend;
use crate::engine::config::TrainConfig;
use crate::engine::preset::Preset;
use crate::engine::trainer::protocol::{Command, Event};
use crate::engine::trainer::thread::Trainer;

/// How often the window redraws for trainer news while training: ~30/s on a GPU. A software
/// renderer (Mesa's llvmpipe on a machine without a GPU) spends ~100 ms of CPU per frame,
/// taken from training; there the default is 4/s (BENCHMARKS.md: the window then trains at
/// 0.9x the CLI's speed instead of 0.7x). Paused, news is drawn at once.
pub struct RepaintPolicy {
    pub training_interval_ms: AtomicU64,
    pub running: AtomicBool,
}

const GPU_REPAINT_MS: u64 = 33;
const SOFTWARE_REPAINT_MS: u64 = 250;

/// What the window remembers between launches (eframe persistence).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct Settings {
    dark: Option<bool>,
    plots: PlotSettings,
    explorer_open: bool,
    collapse: CollapseSettings,
    left_tab: LeftTab,
    plane: PlaneToggles,
}

/// What the left panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum LeftTab {
    /// Losses, D's outputs, gradient norms.
    #[default]
    Training,
    /// Mode-collapse metrics.
    Collapse,
    /// Kept runs overlaid.
    Compare,
}

/// The ganvas window.
pub struct GanvasApp {
    trainer: Trainer,
    view: RunView,
    backend_name: String,
    backend_note: Option<String>,
    preset_name: String,
    samples_texture: Option<(u64, egui::TextureHandle)>,
    presets: PresetList,
    plot_settings: PlotSettings,
    plot_cache: PlotCache,
    collapse_settings: CollapseSettings,
    left_tab: LeftTab,
    compare: Compare,
    perf: Perf,
    repaint: Arc<RepaintPolicy>,
    /// Slow motion, in ms between rounds.
    pace_ms: u32,
    /// D's heatmap behind 2D points: shown or not, the snapshot it was asked for, its texture.
    plane: PlaneToggles,
    sketch: Sketch,
    field_asked_for: u64,
    /// When the layers were last asked for (spaced by their cost while training runs).
    field_asked_at: Option<Instant>,
    field_texture: Option<(u64, egui::TextureHandle, f32)>,
    dialogs: Dialogs,
    ctx: egui::Context,
    explorer: Explorer,
    /// Textures of the explorer's single render and strip, with the render count they show.
    explorer_textures: [Option<(u64, egui::TextureHandle)>; 2],
    renders_received: u64,
    /// The snapshot version the explorer last rendered for (G changes with every snapshot).
    explorer_rendered_for: u64,
    /// The configuration as the user edited it, until the trainer reports it applied.
    edited: Option<TrainConfig>,
    /// Rounds per frame while playing is the trainer's business; this only limits how long a
    /// frame may spend reading events.
    drain_budget: Duration,
    close_guard: CloseGuard,
    recovery: Recovery,
}

impl GanvasApp {
    /// Starts the trainer thread on `preset`, waking the UI whenever it reports.
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        preset: Preset,
        backend: Backend,
        play: bool,
        perf_log: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let ctx = cc.egui_ctx.clone();
        // Coalesce the trainer's wake-ups into at most ~30 repaints a second: every step would
        // otherwise redraw the window, and on a CPU-only machine drawing competes with training.
        let software_renderer = cc
            .wgpu_render_state
            .as_ref()
            .is_some_and(|rs| rs.adapter.get_info().device_type == eframe::wgpu::DeviceType::Cpu);
        let repaint = Arc::new(RepaintPolicy {
            training_interval_ms: AtomicU64::new(if software_renderer {
                SOFTWARE_REPAINT_MS
            } else {
                GPU_REPAINT_MS
            }),
            running: AtomicBool::new(play),
        });
        let policy = repaint.clone();
        let waker = Arc::new(move || {
            let ms = if policy.running.load(Ordering::Relaxed) {
                policy.training_interval_ms.load(Ordering::Relaxed)
            } else {
                0
            };
            ctx.request_repaint_after(Duration::from_millis(ms));
        });
        let backend_name = backend.name.clone();
        let backend_note = backend.note.clone();
        let trainer = Trainer::spawn(preset.config(), backend, Some(waker))?;
        if play {
            let _ = trainer.send(Command::Play);
        }
        let settings: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        if let Some(dark) = settings.dark {
            cc.egui_ctx.set_theme(if dark {
                egui::ThemePreference::Dark
            } else {
                egui::ThemePreference::Light
            });
        }
        let (presets, preset_errors) = PresetList::scan(std::path::Path::new("presets"));
        let mut view = RunView::default();
        view.messages.extend(preset_errors);
        if software_renderer {
            view.messages.push(format!(
                "The window is drawn by a software renderer (no GPU): while training it redraws {}×/s so that training keeps its speed (F12 to change).",
                1000 / SOFTWARE_REPAINT_MS
            ));
        }
        Ok(Self {
            trainer,
            view,
            presets,
            edited: None,
            plot_settings: settings.plots,
            plot_cache: PlotCache::default(),
            collapse_settings: settings.collapse,
            left_tab: settings.left_tab,
            compare: Compare::default(),
            perf: Perf::new(perf_log),
            repaint,
            pace_ms: 0,
            plane: settings.plane,
            sketch: Sketch::default(),
            field_asked_for: 0,
            field_asked_at: None,
            field_texture: None,
            dialogs: Dialogs::default(),
            ctx: cc.egui_ctx.clone(),
            explorer: Explorer::opened(settings.explorer_open),
            explorer_textures: [None, None],
            renders_received: 0,
            explorer_rendered_for: 0,
            backend_name,
            backend_note,
            preset_name: preset.name,
            samples_texture: None,
            drain_budget: Duration::from_millis(8),
            close_guard: CloseGuard::default(),
            recovery: Recovery::at(recovery::default_path()),
        })
    }

    /// Carries out what a closed file dialog chose.
    fn handle_dialog_answer(&mut self) {
        if let Some((job, path)) = self.dialogs.answer() {
            self.file_chosen(job, path);
        }
    }

    /// Carries out `job` on the path a dialog returned.
    fn file_chosen(&mut self, job: FileJob, path: std::path::PathBuf) {
        let command = match job {
            FileJob::SaveCheckpoint => Command::SaveCheckpoint(path),
            FileJob::LoadCheckpoint => Command::LoadCheckpoint(path),
            FileJob::OpenIdx | FileJob::OpenImageFolder | FileJob::OpenCifar | FileJob::OpenCsv => {
                let Some(current) = self
                    .edited
                    .clone()
                    .or_else(|| self.view.info.as_ref().map(|i| i.config.clone()))
                else {
                    return;
                };
                match files::data_source(job, &path) {
                    Ok(data) => {
                        if let crate::engine::config::DataConfig::Idx { labels, .. } = &data {
                            self.view.messages.push(match labels {
                                Some(l) => format!("Loading {} with labels {}.", path.display(), l.display()),
                                None => format!("Loading {} without labels (no …-labels-idx1-ubyte file beside it): class metrics and cGAN are off.", path.display()),
                            });
                        }
                        let config = crate::engine::adapt::switch_data(&current, data);
                        self.edited = Some(config.clone());
                        Command::SetConfig(Box::new(config))
                    }
                    Err(e) => {
                        self.view.messages.push(format!("Error: {e}"));
                        return;
                    }
                }
            }
            _ => {
                let message =
                    match files::export(job, &path, &self.view, &self.preset_name, &self.dialogs) {
                        Ok(m) => m,
                        Err(e) => format!("Error: {e}"),
                    };
                self.view.messages.push(message);
                return;
            }
        };
        if let Err(e) = self.trainer.send(command) {
            self.view.messages.push(format!("Error: {e}"));
        }
    }

    fn drain_events(&mut self) {
        let started = Instant::now();
        while started.elapsed() < self.drain_budget {
            match self.trainer.try_recv() {
                Some(Event::Rendered { id, samples }) => {
                    self.explorer.receive(id, samples);
                    self.renders_received += 1;
                }
                Some(event) => {
                    if matches!(event, Event::Error(_)) {
                        // A rejected change: show the setup the run really has again.
                        self.edited = None;
                    }
                    self.view.apply(event);
                }
                None => break,
            }
        }
    }

    fn apply(&mut self, actions: Vec<Action>) {
        for action in actions {
            let command = match action {
                Action::Play => Command::Play,
                Action::Pause => Command::Pause,
                Action::StepD => Command::StepD,
                Action::StepG => Command::StepG,
                Action::StepRound => Command::StepRound,
                Action::ResetSameSeed => Command::Reset { seed: None },
                Action::ResetNewSeed(seed) => Command::Reset { seed: Some(seed) },
                Action::RestoreLastGood => Command::RestoreLastGood,
                Action::File(job) => {
                    if let Err(e) = self.dialogs.open(job, &self.ctx) {
                        self.view.messages.push(format!("Error: {e}"));
                    }
                    continue;
                }
                Action::SetPace(millis) => {
                    self.pace_ms = millis;
                    Command::SetPace { millis }
                }
                Action::ToggleTheme => {
                    let dark = self.ctx.theme() == egui::Theme::Dark;
                    self.ctx.set_theme(if dark {
                        egui::ThemePreference::Light
                    } else {
                        egui::ThemePreference::Dark
                    });
                    continue;
                }
                Action::ToggleExplorer => {
                    self.explorer.open = !self.explorer.open;
                    self.request_renders();
                    continue;
                }
                Action::RenderLatents => {
                    self.request_renders();
                    continue;
                }
                Action::ShowSnapshot(index) => {
                    self.view.pin(index);
                    continue;
                }
                Action::TrainOnDrawing(points) => {
                    let Some(current) = self
                        .edited
                        .clone()
                        .or_else(|| self.view.info.as_ref().map(|i| i.config.clone()))
                    else {
                        continue;
                    };
                    let config = crate::engine::adapt::switch_data(
                        &current,
                        crate::engine::config::DataConfig::Drawn { points },
                    );
                    self.edited = Some(config.clone());
                    Command::SetConfig(Box::new(config))
                }
                Action::KeepRun => {
                    self.compare.keep(&self.view);
                    continue;
                }
                Action::DismissMessages => {
                    self.view.messages.clear();
                    continue;
                }
                Action::ApplyConfig(config) => {
                    self.edited = Some((*config).clone());
                    Command::SetConfig(config)
                }
                Action::LoadPreset(path) => match Preset::load(&path) {
                    Ok(p) => {
                        self.preset_name = p.name.clone();
                        self.edited = None;
                        Command::SetConfig(Box::new(p.config()))
                    }
                    Err(e) => {
                        self.view.messages.push(format!("Error: {e}"));
                        continue;
                    }
                },
            };
            if let Err(e) = self.trainer.send(command) {
                self.view.messages.push(format!("Error: {e}"));
            }
        }
    }

    fn request_renders(&mut self) {
        let Some(info) = &self.view.info else { return };
        self.explorer.fit(&info.config.model);
        if !self.explorer.open {
            return;
        }
        self.explorer_rendered_for = self.view.snapshot_version;
        for request in self.explorer.requests() {
            if let Err(e) = self.trainer.send(Command::Render(request)) {
                self.view.messages.push(format!("Error: {e}"));
            }
        }
    }

    /// Textures for the explorer's answers (images only; points are shown as numbers).
    fn explorer_textures(&mut self, ctx: &egui::Context) -> [Option<egui::TextureHandle>; 2] {
        let answers = [
            (self.explorer.single.as_ref(), Some(1)),
            (self.explorer.strip.as_ref(), Some(8)),
        ];
        let mut out = [None, None];
        for (i, (samples, columns)) in answers.into_iter().enumerate() {
            let Some(samples) = samples.filter(|s| s.side > 0) else {
                continue;
            };
            let fresh =
                matches!(&self.explorer_textures[i], Some((v, _)) if *v == self.renders_received);
            if !fresh {
                let image = panels::samples_image(samples, columns);
                let tex =
                    ctx.load_texture(format!("explorer{i}"), image, egui::TextureOptions::NEAREST);
                self.explorer_textures[i] = Some((self.renders_received, tex));
            }
            out[i] = self.explorer_textures[i].as_ref().map(|(_, t)| t.clone());
        }
        out
    }

    /// Asks for D's field after each new snapshot of 2D data, and keeps its texture current.
    fn field_texture(&mut self, ctx: &egui::Context) -> Option<(egui::TextureHandle, f32)> {
        let info = self.view.info.as_ref()?;
        if !self.plane.needs_trainer() || info.sample_len != 2 {
            return None;
        }
        let running = self.view.running;
        let due = match (running, self.field_asked_at, &self.view.d_field) {
            (true, Some(at), Some(last)) => at.elapsed() >= field_interval(last.compute_ms),
            _ => true,
        };
        if self.field_asked_for != self.view.snapshot_version && due {
            self.field_asked_for = self.view.snapshot_version;
            self.field_asked_at = Some(Instant::now());
            let extent = info
                .real_preview
                .values
                .iter()
                .fold(0.5f32, |m, v| m.max(v.abs()))
                * 1.4;
            let _ = self.trainer.send(Command::DField {
                resolution: field_resolution(running),
                extent,
            });
        }
        let layers = self.view.d_field.as_ref()?;
        let stale =
            !matches!(&self.field_texture, Some((v, _, _)) if *v == self.view.field_version);
        if stale {
            let image = super::plane::field_image(layers.resolution as usize, &layers.values);
            let tex = ctx.load_texture("d_field", image, egui::TextureOptions::LINEAR);
            self.field_texture = Some((self.view.field_version, tex, layers.extent));
        }
        self.field_texture.as_ref().map(|(_, t, e)| (t.clone(), *e))
    }

    fn samples_texture(&mut self, ctx: &egui::Context) -> Option<egui::TextureHandle> {
        let (step_version, samples) = match self.view.shown() {
            Some((_, s)) if s.side > 0 => (self.view.snapshot_version, s),
            _ => return None,
        };
        if let Some((v, tex)) = &self.samples_texture
            && *v == step_version
        {
            return Some(tex.clone());
        }
        let image = panels::samples_image(samples, None);
        let tex = ctx.load_texture("samples", image, egui::TextureOptions::NEAREST);
        self.samples_texture = Some((step_version, tex.clone()));
        Some(tex)
    }
}

impl eframe::App for GanvasApp {
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let settings = Settings {
            dark: Some(self.ctx.theme() == egui::Theme::Dark),
            plots: self.plot_settings,
            explorer_open: self.explorer.open,
            collapse: self.collapse_settings.clone(),
            left_tab: self.left_tab,
            plane: self.plane,
        };
        eframe::set_value(storage, eframe::APP_KEY, &settings);
    }

    fn on_exit(&mut self) {
        self.recovery.exit();
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.perf.begin_frame();
        self.drain_events();
        self.close_guard.tick(&self.view);
        self.close_guard.intercept(ctx);
        if let Some(copy) = self.recovery.tick(&self.view) {
            let _ = self.trainer.send(copy);
        }
        self.handle_dialog_answer();
        self.view.messages.extend(self.dialogs.notes());
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let texture = self.samples_texture(&ctx);
        let field = self.field_texture(&ctx);
        let mut actions = panels::keyboard_actions(&ctx, &self.view);
        egui::Panel::top("controls").show(ui, |ui| {
            panels::controls_ui(
                ui,
                &self.view,
                self.pace_ms,
                &self.preset_name,
                &self.backend_name,
                self.backend_note.as_deref(),
                &mut actions,
            );
        });
        if !self.view.messages.is_empty() {
            egui::Panel::bottom("messages")
                .show(ui, |ui| panels::messages_ui(ui, &self.view, &mut actions));
        }
        if let Some(info) = &self.view.info {
            if self.edited.as_ref() == Some(&info.config) {
                self.edited = None; // the trainer applied it
            }
            let mut config = self.edited.clone().unwrap_or_else(|| info.config.clone());
            egui::Panel::right("setup")
                .default_size(300.0)
                .resizable(true)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        setup_ui(ui, &mut config, &self.presets, &mut actions)
                    });
                });
        }
        egui::Panel::left("plots")
            .default_size(520.0)
            .resizable(true)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.left_tab, LeftTab::Training, "Training curves");
                    let collapse = if self.view.alert.is_some() {
                        egui::RichText::new("Mode collapse (alert)").color(ui.visuals().error_fg_color)
                    } else {
                        egui::RichText::new("Mode collapse")
                    };
                    ui.selectable_value(&mut self.left_tab, LeftTab::Collapse, collapse)
                        .on_hover_text("Modes or classes covered, sample quality and diversity, measured every train.metrics_every steps");
                    let compare = format!("Compare runs ({})", self.compare.runs.len());
                    ui.selectable_value(&mut self.left_tab, LeftTab::Compare, compare)
                        .on_hover_text("Keep runs and overlay their curves (e.g. vanilla vs WGAN-GP on the same data and seed)");
                });
                match self.left_tab {
                    LeftTab::Training => panels::plots_ui(
                        ui,
                        &self.view,
                        &mut self.plot_settings,
                        &mut self.plot_cache,
                    ),
                    LeftTab::Collapse => egui::ScrollArea::vertical().show(ui, |ui| {
                        collapse_ui(ui, &self.view, &mut self.collapse_settings, &mut actions)
                    }).inner,
                    LeftTab::Compare => egui::ScrollArea::vertical().show(ui, |ui| {
                        compare_ui(ui, &self.view, &mut self.compare, &mut actions)
                    }).inner,
                }
            });
        let plane_before = self.plane;
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            recovered = recovery_ui(ui, &self.recovery);
            alert_ui(ui, &self.view, &mut actions);
            panels::samples_ui(
                ui,
                &self.view,
                texture.as_ref(),
                field.as_ref().map(|(t, e)| (t, *e)),
                &mut self.plane,
                &mut self.sketch,
                &mut actions,
            );
        });
        if self.plane != plane_before {
            self.field_asked_for = 0; // a layer was switched on: ask for it now
        }
        if self.explorer.open {
            if self.explorer_rendered_for != self.view.snapshot_version {
                self.request_renders(); // G moved on: follow it
            }
            let [single, strip] = self.explorer_textures(&ctx);
            let classes: Vec<String> = match &self.view.info {
                Some(i) if i.config.model.conditional => i.class_names.clone(),
                _ => Vec::new(),
            };
            explorer_ui(
                &ctx,
                &mut self.explorer,
                &classes,
                (single.as_ref(), strip.as_ref()),
                &mut actions,
            );
        }
        if ctx.input(|i| i.key_pressed(egui::Key::F12)) {
            self.perf.overlay = !self.perf.overlay;
        }
        self.repaint
            .running
            .store(self.view.running, Ordering::Relaxed);
        self.perf.overlay_ui(&ctx, &self.repaint);
        if let Some(answer) = recovered {
            if let Answer::Restore(path) = &answer
                && let Err(e) = self.trainer.send(Command::LoadCheckpoint(path.clone()))
            {
                self.view.messages.push(format!("Error: {e}"));
            }
            self.recovery.answer(&answer);
        }
        close_dialog_ui(&ctx, &mut self.close_guard, &mut actions);
        self.apply(actions);
        self.perf.end_frame(self.view.step, frame.info().cpu_usage);
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
