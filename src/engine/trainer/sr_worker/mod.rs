//! The super-resolution family's trainer loop: owns an [`SrRun`] and its images, handles
//! commands in order, steps while running, and reports through the thread's [`Link`]: the
//! family's curves, comparison snapshots of fixed held-out images, evaluations (PSNR, SSIM,
//! and FID-lite and accuracy once the dataset's classifier is there), upscales at any weight
//! mix (the hallucination slider, the user's own image), checkpoints. Commands only other
//! families have are answered with a message, never ignored.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

mod checkpoints;
mod describe;
mod judge;

use describe::{info, snapshot};
use judge::Judge;

use super::link::{Link, command_wait, panic_text};
use super::protocol::{Command, Event, RunOrigin, RunSetup, RunState, StepKind, UpscaleRequest};
use super::thread::Waker;
use crate::engine::backend::Backend;
use crate::engine::data::ImageSet;
use crate::engine::superres;
use crate::engine::superres::evaluate::{SrReferences, evaluate};
use crate::engine::superres::pairs::{Pairs, held_out_pairs};
use crate::engine::superres::preset::SrPreset;
use crate::engine::superres::run::SrRun;

/// Held-out images in the comparison snapshots.
pub(super) const COMPARED: usize = 8;

/// The run, its preset and its images (training, held-out), and the comparison's pairs.
struct Built {
    run: SrRun,
    preset: SrPreset,
    train: Arc<ImageSet>,
    held: Arc<ImageSet>,
    compared: Pairs,
}

pub(super) struct SrWorker {
    link: Link,
    backend: Backend,
    built: Option<Built>,
    judge: Option<Judge>,
    running: bool,
    pause_at: Option<u64>,
    pace: Duration,
    next_update_at: Instant,
    pending_upscale: Option<UpscaleRequest>,
    /// What evaluations compare with, and whether it was built with the classifier.
    references: Option<(bool, SrReferences)>,
    /// Training is refused after a divergence or an internal error, until the run is built
    /// again (Reset, a preset, a checkpoint): the event to answer Play with.
    halted: Option<Event>,
}

impl SrWorker {
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
            judge: None,
            running: false,
            pause_at: None,
            pace: Duration::ZERO,
            next_update_at: Instant::now(),
            pending_upscale: None,
            references: None,
            halted: None,
        }
    }

    pub(super) fn run(mut self, preset: &SrPreset) {
        self.build(preset, None, RunOrigin::Built);
        self.link.emit(Event::State(RunState::Paused));
        self.link.wake();
        while !self.link.stop {
            let busy = self.pending_upscale.is_some();
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
            self.poll_judge();
            if let Some(request) = self.pending_upscale.take() {
                self.guarded("upscaling", |w| w.upscale(&request));
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

    /// Builds a run of `preset` (on `images` when given, else loading them) and describes it.
    fn build(
        &mut self,
        preset: &SrPreset,
        images: Option<(Arc<ImageSet>, Arc<ImageSet>)>,
        origin: RunOrigin,
    ) -> bool {
        match Self::built(preset, images, &self.backend) {
            Ok(built) => {
                self.install(built, origin);
                true
            }
            Err(e) => {
                let what = if preset.name.is_empty() {
                    "the super-resolution preset".to_string()
                } else {
                    preset.name.clone()
                };
                self.refuse(&format!("{what} cannot be built: {e}"));
                false
            }
        }
    }

    fn built(
        preset: &SrPreset,
        images: Option<(Arc<ImageSet>, Arc<ImageSet>)>,
        backend: &Backend,
    ) -> Result<Built, String> {
        let section = &preset.superres;
        section.validate().map_err(|e| e.to_string())?;
        let (train, held) = match images {
            Some(i) => i,
            None => {
                let [t, h] = section.load_images()?;
                (Arc::new(t), Arc::new(h))
            }
        };
        let degradation = section.degradation();
        let run = SrRun::new(
            section.config(),
            degradation,
            train.clone(),
            &backend.device,
        )
        .map_err(|e| e.to_string())?;
        let compared = held_out_pairs(&held, &degradation).first(COMPARED);
        Ok(Built {
            run,
            preset: preset.clone(),
            train,
            held,
            compared,
        })
    }

    fn install(&mut self, built: Built, origin: RunOrigin) {
        self.halted = None;
        self.references = None;
        self.link
            .emit(Event::Ready(Box::new(info(&built, &self.backend, origin))));
        let (judge, status) = Judge::ensure(self.judge.take(), &built.train);
        self.judge = Some(judge);
        if let Some(status) = status {
            self.link.emit(Event::Classifier(status));
        }
        self.link.emit(snapshot(&built));
        self.built = Some(built);
    }

    fn poll_judge(&mut self) {
        if let Some(judge) = &mut self.judge {
            for status in judge.poll() {
                self.link.emit(Event::Classifier(status));
            }
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
            Command::Upscale(request) => self.pending_upscale = Some(request),
            Command::Reset { seed } => self.reset(seed),
            Command::Rebuild(setup) => match *setup {
                RunSetup::Superres(preset) => {
                    self.set_running(false);
                    self.build(&preset, None, RunOrigin::Restarted);
                }
                RunSetup::Gan(_) => self.refuse("a GAN preset opens in the GAN window"),
                RunSetup::Cycle(_) => self.refuse("a CycleGAN preset opens in its own window"),
            },
            Command::SaveCheckpoint(path) => self.save(path, true),
            Command::SaveRecovery(path) => self.save(path, false),
            Command::LoadCheckpoint(path) => self.load(path),
            Command::RestoreLastGood => self.refuse(
                "a super-resolution run keeps no earlier state in memory: load a checkpoint or reset",
            ),
            Command::Render(_) | Command::DField { .. } => {
                self.refuse("a super-resolution generator takes a low-res image, not a latent vector")
            }
            Command::Translate(_) => {
                self.refuse("a super-resolution run upscales; translation is for the CycleGAN family")
            }
            Command::SetConfig(_) | Command::Restart(_) => {
                self.refuse("GAN settings do not apply to a super-resolution run")
            }
        }
    }

    fn refuse(&mut self, why: &str) {
        self.link.emit(Event::Error(why.to_string()));
    }

    fn play(&mut self) {
        if self.built.is_none() {
            return self.refuse("no run is loaded: pick a super-resolution preset that builds");
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
            return self.refuse("no run is loaded: pick a super-resolution preset that builds");
        };
        let stats = match built.run.step_once(kind) {
            Ok(stats) => stats,
            Err(e) => {
                self.set_running(false);
                return self.refuse(&e.to_string());
            }
        };
        if let Some(what) = superres::divergence(&stats, built.run.gan_started()) {
            let event = Event::Diverged {
                step: stats.step,
                what,
            };
            self.halted = Some(event.clone());
            self.set_running(false);
            return self.link.emit(event);
        }
        let section = &built.preset.superres;
        let round = stats.kind == StepKind::Round;
        let step = stats.step;
        let snapshot_due = always_snapshot || (round && step.is_multiple_of(section.sample_every));
        let metrics_due = round && step.is_multiple_of(section.metrics_every);
        self.link.emit(Event::Step(stats));
        if metrics_due {
            let ready = self.judge.as_ref().and_then(|j| j.ready.clone());
            // Built once per run, again when the classifier arrives (FID-lite needs it).
            if self.references.as_ref().map(|r| r.0) != Some(ready.is_some()) {
                let refs = SrReferences::new(&built.held, &built.run.degradation, ready.clone());
                self.references = Some((ready.is_some(), refs));
            }
            if let Some((_, refs)) = &self.references {
                let report = evaluate(&built.run, refs);
                built.run.log.push_report(report.clone());
                self.link.emit(Event::Metrics(report));
            }
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
            return self.refuse("no run is loaded: pick a super-resolution preset that builds");
        };
        self.set_running(false);
        let mut preset = built.preset.clone();
        if let Some(seed) = seed {
            preset.superres.seed = seed;
        }
        let images = Some((built.train.clone(), built.held.clone()));
        if !self.build(&preset, images, RunOrigin::Reset) {
            self.built = Some(built);
        }
    }
}
