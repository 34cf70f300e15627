//! The CycleGAN family's trainer loop: owns a [`CycleRun`] and its domains, handles commands
//! in order, steps while running, and reports through the thread's [`Link`]: the family's
//! curves, translation strips of fixed held-out images, evaluations, translations of the
//! user's own images, checkpoints. Commands only a GAN has (latent renders, the 2D view,
//! live GAN settings) are answered with a message, never ignored.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

mod checkpoints;
mod describe;

use describe::{info, snapshot};

use super::cycle_judges::Judges;
use super::link::{Link, command_wait, panic_text};
use super::protocol::{
    Command, Event, MetricValue, RunOrigin, RunSetup, RunState, StepKind, TranslateRequest,
};
use super::thread::Waker;
use crate::engine::backend::Backend;
use crate::engine::cyclegan;
use crate::engine::cyclegan::evaluate::{TargetReferences, evaluate};
use crate::engine::cyclegan::preset::CyclePreset;
use crate::engine::cyclegan::run::CycleRun;
use crate::engine::data::domains::DomainPair;

/// Held-out images of each domain in the translation strips.
const STRIP_COLUMNS: usize = 8;

/// The run, its preset and its domains (training, held-out).
struct Built {
    run: CycleRun,
    preset: CyclePreset,
    train: Arc<DomainPair>,
    held: Arc<DomainPair>,
}

pub(super) struct CycleWorker {
    link: Link,
    backend: Backend,
    built: Option<Built>,
    judges: Option<Judges>,
    running: bool,
    pause_at: Option<u64>,
    pace: Duration,
    next_update_at: Instant,
    pending_translation: Option<TranslateRequest>,
    /// What translations are compared with, and whether it was built with the judges.
    references: Option<(bool, TargetReferences)>,
    /// Training is refused after a divergence or an internal error, until the run is built
    /// again (Reset, a preset, a checkpoint): the event to answer Play with.
    halted: Option<Event>,
}

impl CycleWorker {
    pub(super) fn new(
        backend: Backend,
        commands: Receiver<Command>,
        events: SyncSender<Event>,
        waker: Option<Waker>,
    ) -> Self {
        Self {
            link: Link::new(commands, events, waker),
            backend,
            built: None,
            judges: None,
            running: false,
            pause_at: None,
            pace: Duration::ZERO,
            next_update_at: Instant::now(),
            pending_translation: None,
            references: None,
            halted: None,
        }
    }

    pub(super) fn run(mut self, preset: CyclePreset) {
        self.build(preset, None, RunOrigin::Built);
        self.link.emit(Event::State(RunState::Paused));
        self.link.wake();
        while !self.link.stop {
            let busy = self.pending_translation.is_some();
            let wait = command_wait(busy, self.running, self.next_update_at);
            for command in self.link.take_commands(wait) {
                if self.link.stop {
                    break;
                }
                self.guarded("a command", |w| w.handle(command));
            }
            if self.link.stop {
                break;
            }
            self.poll_judges();
            if let Some(request) = self.pending_translation.take() {
                self.guarded("translating", |w| w.translate(&request));
            }
            if self.running && Instant::now() >= self.next_update_at {
                self.guarded("training", |w| w.step(StepKind::Round, false));
                self.next_update_at = Instant::now() + self.pace;
            }
            self.link.wake();
        }
        self.link.emit(Event::Stopped);
        self.link.wake();
    }

    /// Runs `work`; a panic in it (a bug) halts training with a message instead of ending
    /// the thread (the run may be half-updated, so only a rebuild trains again).
    fn guarded(&mut self, doing: &str, work: impl FnOnce(&mut Self)) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| work(self))) {
            let what = format!("{doing} failed: {}", panic_text(payload.as_ref()));
            self.set_running(false);
            let step = self.built.as_ref().map_or(0, |b| b.run.step);
            let event = Event::Crashed { step, what };
            self.halted = Some(event.clone());
            self.link.emit(event);
        }
    }

    /// Builds a run of `preset` (on `domains` when given, else loading them) and describes it.
    fn build(
        &mut self,
        preset: CyclePreset,
        domains: Option<(Arc<DomainPair>, Arc<DomainPair>)>,
        origin: RunOrigin,
    ) -> bool {
        let result = preset
            .cyclegan
            .validate()
            .map_err(|e| e.to_string())
            .and_then(|()| match domains {
                Some(d) => Ok(d),
                None => preset
                    .cyclegan
                    .load_domains()
                    .map(|[t, h]| (Arc::new(t), Arc::new(h))),
            })
            .and_then(|(train, held)| {
                CycleRun::new(
                    preset.cyclegan.config(),
                    train.clone(),
                    &self.backend.device,
                )
                .map(|run| (run, train, held))
                .map_err(|e| e.to_string())
            });
        match result {
            Ok((run, train, held)) => {
                let built = Built {
                    run,
                    preset,
                    train,
                    held,
                };
                self.install(built, origin);
                true
            }
            Err(e) => {
                let what = if preset.name.is_empty() {
                    "the CycleGAN preset".to_string()
                } else {
                    preset.name.clone()
                };
                self.link
                    .emit(Event::Error(format!("{what} cannot be built: {e}")));
                false
            }
        }
    }

    fn install(&mut self, built: Built, origin: RunOrigin) {
        self.halted = None;
        self.references = None;
        self.link
            .emit(Event::Ready(Box::new(info(&built, &self.backend, origin))));
        let (judges, status) = Judges::ensure(self.judges.take(), &built.train);
        self.judges = Some(judges);
        if let Some(status) = status {
            self.link.emit(Event::Classifier(status));
        }
        self.link.emit(snapshot(&built));
        self.built = Some(built);
    }

    fn poll_judges(&mut self) {
        let (Some(judges), Some(built)) = (&mut self.judges, &self.built) else {
            return;
        };
        for status in judges.poll(&built.held) {
            self.link.emit(Event::Classifier(status));
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Stop => self.link.stop = true,
            Command::Play => {
                self.pause_at = None;
                self.play();
            }
            Command::PlayUntil(step) => {
                self.pause_at = Some(step);
                self.play();
            }
            Command::Pause => self.set_running(false),
            Command::SetPace { millis } => {
                self.pace = Duration::from_millis(u64::from(millis));
                self.next_update_at = Instant::now() + self.pace;
            }
            Command::Step { phase } => {
                self.set_running(false);
                self.step(StepKind::Phase(phase), true);
            }
            Command::StepRound => {
                self.set_running(false);
                self.step(StepKind::Round, true);
            }
            Command::Translate(request) => self.pending_translation = Some(request),
            Command::Upscale(_) => {
                self.refuse("a CycleGAN translates between domains; upscaling is for the super-resolution family")
            }
            Command::Reset { seed } => self.reset(seed),
            Command::Rebuild(setup) => match *setup {
                RunSetup::Cycle(preset) => {
                    self.set_running(false);
                    self.build(*preset, None, RunOrigin::Restarted);
                }
                RunSetup::Gan(_) => self.refuse("a GAN preset opens in the GAN window"),
                RunSetup::Superres(_) => {
                    self.refuse("a super-resolution preset opens in its own window")
                }
            },
            Command::SaveCheckpoint(path) => self.save(path, true),
            Command::SaveRecovery(path) => self.save(path, false),
            Command::LoadCheckpoint(path) => self.load(path),
            Command::RestoreLastGood => self.refuse(
                "a CycleGAN run keeps no earlier state in memory: load a checkpoint or reset",
            ),
            Command::Render(_) | Command::DField { .. } => {
                self.refuse("a CycleGAN's generators take an image, not a latent vector")
            }
            Command::SetConfig(_) | Command::Restart(_) => {
                self.refuse("GAN settings do not apply to a CycleGAN run")
            }
        }
    }

    fn refuse(&mut self, why: &str) {
        self.link.emit(Event::Error(why.to_string()));
    }

    fn play(&mut self) {
        if self.built.is_none() {
            return self.refuse("no run is loaded: pick a CycleGAN preset that builds");
        }
        if let Some(event) = self.halted.clone() {
            return self.link.emit(event);
        }
        self.next_update_at = Instant::now();
        self.set_running(true);
    }

    fn set_running(&mut self, running: bool) {
        if self.running != running {
            self.running = running;
            self.link.emit(Event::State(if running {
                RunState::Running
            } else {
                RunState::Paused
            }));
        }
    }

    /// One update of `kind`, with the snapshot and evaluation that are due.
    fn step(&mut self, kind: StepKind, always_snapshot: bool) {
        if let Some(event) = self.halted.clone() {
            self.running = false;
            return self.link.emit(event);
        }
        let Some(built) = &mut self.built else {
            self.running = false;
            return self.refuse("no run is loaded: pick a CycleGAN preset that builds");
        };
        let stats = match built.run.step_once(kind) {
            Ok(stats) => stats,
            Err(e) => {
                self.set_running(false);
                return self.refuse(&e.to_string());
            }
        };
        if let Some(what) = cyclegan::divergence(&stats) {
            let event = Event::Diverged {
                step: stats.step,
                what,
            };
            self.halted = Some(event.clone());
            self.set_running(false);
            return self.link.emit(event);
        }
        let section = &built.preset.cyclegan;
        let round = stats.kind == StepKind::Round;
        let step = stats.step;
        let snapshot_due = always_snapshot || (round && step.is_multiple_of(section.sample_every));
        let metrics_due = round && step.is_multiple_of(section.metrics_every);
        self.link.emit(Event::Step(stats));
        if metrics_due {
            let judges = self.judges.as_ref();
            let ready = judges.and_then(|j| j.ready.as_deref());
            // Built once per run, again when the judges arrive (FID-lite needs them).
            if self.references.as_ref().map(|r| r.0) != Some(ready.is_some()) {
                let refs = TargetReferences::new(&built.held, ready);
                self.references = Some((ready.is_some(), refs));
            }
            let refs = self.references.as_ref().map(|r| &r.1);
            let mut report = evaluate(&built.run, &built.held, ready, refs);
            for b in judges.map_or(&[][..], |j| &j.baseline[..]) {
                report.values.push(MetricValue {
                    name: b.metric(),
                    step,
                    value: b.agreement,
                });
            }
            built.run.log.push_report(report.clone());
            self.link.emit(Event::Metrics(report));
        }
        if snapshot_due && let Some(built) = &self.built {
            self.link.emit(snapshot(built));
        }
        if round && self.pause_at.is_some_and(|at| step >= at) {
            self.pause_at = None;
            self.set_running(false);
        }
    }

    fn reset(&mut self, seed: Option<u64>) {
        let Some(built) = self.built.take() else {
            return self.refuse("no run is loaded: pick a CycleGAN preset that builds");
        };
        self.set_running(false);
        let mut preset = built.preset.clone();
        if let Some(seed) = seed {
            preset.cyclegan.seed = seed;
        }
        let domains = Some((built.train.clone(), built.held.clone()));
        if !self.build(preset, domains, RunOrigin::Reset) {
            self.built = Some(built);
        }
    }
}
