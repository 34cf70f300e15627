//! The StyleGAN family's trainer loop: owns a [`StyleRun`] and its images, handles commands in
//! order, steps while running, and reports through the thread's [`Link`]: the family's curves,
//! snapshots of the EMA generator's samples, evaluations (FID-lite, PRDC, and with the
//! dataset's classifier the classes, the mixing check and the path length), the studio's
//! images (mixing grid, truncation, noise, per-layer styles, principal directions),
//! checkpoints. Commands only other families have are answered with a message, never ignored.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

mod checkpoints;
mod describe;

use describe::{info, snapshot};

use super::family_loop::{Control, FamilyRun, run_loop};
use super::image_judge::Judge;
use super::link::Link;
use super::protocol::{Command, Event, RunOrigin, RunSetup, StepKind, StyleRequest};
use super::thread::Waker;
use crate::engine::backend::Backend;
use crate::engine::data::ImageSet;
use crate::engine::metrics::MetricRefs;
use crate::engine::stylegan;
use crate::engine::stylegan::directions::Directions;
use crate::engine::stylegan::preset::StylePreset;
use crate::engine::stylegan::run::StyleRun;

/// EMA samples per evaluation (as `ganvas train`).
const EVALUATED: usize = 1000;

/// The run, its preset and its (padded) images.
struct Built {
    run: StyleRun,
    preset: StylePreset,
    images: Arc<ImageSet>,
}

pub(super) struct StyleWorker {
    control: Control,
    backend: Backend,
    built: Option<Built>,
    judge: Option<Judge>,
    pending_style: Option<StyleRequest>,
    /// The principal directions of w last computed for the studio (None for a new run).
    directions: Option<Directions>,
    /// What evaluations compare with, and whether it holds the classifier.
    references: Option<(bool, MetricRefs)>,
}

const NO_RUN: &str = "no run is loaded: pick a StyleGAN preset that builds";

impl FamilyRun for StyleWorker {
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
        self.pending_style.is_some()
    }

    fn between(&mut self) {
        self.poll_judge();
        if let Some(request) = self.pending_style.take() {
            self.studio(&request);
        }
    }

    fn step(&mut self, kind: StepKind, always_snapshot: bool) {
        self.step_run(kind, always_snapshot);
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Style(request) => self.pending_style = Some(*request),
            Command::Reset { seed } => self.reset(seed),
            Command::Rebuild(setup) => match *setup {
                RunSetup::Style(preset) => {
                    self.control.set_running(false);
                    self.build(&preset, None, RunOrigin::Restarted);
                }
                RunSetup::Gan(_) => self.refuse("a GAN preset opens in the GAN window"),
                RunSetup::Cycle(_) => self.refuse("a CycleGAN preset opens in its own window"),
                RunSetup::Superres(_) => {
                    self.refuse("a super-resolution preset opens in its own window")
                }
                RunSetup::Captions(_) => {
                    self.refuse("a text-to-image preset opens in its own window")
                }
            },
            Command::Caption(_) => self.refuse(
                "a StyleGAN draws from styles, not a caption: captions are for the text-to-image family",
            ),
            Command::SaveCheckpoint(path) => self.save(path, true),
            Command::SaveRecovery(path) => self.save(path, false),
            Command::LoadCheckpoint(path) => self.load(path),
            Command::RestoreLastGood => self.refuse(
                "a StyleGAN run keeps no earlier state in memory: load a checkpoint or reset",
            ),
            Command::Render(_) | Command::DField { .. } => self.refuse(
                "a StyleGAN takes one style per layer: use the studio's sources, sliders and directions",
            ),
            Command::Translate(_) => {
                self.refuse("a StyleGAN draws from styles; translation is for the CycleGAN family")
            }
            Command::Upscale(_) => self.refuse(
                "a StyleGAN draws from styles; upscaling is for the super-resolution family",
            ),
            Command::SetConfig(_) | Command::Restart(_) => {
                self.refuse("GAN settings do not apply to a StyleGAN run: edit its preset")
            }
            // The shared loop handles the rest before they get here.
            other => self.refuse(&format!("unexpected command {other:?}")),
        }
    }
}

impl StyleWorker {
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
            pending_style: None,
            directions: None,
            references: None,
        }
    }

    pub(super) fn run(mut self, preset: &StylePreset) {
        self.build(preset, None, RunOrigin::Built);
        run_loop(&mut self);
    }

    fn refuse(&mut self, why: &str) {
        self.control.refuse(why);
    }

    /// Builds a run of `preset` (on `images` when given, else loading them) and describes it.
    fn build(
        &mut self,
        preset: &StylePreset,
        images: Option<Arc<ImageSet>>,
        origin: RunOrigin,
    ) -> bool {
        match Self::built(preset, images, &self.backend) {
            Ok(built) => {
                self.install(built, origin);
                true
            }
            Err(e) => {
                let what = if preset.name.is_empty() {
                    "the StyleGAN preset".to_string()
                } else {
                    preset.name.clone()
                };
                self.refuse(&format!("{what} cannot be built: {e}"));
                false
            }
        }
    }

    fn built(
        preset: &StylePreset,
        images: Option<Arc<ImageSet>>,
        backend: &Backend,
    ) -> Result<Built, String> {
        preset.validate().map_err(|e| e.to_string())?;
        let images = match images {
            Some(i) => i,
            None => Arc::new(preset.load_images()?),
        };
        let run = StyleRun::new(preset.stylegan.clone(), &images, &backend.device)
            .map_err(|e| e.to_string())?;
        Ok(Built {
            run,
            preset: preset.clone(),
            images,
        })
    }

    fn install(&mut self, built: Built, origin: RunOrigin) {
        self.control.halted = None;
        self.references = None;
        self.directions = None;
        let ready = Event::Ready(Box::new(info(&built, &self.backend, origin)));
        self.control.link.emit(ready);
        let (judge, status) = Judge::ensure(self.judge.take(), &built.images);
        self.judge = Some(judge);
        if let Some(status) = status {
            self.control.link.emit(Event::Classifier(status));
        }
        self.control.link.emit(snapshot(&built.run));
        self.built = Some(built);
    }

    fn poll_judge(&mut self) {
        if let Some(judge) = &mut self.judge {
            for status in judge.poll() {
                self.control.link.emit(Event::Classifier(status));
            }
        }
    }

    /// Answers the studio's newest request.
    fn studio(&mut self, request: &StyleRequest) {
        let Some(built) = &self.built else {
            return self.refuse(NO_RUN);
        };
        match built.run.studio(request, &mut self.directions) {
            Ok(answer) => self.control.link.emit(Event::Styled(Box::new(answer))),
            Err(e) => self.refuse(&e.to_string()),
        }
    }

    /// One update of `kind`, with the snapshot and evaluation that are due.
    fn step_run(&mut self, kind: StepKind, always_snapshot: bool) {
        let Some(built) = &mut self.built else {
            return self.refuse(NO_RUN);
        };
        let stats = built.run.step_once(kind);
        if let Some(what) = stylegan::divergence(&stats) {
            let step = stats.step;
            return self.control.halt(Event::Diverged { step, what });
        }
        let train = &built.preset.train;
        let round = stats.kind == StepKind::Round;
        let step = stats.step;
        let snapshot_due = always_snapshot || (round && step.is_multiple_of(train.sample_every));
        let metrics_due = round && step.is_multiple_of(train.metrics_every);
        self.control.link.emit(Event::Step(stats));
        if metrics_due {
            let ready = self.judge.as_ref().and_then(|j| j.ready.clone());
            // Built once per run, again when the classifier arrives (class metrics need it).
            if self.references.as_ref().map(|r| r.0) != Some(ready.is_some()) {
                let mut refs = MetricRefs::default();
                if let Some(classifier) = ready.clone() {
                    refs.attach_classifier(classifier, &built.images);
                }
                self.references = Some((ready.is_some(), refs));
            }
            if let Some((_, refs)) = &self.references {
                let report = built.run.evaluate(refs, EVALUATED);
                self.control.link.emit(Event::Metrics(report));
            }
        }
        if snapshot_due && let Some(built) = &self.built {
            self.control.link.emit(snapshot(&built.run));
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
            preset.stylegan.seed = seed;
        }
        if !self.build(&preset, Some(built.images.clone()), RunOrigin::Reset) {
            self.built = Some(built);
        }
    }
}
