//! The trainer thread: owns a training session, obeys [`Command`]s in order, reports [`Event`]s over
//! bounded channels and calls the driver's waker after sending, so a GUI can repaint without
//! polling. The driver never blocks on training.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::caption_worker::CaptionWorker;
use super::cycle_worker::CycleWorker;
use super::protocol::{Command, Event};
use super::sr_worker::SrWorker;
use super::style_worker::StyleWorker;
use super::worker::Worker;
use crate::engine::backend::Backend;
use crate::engine::captions::preset::CaptionPreset;
use crate::engine::config::TrainConfig;
use crate::engine::cyclegan::preset::CyclePreset;
use crate::engine::stylegan::preset::StylePreset;
use crate::engine::superres::preset::SrPreset;

/// Called after the trainer sends events (e.g. `egui::Context::request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Commands waiting to be handled; a driver sending faster than this gets `Full`.
const COMMAND_CAPACITY: usize = 256;
/// Events not yet read by the driver; the trainer waits (still obeying Stop) when it is full.
const EVENT_CAPACITY: usize = 8192;

/// The driver's end of a trainer thread. Dropping it stops and joins the thread.
pub struct Trainer {
    commands: SyncSender<Command>,
    events: Receiver<Event>,
    thread: Option<JoinHandle<()>>,
    /// Why the thread ended, once it ended without a Stop.
    ended: Option<String>,
}

/// The trainer thread is gone (it stopped or panicked) or its command queue is full.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the trainer has stopped")]
    Stopped,
    #[error("the trainer is busy ({COMMAND_CAPACITY} commands waiting)")]
    Full,
}

impl Trainer {
    /// Starts a trainer thread named `ganvas-trainer` that builds a run from `config` on
    /// `backend`. It starts paused.
    pub fn spawn(
        config: TrainConfig,
        backend: Backend,
        waker: Option<Waker>,
    ) -> std::io::Result<Self> {
        Self::spawn_loop(move |commands, events| {
            Worker::new(backend, commands, events, waker).run(config)
        })
    }

    /// Starts a trainer thread named `ganvas-trainer` that builds a CycleGAN run from
    /// `preset` on `backend`. It starts paused and obeys the same commands (those only a GAN
    /// has are answered with a message).
    pub fn spawn_cycle(
        preset: CyclePreset,
        backend: Backend,
        waker: Option<Waker>,
    ) -> std::io::Result<Self> {
        Self::spawn_loop(move |commands, events| {
            CycleWorker::new(backend, commands, events, waker).run(preset)
        })
    }

    /// Starts a trainer thread named `ganvas-trainer` that builds a super-resolution run from
    /// `preset` on `backend`. It starts paused and obeys the same commands (those only other
    /// families have are answered with a message).
    pub fn spawn_superres(
        preset: SrPreset,
        backend: Backend,
        waker: Option<Waker>,
    ) -> std::io::Result<Self> {
        Self::spawn_loop(move |commands, events| {
            SrWorker::new(backend, commands, events, waker).run(&preset)
        })
    }

    /// Starts a trainer thread named `ganvas-trainer` that builds a StyleGAN run from `preset`
    /// on `backend`. It starts paused and obeys the same commands (those only other families
    /// have are answered with a message).
    pub fn spawn_style(
        preset: StylePreset,
        backend: Backend,
        waker: Option<Waker>,
    ) -> std::io::Result<Self> {
        Self::spawn_loop(move |commands, events| {
            StyleWorker::new(backend, commands, events, waker).run(&preset)
        })
    }

    /// Starts a trainer thread named `ganvas-trainer` that builds a text-to-image run from
    /// `preset` on `backend`. It starts paused and obeys the same commands (those only other
    /// families have are answered with a message), and answers typed captions.
    pub fn spawn_captions(
        preset: CaptionPreset,
        backend: Backend,
        waker: Option<Waker>,
    ) -> std::io::Result<Self> {
        Self::spawn_loop(move |commands, events| {
            CaptionWorker::new(backend, commands, events, waker).run(&preset)
        })
    }

    /// Starts the thread on a family's loop, with the two bounded channels.
    fn spawn_loop(
        worker: impl FnOnce(Receiver<Command>, SyncSender<Event>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (cmd_tx, cmd_rx) = std::sync::mpsc::sync_channel(COMMAND_CAPACITY);
        let (ev_tx, ev_rx) = std::sync::mpsc::sync_channel(EVENT_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("ganvas-trainer".into())
            .spawn(move || worker(cmd_rx, ev_tx))?;
        Ok(Self {
            commands: cmd_tx,
            events: ev_rx,
            thread: Some(thread),
            ended: None,
        })
    }

    /// Why the thread ended, if it ended without being asked to (a panic that escaped the
    /// trainer's own guard): the driver reports it and starts a new trainer.
    pub fn stopped_unexpectedly(&mut self) -> Option<String> {
        if self.ended.is_none() && self.thread.as_ref().is_some_and(JoinHandle::is_finished) {
            let why = match self.thread.take().map(JoinHandle::join) {
                Some(Err(payload)) => payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_string()),
                _ => "it ended".to_string(),
            };
            self.ended = Some(why);
        }
        self.ended.clone()
    }

    /// Queues a command without waiting.
    pub fn send(&self, command: Command) -> Result<(), SendError> {
        self.commands.try_send(command).map_err(|e| match e {
            TrySendError::Full(_) => SendError::Full,
            TrySendError::Disconnected(_) => SendError::Stopped,
        })
    }

    /// The next event, if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Asks the thread to stop and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.commands.try_send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            // Unblock a trainer waiting for room in the event queue.
            while !thread.is_finished() {
                while self.events.try_recv().is_ok() {}
                std::thread::sleep(Duration::from_millis(2));
            }
            let _ = thread.join();
        }
    }
}

impl Drop for Trainer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
