//! Evaluating a run: the collapse metrics of [`crate::engine::metrics`] applied to the session's
//! generator on the session's data, at its current step. Lives with the trainer so that the
//! metrics stay functions of samples and references, not of sessions.

use std::sync::Arc;

use super::protocol::MetricsReport;
use super::session::Session;
use crate::engine::metrics::classifier::Classifier;
use crate::engine::metrics::images;
use crate::engine::metrics::{METRIC_SAMPLES, mode_coverage, named};

impl Session {
    /// Turns on the class metrics with `classifier` (trained on this run's data).
    pub fn attach_classifier(&mut self, classifier: Arc<Classifier>) {
        if let Some(set) = self.data.images() {
            self.metric_refs.attach_classifier(classifier, set);
        }
    }

    /// The metrics that apply to this run's data at the current step: mode coverage for 2D
    /// mixtures; diversity and (with a classifier) class metrics for images.
    /// [`metrics`](Self::metrics), also kept in the run's log (and so in its checkpoints).
    pub fn evaluate(&mut self) -> MetricsReport {
        let report = self.metrics();
        self.log.push_report(report.clone());
        report
    }

    pub fn metrics(&self) -> MetricsReport {
        self.metrics_on(None)
    }

    /// [`metrics`](Self::metrics) on `samples` generated samples instead of the usual count
    /// (2,500 points, 1,000 images): a larger draw makes a final figure less noisy, but
    /// FID-lite and PRDC depend on the count, so compare them only at the same one.
    pub fn metrics_on(&self, samples: Option<usize>) -> MetricsReport {
        let step = self.step();
        // A seed tied to the step: the same checkpoint gives the same numbers.
        let seed = 0x4D45_5452 ^ step;
        let mut report = MetricsReport {
            step,
            values: Vec::new(),
            histogram: None,
        };
        if let Some(mixture) = self.data.points().and_then(|p| p.mixture()) {
            let samples = self.sample_n(samples.unwrap_or(METRIC_SAMPLES), seed);
            let coverage = mode_coverage(&samples.values, mixture);
            report.values = named(step, &coverage.values());
            report.histogram = Some(coverage.histogram(samples.count()));
        } else if let Some(set) = self.data.images() {
            let samples = self.sample_n(samples.unwrap_or(images::IMAGE_METRIC_SAMPLES), seed);
            report = self
                .metric_refs
                .image_report(step, set, &samples.values, &samples.classes);
        }
        report
    }
}
