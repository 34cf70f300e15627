//! The CycleGAN family's trainer loop: owns a [`CycleRun`] and its domains, handles commands
//! in order, steps while running, and reports through the thread's [`Link`]: the family's
//! curves, translation strips of fixed held-out images, evaluations, translations of the
//! user's own images, checkpoints. Commands only a GAN has (latent renders, the 2D view,
//! live GAN settings) are answered with a message, never ignored.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

mod checkpoints;
mod describe;

use describe::{info, snapshot};

use super::cycle_judges::Judges;
use super::family_loop::{Control, FamilyRun, run_loop};
use super::link::Link;
use super::protocol::{
    Command, Event, MetricValue, RunOrigin, RunSetup, StepKind, TranslateRequest,
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
    control: Control,
    backend: Backend,
    built: Option<Built>,
    judges: Option<Judges>,
    pending_translation: Option<TranslateRequest>,
    /// What translations are compared with, and whether it was built with the judges.
    references: Option<(bool, TargetReferences)>,
}

const NO_RUN: &str = "no run is loaded: pick a CycleGAN preset that builds";

impl FamilyRun for CycleWorker {
    fn control(&mut self) -> &mut Control {
        &mut self.control
    }

    fn has_run(&self) -> bool {
        self.built.is_some()
    }

    fn rounds(&self) -> u64 {
        self.built.as_ref().map_or(0, |b| b.run.step)
    }

    fn no_run(&self) -> &'static str {
        NO_RUN
    }

    fn busy(&self) -> bool {
        self.pending_translation.is_some()
    }

    fn between(&mut self) {
        self.poll_judges();
        if let Some(request) = self.pending_translation.take() {
            self.translate(&request);
        }
    }

    fn step(&mut self, kind: StepKind, always_snapshot: bool) {
        self.step_run(kind, always_snapshot);
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Translate(request) => self.pending_translation = Some(request),
            Command::Upscale(_) => self.refuse(
                "a CycleGAN translates between domains; upscaling is for the super-resolution family",
            ),
            Command::Reset { seed } => self.reset(seed),
            Command::Rebuild(setup) => match *setup {
                RunSetup::Cycle(preset) => {
                    self.control.set_running(false);
                    self.build(*preset, None, RunOrigin::Restarted);
                }
                RunSetup::Gan(_) => self.refuse("a GAN preset opens in the GAN window"),
                RunSetup::Superres(_) => {
                    self.refuse("a super-resolution preset opens in its own window")
                }
                RunSetup::Style(_) => self.refuse("a StyleGAN preset opens in its own window"),
                RunSetup::Captions(_) => {
                    self.refuse("a text-to-image preset opens in its own window")
                }
            },
            Command::Caption(_) => self.refuse(
                "a CycleGAN's generators take an image, not a caption: captions are for the text-to-image family",
            ),
            Command::Style(_) => {
                self.refuse("a CycleGAN's generators take an image, not per-layer styles")
            }
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
            // The shared loop handles the rest before they get here.
            other => self.refuse(&format!("unexpected command {other:?}")),
        }
    }
}

impl CycleWorker {
    pub(super) fn new(
        backend: Backend,
        commands: Receiver<Command>,
        events: SyncSender<Event>,
        waker: Option<Waker>,
    ) -> Self {
        Self {
            control: Control::new(Link::new(commands, events, waker)),
            backend,
            built: None,
            judges: None,
            pending_translation: None,
            references: None,
        }
    }

    pub(super) fn run(mut self, preset: CyclePreset) {
        self.build(preset, None, RunOrigin::Built);
        run_loop(&mut self);
    }

    fn refuse(&mut self, why: &str) {
        self.control.refuse(why);
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
                self.refuse(&format!("{what} cannot be built: {e}"));
                false
            }
        }
    }

    fn install(&mut self, built: Built, origin: RunOrigin) {
        self.control.halted = None;
        self.references = None;
        let ready = Event::Ready(Box::new(info(&built, &self.backend, origin)));
        self.control.link.emit(ready);
        let (judges, status) = Judges::ensure(self.judges.take(), &built.train);
        self.judges = Some(judges);
        if let Some(status) = status {
            self.control.link.emit(Event::Classifier(status));
        }
        self.control.link.emit(snapshot(&built));
        self.built = Some(built);
    }

    fn poll_judges(&mut self) {
        let (Some(judges), Some(built)) = (&mut self.judges, &self.built) else {
            return;
        };
        for status in judges.poll(&built.held) {
            self.control.link.emit(Event::Classifier(status));
        }
    }

    /// One update of `kind`, with the snapshot and evaluation that are due.
    fn step_run(&mut self, kind: StepKind, always_snapshot: bool) {
        let Some(built) = &mut self.built else {
            return self.refuse(NO_RUN);
        };
        let stats = match built.run.step_once(kind) {
            Ok(stats) => stats,
            Err(e) => {
                self.control.set_running(false);
                return self.refuse(&e.to_string());
            }
        };
        if let Some(what) = cyclegan::divergence(&stats) {
            let step = stats.step;
            return self.control.halt(Event::Diverged { step, what });
        }
        let section = &built.preset.cyclegan;
        let round = stats.kind == StepKind::Round;
        let step = stats.step;
        let snapshot_due = always_snapshot || (round && step.is_multiple_of(section.sample_every));
        let metrics_due = round && step.is_multiple_of(section.metrics_every);
        self.control.link.emit(Event::Step(stats));
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
            self.control.link.emit(Event::Metrics(report));
        }
        if snapshot_due && let Some(built) = &self.built {
            self.control.link.emit(snapshot(built));
        }
        if round {
            self.control.round_done(step);
        }
    }

    fn reset(&mut self, seed: Option<u64>) {
        let Some(built) = self.built.take() else {
            return self.refuse(NO_RUN);
        };
        self.control.set_running(false);
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
