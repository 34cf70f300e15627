//! The dataset's classifier behind a super-resolution run's FID-lite and accuracy, loaded
//! from the cache or trained on a helper thread so that the trainer keeps answering meanwhile.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::engine::data::ImageSet;
use crate::engine::metrics::classifier::{self, Classifier, ClassifierError};
use crate::engine::trainer::classifier_job::ready_status;
use crate::engine::trainer::protocol::ClassifierStatus;

enum News {
    Progress(f32),
    Done(Box<Result<Classifier, ClassifierError>>),
}

/// The classifier of one image set: on its way, ready, or unavailable.
pub(super) struct Judge {
    for_images: Arc<ImageSet>,
    receiver: Option<Receiver<News>>,
    pub(super) ready: Option<Arc<Classifier>>,
}

impl Judge {
    /// Starts getting the classifier of `train` (keeping `current` when it judges the same
    /// images). Returns the judge and the status to report.
    pub(super) fn ensure(
        current: Option<Self>,
        train: &Arc<ImageSet>,
    ) -> (Self, Option<ClassifierStatus>) {
        if let Some(j) = current.filter(|j| Arc::ptr_eq(&j.for_images, train)) {
            return (j, None);
        }
        let mut judge = Self {
            for_images: train.clone(),
            receiver: None,
            ready: None,
        };
        if train.labels.is_none() {
            let why = ClassifierError::NoLabels.to_string();
            return (judge, Some(ClassifierStatus::Unavailable(why)));
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let data = train.clone();
        let spawned = std::thread::Builder::new()
            .name("ganvas-classifier".into())
            .spawn(move || {
                let progress_tx = tx.clone();
                let mut progress = move |f: f32| {
                    let _ = progress_tx.send(News::Progress(f));
                };
                let result = classifier::for_dataset(&data, &mut progress);
                let _ = tx.send(News::Done(Box::new(result)));
            });
        let status = match spawned {
            Ok(_) => {
                judge.receiver = Some(rx);
                ClassifierStatus::Training { fraction: 0.0 }
            }
            Err(e) => {
                ClassifierStatus::Unavailable(format!("cannot start the classifier thread: {e}"))
            }
        };
        (judge, Some(status))
    }

    /// News from the helper thread.
    pub(super) fn poll(&mut self) -> Vec<ClassifierStatus> {
        let mut news = Vec::new();
        let Some(rx) = &self.receiver else {
            return news;
        };
        let mut progress = None;
        loop {
            match rx.try_recv() {
                Ok(News::Progress(f)) => progress = Some(f),
                Ok(News::Done(result)) => {
                    progress = None;
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
                    self.receiver = None;
                    news.push(ClassifierStatus::Unavailable(
                        "the classifier thread ended without a result".into(),
                    ));
                    break;
                }
            }
        }
        if let Some(fraction) = progress {
            news.insert(0, ClassifierStatus::Training { fraction });
        }
        news
    }
}
