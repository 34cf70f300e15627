//! The augmentation lab on a thread of its own (`ganvas-augment`), for the window: it runs
//! [`lab::run`] and reports plain-data [`LabEvent`]s over a bounded channel, waking the
//! driver after each. The driver never waits on it; dropping the handle stops the
//! experiment (finished runs stay in their file) and joins the thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

use super::experiment::RunResult;
use super::lab::{self, Destination, LabProgress};
use super::plan::AugmentPlan;
use super::results::{Progress, RunAt};
use crate::engine::backend::Backend;
use crate::engine::config::TrainConfig;
use crate::engine::trainer::thread::Waker;

/// What the experiment's thread reports.
#[derive(Clone, Debug, PartialEq)]
pub enum LabEvent {
    /// The folder the results go to.
    Folder(std::path::PathBuf),
    /// Runs the folder already held.
    Found(Vec<RunResult>),
    /// The judge of GAN-test is training: this fraction done.
    Judge(f32),
    /// Where the run under way is.
    Stage(RunAt),
    /// A run finished and is in the results file.
    Saved(RunResult),
    /// The experiment ended: every run finished, or it was stopped.
    Finished {
        results: Vec<RunResult>,
        stopped: bool,
    },
    /// It could not run (or failed part way: finished runs are in the file).
    Failed(String),
}

/// Events not yet read; progress beyond this is dropped (the next one says as much).
const CAPACITY: usize = 64;

/// The driver's end of an experiment's thread.
pub struct LabWorker {
    events: Option<Receiver<LabEvent>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LabWorker {
    /// Starts the experiment on a thread named `ganvas-augment`.
    pub fn spawn(
        config: TrainConfig,
        plan: AugmentPlan,
        destination: Destination,
        backend: Backend,
        waker: Option<Waker>,
    ) -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::sync_channel(CAPACITY);
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("ganvas-augment".into())
            .spawn(move || {
                let reporter = Reporter { tx, waker };
                let outcome = lab::run(&config, &plan, &destination, backend, &mut |p| {
                    reporter.progress(p);
                    !stopping.load(Ordering::Relaxed)
                });
                reporter.send(match outcome {
                    Ok(o) => LabEvent::Finished {
                        results: o.results,
                        stopped: o.stopped,
                    },
                    Err(e) => LabEvent::Failed(e.to_string()),
                });
            })?;
        Ok(Self {
            events: Some(rx),
            stop,
            thread: Some(thread),
        })
    }

    /// The next event, if one is waiting.
    pub fn try_recv(&self) -> Option<LabEvent> {
        self.events.as_ref()?.try_recv().ok()
    }

    /// Asks the experiment to stop after the step under way (finished runs are kept).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the thread has ended.
    pub fn ended(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for LabWorker {
    fn drop(&mut self) {
        self.stop();
        // A thread blocked on a full channel must see it closed before it is joined.
        self.events = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread's end of the channel.
struct Reporter {
    tx: SyncSender<LabEvent>,
    waker: Option<Waker>,
}

impl Reporter {
    /// Sends an event that must arrive (waits while the driver catches up).
    fn send(&self, event: LabEvent) {
        if self.tx.send(event).is_ok() {
            self.wake();
        }
    }

    /// Sends progress, dropped when the driver is behind.
    fn try_send(&self, event: LabEvent) {
        match self.tx.try_send(event) {
            Ok(()) => self.wake(),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
    }

    fn wake(&self) {
        if let Some(waker) = &self.waker {
            waker();
        }
    }

    fn progress(&self, p: LabProgress<'_>) {
        match p {
            LabProgress::Folder(folder) => self.send(LabEvent::Folder(folder.to_path_buf())),
            LabProgress::Found(done) => self.send(LabEvent::Found(done.to_vec())),
            LabProgress::Judge(f) => self.try_send(LabEvent::Judge(f)),
            LabProgress::Run(Progress::Saved(r)) => self.send(LabEvent::Saved(r.clone())),
            LabProgress::Run(Progress::Stage(at)) => self.try_send(LabEvent::Stage(at)),
        }
    }
}
