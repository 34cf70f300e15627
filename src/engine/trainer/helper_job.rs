//! Work done on a named helper thread so that the trainer keeps answering meanwhile (the
//! classifiers behind the image metrics): it reports its progress and, once, its result.

use std::sync::mpsc::{Receiver, TryRecvError};

enum News<T> {
    Progress(f32),
    Done(T),
}

/// A helper thread's work, until its result is taken.
pub(super) struct HelperJob<T> {
    receiver: Option<Receiver<News<T>>>,
}

/// What a poll found.
pub(super) enum Polled<T> {
    /// Still working; the newest fraction done, if it reported one since the last poll.
    Working(Option<f32>),
    Done(T),
    /// The thread ended without a result (it panicked), or the result was taken already.
    Gone,
}

impl<T: Send + 'static> HelperJob<T> {
    /// Starts `work` on a thread named `name`; `work` gets a progress callback (0..1).
    pub(super) fn spawn(
        name: &str,
        work: impl FnOnce(&mut dyn FnMut(f32)) -> T + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let progress_tx = tx.clone();
                let mut progress = move |f: f32| {
                    let _ = progress_tx.send(News::Progress(f));
                };
                let result = work(&mut progress);
                let _ = tx.send(News::Done(result));
            })?;
        Ok(Self { receiver: Some(rx) })
    }

    /// The news since the last poll.
    pub(super) fn poll(&mut self) -> Polled<T> {
        let Some(rx) = &self.receiver else {
            return Polled::Gone;
        };
        let mut progress = None;
        loop {
            match rx.try_recv() {
                Ok(News::Progress(f)) => progress = Some(f),
                Ok(News::Done(result)) => {
                    self.receiver = None;
                    return Polled::Done(result);
                }
                Err(TryRecvError::Empty) => return Polled::Working(progress),
                Err(TryRecvError::Disconnected) => {
                    self.receiver = None;
                    return Polled::Gone;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn until_done<T: Send + 'static>(job: &mut HelperJob<T>) -> (Vec<f32>, Polled<T>) {
        let mut seen = Vec::new();
        loop {
            match job.poll() {
                Polled::Working(p) => {
                    seen.extend(p);
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                other => return (seen, other),
            }
        }
    }

    #[test]
    fn a_job_reports_its_progress_then_its_result_once() {
        let mut job = HelperJob::spawn("ganvas-test-job", |progress| {
            progress(0.5);
            progress(1.0);
            42
        })
        .expect("spawns");
        let (seen, done) = until_done(&mut job);
        assert!(matches!(done, Polled::Done(42)));
        assert!(seen.iter().all(|f| (0.0..=1.0).contains(f)));
        assert!(
            matches!(job.poll(), Polled::Gone),
            "the result is given once"
        );
    }

    #[test]
    fn a_job_that_panics_is_gone_not_hung() {
        let mut job: HelperJob<u8> =
            HelperJob::spawn("ganvas-test-panic", |_| panic!("on purpose")).expect("spawns");
        let (_, end) = until_done(&mut job);
        assert!(matches!(end, Polled::Gone));
    }
}
