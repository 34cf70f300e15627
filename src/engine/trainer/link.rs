//! The trainer thread's end of the channels, shared by every family's worker: commands in
//! the order sent, events sent while waiting for room (but never past a Stop), and the
//! driver woken only when something was sent, so a paused window is not redrawn for nothing.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::time::{Duration, Instant};

use super::protocol::{Command, Event};
use super::thread::Waker;

pub(super) struct Link {
    commands: Receiver<Command>,
    events: SyncSender<Event>,
    waker: Option<Waker>,
    /// Events were sent since the driver was last woken.
    unwoken: bool,
    /// The driver asked to stop, or went away.
    pub(super) stop: bool,
    /// Commands read while waiting for room to send an event, to be handled in order.
    backlog: Vec<Command>,
}

impl Link {
    pub(super) fn new(
        commands: Receiver<Command>,
        events: SyncSender<Event>,
        waker: Option<Waker>,
    ) -> Self {
        Self {
            commands,
            events,
            waker,
            unwoken: false,
            stop: false,
            backlog: Vec::new(),
        }
    }

    /// Every command waiting, in order; when none is, waits up to `wait` for the first.
    pub(super) fn take_commands(&mut self, wait: Duration) -> Vec<Command> {
        let mut queue: Vec<Command> = std::mem::take(&mut self.backlog);
        if !wait.is_zero() && queue.is_empty() {
            match self.commands.recv_timeout(wait) {
                Ok(c) => queue.push(c),
                Err(RecvTimeoutError::Timeout) => return queue,
                Err(RecvTimeoutError::Disconnected) => {
                    self.stop = true;
                    return queue;
                }
            }
        }
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
        queue
    }

    /// Sends an event; when the queue is full, waits for room while still obeying Stop.
    pub(super) fn emit(&mut self, event: Event) {
        self.unwoken = true;
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
                    self.unwoken = true;
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

    /// Wakes the driver if anything was sent since the last time.
    pub(super) fn wake(&mut self) {
        if !std::mem::take(&mut self.unwoken) {
            return;
        }
        if let Some(w) = &self.waker {
            w();
        }
    }
}

/// How long a worker's loop may wait for a command: not at all when it has work waiting
/// (`busy`), until the next update is due while running (slow motion), else a while.
pub(super) fn command_wait(busy: bool, running: bool, next_update_at: Instant) -> Duration {
    if busy {
        Duration::ZERO
    } else if running {
        next_update_at.saturating_duration_since(Instant::now())
    } else {
        Duration::from_millis(200)
    }
}

/// The text of a caught panic.
pub(super) fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an internal error".to_string())
}
