//! The text-to-image family's trainer loop: owns a [`CaptionRun`], handles commands in
//! order, steps while running, and reports through the thread's [`Link`]: the family's
//! curves, snapshots of the EMA generator's showcase captions, evaluations (caption accuracy
//! read by the scene reader, which a helper thread trains or loads meanwhile), answers to
//! typed captions and interpolations, checkpoints. Commands only other families have are
//! answered with a message, never ignored.

use std::sync::mpsc::{Receiver, SyncSender};

mod checkpoints;
mod describe;
mod reader_job;

use describe::{info, snapshot};
use reader_job::ReaderJob;

use super::family_loop::{Control, FamilyRun, run_loop};
use super::link::Link;
use super::protocol::{CaptionRequest, Command, Event, RunOrigin, RunSetup, StepKind};
use super::thread::Waker;
use crate::engine::backend::Backend;
use crate::engine::captions;
use crate::engine::captions::preset::CaptionPreset;
use crate::engine::captions::run::CaptionRun;
use crate::engine::captions::scenes::SceneSet;

/// Captions per split each evaluation draws (as `ganvas train`).
const EVALUATED: usize = 400;

/// The run and the preset it was built from.
struct Built {
    run: CaptionRun,
    preset: CaptionPreset,
}

pub(super) struct CaptionWorker {
    control: Control,
    backend: Backend,
    built: Option<Built>,
    reader: Option<ReaderJob>,
    pending: Option<CaptionRequest>,
}

const NO_RUN: &str = "no run is loaded: pick a text-to-image preset that builds";

impl FamilyRun for CaptionWorker {
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
        self.pending.is_some()
    }

    fn between(&mut self) {
        self.poll_reader();
        if let Some(request) = self.pending.take() {
            self.answer(&request);
        }
    }

    fn step(&mut self, kind: StepKind, always_snapshot: bool) {
        self.step_run(kind, always_snapshot);
    }

    fn handle(&mut self, command: Command) {
        match command {
            // The newest wins: typing sends a request per edit.
            Command::Caption(request) => self.pending = Some(*request),
            Command::Reset { seed } => self.reset(seed),
            Command::Rebuild(setup) => match *setup {
                RunSetup::Captions(preset) => {
                    self.control.set_running(false);
                    self.build(&preset, None, RunOrigin::Restarted);
                }
                RunSetup::Gan(_) => self.refuse("a GAN preset opens in the GAN window"),
                RunSetup::Cycle(_) => self.refuse("a CycleGAN preset opens in its own window"),
                RunSetup::Superres(_) => {
                    self.refuse("a super-resolution preset opens in its own window")
                }
                RunSetup::Style(_) => self.refuse("a StyleGAN preset opens in its own window"),
            },
            Command::SaveCheckpoint(path) => self.save(path, true),
            Command::SaveRecovery(path) => self.save(path, false),
            Command::LoadCheckpoint(path) => self.load(path),
            Command::RestoreLastGood => self.refuse(
                "a text-to-image run keeps no earlier state in memory: load a checkpoint or reset",
            ),
            Command::Render(_) | Command::DField { .. } => self.refuse(
                "a text-to-image generator draws from a caption: type one in the caption box",
            ),
            Command::Style(_) => self.refuse(
                "a text-to-image generator draws from a caption, not per-layer styles: the style studio is for the StyleGAN family",
            ),
            Command::Translate(_) => self.refuse(
                "a text-to-image generator draws from a caption; translation is for the CycleGAN family",
            ),
            Command::Upscale(_) => self.refuse(
                "a text-to-image generator draws from a caption; upscaling is for the super-resolution family",
            ),
            Command::SetConfig(_) | Command::Restart(_) => {
                self.refuse("GAN settings do not apply to a text-to-image run: edit its preset")
            }
            // The shared loop handles the rest before they get here.
            other => self.refuse(&format!("unexpected command {other:?}")),
        }
    }
}

impl CaptionWorker {
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
            reader: None,
            pending: None,
        }
    }

    pub(super) fn run(mut self, preset: &CaptionPreset) {
        self.build(preset, None, RunOrigin::Built);
        run_loop(&mut self);
    }

    fn refuse(&mut self, why: &str) {
        self.control.refuse(why);
    }

    /// Builds a run of `preset` (on `scenes` when given, else making them) and describes it.
    fn build(
        &mut self,
        preset: &CaptionPreset,
        scenes: Option<(SceneSet, SceneSet)>,
        origin: RunOrigin,
    ) -> bool {
        match Self::built(preset, scenes, &self.backend) {
            Ok(built) => {
                self.install(built, origin);
                true
            }
            Err(e) => {
                let what = if preset.name.is_empty() {
                    "the text-to-image preset".to_string()
                } else {
                    preset.name.clone()
                };
                self.refuse(&format!("{what} cannot be built: {e}"));
                false
            }
        }
    }

    fn built(
        preset: &CaptionPreset,
        scenes: Option<(SceneSet, SceneSet)>,
        backend: &Backend,
    ) -> Result<Built, String> {
        preset.validate().map_err(|e| e.to_string())?;
        let (train, held) = match scenes {
            Some(s) => s,
            None => preset.scenes()?,
        };
        let run = CaptionRun::new(preset.captions.clone(), train, held, &backend.device);
        Ok(Built {
            run,
            preset: preset.clone(),
        })
    }

    fn install(&mut self, built: Built, origin: RunOrigin) {
        self.control.halted = None;
        let ready = Event::Ready(Box::new(info(&built, &self.backend, origin)));
        self.control.link.emit(ready);
        let (reader, status) = ReaderJob::ensure(self.reader.take(), &built.preset, &built.run);
        self.reader = Some(reader);
        if let Some(status) = status {
            self.control.link.emit(Event::Classifier(status));
        }
        self.control.link.emit(snapshot(&built.run));
        self.built = Some(built);
    }

    fn poll_reader(&mut self) {
        if let Some(reader) = &mut self.reader {
            for status in reader.poll() {
                self.control.link.emit(Event::Classifier(status));
            }
        }
    }

    /// Answers the newest typed caption.
    fn answer(&mut self, request: &CaptionRequest) {
        let Some(built) = &self.built else {
            return self.refuse(NO_RUN);
        };
        match built.run.answer(request) {
            Ok(answer) => self.control.link.emit(Event::Captioned(Box::new(answer))),
            Err(e) => self.refuse(&e.to_string()),
        }
    }

    /// One update of `kind`, with the snapshot and evaluation that are due.
    fn step_run(&mut self, kind: StepKind, always_snapshot: bool) {
        let Some(built) = &mut self.built else {
            return self.refuse(NO_RUN);
        };
        let stats = built.run.step_once(kind);
        if let Some(what) = captions::divergence(&stats) {
            let step = stats.step;
            return self.control.halt(Event::Diverged { step, what });
        }
        let train = &built.preset.train;
        let round = stats.kind == StepKind::Round;
        let step = stats.step;
        let snapshot_due = always_snapshot || (round && step.is_multiple_of(train.sample_every));
        let metrics_due = round && step.is_multiple_of(train.metrics_every);
        self.control.link.emit(Event::Step(stats));
        // Without the reader yet, the evaluation waits for the next one.
        if metrics_due && let Some(reader) = self.reader.as_ref().and_then(ReaderJob::ready) {
            let report = built.run.evaluate(&reader, EVALUATED);
            self.control.link.emit(Event::Metrics(report));
        }
        if snapshot_due {
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
        // The scenes are drawn from the seed: a new seed makes new ones.
        let scenes = match seed {
            Some(seed) if seed != preset.captions.seed => {
                preset.captions.seed = seed;
                None
            }
            _ => Some((built.run.train.clone(), built.run.held_out.clone())),
        };
        if !self.build(&preset, scenes, RunOrigin::Reset) {
            self.built = Some(built);
        }
    }
}
