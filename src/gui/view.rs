//! What the window knows about the run: built only from trainer events.

use crate::engine::trainer::protocol::{Event, MetricValue, RunInfo, RunState, Samples, StepStats};

/// The newest snapshot and the run's history, as plain data.
#[derive(Default)]
pub struct RunView {
    pub info: Option<RunInfo>,
    pub running: bool,
    /// Completed rounds.
    pub step: u64,
    /// Stats of every update, in order.
    pub history: Vec<StepStats>,
    pub metrics: Vec<MetricValue>,
    /// Fixed-noise samples and the step they were taken at.
    pub snapshot: Option<(u64, Samples)>,
    /// Bumped when `snapshot` changes, so textures are rebuilt once.
    pub snapshot_version: u64,
    /// Messages for the user (errors, divergence, notes), newest last.
    pub messages: Vec<String>,
    pub diverged: bool,
}

impl RunView {
    /// Folds one event into the view.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Ready(info) => {
                self.history.clear();
                self.metrics.clear();
                self.diverged = false;
                for note in &info.data_notes {
                    self.messages.push(note.clone());
                }
                self.info = Some(*info);
            }
            Event::State(s) => self.running = s == RunState::Running,
            Event::Step(stats) => {
                self.step = stats.step;
                self.history.push(stats);
            }
            Event::Snapshot { step, samples } => {
                self.step = self.step.max(step);
                self.snapshot = Some((step, samples));
                self.snapshot_version += 1;
            }
            Event::Metrics(values) => self.metrics.extend(values),
            Event::Rendered { .. } => {}
            Event::ConfigApplied { notes } => self.messages.extend(notes),
            Event::Diverged { step, what } => {
                self.diverged = true;
                self.messages.push(format!(
                    "Training diverged at step {step}: {what}. Paused; restore the last good state or reset."
                ));
            }
            Event::Restored { step } => {
                self.diverged = false;
                self.step = step;
                self.messages
                    .push(format!("Restored the state of step {step}."));
            }
            Event::CheckpointSaved { path, step } => {
                self.messages
                    .push(format!("Saved step {step} to {}.", path.display()));
            }
            Event::CheckpointLoaded { path, step } => {
                self.messages
                    .push(format!("Loaded {} (step {step}).", path.display()));
            }
            Event::Error(e) => self.messages.push(format!("Error: {e}")),
            Event::Stopped => self.running = false,
        }
    }

    /// The newest value of a metric.
    pub fn latest_metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .rev()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trainer::protocol::StepKind;

    fn stats(step: u64) -> StepStats {
        StepStats {
            step,
            kind: StepKind::Round,
            g_loss: 1.0,
            d_loss: 1.0,
            d_real: 0.5,
            d_fake: 0.5,
            g_grad_norm: 1.0,
            d_grad_norm: 1.0,
            millis: 1.0,
        }
    }

    #[test]
    fn events_fold_into_the_view() {
        let mut v = RunView::default();
        v.apply(Event::State(RunState::Running));
        v.apply(Event::Step(stats(1)));
        v.apply(Event::Step(stats(2)));
        assert!(v.running);
        assert_eq!((v.step, v.history.len()), (2, 2));
        v.apply(Event::Diverged {
            step: 2,
            what: "D loss became NaN".into(),
        });
        assert!(v.diverged && v.messages.last().is_some_and(|m| m.contains("step 2")));
        v.apply(Event::Restored { step: 1 });
        assert!(!v.diverged);
        assert_eq!(v.step, 1);
        let samples = Samples {
            values: vec![0.0; 4],
            len: 2,
            channels: 0,
            side: 0,
            classes: vec![],
        };
        v.apply(Event::Snapshot { step: 1, samples });
        v.apply(Event::Snapshot {
            step: 1,
            samples: Samples {
                values: vec![],
                len: 2,
                channels: 0,
                side: 0,
                classes: vec![],
            },
        });
        assert_eq!(
            v.snapshot_version, 2,
            "each snapshot rebuilds the texture once"
        );
        v.apply(Event::Metrics(vec![MetricValue {
            name: "modes_covered".into(),
            step: 1,
            value: 3.0,
        }]));
        assert_eq!(v.latest_metric("modes_covered"), Some(3.0));
        v.apply(Event::Error("bad file".into()));
        assert_eq!(
            v.messages.last().map(String::as_str),
            Some("Error: bad file")
        );
    }
}
