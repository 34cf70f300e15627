//! The eframe application: owns the trainer handle and the [`RunView`]; each frame drains
//! events, draws the panels, then applies the actions the panels asked for
//! (`app_actions.rs`). Textures and the 2D view's requests live in `app_textures.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use eframe::egui;

use super::action::{Action, keyboard_actions};
use super::augment_lab::{AugmentLab, augment_lab_ui};
use super::close_guard::{CloseGuard, close_dialog_ui};
use super::collapse::{CollapseSettings, alert_ui, collapse_ui};
use super::compare::{Compare, compare_ui};
use super::controls::{Bar, controls_ui, messages_ui};
use super::explorer::{Explorer, explorer_ui};
use super::files::Dialogs;
use super::layout::Layout;
use super::lesson::{LessonState, lesson_ui};
use super::panels::{self, PlotCache, PlotSettings};
use super::perf::Perf;
use super::plane::{PlaneState, PlaneToggles};
use super::preset_list::PresetList;
use super::recovery::{self, Answer, Recovery, recovery_ui};
use super::setup::setup_ui;
use super::shell::Opening;
use super::view::RunView;
use crate::engine::backend::Backend;
use crate::engine::config::TrainConfig;
use crate::engine::preset::Preset;
use crate::engine::trainer::protocol::{Command, Event, PlaneBounds, RunOrigin};
use crate::engine::trainer::thread::{Trainer, Waker};

/// How often the window redraws for trainer news while training: ~30/s on a GPU. A software
/// renderer (Mesa's llvmpipe on a machine without a GPU) spends ~100 ms of CPU per frame,
/// taken from training; there the default is 4/s (BENCHMARKS.md: the window then trains at
/// 0.9x the CLI's speed instead of 0.7x). Paused, news is drawn at once.
pub struct RepaintPolicy {
    pub training_interval_ms: AtomicU64,
    pub running: AtomicBool,
}

pub(super) const GPU_REPAINT_MS: u64 = 33;
pub(super) const SOFTWARE_REPAINT_MS: u64 = 250;

/// Whether the window is drawn by a software renderer (Mesa's llvmpipe: no GPU).
pub(super) fn software_renderer(cc: &eframe::CreationContext<'_>) -> bool {
    cc.wgpu_render_state
        .as_ref()
        .is_some_and(|rs| rs.adapter.get_info().device_type == eframe::wgpu::DeviceType::Cpu)
}

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
    layout: Layout,
}

/// What the left panel shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum LeftTab {
    /// Losses, D's outputs, gradient norms.
    #[default]
    Training,
    /// Mode-collapse metrics.
    Collapse,
    /// Kept runs overlaid.
    Compare,
    /// Does the GAN help a classifier?
    Augment,
}

/// What the right panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RightTab {
    Lesson,
    Setup,
}

/// The ganvas window.
pub struct GanvasApp {
    pub(super) trainer: Trainer,
    /// The configuration the trainer was last asked to run (to start a new trainer with
    /// after an unexpected stop).
    pub(super) trainer_config: TrainConfig,
    pub(super) backend: Backend,
    pub(super) waker: Waker,
    pub(super) view: RunView,
    /// The preset the run came from (its name, its configuration as loaded).
    pub(super) preset_name: String,
    pub(super) preset_config: TrainConfig,
    pub(super) preset_path: Option<std::path::PathBuf>,
    pub(super) samples_texture: Option<(u64, egui::TextureHandle)>,
    pub(super) presets: PresetList,
    plot_settings: PlotSettings,
    plot_cache: PlotCache,
    collapse_settings: CollapseSettings,
    pub(super) left_tab: LeftTab,
    pub(super) right_tab: RightTab,
    pub(super) layout: Layout,
    pub(super) compare: Compare,
    /// The augmentation lab's plan, experiment and results.
    pub(super) augment: AugmentLab,
    perf: Perf,
    repaint: Arc<RepaintPolicy>,
    /// Slow motion, in ms between updates.
    pub(super) pace_ms: u32,
    pub(super) plane: PlaneState,
    /// The snapshot version and bounds D's field was last asked for, and when.
    pub(super) field_asked: Option<(u64, PlaneBounds)>,
    pub(super) field_asked_at: Option<Instant>,
    pub(super) dialogs: Dialogs,
    pub(super) ctx: egui::Context,
    pub(super) explorer: Explorer,
    /// Textures of the explorer's single render and strip, with the render count they show.
    pub(super) explorer_textures: [Option<(u64, egui::TextureHandle)>; 2],
    pub(super) renders_received: u64,
    /// The snapshot version the explorer last rendered for (G changes with every snapshot).
    pub(super) explorer_rendered_for: u64,
    /// The configuration as the user edited it, until the trainer reports it applied.
    pub(super) edited: Option<TrainConfig>,
    /// Rounds per frame while playing is the trainer's business; this only limits how long a
    /// frame may spend reading events.
    drain_budget: Duration,
    pub(super) close_guard: CloseGuard,
    /// A CycleGAN preset picked here: the shell opens the translation window on it.
    pub(super) switch_to: Option<std::path::PathBuf>,
    pub(super) recovery: Recovery,
    pub(super) lesson: Option<LessonState>,
    /// The width the main view got in the last frame (the layout test reads it).
    pub(super) view_width: f32,
}

impl GanvasApp {
    /// Starts the trainer thread on `preset`, waking the UI whenever it reports.
    #[cfg(test)]
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        preset: Preset,
        backend: Backend,
        play: bool,
        perf_log: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Self::open(&Opening::from(cc), preset, backend, play, perf_log)
    }

    /// [`GanvasApp::new`] from what the shell keeps of eframe's context.
    pub fn open(
        opening: &Opening<'_>,
        preset: Preset,
        backend: Backend,
        play: bool,
        perf_log: bool,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let ctx = opening.ctx.clone();
        // Coalesce the trainer's wake-ups into at most ~30 repaints a second: every step would
        // otherwise redraw the window, and on a CPU-only machine drawing competes with training.
        let software_renderer = opening.software_renderer;
        let repaint = Arc::new(RepaintPolicy {
            training_interval_ms: AtomicU64::new(if software_renderer {
                SOFTWARE_REPAINT_MS
            } else {
                GPU_REPAINT_MS
            }),
            running: AtomicBool::new(play),
        });
        let policy = repaint.clone();
        let waker: Waker = Arc::new(move || {
            let ms = if policy.running.load(Ordering::Relaxed) {
                policy.training_interval_ms.load(Ordering::Relaxed)
            } else {
                0
            };
            ctx.request_repaint_after(Duration::from_millis(ms));
        });
        let config = preset.config();
        let trainer = Trainer::spawn(config.clone(), backend.clone(), Some(waker.clone()))?;
        if play {
            let _ = trainer.send(Command::Play);
        }
        let settings: Settings = opening
            .storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        if let Some(dark) = settings.dark {
            opening.ctx.set_theme(if dark {
                egui::ThemePreference::Dark
            } else {
                egui::ThemePreference::Light
            });
        }
        let (presets, preset_errors) = PresetList::scan(std::path::Path::new("presets"));
        let mut view = RunView::default();
        view.window_messages.extend(preset_errors);
        view.window_messages
            .extend(super::recovery::translation_copy_note());
        if software_renderer {
            view.window_messages.push(format!(
                "The window is drawn by a software renderer (no GPU): while training it redraws {}×/s so that training keeps its speed (F12 to change).",
                1000 / SOFTWARE_REPAINT_MS
            ));
        }
        let lesson = preset.lesson.map(LessonState::new);
        Ok(Self {
            trainer,
            trainer_config: config.clone(),
            backend,
            waker,
            view,
            presets,
            edited: None,
            plot_settings: settings.plots,
            plot_cache: PlotCache::default(),
            collapse_settings: settings.collapse,
            left_tab: settings.left_tab,
            right_tab: if lesson.is_some() {
                RightTab::Lesson
            } else {
                RightTab::Setup
            },
            layout: settings.layout,
            compare: Compare::default(),
            augment: AugmentLab::new(preset.augment.clone(), &config),
            perf: Perf::new(perf_log),
            repaint,
            pace_ms: 0,
            plane: PlaneState::new(settings.plane),
            field_asked: None,
            field_asked_at: None,
            dialogs: Dialogs::default(),
            ctx: opening.ctx.clone(),
            explorer: Explorer::opened(settings.explorer_open),
            explorer_textures: [None, None],
            renders_received: 0,
            explorer_rendered_for: 0,
            preset_name: preset.name,
            preset_config: config,
            preset_path: preset.path,
            samples_texture: None,
            drain_budget: Duration::from_millis(8),
            close_guard: CloseGuard::default(),
            switch_to: None,
            recovery: Recovery::at(recovery::default_path()),
            lesson,
            view_width: 0.0,
        })
    }

    /// The augmentation lab's waker: its news is drawn at the training redraw rate even
    /// while training is paused (the lab reports every generator step, and redrawing that
    /// often with a software renderer took a third of the lab's speed).
    pub(super) fn lab_waker(&self) -> Waker {
        let (policy, ctx) = (self.repaint.clone(), self.ctx.clone());
        Arc::new(move || {
            let ms = policy.training_interval_ms.load(Ordering::Relaxed);
            ctx.request_repaint_after(Duration::from_millis(ms));
        })
    }

    /// The CycleGAN preset the user picked here, once: the shell opens its window.
    pub fn take_switch(&mut self) -> Option<std::path::PathBuf> {
        self.switch_to.take()
    }

    /// Shows `message` among the window's messages.
    pub fn note(&mut self, message: String) {
        self.view.messages.push(message);
    }

    fn drain_events(&mut self) {
        let started = Instant::now();
        while started.elapsed() < self.drain_budget {
            match self.trainer.try_recv() {
                Some(Event::Rendered { id, samples }) => {
                    self.explorer.receive(id, samples);
                    self.renders_received += 1;
                }
                Some(event) => self.receive(event),
                None => break,
            }
        }
        if let Some(why) = self.trainer.stopped_unexpectedly() {
            self.view.trainer_gone(&why);
        }
    }

    fn receive(&mut self, event: Event) {
        match &event {
            // A rejected change: show the setup the run really has again.
            Event::Error(_) => self.edited = None,
            Event::Ready(info) => {
                if let Some(config) = info.gan() {
                    self.trainer_config = config.clone();
                }
                // A change to what is learned started a new run: keep the old one to compare.
                if info.origin == RunOrigin::Restarted && self.view.step > 0 {
                    self.compare.keep(&self.view);
                }
                let drawn = info.gan().is_some_and(|c| {
                    matches!(c.data, crate::engine::config::DataConfig::Drawn { .. })
                });
                if info.fresh() && !drawn {
                    self.plane.sketch.points.clear();
                    self.plane.sketch.on = false;
                }
            }
            Event::BuildFailed { config, .. } => {
                self.trainer_config = (**config).clone();
                self.edited = None;
            }
            Event::DField(_) => {
                // Fresh layers answer the current snapshot: no need to ask again for it.
                if let Some((_, bounds)) = self.field_asked {
                    self.field_asked = Some((self.view.snapshot_version, bounds));
                }
            }
            _ => {}
        }
        self.view.apply(event);
    }

    /// The right panel: the lesson (when one is loaded) or the setup.
    fn right_panel_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        if self.lesson.is_some() {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.right_tab, RightTab::Lesson, "Lesson");
                ui.selectable_value(&mut self.right_tab, RightTab::Setup, "Setup");
            });
            ui.separator();
        }
        egui::ScrollArea::vertical().show(ui, |ui| match (&mut self.lesson, self.right_tab) {
            (Some(lesson), RightTab::Lesson) => lesson_ui(ui, lesson, &self.view, actions),
            _ => {
                let info_config = self.view.gan_config();
                if let Some(c) = info_config
                    && self.edited.as_ref() == Some(c)
                {
                    self.edited = None; // the trainer applied it
                }
                let base = info_config
                    .or(self.view.build_failed.as_ref().map(|(c, _)| c))
                    .cloned();
                if let Some(base) = base {
                    let mut config = self.edited.clone().unwrap_or(base);
                    setup_ui(ui, &mut config, &self.presets, actions);
                }
            }
        });
    }

    fn left_panel_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        ui.horizontal_wrapped(|ui| {
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
                .on_hover_text("Every change to what is learned keeps the previous run here; overlay their curves (e.g. vanilla vs WGAN-GP on the same data and seed)");
            let lab = if self.augment.running() {
                "Augmentation lab (running)"
            } else {
                "Augmentation lab"
            };
            ui.selectable_value(&mut self.left_tab, LeftTab::Augment, lab)
                .on_hover_text("Does the conditional GAN's output make a better classifier? Real, synthetic, mixed and classically augmented training data, judged on held-out images");
        });
        match self.left_tab {
            LeftTab::Training => panels::plots_ui(
                ui,
                &self.view,
                &mut self.plot_settings,
                &mut self.plot_cache,
            ),
            LeftTab::Collapse => {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    collapse_ui(ui, &self.view, &mut self.collapse_settings, actions)
                });
            }
            LeftTab::Compare => {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    compare_ui(ui, &self.view, &mut self.compare, actions)
                });
            }
            LeftTab::Augment => {
                let config = self.view.gan_config();
                egui::ScrollArea::vertical().show(ui, |ui| {
                    augment_lab_ui(ui, &mut self.augment, config, actions)
                });
            }
        }
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
            plane: self.plane.toggles,
            layout: self.layout,
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
        if let Some(note) = self.augment.drain() {
            self.view.messages.push(note);
        }
        let notes = self.dialogs.notes();
        self.view.messages.extend(notes);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let width = ctx.content_rect().width();
        self.layout.fit(width);
        let texture = self.samples_texture(&ctx);
        let mut actions = keyboard_actions(&ctx, &self.view);
        let bar = Bar {
            pace_ms: self.pace_ms,
            preset: &self.preset_name,
            preset_changed: self
                .view
                .gan_config()
                .is_some_and(|c| *c != self.preset_config),
            backend: &self.backend.name,
            backend_note: self.backend.note.as_deref(),
        };
        egui::Panel::top("controls").show(ui, |ui| {
            controls_ui(ui, &self.view, &bar, &mut self.layout, &mut actions);
        });
        egui::Panel::bottom("messages").show(ui, |ui| messages_ui(ui, &self.view, &mut actions));
        let (left, right) = self.layout.sizes(width);
        if self.layout.show_right {
            egui::Panel::right("setup")
                .default_size(right.default)
                .max_size(right.max)
                .resizable(true)
                .show(ui, |ui| self.right_panel_ui(ui, &mut actions));
        }
        if self.layout.show_left {
            egui::Panel::left("plots")
                .default_size(left.default)
                .max_size(left.max)
                .resizable(true)
                .show(ui, |ui| self.left_panel_ui(ui, &mut actions));
        }
        let mut recovered = None;
        egui::CentralPanel::default().show(ui, |ui| {
            self.view_width = ui.available_width();
            recovered = recovery_ui(ui, &self.recovery);
            super::missing_data::build_failed_ui(
                ui,
                &self.view,
                self.preset_path.as_deref(),
                &mut actions,
            );
            alert_ui(ui, &self.view, &mut actions);
            panels::samples_ui(
                ui,
                &self.view,
                texture.as_ref(),
                &mut self.plane,
                &mut actions,
            );
        });
        self.request_field();
        if self.explorer.open {
            if self.explorer_rendered_for != self.view.snapshot_version {
                self.request_renders(); // G moved on: follow it
            }
            let [single, strip] = self.explorer_textures(&ctx);
            let classes: Vec<String> = match (&self.view.info, self.view.gan_config()) {
                (Some(i), Some(c)) if c.model.conditional => i.class_names.clone(),
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
            if let Answer::Restore(path) = &answer {
                self.send(Command::LoadCheckpoint(path.clone()));
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

#[cfg(test)]
#[path = "app_tests_classroom.rs"]
mod classroom_tests;
