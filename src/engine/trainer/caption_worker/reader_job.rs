//! The scene reader behind caption accuracy, loaded from the cache or trained on a helper
//! thread so that the trainer keeps answering meanwhile. One reader serves every run on the
//! same digits (its labels are digit, size and empty, whatever the captions say).

use std::sync::Arc;

use crate::engine::captions::preset::CaptionPreset;
use crate::engine::captions::reader::{SceneReader, window_set};
use crate::engine::captions::run::CaptionRun;
use crate::engine::config::DataConfig;
use crate::engine::metrics::classifier::{self, Classifier, ClassifierError};
use crate::engine::trainer::classifier_job::ready_status;
use crate::engine::trainer::helper_job::{HelperJob, Polled};
use crate::engine::trainer::protocol::ClassifierStatus;

/// Scenes whose windows the reader learns from (as `ganvas train`).
const READER_SCENES: usize = 3000;

/// The reader of one digit source: on its way, ready, or unavailable.
pub(super) struct ReaderJob {
    digits: DataConfig,
    job: Option<HelperJob<Result<Classifier, ClassifierError>>>,
    ready: Option<Arc<SceneReader>>,
}

impl ReaderJob {
    /// Starts getting the reader for `run`'s scenes (keeping `current` when it reads the same
    /// digits). Returns the job and the status to report.
    pub(super) fn ensure(
        current: Option<Self>,
        preset: &CaptionPreset,
        run: &CaptionRun,
    ) -> (Self, Option<ClassifierStatus>) {
        if let Some(j) = current.filter(|j| j.digits == preset.data) {
            return (j, None);
        }
        let mut reader = Self {
            digits: preset.data.clone(),
            job: None,
            ready: None,
        };
        let windows = window_set(&run.train, READER_SCENES);
        let spawned = HelperJob::spawn("ganvas-scene-reader", move |progress| {
            classifier::for_dataset(&windows, progress)
        });
        let status = match spawned {
            Ok(job) => {
                reader.job = Some(job);
                ClassifierStatus::Training { fraction: 0.0 }
            }
            Err(e) => ClassifierStatus::Unavailable(format!(
                "cannot start the scene reader's thread: {e}"
            )),
        };
        (reader, Some(status))
    }

    /// The reader, once it is there.
    pub(super) fn ready(&self) -> Option<Arc<SceneReader>> {
        self.ready.clone()
    }

    /// News from the helper thread.
    pub(super) fn poll(&mut self) -> Vec<ClassifierStatus> {
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
            Polled::Done(Ok(classifier)) => {
                let status = ready_status(&classifier);
                self.ready = Some(Arc::new(SceneReader { classifier }));
                status
            }
            Polled::Done(Err(e)) => ClassifierStatus::Unavailable(format!("the scene reader: {e}")),
            Polled::Gone => ClassifierStatus::Unavailable(
                "the scene reader's thread ended without a result".into(),
            ),
        };
        self.job = None;
        vec![news]
    }
}
