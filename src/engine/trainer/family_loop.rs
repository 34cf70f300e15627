//! The trainer loop the image families share (CycleGAN, super-resolution, the families to
//! come): read commands in order, answer a pending request, step while playing at the pace
//! asked for, pause at a step, and turn a panic in any of it into a halted run with a message
//! instead of a dead thread. A family brings its run: how it steps, what it reports, and the
//! commands only it has.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use super::link::{Link, command_wait, panic_text};
use super::protocol::{Command, Event, RunState, StepKind};

/// What every family's loop keeps to pace itself.
pub(super) struct Control {
    pub(super) link: Link,
    pub(super) running: bool,
    /// Pause once this many rounds are done (a lesson's "run to step N").
    pub(super) pause_at: Option<u64>,
    /// Slow motion: the wait after each update while playing.
    pub(super) pace: Duration,
    pub(super) next_update_at: Instant,
    /// Training is refused after a divergence or an internal error, until the run is built
    /// again (Reset, a preset, a checkpoint): the event to answer Play with.
    pub(super) halted: Option<Event>,
}

impl Control {
    pub(super) fn new(link: Link) -> Self {
        Self {
            link,
            running: false,
            pause_at: None,
            pace: Duration::ZERO,
            next_update_at: Instant::now(),
            halted: None,
        }
    }

    pub(super) fn refuse(&mut self, why: &str) {
        self.link.emit(Event::Error(why.to_string()));
    }

    pub(super) fn set_running(&mut self, running: bool) {
        if self.running != running {
            self.running = running;
            self.link.emit(Event::State(if running {
                RunState::Running
            } else {
                RunState::Paused
            }));
        }
    }

    /// The update of round `step` is done: pauses when a "run to step" asked for it.
    pub(super) fn round_done(&mut self, step: u64) {
        if self.pause_at.is_some_and(|at| step >= at) {
            self.pause_at = None;
            self.set_running(false);
        }
    }

    /// Reports a checkpoint write: where and at which step when `answer` (a save the user
    /// asked for; a crash copy is silent), or why it failed.
    pub(super) fn report_save<E: std::fmt::Display>(
        &mut self,
        saved: Result<(), E>,
        path: std::path::PathBuf,
        step: u64,
        answer: bool,
    ) {
        match saved {
            Ok(()) if answer => self.link.emit(Event::CheckpointSaved { path, step }),
            Ok(()) => {}
            Err(e) => self.refuse(&format!("{e:#}")),
        }
    }

    /// Reports a loaded checkpoint once its run is installed: the curves and evaluations that
    /// led to it, then where it came from.
    pub(super) fn report_loaded(
        &mut self,
        (stats, reports): (
            Vec<super::protocol::StepStats>,
            Vec<super::protocol::MetricsReport>,
        ),
        path: std::path::PathBuf,
        step: u64,
    ) {
        self.link.emit(Event::History { stats, reports });
        self.link.emit(Event::CheckpointLoaded { path, step });
    }

    /// Halts training with `event` (a divergence): reported now, and again on Play.
    pub(super) fn halt(&mut self, event: Event) {
        self.halted = Some(event.clone());
        self.set_running(false);
        self.link.emit(event);
    }
}

/// A family's run as the shared loop drives it.
pub(super) trait FamilyRun {
    fn control(&mut self) -> &mut Control;
    /// Whether a run is built (Play and steps need one).
    fn has_run(&self) -> bool;
    /// The run's completed rounds (0 without one).
    fn rounds(&self) -> u64;
    /// What to say when there is no run ("no run is loaded: pick a … preset that builds").
    fn no_run(&self) -> &'static str;
    /// Whether a request (a translation, an upscale) waits to be answered.
    fn busy(&self) -> bool;
    /// Work between commands: helper threads' news, the pending request.
    fn between(&mut self);
    /// One update of `kind`, with what is due after it (curves, snapshot, evaluation).
    fn step(&mut self, kind: StepKind, always_snapshot: bool);
    /// A command only this family has (or refuses).
    fn handle(&mut self, command: Command);
}

/// Runs `run`, `doing` a thing; a panic in it (a bug) halts training with a message
/// instead of ending the thread (the run may be half-updated, so only a rebuild trains again).
pub(super) fn guarded<F: FamilyRun>(run: &mut F, doing: &str, work: impl FnOnce(&mut F)) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| work(run))) {
        let what = format!("{doing} failed: {}", panic_text(payload.as_ref()));
        let step = run.rounds();
        let control = run.control();
        control.set_running(false);
        let event = Event::Crashed { step, what };
        control.halted = Some(event.clone());
        control.link.emit(event);
    }
}

/// The commands every family handles alike; the others go to the family.
fn dispatch<F: FamilyRun>(run: &mut F, command: Command) {
    match command {
        Command::Stop => run.control().link.stop = true,
        Command::Play => {
            run.control().pause_at = None;
            play(run);
        }
        Command::PlayUntil(step) => {
            run.control().pause_at = Some(step);
            play(run);
        }
        Command::Pause => run.control().set_running(false),
        Command::SetPace { millis } => {
            let c = run.control();
            c.pace = Duration::from_millis(u64::from(millis));
            c.next_update_at = Instant::now() + c.pace;
        }
        Command::Step { phase } => {
            run.control().set_running(false);
            checked_step(run, StepKind::Phase(phase), true);
        }
        Command::StepRound => {
            run.control().set_running(false);
            checked_step(run, StepKind::Round, true);
        }
        other => run.handle(other),
    }
}

fn play<F: FamilyRun>(run: &mut F) {
    if !run.has_run() {
        let why = run.no_run();
        return run.control().refuse(why);
    }
    let c = run.control();
    if let Some(event) = c.halted.clone() {
        return c.link.emit(event);
    }
    c.next_update_at = Instant::now();
    c.set_running(true);
}

/// A step, unless training is halted or there is no run (then why not).
fn checked_step<F: FamilyRun>(run: &mut F, kind: StepKind, always_snapshot: bool) {
    if let Some(event) = run.control().halted.clone() {
        run.control().running = false;
        return run.control().link.emit(event);
    }
    if !run.has_run() {
        run.control().running = false;
        let why = run.no_run();
        return run.control().refuse(why);
    }
    run.step(kind, always_snapshot);
}

/// The loop, until Stop or the driver goes away.
pub(super) fn run_loop<F: FamilyRun>(run: &mut F) {
    run.control().link.emit(Event::State(RunState::Paused));
    run.control().link.wake();
    while !run.control().link.stop {
        let busy = run.busy();
        let c = run.control();
        let wait = command_wait(busy, c.running, c.next_update_at);
        for command in c.link.take_commands(wait) {
            if run.control().link.stop {
                break;
            }
            guarded(run, "a command", |r| dispatch(r, command));
        }
        if run.control().link.stop {
            break;
        }
        guarded(run, "answering a request", F::between);
        let c = run.control();
        if c.running && Instant::now() >= c.next_update_at {
            guarded(run, "training", |r| checked_step(r, StepKind::Round, false));
            let c = run.control();
            c.next_update_at = Instant::now() + c.pace;
        }
        run.control().link.wake();
    }
    run.control().link.emit(Event::Stopped);
    run.control().link.wake();
}
