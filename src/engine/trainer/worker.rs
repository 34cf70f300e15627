//! The trainer thread's loop: owns the [`Session`], handles commands in order, steps while
//! running, and sends events (waiting for room, but never past a Stop).

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::time::{Duration, Instant};

use super::classifier_job::ClassifierJob;
use super::protocol::{Command, Event, PlaneLayers, RenderRequest, RunState, StepKind};
use super::session::Session;
use super::thread::Waker;
use crate::engine::backend::Backend;
use crate::engine::config::TrainConfig;

pub(super) struct Worker {
    session: Option<Session>,
    backend: Backend,
    commands: Receiver<Command>,
    events: SyncSender<Event>,
    waker: Option<Waker>,
    running: bool,
    /// Pause between rounds while playing (slow motion), and when the next round is due.
    pace: Duration,
    next_round_at: Instant,
    stop: bool,
    pending_render: Option<RenderRequest>,
    /// Commands read while waiting for room to send an event, to be handled in order.
    backlog: Vec<Command>,
    /// The classifier behind the image class metrics.
    classifier: Option<ClassifierJob>,
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
            commands,
            events,
            waker,
            running: false,
            pace: Duration::ZERO,
            next_round_at: Instant::now(),
            stop: false,
            pending_render: None,
            backlog: Vec::new(),
            classifier: None,
        }
    }

    pub(super) fn run(mut self, config: TrainConfig) {
        self.build(config);
        self.emit(Event::State(RunState::Paused));
        self.wake();
        while !self.stop {
            self.handle_waiting_commands();
            if self.stop {
                break;
            }
            self.poll_classifier();
            if let Some(request) = self.pending_render.take() {
                self.render(&request);
            }
            if self.running && Instant::now() >= self.next_round_at {
                self.step(StepKind::Round, false);
                self.next_round_at = Instant::now() + self.pace;
            }
            self.wake();
        }
        self.emit(Event::Stopped);
        self.wake();
    }

    fn build(&mut self, config: TrainConfig) {
        match Session::new(config, self.backend.clone()) {
            Ok(session) => {
                self.emit(Event::Ready(Box::new(session.info())));
                self.emit_snapshot(&session);
                self.session = Some(session);
                self.ensure_classifier();
            }
            Err(e) => self.emit(Event::Error(format!("{e:#}"))),
        }
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
        let mut first = None;
        // Paused: wait for a command. Playing in slow motion: wait until the next round is due.
        let wait = if self.running {
            self.next_round_at.saturating_duration_since(Instant::now())
        } else {
            Duration::from_millis(200)
        };
        if !wait.is_zero() && self.backlog.is_empty() && self.pending_render.is_none() {
            match self.commands.recv_timeout(wait) {
                Ok(c) => first = Some(c),
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => {
                    self.stop = true;
                    return;
                }
            }
        }
        let mut queue: Vec<Command> = std::mem::take(&mut self.backlog);
        queue.extend(first);
        loop {
            match self.commands.try_recv() {
                Ok(c) => queue.push(c),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.stop = true;
                    break;
                }
            }
        }
        for command in queue {
            if self.stop {
                break;
            }
            self.handle(command);
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Stop => self.stop = true,
            Command::Render(r) => self.pending_render = Some(r), // the newest wins
            Command::DField { resolution, extent } => self.d_field(resolution, extent),
            Command::Play => self.set_running(true),
            Command::SetPace { millis } => {
                self.pace = Duration::from_millis(u64::from(millis));
                self.next_round_at = Instant::now() + self.pace;
            }
            Command::Pause => self.set_running(false),
            Command::StepD => self.manual_step(StepKind::D),
            Command::StepG => self.manual_step(StepKind::G),
            Command::StepRound => self.manual_step(StepKind::Round),
            Command::SetConfig(config) => self.set_config(*config),
            Command::Reset { seed } => {
                let Some(session) = &self.session else { return };
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
                        self.emit(Event::Ready(Box::new(s.info())));
                        self.emit_snapshot(&s);
                        self.session = Some(s);
                        self.ensure_classifier();
                    }
                    Err(e) => self.emit(Event::Error(format!("{e:#}"))),
                }
            }
            Command::SaveCheckpoint(path) => {
                let Some(session) = &self.session else {
                    return self.no_run();
                };
                match crate::engine::checkpoint::save(session, &path) {
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
                if let Err(e) = crate::engine::checkpoint::save(session, &path) {
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

    fn step(&mut self, kind: StepKind, always_snapshot: bool) {
        let Some(session) = &mut self.session else {
            self.running = false;
            return self.no_run();
        };
        match session.step_once(kind) {
            Ok(stats) => {
                let (sample_every, metrics_every) = (
                    session.config.train.sample_every as u64,
                    session.config.train.metrics_every as u64,
                );
                let round_done = kind == StepKind::Round;
                let snapshot = always_snapshot || (round_done && stats.step % sample_every == 0);
                let metrics = round_done && stats.step % metrics_every == 0;
                let samples = snapshot.then(|| session.snapshot());
                let report = metrics.then(|| session.evaluate());
                self.emit(Event::Step(stats));
                if let Some(samples) = samples {
                    self.emit(Event::Snapshot {
                        step: stats.step,
                        samples,
                    });
                }
                if let Some(report) = report.filter(|r| !r.values.is_empty()) {
                    self.emit(Event::Metrics(report));
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

    fn set_config(&mut self, config: TrainConfig) {
        let Some(session) = &mut self.session else {
            return self.build(config);
        };
        let before = session.step();
        match session.apply_config(config) {
            Ok(notes) => {
                let mut info = session.info();
                info.fresh = before == 0 || session.step() != before;
                let samples = session.snapshot();
                let step = session.step();
                self.emit(Event::ConfigApplied { notes });
                self.emit(Event::Ready(Box::new(info)));
                self.emit(Event::Snapshot { step, samples });
                self.ensure_classifier();
            }
            Err(e) => self.emit(Event::Error(format!("{e:#}"))),
        }
    }

    fn load_checkpoint(&mut self, path: std::path::PathBuf) {
        let Some(session) = &mut self.session else {
            return self.no_run();
        };
        let result = crate::engine::checkpoint::Checkpoint::read(&path)
            .and_then(|c| c.restore_into(session).map(|()| c.step));
        match result {
            Ok(step) => {
                self.set_running(false);
                let info = self
                    .session
                    .as_ref()
                    .map(|s| (s.info(), s.snapshot(), s.log.clone()));
                self.emit(Event::CheckpointLoaded { path, step });
                if let Some((info, samples, log)) = info {
                    self.emit(Event::Ready(Box::new(info)));
                    self.emit(Event::History {
                        stats: log.stats,
                        reports: log.reports,
                    });
                    self.emit(Event::Snapshot { step, samples });
                }
            }
            Err(e) => self.emit(Event::Error(format!("{e:#}"))),
        }
    }

    fn d_field(&mut self, resolution: u32, extent: f32) {
        let Some(session) = &self.session else {
            return self.no_run();
        };
        let started = std::time::Instant::now();
        let points = session.snapshot().values;
        let layers = session
            .d_field(resolution as usize, extent)
            .and_then(|values| Ok((values, session.d_gradients(&points)?, session.manifold())));
        match layers {
            Ok((values, arrows, manifold)) => {
                let step = session.step();
                self.emit(Event::DField(Box::new(PlaneLayers {
                    step,
                    resolution,
                    extent,
                    values,
                    points,
                    arrows,
                    manifold,
                    manifold_side: super::field::MANIFOLD_SIDE,
                    compute_ms: started.elapsed().as_secs_f32() * 1000.0,
                })));
            }
            Err(e) => self.emit(Event::Error(e)),
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

    /// Sends an event; when the queue is full, waits for room while still obeying Stop.
    fn emit(&mut self, event: Event) {
        let mut event = event;
        loop {
            match self.events.try_send(event) {
                Ok(()) => return,
                Err(TrySendError::Disconnected(_)) => {
                    self.stop = true;
                    return;
                }
                Err(TrySendError::Full(back)) => {
                    event = back;
                    self.wake();
                    match self.commands.try_recv() {
                        Ok(Command::Stop) | Err(TryRecvError::Disconnected) => {
                            self.stop = true;
                            return;
                        }
                        Ok(other) => self.backlog.push(other),
                        Err(TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            }
        }
    }

    fn wake(&self) {
        if let Some(w) = &self.waker {
            w();
        }
    }
}
