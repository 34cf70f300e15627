//! What the window knows about the run: built only from trainer events.

use crate::engine::config::TrainConfig;
use crate::engine::family::{FamilyDescription, gan};
use crate::engine::metrics::collapse::{self, CollapseAlert};
use crate::engine::trainer::protocol::{
    ClassifierStatus, Event, MetricValue, MetricsReport, PlaneLayers, RunInfo, RunOrigin, RunState,
    Samples, StepStats,
};

/// Memory the sample history may use (64 MiB: ~300 grids of 64 digits).
pub const SNAPSHOT_BYTES: usize = 64 << 20;
/// 2D layers kept for the view's animation export (the older half thinned beyond it).
pub const FIELD_HISTORY: usize = 300;

/// The newest snapshot and the run's history, as plain data.
#[derive(Default)]
pub struct RunView {
    pub info: Option<RunInfo>,
    pub running: bool,
    /// Completed rounds.
    pub step: u64,
    /// Stats of every update, in order.
    pub history: Vec<StepStats>,
    /// Bumped when `history` is cleared, so caches keyed on its length stay honest.
    pub history_version: u64,
    /// Every evaluation whole, in order of step (metric curves, histograms, the alert, CSV).
    /// A re-evaluated step (after a restore) replaces the later ones.
    pub reports: Vec<MetricsReport>,
    /// The collapse alert for `reports`, if one holds.
    pub alert: Option<CollapseAlert>,
    /// Where the class metrics' classifier stands (image data).
    pub classifier: Option<ClassifierStatus>,
    /// Fixed-noise samples and the steps they were taken at, oldest first (thinned when they
    /// would take more than [`SNAPSHOT_BYTES`]).
    pub snapshots: Vec<(u64, Samples)>,
    /// The snapshot the user scrubbed back to, if any (else the newest is shown).
    pub pinned: Option<usize>,
    /// Bumped whenever the shown snapshot may have changed, so textures are rebuilt once.
    pub snapshot_version: u64,
    /// Messages about the current run (errors, divergence, notes), newest last: a new run
    /// (reset, restart, loaded checkpoint) starts without the old run's.
    pub messages: Vec<String>,
    /// Messages about the window itself (kept across runs).
    pub window_messages: Vec<String>,
    /// Messages about a change just asked for, shown with the run it brings (after a restart
    /// clears the old run's) or, when the change kept the run, at once.
    pub pending_messages: Vec<String>,
    /// The configuration the trainer could not build a run from, and why (no run until one
    /// builds): the setup panel edits it and the window offers the fixes.
    pub build_failed: Option<(TrainConfig, String)>,
    /// Training stopped on an internal error at this step (Reset starts again).
    pub crashed: Option<(u64, String)>,
    pub diverged: bool,
    /// Moves whenever nothing of the run on screen is unsaved any more: it was saved to a
    /// checkpoint, or a run started afresh (a reset, a preset, a loaded checkpoint).
    pub saved_version: u64,
    /// D's output on a grid over the 2D plane: (step, resolution, extent, values).
    pub d_field: Option<PlaneLayers>,
    /// Bumped when `d_field` changes.
    pub field_version: u64,
    /// The 2D layers received in this run, oldest first, one per step (thinned beyond
    /// [`FIELD_HISTORY`]): the frames of the view's animation export.
    pub field_history: Vec<PlaneLayers>,
    /// Bumped with each new run, so that what belongs to a run can tell it is stale.
    pub run_version: u64,
}

impl RunView {
    /// Folds one event into the view.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Ready(info) if !info.fresh() => {
                self.messages.append(&mut self.pending_messages);
                self.info = Some(*info);
            }
            Event::Ready(info) => {
                // A new run (or a loaded checkpoint): its snapshot, next, says the real step.
                self.step = 0;
                self.history.clear();
                self.history_version += 1;
                self.snapshots.clear();
                self.pinned = None;
                self.reports.clear();
                self.alert = None;
                self.diverged = false;
                self.crashed = None;
                self.build_failed = None;
                self.saved_version += 1;
                self.run_version += 1;
                self.messages.clear();
                self.d_field = None;
                self.field_history.clear();
                self.field_version += 1;
                let data = |i: &RunInfo| i.gan().map(|c| c.data.clone());
                let same_data = self
                    .info
                    .as_ref()
                    .is_some_and(|old| data(old).is_some() && data(old) == data(&info));
                if !same_data || info.gan().is_some_and(|c| c.data.is_points()) {
                    self.classifier = None;
                }
                for note in &info.data_notes {
                    self.messages.push(note.clone());
                }
                if info.origin == RunOrigin::Reset {
                    self.messages.push(format!(
                        "The run started again at step 0 (seed {}).",
                        info.seed()
                    ));
                }
                self.messages.append(&mut self.pending_messages);
                self.info = Some(*info);
            }
            Event::State(s) => self.running = s == RunState::Running,
            Event::Step(stats) => {
                self.step = stats.step;
                self.history.push(stats);
            }
            Event::Snapshot { step, samples } => {
                self.step = self.step.max(step);
                // A restore or a config change re-sends a step already held: replace it.
                self.snapshots.retain(|(s, _)| *s < step);
                self.snapshots.push((step, samples));
                self.thin_snapshots();
                self.snapshot_version += 1;
            }
            Event::Metrics(report) => {
                // A restore re-evaluates a step already held: keep the newest.
                self.reports.retain(|r| r.step < report.step);
                self.reports.push(report);
                let alert = collapse::assess(&self.reports);
                if let (None, Some(a)) = (&self.alert, &alert) {
                    self.messages.push(a.message.clone());
                }
                self.alert = alert;
            }
            Event::Classifier(status) => {
                if let ClassifierStatus::Unavailable(why) = &status
                    && self.classifier.as_ref() != Some(&status)
                {
                    self.messages.push(format!("Class metrics off: {why}"));
                }
                self.classifier = Some(status);
            }
            Event::Rendered { .. }
            | Event::Translated { .. }
            | Event::Upscaled(_)
            | Event::Styled(_)
            | Event::Captioned(_) => {}
            Event::DField(layers) => {
                self.keep_field(&layers);
                self.d_field = Some(*layers);
                self.field_version += 1;
            }
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
                self.saved_version += 1;
                self.messages
                    .push(format!("Saved step {step} to {}.", path.display()));
            }
            Event::History { stats, reports } => {
                self.history = stats;
                self.history_version += 1;
                self.alert = collapse::assess(&reports);
                self.reports = reports;
            }
            Event::CheckpointLoaded { path, step } => {
                self.messages
                    .push(format!("Loaded {} (step {step}).", path.display()));
            }
            Event::Error(e) => {
                self.pending_messages.clear();
                self.messages.push(format!("Error: {e}"));
            }
            Event::BuildFailed { config, error } => {
                self.info = None;
                self.running = false;
                self.snapshots.clear();
                self.snapshot_version += 1;
                // The error is shown once, in the panel that offers the fixes.
                self.messages.clear();
                self.build_failed = Some((*config, error));
            }
            Event::Crashed { step, what } => {
                self.running = false;
                let text = format!(
                    "Training stopped at step {step}: {what}. This is a bug in ganvas, not your setup; \
                     Reset starts the run again, or change the setup."
                );
                if !self.messages.contains(&text) {
                    self.messages.push(text);
                }
                self.crashed = Some((step, what));
            }
            Event::Stopped => self.running = false,
        }
    }

    /// The trainer thread ended without being asked to (reported once).
    pub fn trainer_gone(&mut self, why: &str) {
        if self.crashed.is_none() {
            self.running = false;
            self.messages.push(format!(
                "Training stopped: the trainer ended unexpectedly ({why}). This is a bug in ganvas; press Reset to start again."
            ));
            self.crashed = Some((self.step, why.to_string()));
        }
    }

    /// Keeps `layers` in the field history (one per step: the newest wins).
    fn keep_field(&mut self, layers: &PlaneLayers) {
        if self
            .field_history
            .last()
            .is_some_and(|l| l.step == layers.step)
        {
            self.field_history.pop();
        }
        self.field_history.push(layers.clone());
        if self.field_history.len() > FIELD_HISTORY {
            let half = self.field_history.len() / 2;
            let mut i = 0;
            self.field_history.retain(|_| {
                i += 1;
                i > half || i % 2 == 1
            });
        }
    }

    /// The run's model family (a GAN's until the first run is described).
    pub fn family(&self) -> &'static FamilyDescription {
        self.info.as_ref().map_or(&gan::DESCRIPTION, |i| i.family)
    }

    /// Clears the run's and the window's messages (the Dismiss button).
    pub fn dismiss_messages(&mut self) {
        self.messages.clear();
        self.window_messages.clear();
    }

    /// The run's GAN configuration (None for another family, or before the first run).
    pub fn gan_config(&self) -> Option<&TrainConfig> {
        self.info.as_ref().and_then(RunInfo::gan)
    }

    /// The layers shown at `step`: the newest received at or before it.
    pub fn field_at(&self, step: u64) -> Option<&PlaneLayers> {
        self.field_history.iter().rev().find(|l| l.step <= step)
    }

    /// The snapshot on screen: the pinned one, else the newest.
    pub fn shown(&self) -> Option<&(u64, Samples)> {
        match self.pinned {
            Some(i) => self.snapshots.get(i).or(self.snapshots.last()),
            None => self.snapshots.last(),
        }
    }

    /// Shows snapshot `index` (None: follow the newest).
    pub fn pin(&mut self, index: Option<usize>) {
        self.pinned = index.filter(|&i| i + 1 < self.snapshots.len());
        self.snapshot_version += 1;
    }

    /// Drops every other snapshot of the older half until the history fits its budget, so a
    /// long run keeps coarse early history and fine recent history.
    fn thin_snapshots(&mut self) {
        let bytes = |v: &[(u64, Samples)]| v.iter().map(|(_, s)| s.values.len() * 4).sum::<usize>();
        while bytes(&self.snapshots) > SNAPSHOT_BYTES && self.snapshots.len() > 4 {
            let half = self.snapshots.len() / 2;
            let mut i = 0;
            self.snapshots.retain(|_| {
                i += 1;
                i > half || i % 2 == 1
            });
            self.pinned = None;
        }
    }

    /// The newest report at or before `step`.
    pub fn report_at(&self, step: u64) -> Option<&MetricsReport> {
        self.reports.iter().rev().find(|r| r.step <= step)
    }

    /// The index of the first snapshot at or after `step` (to jump the history there).
    pub fn snapshot_index_at(&self, step: u64) -> Option<usize> {
        self.snapshots
            .iter()
            .position(|(s, _)| *s >= step)
            .or_else(|| self.snapshots.len().checked_sub(1))
    }

    /// The newest value of a metric measured at or before `step` (what the shown snapshot had).
    pub fn metric_at(&self, name: &str, step: u64) -> Option<f64> {
        self.reports
            .iter()
            .rev()
            .filter(|r| r.step <= step)
            .find_map(|r| r.get(name))
    }

    /// Every metric value, in order of step.
    pub fn metric_values(&self) -> impl Iterator<Item = &MetricValue> {
        self.reports.iter().flat_map(|r| r.values.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(step: u64) -> StepStats {
        StepStats::gan_round(step, [1.0, 1.0, 0.5, 0.5, 1.0, 1.0])
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
        assert_eq!(
            v.snapshots.len(),
            1,
            "a re-sent step replaces the snapshot held for it"
        );
        v.apply(Event::Metrics(MetricsReport {
            step: 1,
            values: vec![MetricValue {
                name: "modes_covered".into(),
                step: 1,
                value: 3.0,
            }],
            histogram: None,
        }));
        assert_eq!(v.metric_at("modes_covered", 1), Some(3.0));
        v.apply(Event::Error("bad file".into()));
        assert_eq!(
            v.messages.last().map(String::as_str),
            Some("Error: bad file")
        );
    }

    #[test]
    fn history_pins_and_thins_within_its_budget() {
        let mut v = RunView::default();
        let big = |n: usize| Samples {
            values: vec![0.0; n],
            len: 784,
            channels: 1,
            side: 28,
            classes: vec![],
        };
        let per = SNAPSHOT_BYTES / 4 / 10; // ten snapshots fill the budget
        for step in 0..40u64 {
            v.apply(Event::Snapshot {
                step: step * 10,
                samples: big(per),
            });
        }
        let bytes: usize = v.snapshots.iter().map(|(_, s)| s.values.len() * 4).sum();
        assert!(bytes <= SNAPSHOT_BYTES, "{bytes} bytes kept");
        assert_eq!(
            v.snapshots.last().map(|(s, _)| *s),
            Some(390),
            "the newest is always kept"
        );
        assert_eq!(
            v.snapshots.first().map(|(s, _)| *s),
            Some(0),
            "the oldest is kept, coarsely"
        );
        assert!(v.snapshots.windows(2).all(|w| w[0].0 < w[1].0));
        v.pin(Some(1));
        assert_eq!(v.shown().map(|(s, _)| *s), Some(v.snapshots[1].0));
        v.pin(None);
        assert_eq!(v.shown().map(|(s, _)| *s), Some(390));
    }
}
