//! The super-resolution family's trainer loop: owns an [`SrRun`] and its images, handles
//! commands in order, steps while running, and reports through the thread's [`Link`]: the
//! family's curves, comparison snapshots of fixed held-out images, evaluations (PSNR, SSIM,
//! and FID-lite and accuracy once the dataset's classifier is there), upscales at any weight
//! mix (the hallucination slider, the user's own image), checkpoints. Commands only other
//! families have are answered with a message, never ignored.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

mod checkpoints;
mod describe;

use describe::{info, snapshot};

use super::family_loop::{Control, FamilyRun, run_loop};
use super::image_judge::Judge;
use super::link::Link;
use super::protocol::{Command, Event, RunOrigin, RunSetup, StepKind, UpscaleRequest};
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
    control: Control,
    backend: Backend,
    built: Option<Built>,
    judge: Option<Judge>,
    pending_upscale: Option<UpscaleRequest>,
    /// What evaluations compare with, and whether it was built with the classifier.
    references: Option<(bool, SrReferences)>,
}

const NO_RUN: &str = "no run is loaded: pick a super-resolution preset that builds";

impl FamilyRun for SrWorker {
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
        self.pending_upscale.is_some()
    }

    fn between(&mut self) {
        self.poll_judge();
        if let Some(request) = self.pending_upscale.take() {
            self.upscale(&request);
        }
    }

    fn step(&mut self, kind: StepKind, always_snapshot: bool) {
        self.step_run(kind, always_snapshot);
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Upscale(request) => self.pending_upscale = Some(request),
            Command::Reset { seed } => self.reset(seed),
            Command::Rebuild(setup) => match *setup {
                RunSetup::Superres(preset) => {
                    self.control.set_running(false);
                    self.build(&preset, None, RunOrigin::Restarted);
                }
                RunSetup::Gan(_) => self.refuse("a GAN preset opens in the GAN window"),
                RunSetup::Cycle(_) => self.refuse("a CycleGAN preset opens in its own window"),
                RunSetup::Style(_) => self.refuse("a StyleGAN preset opens in its own window"),
                RunSetup::Captions(_) => {
                    self.refuse("a text-to-image preset opens in its own window")
                }
            },
            Command::Caption(_) => self.refuse(
                "a super-resolution network takes an image, not a caption: captions are for the text-to-image family",
            ),
            Command::Style(_) => self.refuse(
                "a super-resolution generator takes a low-res image, not per-layer styles",
            ),
            Command::SaveCheckpoint(path) => self.save(path, true),
            Command::SaveRecovery(path) => self.save(path, false),
            Command::LoadCheckpoint(path) => self.load(path),
            Command::RestoreLastGood => self.refuse(
                "a super-resolution run keeps no earlier state in memory: load a checkpoint or reset",
            ),
            Command::Render(_) | Command::DField { .. } => self.refuse(
                "a super-resolution generator takes a low-res image, not a latent vector",
            ),
            Command::Translate(_) => self.refuse(
                "a super-resolution run upscales; translation is for the CycleGAN family",
            ),
            Command::SetConfig(_) | Command::Restart(_) => {
                self.refuse("GAN settings do not apply to a super-resolution run")
            }
            // The shared loop handles the rest before they get here.
            other => self.refuse(&format!("unexpected command {other:?}")),
        }
    }
}

impl SrWorker {
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
            judge: None,
            pending_upscale: None,
            references: None,
        }
    }

    pub(super) fn run(mut self, preset: &SrPreset) {
        self.build(preset, None, RunOrigin::Built);
        run_loop(&mut self);
    }

    fn refuse(&mut self, why: &str) {
        self.control.refuse(why);
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
        self.control.halted = None;
        self.references = None;
        let ready = Event::Ready(Box::new(info(&built, &self.backend, origin)));
        self.control.link.emit(ready);
        let (judge, status) = Judge::ensure(self.judge.take(), &built.train);
        self.judge = Some(judge);
        if let Some(status) = status {
            self.control.link.emit(Event::Classifier(status));
        }
        self.control.link.emit(snapshot(&built));
        self.built = Some(built);
    }

    fn poll_judge(&mut self) {
        if let Some(judge) = &mut self.judge {
            for status in judge.poll() {
                self.control.link.emit(Event::Classifier(status));
            }
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
        if let Some(what) = superres::divergence(&stats, built.run.gan_started()) {
            let step = stats.step;
            return self.control.halt(Event::Diverged { step, what });
        }
        let section = &built.preset.superres;
        let round = stats.kind == StepKind::Round;
        let step = stats.step;
        let snapshot_due = always_snapshot || (round && step.is_multiple_of(section.sample_every));
        let metrics_due = round && step.is_multiple_of(section.metrics_every);
        self.control.link.emit(Event::Step(stats));
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
                self.control.link.emit(Event::Metrics(report));
            }
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
            preset.superres.seed = seed;
        }
        let images = Some((built.train.clone(), built.held.clone()));
        if !self.build(&preset, images, RunOrigin::Reset) {
            self.built = Some(built);
        }
    }
}
