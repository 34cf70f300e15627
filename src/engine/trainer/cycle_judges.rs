//! The two domain classifiers behind a CycleGAN run's label preservation, trained (or taken
//! from the cache) on a helper thread so that the trainer keeps answering meanwhile.

use std::sync::Arc;

use super::classifier_job::ready_status;
use super::helper_job::{HelperJob, Polled};
use super::protocol::ClassifierStatus;
use crate::engine::cyclegan::evaluate::{Baseline, judges, untranslated_baseline};
use crate::engine::data::domains::DomainPair;
use crate::engine::metrics::classifier::Classifier;

type Trained = Result<Box<[Classifier; 2]>, String>;

/// The judges of one pair of domains: being trained, ready, or unavailable.
pub(super) struct Judges {
    /// The training domains they were asked for.
    for_domains: Arc<DomainPair>,
    job: Option<HelperJob<Trained>>,
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
        let data = train.clone();
        let spawned = HelperJob::spawn("ganvas-judges", move |progress| {
            judges(&data, progress).map(Box::new)
        });
        let mut judges = Self {
            for_domains: train.clone(),
            job: None,
            ready: None,
            baseline: Vec::new(),
        };
        let status = match spawned {
            Ok(job) => {
                judges.job = Some(job);
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
        let Some(job) = &mut self.job else {
            return Vec::new();
        };
        let news = match job.poll() {
            Polled::Working(progress) => {
                return progress
                    .map(|fraction| ClassifierStatus::Training { fraction })
                    .into_iter()
                    .collect();
            }
            Polled::Done(Ok(pair)) => {
                let weaker = if pair[0].accuracy <= pair[1].accuracy {
                    &pair[0]
                } else {
                    &pair[1]
                };
                let status = ready_status(weaker);
                self.baseline = untranslated_baseline(held, &pair);
                self.ready = Some(Arc::new(*pair));
                status
            }
            Polled::Done(Err(e)) => {
                ClassifierStatus::Unavailable(format!("no label preservation: {e}"))
            }
            Polled::Gone => {
                ClassifierStatus::Unavailable("the classifier thread ended without a result".into())
            }
        };
        self.job = None;
        vec![news]
    }
}
