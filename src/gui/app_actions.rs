//! Carrying out what the panels asked for, once per frame: trainer commands, file dialogs and
//! their answers, lesson steps, theme and view switches.

use super::action::Action;
use super::app::{GanvasApp, LeftTab, RightTab};
use super::files::{self, FileJob};
use super::lesson::LessonState;
use crate::engine::config::{DataConfig, TrainConfig};
use crate::engine::lesson::LessonView;
use crate::engine::preset::Preset;
use crate::engine::trainer::protocol::Command;
use crate::engine::trainer::thread::{SendError, Trainer};

impl GanvasApp {
    /// Sends a command; a trainer that stopped unexpectedly is started again first when the
    /// command starts a run over (Reset, a new setup, a checkpoint).
    pub(in crate::gui) fn send(&mut self, command: Command) {
        let rebuilds = matches!(
            command,
            Command::Reset { .. }
                | Command::SetConfig(_)
                | Command::Restart(_)
                | Command::LoadCheckpoint(_)
        );
        if rebuilds && self.trainer.stopped_unexpectedly().is_some() {
            let config = match &command {
                Command::SetConfig(c) | Command::Restart(c) => (**c).clone(),
                _ => self.trainer_config.clone(),
            };
            match Trainer::spawn(config, self.backend.clone(), Some(self.waker.clone())) {
                Ok(t) => {
                    self.trainer = t;
                    self.view
                        .window_messages
                        .push("Started a new trainer; the run begins again at step 0.".to_string());
                    if matches!(command, Command::Reset { seed: None }) {
                        return;
                    }
                }
                Err(e) => {
                    self.view
                        .messages
                        .push(format!("Error: cannot start the trainer: {e}"));
                    return;
                }
            }
        }
        if let Err(e) = self.trainer.send(command) {
            let text = match e {
                SendError::Stopped => {
                    "Error: the trainer has stopped; press Reset to start it again".to_string()
                }
                SendError::Full => format!("Error: {e}"),
            };
            self.view.messages.push(text);
        }
    }

    /// Carries out what a closed file dialog chose.
    pub(super) fn handle_dialog_answer(&mut self) {
        if let Some((job, path)) = self.dialogs.answer() {
            self.file_chosen(job, path);
        }
    }

    /// The configuration the setup panel shows (the edit not yet applied, else the run's, else
    /// the one that failed to build).
    fn current_config(&self) -> Option<TrainConfig> {
        self.edited
            .clone()
            .or_else(|| self.view.gan_config().cloned())
            .or_else(|| self.view.build_failed.as_ref().map(|(c, _)| c.clone()))
    }

    /// Carries out `job` on the path a dialog returned.
    pub(super) fn file_chosen(&mut self, job: FileJob, path: std::path::PathBuf) {
        let command = match job {
            FileJob::SaveCheckpoint => Command::SaveCheckpoint(path),
            FileJob::LoadCheckpoint => Command::LoadCheckpoint(path),
            FileJob::OpenIdx | FileJob::OpenImageFolder | FileJob::OpenCifar | FileJob::OpenCsv => {
                let Some(current) = self.current_config() else {
                    return;
                };
                match files::data_source(job, &path) {
                    Ok(data) => {
                        if let DataConfig::Idx { labels, .. } = &data {
                            self.view.pending_messages.push(match labels {
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
                let lab = super::augment_lab::file_chosen(
                    job,
                    &path,
                    &mut self.augment,
                    &self.preset_name,
                );
                let message = match lab.or_else(|| super::view_export::export(job, &path, self)) {
                    Some(result) => result,
                    None => files::export(job, &path, &self.view, &self.preset_name, &self.dialogs),
                };
                self.view
                    .messages
                    .push(message.unwrap_or_else(|e| format!("Error: {e}")));
                return;
            }
        };
        self.send(command);
    }

    /// Starts the augmentation lab on the run's configuration, pausing the training (both
    /// would share the processor).
    fn start_augment(&mut self) {
        let Some(config) = self.view.gan_config().cloned() else {
            self.view.messages.push("Error: no run is loaded".into());
            return;
        };
        let started = self.augment.start(
            config,
            &self.preset_name,
            self.backend.clone(),
            self.lab_waker(),
        );
        match started {
            Ok(()) => {
                if self.view.running {
                    self.send(Command::Pause);
                    self.view
                        .messages
                        .push("Training paused while the augmentation lab runs.".into());
                }
            }
            Err(e) => self.view.messages.push(format!("Error: {e}")),
        }
    }

    /// Loads a preset as the new run (`keep_lesson`: a lesson step switching preset).
    fn load_preset(&mut self, path: &std::path::Path, keep_lesson: bool) {
        if super::hand_over(path, "gan", &mut self.switch_to, &mut self.view.messages) {
            return;
        }
        let loaded = if keep_lesson {
            Preset::load_without_lesson(path)
        } else {
            Preset::load(path)
        };
        match loaded {
            Ok(p) => {
                self.preset_name = p.name.clone();
                self.preset_config = p.config();
                self.preset_path = Some(path.to_path_buf());
                self.edited = None;
                if !self.augment.running() {
                    self.augment =
                        super::augment_lab::AugmentLab::new(p.augment.clone(), &p.config());
                }
                if !keep_lesson {
                    self.lesson = p.lesson.clone().map(LessonState::new);
                    self.right_tab = if self.lesson.is_some() {
                        RightTab::Lesson
                    } else {
                        RightTab::Setup
                    };
                }
                self.send(Command::Restart(Box::new(p.config())));
            }
            Err(e) => self.view.messages.push(format!("Error: {e}")),
        }
    }

    pub(super) fn apply(&mut self, actions: Vec<Action>) {
        for action in actions {
            let command = match action {
                Action::Play => Command::Play,
                Action::PlayUntil(step) => Command::PlayUntil(step),
                Action::Pause => Command::Pause,
                Action::Step(phase) => Command::Step { phase },
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
                Action::StartAugment => {
                    self.start_augment();
                    continue;
                }
                Action::StopAugment => {
                    self.augment.stop();
                    continue;
                }
                Action::ToggleTheme => {
                    crate::gui::action::toggle_theme(&self.ctx);
                    continue;
                }
                Action::ToggleExplorer => {
                    self.explorer.open = !self.explorer.open;
                    self.request_renders();
                    continue;
                }
                Action::OpenView(v) => {
                    self.open_view(v);
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
                // The GAN trainer answers that its generator takes no image.
                Action::Translate { a_to_b, pixels } => {
                    Command::Translate(crate::engine::trainer::protocol::TranslateRequest {
                        id: 0,
                        a_to_b,
                        pixels,
                    })
                }
                Action::TrainOnDrawing(points) => {
                    let Some(current) = self.current_config() else {
                        continue;
                    };
                    let config =
                        crate::engine::adapt::switch_data(&current, DataConfig::Drawn { points });
                    self.edited = Some(config.clone());
                    Command::SetConfig(Box::new(config))
                }
                Action::KeepRun => {
                    self.compare.keep(&self.view);
                    continue;
                }
                Action::DismissMessages => {
                    self.view.dismiss_messages();
                    continue;
                }
                Action::Note(text) => {
                    self.view.pending_messages.push(text);
                    continue;
                }
                Action::ApplyConfig(config) => {
                    self.edited = Some((*config).clone());
                    Command::SetConfig(config)
                }
                Action::LoadPreset(path) => {
                    self.load_preset(&path, false);
                    continue;
                }
                Action::LessonPreset(path) => {
                    self.load_preset(&path, true);
                    continue;
                }
            };
            self.send(command);
        }
    }

    fn open_view(&mut self, v: LessonView) {
        self.layout.show_left |= v != LessonView::Explorer;
        match v {
            LessonView::Curves => self.left_tab = LeftTab::Training,
            LessonView::Collapse => self.left_tab = LeftTab::Collapse,
            LessonView::Compare => self.left_tab = LeftTab::Compare,
            LessonView::Explorer => {
                if !self.explorer.open {
                    self.explorer.open = true;
                    self.request_renders();
                }
            }
        }
    }

    pub(super) fn request_renders(&mut self) {
        let Some(config) = self.view.gan_config() else {
            return;
        };
        self.explorer.fit(&config.model);
        if !self.explorer.open {
            return;
        }
        self.explorer_rendered_for = self.view.snapshot_version;
        for request in self.explorer.requests() {
            self.send(Command::Render(request));
        }
    }
}
