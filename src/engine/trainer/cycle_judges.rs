//! The two domain classifiers behind a CycleGAN run's label preservation, trained (or taken
//! from the cache) on a helper thread so that the trainer keeps answering meanwhile.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use super::classifier_job::ready_status;
use super::protocol::ClassifierStatus;
use crate::engine::cyclegan::evaluate::{Baseline, judges, untranslated_baseline};
use crate::engine::data::domains::DomainPair;
use crate::engine::metrics::classifier::Classifier;

enum News {
    Progress(f32),
    Done(Result<Box<[Classifier; 2]>, String>),
}

/// The judges of one pair of domains: being trained, ready, or unavailable.
pub(super) struct Judges {
    /// The training domains they were asked for.
    for_domains: Arc<DomainPair>,
    receiver: Option<Receiver<News>>,
    pub(super) ready: Option<Arc<[Classifier; 2]>>,
    /// What label preservation must beat, measured once the judges are ready.
    pub(super) baseline: Vec<Baseline>,
}

impl Judges {
    /// Starts training the judges of `train` (reusing `current`'s when they judge the same
    /// domains). Returns the judges and the status to report.
    pub(super) fn ensure(
        current: Option<Self>,
        train: &Arc<DomainPair>,
    ) -> (Self, Option<ClassifierStatus>) {
        if let Some(j) = current.filter(|j| Arc::ptr_eq(&j.for_domains, train)) {
            return (j, None);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let data = train.clone();
        let spawned = std::thread::Builder::new()
            .name("ganvas-judges".into())
            .spawn(move || {
                let progress_tx = tx.clone();
                let mut progress = move |f: f32| {
                    let _ = progress_tx.send(News::Progress(f));
                };
                let result = judges(&data, &mut progress).map(Box::new);
                let _ = tx.send(News::Done(result));
            });
        let mut judges = Self {
            for_domains: train.clone(),
            receiver: None,
            ready: None,
            baseline: Vec::new(),
        };
        let status = match spawned {
            Ok(_) => {
                judges.receiver = Some(rx);
                ClassifierStatus::Training { fraction: 0.0 }
            }
            Err(e) => {
                ClassifierStatus::Unavailable(format!("cannot start the classifier thread: {e}"))
            }
        };
        (judges, Some(status))
    }

    /// News from the helper thread. When the judges arrive, the baseline is measured on
    /// `held` and the weaker judge's accuracy is reported (it bounds what can be measured).
    pub(super) fn poll(&mut self, held: &DomainPair) -> Vec<ClassifierStatus> {
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
                    match result {
                        Ok(pair) => {
                            let weaker = if pair[0].accuracy <= pair[1].accuracy {
                                &pair[0]
                            } else {
                                &pair[1]
                            };
                            news.push(ready_status(weaker));
                            self.baseline = untranslated_baseline(held, &pair);
                            self.ready = Some(Arc::new(*pair));
                        }
                        Err(e) => news.push(ClassifierStatus::Unavailable(format!(
                            "no label preservation: {e}"
                        ))),
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
