//! Getting the dataset's classifier (for the class metrics) without holding up training: it is
//! loaded from the cache or trained on a helper thread named `ganvas-classifier`, and the
//! trainer attaches it to the session once it arrives.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use super::protocol::ClassifierStatus;
use super::session::Session;
use crate::engine::data::Dataset;
use crate::engine::metrics::classifier::{self, Classifier, ClassifierError};

enum Message {
    Progress(f32),
    Done(Box<Result<Classifier, ClassifierError>>),
}

/// The classifier of one dataset: on its way, or ready.
pub(super) struct ClassifierJob {
    data: Arc<Dataset>,
    receiver: Option<Receiver<Message>>,
    ready: Option<Arc<Classifier>>,
}

/// Status for a classifier that is there.
pub(super) fn ready_status(c: &Classifier) -> ClassifierStatus {
    ClassifierStatus::Ready {
        accuracy: c.accuracy,
        held_out: c.held_out,
        held_out_confidence: c.held_out_confidence,
        train_secs: c.train_secs,
        from_cache: c.from_cache,
    }
}

impl ClassifierJob {
    /// Makes sure `session` has (or will get) its data's classifier; `job` is the current one.
    /// Returns a status to report, if there is news.
    pub(super) fn ensure(
        job: &mut Option<Self>,
        session: &mut Session,
    ) -> Option<ClassifierStatus> {
        let set = session.data.images()?;
        if set.labels.is_none() {
            *job = None;
            return Some(ClassifierStatus::Unavailable(
                ClassifierError::NoLabels.to_string(),
            ));
        }
        if let Some(j) = job.as_ref().filter(|j| Arc::ptr_eq(&j.data, &session.data)) {
            if let Some(c) = &j.ready {
                session.attach_classifier(c.clone());
            }
            return None;
        }
        let data = session.data.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("ganvas-classifier".into())
            .spawn(move || {
                let Some(set) = data.images() else { return };
                let progress_tx = tx.clone();
                let mut progress = move |f: f32| {
                    let _ = progress_tx.send(Message::Progress(f));
                };
                let _ = tx.send(Message::Done(Box::new(classifier::for_dataset(
                    set,
                    &mut progress,
                ))));
            });
        if let Err(e) = spawned {
            return Some(ClassifierStatus::Unavailable(format!(
                "cannot start the classifier thread: {e}"
            )));
        }
        *job = Some(Self {
            data: session.data.clone(),
            receiver: Some(rx),
            ready: None,
        });
        Some(ClassifierStatus::Training { fraction: 0.0 })
    }

    /// News from the helper thread; attaches a finished classifier to `session`.
    pub(super) fn poll(&mut self, session: Option<&mut Session>) -> Vec<ClassifierStatus> {
        let mut news = Vec::new();
        let Some(rx) = &self.receiver else {
            return news;
        };
        let mut latest_progress = None;
        loop {
            match rx.try_recv() {
                Ok(Message::Progress(f)) => latest_progress = Some(f),
                Ok(Message::Done(result)) => {
                    latest_progress = None;
                    self.receiver = None;
                    match *result {
                        Ok(c) => {
                            news.push(ready_status(&c));
                            self.ready = Some(Arc::new(c));
                        }
                        Err(e) => news.push(ClassifierStatus::Unavailable(e.to_string())),
                    }
                    break;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    news.push(ClassifierStatus::Unavailable(
                        "the classifier thread ended without a result".into(),
                    ));
                    self.receiver = None;
                    break;
                }
            }
        }
        if let Some(fraction) = latest_progress {
            news.insert(0, ClassifierStatus::Training { fraction });
        }
        if let (Some(c), Some(session)) = (&self.ready, session)
            && Arc::ptr_eq(&self.data, &session.data)
        {
            session.attach_classifier(c.clone());
        }
        news
    }
}
