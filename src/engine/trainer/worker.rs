//! The GAN family's trainer loop: owns the [`Session`], handles commands in order, steps
//! while running, and reports through the thread's [`Link`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

use super::classifier_job::ClassifierJob;
use super::link::{Link, command_wait, panic_text};
use super::protocol::{
    Command, Event, PlaneBounds, PlaneLayers, RenderRequest, RunOrigin, RunSetup, RunState,
    StepKind,
};
use super::session::{Session, SessionError};
use super::thread::Waker;
use crate::engine::backend::Backend;
use crate::engine::config::TrainConfig;

pub(super) struct Worker {
    session: Option<Session>,
    backend: Backend,
    link: Link,
    running: bool,
    /// Pause after this many rounds (a lesson's "run to step N").
    pause_at: Option<u64>,
    /// Pause between updates while playing (slow motion), and when the next one is due.
    pace: Duration,
    next_update_at: Instant,
    pending_render: Option<RenderRequest>,
    /// The 2D view's last request: sent again after each update in slow motion.
    field_request: Option<(u32, PlaneBounds)>,
    /// The classifier behind the image class metrics.
    classifier: Option<ClassifierJob>,
    /// Set when an update failed on an internal error: (step, what). Training is refused
    /// until the run is built again (Reset, a new configuration, a checkpoint).
    crashed: Option<(u64, String)>,
}

impl Worker {
    pub(super) fn new(
        backend: Backend,
        commands: Receiver<Command>,
        events: SyncSender<Event>,
        waker: Option<Waker>,
    ) -> Self {
        Self {
            session: None,
            backend,
            link: Link::new(commands, events, waker),
            running: false,
            pause_at: None,
            pace: Duration::ZERO,
            next_update_at: Instant::now(),
            pending_render: None,
            field_request: None,
            classifier: None,
            crashed: None,
        }
    }

    pub(super) fn run(mut self, config: TrainConfig) {
        self.build(config);
        self.emit(Event::State(RunState::Paused));
        self.wake();
        while !self.link.stop {
            self.handle_waiting_commands();
            if self.link.stop {
                break;
            }
            self.poll_classifier();
            if let Some(request) = self.pending_render.take() {
                self.guarded("rendering", |w| w.render(&request));
            }
            if self.running && Instant::now() >= self.next_update_at {
                if self.pace.is_zero() {
                    self.guarded("training", |w| w.step(StepKind::Round, false));
                } else {
                    self.guarded("training", Worker::slow_motion_update);
                }
                self.next_update_at = Instant::now() + self.pace;
            }
            self.wake();
        }
        self.emit(Event::Stopped);
        self.wake();
    }

    /// Runs `work`; a panic in it (a bug) stops training with a message instead of ending the
    /// thread, and the run goes back to the state before the failing update.
    fn guarded(&mut self, doing: &str, work: impl FnOnce(&mut Self)) {
        let caught = catch_unwind(AssertUnwindSafe(|| work(self)));
        if let Err(payload) = caught {
            let what = format!("{doing} failed: {}", panic_text(payload.as_ref()));
            self.set_running(false);
            let step = self.session.as_mut().map_or(0, Session::recover_from_panic);
            self.crashed = Some((step, what.clone()));
            self.emit(Event::Crashed { step, what });
        }
    }

    fn build(&mut self, config: TrainConfig) {
        match Session::new(config.clone(), self.backend.clone()) {
            Ok(session) => self.install(session, RunOrigin::Built),
            Err(e) => {
                self.session = None;
                self.emit(Event::BuildFailed {
                    config: Box::new(config),
                    error: format!("{e:#}"),
                });
            }
        }
    }

    /// Makes `session` the run and describes it to the driver.
    fn install(&mut self, session: Session, origin: RunOrigin) {
        self.crashed = None;
        let mut info = session.info();
        info.origin = origin;
        self.emit(Event::Ready(Box::new(info)));
        self.emit_snapshot(&session);
        self.session = Some(session);
        self.ensure_classifier();
    }

    /// After a run is built: have its data's classifier loaded, trained or attached.
    fn ensure_classifier(&mut self) {
        let Some(session) = &mut self.session else {
            return;
        };
        if let Some(status) = ClassifierJob::ensure(&mut self.classifier, session) {
            self.emit(Event::Classifier(status));
        }
    }

    fn poll_classifier(&mut self) {
        let Some(job) = &mut self.classifier else {
            return;
        };
        for status in job.poll(self.session.as_mut()) {
            self.emit(Event::Classifier(status));
        }
    }

    /// Handles every queued command; when paused, first waits for one.
    fn handle_waiting_commands(&mut self) {
        // Paused: wait for a command. Playing in slow motion: wait until the next update is due.
        let busy = self.pending_render.is_some();
        let wait = command_wait(busy, self.running, self.next_update_at);
        for command in self.link.take_commands(wait) {
            if self.link.stop {
                break;
            }
            self.guarded("a command", |w| w.handle(command));
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Stop => self.link.stop = true,
            Command::Render(r) => self.pending_render = Some(r), // the newest wins
            Command::DField { resolution, bounds } => {
                self.field_request = Some((resolution, bounds));
                self.d_field(None);
            }
            Command::Play => {
                self.pause_at = None;
                self.play();
            }
            Command::PlayUntil(step) => {
                self.pause_at = Some(step);
                self.play();
            }
            Command::SetPace { millis } => {
                self.pace = Duration::from_millis(u64::from(millis));
                self.next_update_at = Instant::now() + self.pace;
            }
            Command::Pause => self.set_running(false),
            Command::Step { phase } => self.manual_step(StepKind::Phase(phase)),
            Command::StepRound => self.manual_step(StepKind::Round),
            Command::SetConfig(config) => self.set_config(*config),
            Command::Restart(config) => self.restart(*config),
            Command::Rebuild(setup) => match *setup {
                RunSetup::Gan(config) => self.restart(*config),
                RunSetup::Cycle(_) => self.emit(Event::Error(
                    "this window trains GANs; a CycleGAN preset opens in its own window \
                     (ganvas gui --preset presets/cyclegan/…)"
                        .into(),
                )),
                RunSetup::Superres(_) => self.emit(Event::Error(
                    "this window trains GANs; a super-resolution preset opens in its own window \
                     (ganvas gui --preset presets/superres/…)"
                        .into(),
                )),
                RunSetup::Style(_) => self.emit(Event::Error(
                    "this window trains GANs; a StyleGAN preset opens in its own window \
                     (ganvas gui --preset presets/stylegan/…)"
                        .into(),
                )),
                RunSetup::Captions(_) => self.emit(Event::Error(
                    "this window trains GANs; a text-to-image preset opens in its own window \
                     (ganvas gui --preset presets/captions/…)"
                        .into(),
                )),
            },
            Command::Caption(_) => self.emit(Event::Error(
                "a GAN's generator takes a latent vector, not a caption: captions are for the text-to-image family".into(),
            )),
            Command::Style(_) => self.emit(Event::Error(
                "this generator has one latent vector, not per-layer styles: the style studio is for the StyleGAN family".into(),
            )),
            Command::Translate(_) => self.emit(Event::Error(
                "a GAN's generator takes a latent vector, not an image: translation is for the CycleGAN family".into(),
            )),
            Command::Upscale(_) => self.emit(Event::Error(
                "a GAN's generator takes a latent vector, not an image: upscaling is for the super-resolution family".into(),
            )),
            Command::Reset { seed } => self.reset(seed),
            Command::SaveCheckpoint(path) => {
                let Some(session) = &self.session else {
                    return self.no_run();
                };
                match session.save_checkpoint(&path) {
                    Ok(()) => self.emit(Event::CheckpointSaved {
                        path,
                        step: session.step(),
                    }),
                    Err(e) => self.emit(Event::Error(format!("{e:#}"))),
                }
            }
            Command::SaveRecovery(path) => {
                let Some(session) = &self.session else {
                    return;
                };
                if let Err(e) = session.save_checkpoint(&path) {
                    self.emit(Event::Error(format!(
                        "the crash copy could not be written: {e:#}"
                    )));
                }
            }
            Command::LoadCheckpoint(path) => self.load_checkpoint(path),
            Command::RestoreLastGood => {
                let Some(session) = &mut self.session else {
                    return self.no_run();
                };
                match session.restore_last_good() {
                    Some(step) => {
                        self.emit(Event::Restored { step });
                        let s = self.session.as_ref().map(|s| s.snapshot());
                        if let Some(samples) = s {
                            self.emit(Event::Snapshot { step, samples });
                        }
                    }
                    None => self.emit(Event::Error("there is no earlier state to restore".into())),
                }
            }
        }
    }

    fn no_run(&mut self) {
        self.emit(Event::Error(
            "no run is loaded (the last configuration failed); fix it and apply again".into(),
        ));
    }

    /// Starts playing, unless training is refused (no run, a crash, a reached pause point).
    fn play(&mut self) {
        if self.session.is_none() {
            return self.no_run();
        }
        if let Some((step, what)) = self.crashed.clone() {
            return self.emit(Event::Crashed { step, what });
        }
        self.next_update_at = Instant::now();
        self.set_running(true);
    }

    fn set_running(&mut self, running: bool) {
        if self.running != running {
            self.running = running;
            let state = if running {
                RunState::Running
            } else {
                RunState::Paused
            };
            self.emit(Event::State(state));
        }
    }

    fn manual_step(&mut self, kind: StepKind) {
        self.set_running(false);
        self.step(kind, true);
    }

    /// The session to train, or why there is none (already reported).
    fn trainable(&mut self) -> Option<&mut Session> {
        if let Some((step, what)) = self.crashed.clone() {
            self.running = false;
            self.emit(Event::Crashed { step, what });
            return None;
        }
        if self.session.is_none() {
            self.running = false;
            self.no_run();
        }
        self.session.as_mut()
    }

    fn step(&mut self, kind: StepKind, always_snapshot: bool) {
        let Some(session) = self.trainable() else {
            return;
        };
        let result = session.step_once(kind);
        self.after_update(result, always_snapshot, always_snapshot);
    }

    /// Slow motion: one update of the round (D's, then G's), each shown on its own.
    fn slow_motion_update(&mut self) {
        let Some(session) = self.trainable() else {
            return;
        };
        let result = session.step_update().map(|(stats, _)| stats);
        self.after_update(result, true, true);
    }

    /// Reports an update: its statistics, the snapshot and metrics that are due, the 2D
    /// layers when each update is being watched; or the divergence or error that stopped it.
    fn after_update(
        &mut self,
        result: Result<super::protocol::StepStats, SessionError>,
        always_snapshot: bool,
        layers: bool,
    ) {
        let Some(session) = &mut self.session else {
            return;
        };
        match result {
            Ok(stats) => {
                let (sample_every, metrics_every) = (
                    session.config.train.sample_every as u64,
                    session.config.train.metrics_every as u64,
                );
                let round_done = stats.kind == StepKind::Round;
                let snapshot = always_snapshot || (round_done && stats.step % sample_every == 0);
                let metrics = round_done && stats.step % metrics_every == 0;
                let samples = snapshot.then(|| session.snapshot());
                let report = metrics.then(|| session.evaluate());
                let (step, kind) = (stats.step, stats.kind);
                self.emit(Event::Step(stats));
                if let Some(samples) = samples {
                    self.emit(Event::Snapshot { step, samples });
                }
                if let Some(report) = report.filter(|r| !r.values.is_empty()) {
                    self.emit(Event::Metrics(report));
                }
                if layers && self.field_request.is_some() {
                    self.d_field(Some(kind));
                }
                if round_done && self.pause_at.is_some_and(|at| step >= at) {
                    self.pause_at = None;
                    self.set_running(false);
                }
            }
            Err(e) => {
                let diverged = session.diverged.clone();
                self.set_running(false);
                match diverged {
                    Some((step, what)) => self.emit(Event::Diverged { step, what }),
                    None => self.emit(Event::Error(format!("{e:#}"))),
                }
            }
        }
    }

    fn reset(&mut self, seed: Option<u64>) {
        let Some(session) = &self.session else {
            return self.no_run();
        };
        let mut config = session.config.clone();
        if let Some(seed) = seed {
            config.train.seed = seed;
        }
        let data = session.data.clone();
        let notes = session.data_notes.clone();
        let refs = session.metric_refs.clone();
        self.set_running(false);
        match Session::with_data(config, self.backend.clone(), data, notes) {
            Ok(mut s) => {
                s.metric_refs = refs;
                self.install(s, RunOrigin::Reset);
            }
            Err(e) => self.emit(Event::Error(format!("{e:#}"))),
        }
    }

    fn restart(&mut self, config: TrainConfig) {
        self.set_running(false);
        let Some(session) = &mut self.session else {
            return self.build(config);
        };
        match session.restart_on(config) {
            Ok(()) => {
                let Some(session) = self.session.take() else {
                    return;
                };
                let note = format!(
                    "a new run at step 0 (seed {}); Compare runs keeps the previous one",
                    session.config.train.seed
                );
                // After Ready: the note belongs to the new run.
                self.install(session, RunOrigin::Restarted);
                self.emit(Event::ConfigApplied { notes: vec![note] });
            }
            Err(e) => self.emit(Event::Error(format!("{e:#}"))),
        }
    }

    fn set_config(&mut self, config: TrainConfig) {
        let Some(session) = &mut self.session else {
            return self.build(config);
        };
        let before = session.step();
        let restarts = super::reconfigure::restart_reason(&session.config, &config).is_some();
        let notes = match session.apply_config(config) {
            Ok(notes) => notes,
            Err(e) => return self.emit(Event::Error(format!("{e:#}"))),
        };
        if restarts || (before != 0 && session.step() != before) {
            self.set_running(false);
            if let Some(session) = self.session.take() {
                self.install(session, RunOrigin::Restarted);
            }
            // After Ready: the notes belong to the new run.
            return self.emit(Event::ConfigApplied { notes });
        }
        let mut info = session.info();
        info.origin = RunOrigin::Continued;
        let samples = session.snapshot();
        let step = session.step();
        self.emit(Event::ConfigApplied { notes });
        self.emit(Event::Ready(Box::new(info)));
        self.emit(Event::Snapshot { step, samples });
        self.ensure_classifier();
    }

    fn load_checkpoint(&mut self, path: std::path::PathBuf) {
        let Some(session) = &mut self.session else {
            return self.no_run();
        };
        let result = crate::engine::checkpoint::Checkpoint::read(&path)
            .and_then(|c| session.restore(&c).map(|()| c.step));
        match result {
            Ok(step) => {
                self.set_running(false);
                self.crashed = None;
                let info = self
                    .session
                    .as_ref()
                    .map(|s| (s.info(), s.snapshot(), s.log.clone()));
                if let Some((mut info, samples, log)) = info {
                    info.origin = RunOrigin::Loaded;
                    self.emit(Event::Ready(Box::new(info)));
                    self.emit(Event::History {
                        stats: log.stats,
                        reports: log.reports,
                    });
                    self.emit(Event::Snapshot { step, samples });
                }
                // After Ready: the message belongs to the loaded run.
                self.emit(Event::CheckpointLoaded { path, step });
            }
            Err(e) => self.emit(Event::Error(format!("{e:#}"))),
        }
    }

    /// Computes the 2D view's layers over the last requested bounds and sends them.
    fn d_field(&mut self, after: Option<StepKind>) {
        let (Some(session), Some((resolution, bounds))) = (&self.session, self.field_request)
        else {
            return;
        };
        if session.shape.len != 2 {
            return;
        }
        let started = Instant::now();
        let points = session.snapshot().values;
        let layers = session
            .d_field(resolution as usize, bounds)
            .and_then(|values| Ok((values, session.d_gradients(&points)?, session.manifold())));
        match layers {
            Ok((values, arrows, manifold)) => {
                let step = session.step();
                self.emit(Event::DField(Box::new(PlaneLayers {
                    step,
                    after,
                    resolution,
                    bounds,
                    values,
                    points,
                    arrows,
                    manifold,
                    manifold_side: super::field::MANIFOLD_SIDE,
                    compute_ms: started.elapsed().as_secs_f32() * 1000.0,
                })));
            }
            Err(e) => {
                self.field_request = None;
                self.emit(Event::Error(e));
            }
        }
    }

    fn render(&mut self, request: &RenderRequest) {
        let Some(session) = &self.session else {
            return self.no_run();
        };
        let latent = session.config.model.latent_dim;
        if request.latents.is_empty() || !request.latents.len().is_multiple_of(latent) {
            return self.emit(Event::Error(format!(
                "a render request needs a multiple of {latent} latent values, got {}",
                request.latents.len()
            )));
        }
        let samples = session.generate(&request.latents, &request.classes);
        self.emit(Event::Rendered {
            id: request.id,
            samples,
        });
    }

    fn emit_snapshot(&mut self, session: &Session) {
        let samples = session.snapshot();
        self.emit(Event::Snapshot {
            step: session.step(),
            samples,
        });
    }

    fn emit(&mut self, event: Event) {
        self.link.emit(event);
    }

    fn wake(&mut self) {
        self.link.wake();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::sync_channel;

    use super::*;
    use crate::engine::backend::{BackendChoice, select};

    fn ring() -> TrainConfig {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("presets/ring8-vanilla.toml");
        crate::engine::preset::Preset::load(&path)
            .expect("preset")
            .config()
    }

    #[test]
    fn a_panic_while_training_stops_it_with_a_message_and_reset_brings_it_back() {
        let (_commands, command_rx) = sync_channel(8);
        let (event_tx, events) = sync_channel(10_000);
        let backend = select(BackendChoice::Cpu).expect("cpu");
        let mut w = Worker::new(backend, command_rx, event_tx, None);
        w.build(ring());
        w.handle(Command::StepRound);
        w.handle(Command::Play);
        // A failure in the middle of an update (after it changed the state).
        w.guarded("training", |w| {
            let s = w.session.as_mut().expect("run");
            s.last_good = Some(s.state.detached_copy());
            s.in_update = true;
            s.state.step += 5;
            panic!("a bug in an update");
        });
        let seen: Vec<Event> = events.try_iter().collect();
        let crashed = seen.iter().find_map(|e| match e {
            Event::Crashed { step, what } => Some((*step, what.clone())),
            _ => None,
        });
        let (step, what) = crashed.expect("the crash is reported at once");
        assert_eq!(
            step, 1,
            "the run is back at the state before the failing update"
        );
        assert!(what.contains("a bug in an update"), "{what}");
        assert!(!w.running, "training stopped");
        assert!(
            seen.iter()
                .any(|e| matches!(e, Event::State(RunState::Paused)))
        );
        // Refused until the run is built again, with the same message.
        w.handle(Command::StepRound);
        w.handle(Command::Play);
        let refused: Vec<Event> = events.try_iter().collect();
        assert!(
            refused.iter().all(|e| !matches!(e, Event::Step(_))),
            "{refused:?}"
        );
        assert!(refused.iter().any(|e| matches!(e, Event::Crashed { .. })));
        w.handle(Command::Reset { seed: None });
        w.handle(Command::StepRound);
        let after: Vec<Event> = events.try_iter().collect();
        assert!(
            after
                .iter()
                .any(|e| matches!(e, Event::Ready(i) if i.origin == RunOrigin::Reset))
        );
        assert!(
            after
                .iter()
                .any(|e| matches!(e, Event::Step(s) if s.step == 1))
        );
    }
}
