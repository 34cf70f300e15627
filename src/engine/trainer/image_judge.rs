//! The dataset's classifier behind an image family's class metrics (super-resolution's
//! FID-lite and accuracy, StyleGAN's classes, mixing check and path length), loaded from the
//! cache or trained on a helper thread so that the trainer keeps answering meanwhile.

use std::sync::Arc;

use crate::engine::data::ImageSet;
use crate::engine::metrics::classifier::{self, Classifier, ClassifierError};
use crate::engine::trainer::classifier_job::ready_status;
use crate::engine::trainer::helper_job::{HelperJob, Polled};
use crate::engine::trainer::protocol::ClassifierStatus;

/// The classifier of one image set: on its way, ready, or unavailable.
pub(in crate::engine::trainer) struct Judge {
    for_images: Arc<ImageSet>,
    job: Option<HelperJob<Result<Classifier, ClassifierError>>>,
    pub(in crate::engine::trainer) ready: Option<Arc<Classifier>>,
}

impl Judge {
    /// Starts getting the classifier of `train` (keeping `current` when it judges the same
    /// images). Returns the judge and the status to report.
    pub(in crate::engine::trainer) fn ensure(
        current: Option<Self>,
        train: &Arc<ImageSet>,
    ) -> (Self, Option<ClassifierStatus>) {
        if let Some(j) = current.filter(|j| Arc::ptr_eq(&j.for_images, train)) {
            return (j, None);
        }
        let mut judge = Self {
            for_images: train.clone(),
            job: None,
            ready: None,
        };
        if train.labels.is_none() {
            let why = ClassifierError::NoLabels.to_string();
            return (judge, Some(ClassifierStatus::Unavailable(why)));
        }
        let data = train.clone();
        let spawned = HelperJob::spawn("ganvas-classifier", move |progress| {
            classifier::for_dataset(&data, progress)
        });
        let status = match spawned {
            Ok(job) => {
                judge.job = Some(job);
                ClassifierStatus::Training { fraction: 0.0 }
            }
            Err(e) => {
                ClassifierStatus::Unavailable(format!("cannot start the classifier thread: {e}"))
            }
        };
        (judge, Some(status))
    }

    /// News from the helper thread.
    pub(in crate::engine::trainer) fn poll(&mut self) -> Vec<ClassifierStatus> {
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
            Polled::Done(Ok(c)) => {
                let status = ready_status(&c);
                self.ready = Some(Arc::new(c));
                status
            }
            Polled::Done(Err(e)) => ClassifierStatus::Unavailable(e.to_string()),
            Polled::Gone => {
                ClassifierStatus::Unavailable("the classifier thread ended without a result".into())
            }
        };
        self.job = None;
        vec![news]
    }
}
